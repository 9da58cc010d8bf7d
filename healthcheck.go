package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/premier-gateway/premier/proxy/config"
)

// healthcheckTimeout bounds the whole probe: a container runtime runs it
// every few seconds and a hung gateway must fail it, not hang it.
const healthcheckTimeout = 2 * time.Second

// healthcheck probes the running gateway's {prefix}/readyz for
// `premier -healthcheck` (a container's HEALTHCHECK, where no curl
// exists): over plain HTTP to the plain listener (addr), or, without one,
// over TLS to the TLS listener (tlsAddr). A listener on all interfaces
// (":8000", "0.0.0.0:8000", "[::]:8000") is probed on 127.0.0.1. It
// prints one line saying why and returns 0 on a 200, 1 otherwise.
func healthcheck(stdout, stderr io.Writer, c *config.Config, addr, tlsAddr string) int {
	url, client, err := probeTarget(c, addr, tlsAddr)
	if err != nil {
		fmt.Fprintf(stderr, "premier: unhealthy: %v\n", err)
		return 1
	}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stderr, "premier: unhealthy: %v\n", err)
		return 1
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "premier: unhealthy: GET %s: %s\n", url, resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "premier: healthy: GET %s: %s\n", url, resp.Status)
	return 0
}

// probeTarget is the URL of the listener's /readyz and the client to ask
// it with. TLS certificate verification is skipped only when the probe
// goes to a loopback address (the gateway's own certificate names its
// public host names, not 127.0.0.1); any other address is verified
// against the system roots.
func probeTarget(c *config.Config, addr, tlsAddr string) (string, *http.Client, error) {
	scheme, target := "http", addr
	if target == "" {
		scheme, target = "https", tlsAddr
	}
	if target == "" {
		return "", nil, fmt.Errorf("no listener configured to probe")
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return "", nil, fmt.Errorf("listen address %q: %v", target, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	tr := &http.Transport{DisableKeepAlives: true}
	if scheme == "https" {
		ip := net.ParseIP(host)
		tr.TLSClientConfig = &tls.Config{
			ServerName:         host,
			InsecureSkipVerify: host == "localhost" || ip != nil && ip.IsLoopback(), //nolint:gosec // the gateway's own loopback listener, see above
		}
	}
	url := scheme + "://" + net.JoinHostPort(host, port) + c.Dashboard.Prefix + "/readyz"
	return url, &http.Client{Timeout: healthcheckTimeout, Transport: tr,
		// A redirect is not readiness: /readyz is never redirected by the gateway.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// override is flag when it is set, else the config's value.
func override(configured, flag string) string {
	if flag != "" {
		return flag
	}
	return configured
}

// tlsListenAddr is the TLS listener's address (-tls-listen over the
// config's), "" without a tls block.
func tlsListenAddr(c *config.Config, flag string) string {
	if c.TLS == nil {
		return ""
	}
	return override(c.TLS.Listen, flag)
}
