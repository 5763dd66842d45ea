// Command tftpserve serves a directory over TFTP with filemux's daemon, for
// the benchmark (bench/tftp.sh) and for trying clients by hand:
//
//	go run ./bench/cmd/tftpserve -addr 127.0.0.1:6969 -root /srv/tftp
//
// With -cpuprofile FILE it profiles the daemon until it is stopped, for
// `go tool pprof`.
//
// It prints "listening on ADDR" once it serves, and stops on SIGINT or
// SIGTERM, letting running transfers finish for a moment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tftpserve:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "UDP address to listen on")
	root := flag.String("root", ".", "directory to serve")
	writable := flag.Bool("writable", false, "accept uploads (create and overwrite)")
	maxTransfers := flag.Int("max-transfers", 0, "concurrent transfers (0: the daemon's default)")
	maxWindow := flag.Int("max-window", 64, "largest windowsize granted")
	verbose := flag.Bool("v", false, "log every transfer to stderr")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file until SIGINT or SIGTERM")
	flag.Parse()
	if *cpuProfile != "" {
		stop, err := profileCPU(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}

	cfg := handlers.DirConfig{}
	if *writable {
		cfg.Write = handlers.WriteAny
	}
	dir, err := handlers.NewDir(*root, cfg)
	if err != nil {
		return err
	}
	defer dir.Close()
	d := &daemon.TFTP{Handler: dir, MaxTransfers: *maxTransfers, MaxWindowSize: *maxWindow}
	if *verbose {
		d.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	pc, err := net.ListenPacket("udp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", pc.LocalAddr())
	go stopOnSignal(d)
	if err := d.Serve(pc); err != nil && !errors.Is(err, daemon.ErrServerClosed) {
		return err
	}
	return nil
}

// profileCPU starts a CPU profile written to path; the returned function
// ends it.
func profileCPU(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// stopOnSignal shuts the daemon down on SIGINT or SIGTERM, giving running
// transfers a second to finish.
func stopOnSignal(d *daemon.TFTP) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = d.Shutdown(ctx)
}
