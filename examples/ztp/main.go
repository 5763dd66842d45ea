// Command ztp is a zero-touch provisioning server: it answers the file names
// that Cisco AutoInstall and ONIE ask for by TFTP, rendering each device's
// configuration or installer from an inventory, and answers "file not found"
// for a name it has nothing for, so that the device moves on to the next name
// of its waterfall.
//
// The inventory and templates are embedded from the provisioning folder;
// -dir serves a copy of that folder from disk instead.
//
//	go run ./examples/ztp -listen 127.0.0.1:6969
//	curl tftp://127.0.0.1:6969/sw-core-01-confg
//	curl tftp://127.0.0.1:6969/onie-installer-x86_64-acme_sw4800-r1
package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/filemux/filemux/daemon"
)

//go:embed provisioning
var embedded embed.FS

// config is what run needs; main fills it from flags, tests from their own
// loopback setup.
type config struct {
	// Listen is the UDP address of the TFTP daemon; port 0 picks one.
	Listen string
	// Files holds devices.yaml, platforms.yaml and the templates; nil
	// means the embedded provisioning folder.
	Files fs.FS
	// Logger receives the daemon's logs: one line per transfer.
	Logger *slog.Logger
	// Grace is how long running transfers may finish once ctx is done;
	// 0 means 5 seconds.
	Grace time.Duration
	// Ready, when set, is called with the bound address once the socket
	// listens.
	Ready func(netip.AddrPort)
}

func main() {
	cfg := config{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	dir := flag.String("dir", "", "serve the provisioning `folder` from disk instead of the embedded one")
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:6969", "UDP `address` to serve TFTP on (\":69\" for devices; needs privileges)")
	flag.Parse()
	if *dir != "" {
		cfg.Files = os.DirFS(*dir)
	}
	cfg.Ready = func(a netip.AddrPort) { cfg.Logger.Info("serving TFTP", "addr", a) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "ztp:", err)
		os.Exit(1)
	}
}

// run serves the provisioning routes over TFTP until ctx is done.
func run(ctx context.Context, cfg config) error {
	files := cfg.Files
	if files == nil {
		var err error
		if files, err = fs.Sub(embedded, "provisioning"); err != nil {
			return err
		}
	}
	reg, err := routes(files)
	if err != nil {
		return err
	}
	// Devices fetch configs, never push them: refuse writes outright.
	d := &daemon.TFTP{Handler: reg, Logger: cfg.Logger, RefuseWrites: true}
	return serve(ctx, d, cfg)
}

// serve runs d on cfg.Listen until ctx is done, then shuts it down, letting
// running transfers finish for cfg.Grace.
func serve(ctx context.Context, d *daemon.TFTP, cfg config) error {
	pc, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return err
	}
	if cfg.Ready != nil {
		cfg.Ready(pc.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	return daemon.Run(ctx, cfg.Grace, daemon.TFTPService(d, pc))
}
