// Command netboot is a network boot and zero-touch provisioning server:
// TFTP hands out one iPXE script, boot.ipxe, and everything after it comes
// over HTTP from the same routes: the machine's own iPXE script, rendered
// from an inventory keyed by its MAC address, its kernel and initrd from a
// directory, its ZTP configuration, rendered from the same inventory, and
// the upload of its configuration by HTTP PUT with a bearer token.
//
// The inventory and templates are embedded from the provisioning folder.
// -root is the folder with boot/ (kernels and initrds) and configs/ (the
// uploads); without it, a demo folder with stand-in kernels is made.
//
//	go run ./examples/netboot -tftp 127.0.0.1:6969 -http 127.0.0.1:8080 -tokens tokens
//	curl tftp://127.0.0.1:6969/boot.ipxe
//	curl http://127.0.0.1:8080/mac-52-54-00-12-34-56.ipxe
//	curl -T running.cfg -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/configs/lab-01.cfg
package main

import (
	"context"
	"embed"
	"errors"
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
	"github.com/filemux/filemux/registry"
)

//go:embed provisioning
var embedded embed.FS

// config is what run needs; main fills it from flags, tests from their own
// loopback setup.
type config struct {
	// TFTP is the UDP address of the TFTP daemon, HTTP the TCP address of
	// the HTTP daemon; port 0 picks one.
	TFTP, HTTP string
	// Public is the HTTP server as the machines reach it, "host" or
	// "host:port", written into boot.ipxe and every script. Empty means
	// the HTTP daemon's bound address, which must then not be 0.0.0.0 or
	// [::].
	Public string
	// SinglePort runs every TFTP transfer on the listening port, for
	// clients behind a NAT (QEMU's user network).
	SinglePort bool
	// Root holds boot/ (kernels and initrds, served read-only) and
	// configs/ (where uploads land, created when missing). Empty means a
	// demo folder in the system's temporary directory, with a stand-in
	// for every kernel and initrd the inventory names, removed when run
	// returns.
	Root string
	// TokenFile holds "user:token" lines; the user is the device's
	// hostname, the only one whose config it may upload. Empty means no
	// uploads.
	TokenFile string
	// Files holds hosts.yaml and the templates; nil means the embedded
	// provisioning folder.
	Files fs.FS
	// Logger receives the daemons' logs: one line per transfer.
	Logger *slog.Logger
	// Grace is how long running transfers may finish once ctx is done;
	// 0 means 5 seconds.
	Grace time.Duration
	// Ready, when set, is called with the bound addresses once both
	// daemons listen.
	Ready func(tftp, http netip.AddrPort)
}

func main() {
	cfg := config{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	flag.StringVar(&cfg.TFTP, "tftp", "127.0.0.1:6969", "UDP `address` to serve TFTP on (\":69\" for machines; needs privileges)")
	flag.StringVar(&cfg.HTTP, "http", "127.0.0.1:8080", "TCP `address` to serve HTTP on")
	flag.StringVar(&cfg.Public, "public", "", "`host[:port]` the machines reach the HTTP server at (default: the -http address)")
	flag.BoolVar(&cfg.SinglePort, "single-port", false, "run TFTP transfers on the listening port (clients behind a NAT, such as QEMU's user network)")
	flag.StringVar(&cfg.Root, "root", "", "`folder` with boot/ and configs/ (default: a demo folder with stand-in kernels)")
	flag.StringVar(&cfg.TokenFile, "tokens", "", "`file` of hostname:token lines allowed to upload their configs (default: no uploads)")
	flag.Parse()
	cfg.Ready = func(tftp, http netip.AddrPort) {
		cfg.Logger.Info("serving", "tftp", tftp, "http", http)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "netboot:", err)
		os.Exit(1)
	}
}

// run serves the netboot routes over TFTP and HTTP until ctx is done.
func run(ctx context.Context, cfg config) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	files := cfg.Files
	if files == nil {
		var err error
		if files, err = fs.Sub(embedded, "provisioning"); err != nil {
			return err
		}
	}
	hosts, err := loadHosts(files)
	if err != nil {
		return err
	}
	if cfg.Root == "" {
		if cfg.Root, err = demoRoot(hosts); err != nil {
			return err
		}
		defer os.RemoveAll(cfg.Root)
		cfg.Logger.Info("serving a demo folder with stand-in kernels", "root", cfg.Root)
	}

	// Listen first: the scripts name the HTTP server's address, which
	// port 0 only gives once bound.
	pc, err := net.ListenPacket("udp", cfg.TFTP)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		pc.Close()
		return err
	}
	public, err := publicAddr(cfg.Public, ln.Addr().(*net.TCPAddr).AddrPort())
	var reg *registry.Registry
	var closeDirs func()
	if err == nil {
		reg, closeDirs, err = routes(files, hosts, cfg.Root, "http://"+public)
	}
	if err != nil {
		pc.Close()
		ln.Close()
		return err
	}
	defer closeDirs()
	return serve(ctx, cfg, reg, pc, ln)
}

// serve runs both daemons on the one registry until ctx is done.
func serve(ctx context.Context, cfg config, reg *registry.Registry, pc net.PacketConn, ln net.Listener) error {
	tftp := &daemon.TFTP{
		Handler: reg,
		Logger:  cfg.Logger,
		// Machines fetch over TFTP; uploads go over HTTP, with a token.
		RefuseWrites: true,
	}
	if cfg.SinglePort {
		tftp.Ports = daemon.PortsSingle
	}
	web := &daemon.HTTP{
		Handler:   reg,
		Logger:    cfg.Logger,
		TokenFile: cfg.TokenFile,
		MaxSize:   maxConfigSize,
	}
	if cfg.Ready != nil {
		cfg.Ready(pc.LocalAddr().(*net.UDPAddr).AddrPort(), ln.Addr().(*net.TCPAddr).AddrPort())
	}
	return daemon.Run(ctx, cfg.Grace, daemon.TFTPService(tftp, pc), daemon.HTTPService(web, ln))
}

// publicAddr is the HTTP server as machines reach it: public when set,
// otherwise the bound address, which must be one a machine can reach.
func publicAddr(public string, bound netip.AddrPort) (string, error) {
	if public != "" {
		return public, nil
	}
	if bound.Addr().IsUnspecified() {
		return "", errors.New("the HTTP address " + bound.String() + " is no address a machine can reach: set -public")
	}
	return bound.String(), nil
}
