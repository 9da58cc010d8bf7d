// Command premier is a single-binary edge API gateway.
//
//	premier -config FILE [-listen ADDR] [-tls-listen ADDR]   run the gateway
//	premier -check -config FILE [-format json]   validate a config and exit
//	premier -explain "METHOD URL" -config FILE [-client-ip IP] [-header "N: v"]... [-format json]
//	                                      which rule a request gets, and what follows
//	premier -healthcheck -config FILE     probe the running gateway's /readyz: exit 0 when ready, 1 otherwise
//	premier -version                      print the version, commit, Go and fasthttp versions
//
// SIGHUP reloads the config, SIGTERM/SIGINT drain and exit, SIGUSR2 (Unix)
// replaces the process with the binary now at its path without closing
// the listening sockets (docs/upgrades.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/premier-gateway/premier/internal/logswitch"
	"github.com/premier-gateway/premier/internal/upgrade"
	"github.com/premier-gateway/premier/proxy"
	"github.com/premier-gateway/premier/proxy/acme"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/edge"
	"github.com/premier-gateway/premier/ui"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("premier", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "path to the YAML config file (required)")
	listen := fs.String("listen", "", "listen address, overrides the config's `listen` (default :8000)")
	tlsListen := fs.String("tls-listen", "", "TLS listen address, overrides the config's `tls.listen` (default :8443; needs a tls block)")
	check := fs.Bool("check", false, "validate the config, print every problem and exit")
	version := fs.Bool("version", false, "print the version, the commit, the Go and fasthttp versions, and exit")
	format := fs.String("format", "text", "output of -check and -explain: text, or json")
	explainReq := fs.String("explain", "", "print which rule the request `\"METHOD URL\"` matches, why earlier rules do not, its policies, backends and keys, and exit")
	clientIP := fs.String("client-ip", "127.0.0.1", "the client address -explain assumes")
	healthcheckFlag := fs.Bool("healthcheck", false, "probe the running gateway's {prefix}/readyz on the configured listener (127.0.0.1 when it listens on all interfaces), print why, exit 0 when it answers 200, 1 otherwise")
	pidfile := fs.String("pidfile", "", "write the process ID to `PATH` (rewritten by the new process after a SIGUSR2 upgrade, removed on a clean exit)")
	upgradeTimeout := fs.Duration("upgrade-timeout", defaultUpgradeTimeout, "how long a SIGUSR2 upgrade waits for the new process to be ready before killing it")
	var headers headerFlags
	fs.Var(&headers, "header", "a request header for -explain, `\"Name: value\"` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		printVersion(stdout)
		return 0
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "premier: -config FILE is required")
		fs.Usage()
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "premier: -format %q: want text or json\n", *format)
		return 2
	}
	loaded, err := config.LoadFile(*configPath)
	if *check && *format == "json" {
		return checkJSON(stdout, *configPath, loaded, err)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *healthcheckFlag {
		return healthcheck(stdout, stderr, loaded.Config, override(loaded.Config.Listen, *listen), tlsListenAddr(loaded.Config, *tlsListen))
	}
	if *explainReq != "" {
		return explain(stdout, stderr, loaded, *explainReq, *clientIP, headers, *format)
	}
	if *check {
		for _, w := range loaded.Warnings {
			fmt.Fprintln(stderr, w.String())
		}
		fmt.Fprintf(stdout, "%s: OK\n", *configPath)
		return 0
	}
	logs := logswitch.New(stderr) // log.level and log.format: a reload switches them
	logs.Set(loaded.Config.Log.Level, loaded.Config.Log.Format)
	log := slog.New(logs)
	slog.SetDefault(log) // the leaves (lb health checks) log through the default logger
	checkFileLimit(log, loaded.Config.Limits.MaxConnections)
	if err := loaded.Standalone(); err != nil {
		fmt.Fprintf(stderr, "premier: cannot start standalone: %v\n", err)
		return 1
	}
	addr := loaded.Config.Listen
	if *listen != "" {
		addr = *listen
	}
	tlsAddr := ""
	if t := loaded.Config.TLS; t != nil {
		tlsAddr = t.Listen
		if *tlsListen != "" {
			tlsAddr = *tlsListen
		}
	} else if *tlsListen != "" {
		fmt.Fprintln(stderr, "premier: -tls-listen needs a tls block in the config (its certificates)")
		return 2
	}
	proc := newProcess(log, *pidfile, *upgradeTimeout, args)
	if err := serve(loaded, addr, tlsAddr, *configPath, log, logs.Set, proc); err != nil {
		proc.exit(false)
		log.Error("premier stopped", slog.String("error", err.Error()))
		return 1
	}
	proc.exit(true)
	return 0
}

// serve wires the gateway: the plain listener on addr and the TLS one on
// tlsAddr (either "" for none), reload on SIGHUP or file change, drain on
// SIGTERM/SIGINT, replace itself on SIGUSR2 (proc).
func serve(loaded *config.Loaded, addr, tlsAddr, path string, log *slog.Logger, logSettings func(level, format string), proc *process) error {
	gw, err := proxy.New(loaded, proxy.WithLogger(log), proxy.WithLogSettings(logSettings))
	if err != nil {
		return err
	}
	defer gw.Close()
	dash := ui.New(gw.DashboardSource(path, 0), ui.Options{Logger: log})
	defer dash.Close()
	gw.SetReservedHandler(dash.Handler)
	lns, certs, err := listen(gw, addr, tlsAddr, proc, log)
	if err != nil {
		return err
	}
	if certs != nil {
		// After the listeners are bound: the challenges arrive on them.
		if err := certs.Start(); err != nil {
			for _, ln := range lns {
				_ = ln.Close()
			}
			return err
		}
		defer certs.Stop()
	}
	for _, ln := range lns {
		scheme := "http"
		if _, ok := ln.(*edge.Listener); ok {
			scheme = "https"
		}
		log.Info("premier listening", slog.String("addr", ln.Addr().String()), slog.String("scheme", scheme),
			slog.String("config", path), slog.String("version", proxy.Version))
	}

	watcher := gw.Watch(path, time.Second)
	defer watcher.Stop()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, drain := context.WithCancel(ctx) // an upgrade's old process drains as on SIGTERM
	defer drain()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	usr1 := make(chan os.Signal, 1)
	if len(reopenSignals) > 0 { // Notify with none would catch every signal
		signal.Notify(usr1, reopenSignals...) // logrotate moved the access log: reopen it
	}
	defer signal.Stop(usr1)
	usr2 := make(chan os.Signal, 1)
	if len(upgradeSignals) > 0 {
		signal.Notify(usr2, upgradeSignals...)
	}
	defer signal.Stop(usr2)
	go func() {
		for {
			select {
			case <-usr1:
				gw.ReopenLogs()
			case <-usr2:
				proc.upgrade(drain)
			case <-hup:
				proc.notify(upgrade.ReloadingState())
				gw.ReloadLogged(path, "SIGHUP")
				proc.notify("READY=1")
			case <-ctx.Done():
				return
			}
		}
	}()

	if err = serveAll(ctx, gw, lns, proc.ready); err == nil {
		log.Info("premier stopped cleanly")
		return nil
	}
	return err
}

// listen opens the plain listener (unless addr is "") and the TLS one
// (unless tlsAddr is ""); on an error it closes what it opened. With
// tls.acme it also returns the ACME manager, not started, whose
// certificates the TLS listener serves and whose HTTP-01 answers the
// gateway gives.
func listen(gw *proxy.Gateway, addr, tlsAddr string, proc *process, log *slog.Logger) ([]net.Listener, *acme.Manager, error) {
	var lns []net.Listener
	fail := func(err error) ([]net.Listener, *acme.Manager, error) {
		for _, ln := range lns {
			_ = ln.Close()
		}
		return nil, nil, err
	}
	if addr != "" {
		ln, err := proc.listen("plain", addr)
		if err != nil {
			return fail(err)
		}
		lns = append(lns, ln)
	}
	if tlsAddr != "" {
		raw, err := proc.listen("tls", tlsAddr)
		if err != nil {
			return fail(err)
		}
		var opts proxy.TLSOptions
		var certs *acme.Manager
		if a := gw.Loaded().Config.TLS.ACME; a != nil {
			plainAddr := ""
			if len(lns) > 0 {
				plainAddr = lns[0].Addr().String()
			}
			if certs, err = newACME(gw, a, plainAddr, raw.Addr().String(), log); err != nil {
				_ = raw.Close()
				return fail(err)
			}
			opts.Sources = []edge.CertSource{certs.GetCertificate}
			opts.Protocols = []string{acme.ALPNProto}
			opts.Expiry = certs.Expiry
		}
		tln, err := gw.ListenTLS(raw, opts)
		if err != nil {
			_ = raw.Close()
			return fail(err)
		}
		return append(lns, tln), certs, nil
	}
	return lns, nil, nil
}

// newACME builds the manager of tls.acme over the bound listeners: HTTP-01
// is answered on the plain one (when there is one) by the gateway's
// request path, TLS-ALPN-01 on the TLS one.
func newACME(gw *proxy.Gateway, a *config.ACME, plainAddr, tlsAddr string, log *slog.Logger) (*acme.Manager, error) {
	m, err := acme.New(acme.Options{
		Email:                a.Email,
		Domains:              a.Domains,
		Directory:            a.Directory,
		CARoot:               a.CARoot,
		Storage:              a.Storage,
		HTTPChallengeAddr:    plainAddr,
		TLSALPNChallengeAddr: tlsAddr,
		Logger:               log,
	})
	if err != nil {
		return nil, err
	}
	gw.SetACMEChallenge(m.ServeHTTPChallenge)
	return m, nil
}

// serveAll serves every listener until ctx is cancelled (all drain
// together) or one fails (the others are then drained too); started runs
// once every listener is being served.
func serveAll(ctx context.Context, gw *proxy.Gateway, lns []net.Listener, started func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(lns))
	for _, ln := range lns {
		go func() {
			err := gw.Serve(ctx, ln)
			cancel() // one listener failing stops the others
			errc <- err
		}()
	}
	started()
	var errs []error
	for range lns {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}
