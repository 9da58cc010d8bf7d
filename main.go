// Command premier is a single-binary edge API gateway.
//
//	premier -config FILE [-listen ADDR]   run the gateway
//	premier -check -config FILE           validate a config and exit
//	premier -version                      print the version
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/premier-gateway/premier/proxy"
	"github.com/premier-gateway/premier/proxy/config"
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
	check := fs.Bool("check", false, "validate the config, print every problem and exit")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintf(stdout, "premier %s\n", proxy.Version)
		return 0
	}
	if *configPath == "" {
		fmt.Fprintln(stderr, "premier: -config FILE is required")
		fs.Usage()
		return 2
	}
	loaded, err := config.LoadFile(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *check {
		for _, w := range loaded.Warnings {
			fmt.Fprintln(stderr, w.String())
		}
		fmt.Fprintf(stdout, "%s: OK\n", *configPath)
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	slog.SetDefault(log) // the leaves (lb health checks) log through the default logger
	if err := loaded.Standalone(); err != nil {
		fmt.Fprintf(stderr, "premier: cannot start standalone: %v\n", err)
		return 1
	}
	addr := loaded.Config.Listen
	if *listen != "" {
		addr = *listen
	}
	if err := serve(loaded, addr, *configPath, log); err != nil {
		log.Error("premier stopped", slog.String("error", err.Error()))
		return 1
	}
	return 0
}

// serve wires the gateway: listener, reload on SIGHUP or file change,
// drain on SIGTERM/SIGINT.
func serve(loaded *config.Loaded, addr, path string, log *slog.Logger) error {
	gw, err := proxy.New(loaded, proxy.WithLogger(log))
	if err != nil {
		return err
	}
	defer gw.Close()
	dash := ui.New(gw.DashboardSource(path, 0), ui.Options{Logger: log})
	defer dash.Close()
	gw.SetReservedHandler(dash.Handler)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("premier listening", slog.String("addr", ln.Addr().String()),
		slog.String("config", path), slog.String("version", proxy.Version))

	watcher := gw.Watch(path, time.Second)
	defer watcher.Stop()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				gw.ReloadLogged(path, "SIGHUP")
			case <-ctx.Done():
				return
			}
		}
	}()

	if err = gw.Serve(ctx, ln); err == nil {
		log.Info("premier stopped cleanly")
		return nil
	}
	return err
}
