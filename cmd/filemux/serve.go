package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The embedded default of serve: loopback only, so that a newcomer sees it
// work at once without exposing anything.
const (
	defaultTFTPAddr = "127.0.0.1:6969"
	demoName        = "filemux-demo.txt"
	// shutdownGrace is how long running transfers may finish after SIGINT
	// or SIGTERM before they are aborted.
	shutdownGrace = 5 * time.Second
)

func serveUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: filemux serve [--tftp ADDR]... [--root DIR] [--writable]")
	fmt.Fprintln(w, "       filemux serve --config FILE")
	fmt.Fprintf(w, "\nServes DIR (default: the current directory) over TFTP on each ADDR (default\n")
	fmt.Fprintf(w, "%s), read-only unless --writable, plus %s, generated in memory.\n", defaultTFTPAddr, demoName)
	fmt.Fprintln(w, "With --config, it serves the listeners and routes of FILE (docs/config.md).")
	fmt.Fprintln(w, "SIGINT or SIGTERM stops it, letting running transfers finish for a few seconds;")
	fmt.Fprintln(w, "SIGHUP reloads FILE.")
}

// serveFlags are the flags of serve.
type serveFlags struct {
	tftp     addrList
	root     string
	writable bool
	opts     serveOptions
}

func runServe(ctx context.Context, args []string) status {
	var f serveFlags
	fs := newFlagSet("serve", serveUsage, os.Stderr)
	fs.Var(&f.tftp, "tftp", "serve TFTP on `ADDR` (host:port, repeatable; default "+defaultTFTPAddr+")")
	fs.StringVar(&f.root, "root", ".", "serve the files under `DIR`")
	fs.BoolVar(&f.writable, "writable", false, "accept uploads (new files and replacements) into DIR")
	f.opts.register(fs)
	if _, st, ok := parseCommand(fs, args, 0, 0); !ok {
		return st
	}
	if err := f.opts.check(visited(fs, "tftp", "root", "writable")); err != nil {
		return usageError(fs, "serve", err)
	}
	if f.opts.config != "" {
		return runConfigured(ctx, f.opts)
	}
	if len(f.tftp) == 0 {
		f.tftp = addrList{defaultTFTPAddr}
	}
	if err := serve(ctx, f); err != nil {
		fmt.Fprintf(os.Stderr, "filemux serve: %v\n", err)
		return statusFailure
	}
	return statusOK
}

// serve runs one TFTP daemon per address over the same routes until ctx
// is done, then shuts them down gracefully.
func serve(ctx context.Context, f serveFlags) error {
	root, err := filepath.Abs(f.root)
	if err != nil {
		return err
	}
	pcs, err := listenAll(f.tftp)
	if err != nil {
		return err
	}
	routes, dir, err := newRoutes(root, f.writable, demoText(pcs[0].LocalAddr().String(), root))
	if err != nil {
		closeAll(pcs)
		return err
	}
	defer dir.Close()
	s, err := flagServer(pcs, routes, f.opts, os.Stderr)
	if err != nil {
		closeAll(pcs)
		return err
	}
	s.printAdmin(os.Stdout)
	printBanner(os.Stdout, pcs, root, f.writable)
	return s.run(ctx)
}

// newRoutes is the registry of the embedded default: the demo file, then
// the directory for every other name.
func newRoutes(root string, writable bool, demo []byte) (*registry.Registry, *handlers.Dir, error) {
	cfg := handlers.DirConfig{}
	if writable {
		cfg.Write = handlers.WriteAny
	}
	dir, err := handlers.NewDir(root, cfg)
	if err != nil {
		return nil, nil, err
	}
	var reg registry.Registry
	reg.MustRegister(`filemux-demo\.txt`, behaviour.Bytes(demo))
	reg.MustRegister(`.*`, dir)
	return &reg, dir, nil
}

func listenAll(addrs []string) ([]net.PacketConn, error) {
	var pcs []net.PacketConn
	for _, a := range addrs {
		pc, err := net.ListenPacket("udp", a)
		if err != nil {
			closeAll(pcs)
			return nil, err
		}
		pcs = append(pcs, pc)
	}
	return pcs, nil
}

func closeAll(pcs []net.PacketConn) {
	for _, pc := range pcs {
		pc.Close()
	}
}

func printBanner(w io.Writer, pcs []net.PacketConn, root string, writable bool) {
	access := "read-only"
	if writable {
		access = "read-write"
	}
	for _, pc := range pcs {
		fmt.Fprintf(w, "filemux: serving TFTP on %s\n", pc.LocalAddr())
	}
	fmt.Fprintf(w, "  %-18s generated in memory\n  %-18s files under %s (%s)\n", demoName, "everything else", root, access)
	addr := pcs[0].LocalAddr().String()
	fmt.Fprintf(w, "Try:\n  filemux get tftp://%s/%s\n  curl tftp://%s/%s\n", addr, demoName, addr, demoName)
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

func demoText(addr, root string) []byte {
	return fmt.Appendf(nil, `Hello from filemux!

This file does not exist on disk: "filemux serve" generates it in memory and
serves it through a route registered before the one that serves the files
under %s.

Fetch it again with:
  filemux get tftp://%s/%s
  curl tftp://%s/%s
`, root, addr, demoName, addr, demoName)
}

// addrList collects repeated --tftp flags.
type addrList []string

func (a *addrList) String() string { return strings.Join(*a, ",") }

func (a *addrList) Set(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("%q is not HOST:PORT", v)
	}
	*a = append(*a, v)
	return nil
}
