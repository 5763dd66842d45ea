// Command custom-handler serves files that exist only as names, through a
// behaviour.Handler written from scratch (Synthetic, in synthetic.go): ask
// for "demo-100M.bin" and get 100 MiB of deterministic bytes, streamed
// without ever holding them; ask for "demo-100M.bin.sha256" and get their
// digest; send the same bytes back and the upload is accepted only if every
// byte is right.
//
//	go run ./examples/custom-handler -listen 127.0.0.1:6969
//	curl -o demo.bin tftp://127.0.0.1:6969/demo-100M.bin
//	curl -s tftp://127.0.0.1:6969/demo-100M.bin.sha256 | sha256sum -c
//	curl -T demo.bin tftp://127.0.0.1:6969/demo-100M.bin
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/filemux/filemux/daemon"
)

// config is what run needs; main fills it from flags, tests from their own
// loopback setup.
type config struct {
	// Listen is the UDP address of the TFTP daemon; port 0 picks one.
	Listen string
	// MaxSize bounds the generated files (Synthetic.MaxSize).
	MaxSize int64
	// Logger receives the daemon's and the handler's logs.
	Logger *slog.Logger
	// Grace is how long running transfers may finish once ctx is done;
	// 0 means 5 seconds. Dallies count as running: a write that succeeded
	// still listens for a repeat of its final DATA for two of the peer's
	// timeouts (curl asks for 6 seconds).
	Grace time.Duration
	// Ready, when set, is called with the bound address once the socket
	// listens.
	Ready func(netip.AddrPort)
}

func main() {
	cfg := config{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:6969", "UDP `address` to serve TFTP on (\":69\" needs privileges)")
	flag.Int64Var(&cfg.MaxSize, "max-size", DefaultMaxSize, "largest generated file, in `bytes`")
	flag.Parse()
	cfg.Ready = func(a netip.AddrPort) { cfg.Logger.Info("serving TFTP", "addr", a, "try", "demo-100M.bin") }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "custom-handler:", err)
		os.Exit(1)
	}
}

// run serves the Synthetic handler over TFTP until ctx is done, then shuts
// the daemon down, letting running transfers finish for cfg.Grace.
func run(ctx context.Context, cfg config) error {
	h := &Synthetic{MaxSize: cfg.MaxSize, Logger: cfg.Logger}
	d := &daemon.TFTP{Handler: h, Logger: cfg.Logger, MaxWindowSize: 64}
	pc, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return err
	}
	if cfg.Ready != nil {
		cfg.Ready(pc.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	return daemon.Run(ctx, cfg.Grace, daemon.TFTPService(d, pc))
}
