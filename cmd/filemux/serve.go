package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
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
	fmt.Fprintln(w, "Usage: filemux serve [--tftp ADDR]... [--sftp ADDR]... [--http ADDR]... [--root DIR] [--writable]")
	fmt.Fprintln(w, "       filemux serve --config FILE")
	fmt.Fprintf(w, "\nServes DIR (default: the current directory) over TFTP, over SFTP and SCP and over\n")
	fmt.Fprintf(w, "HTTP on each ADDR (with none of the three: TFTP on %s and SFTP on %s),\n", defaultTFTPAddr, defaultSSHAddr)
	fmt.Fprintf(w, "read-only unless --writable, plus %s, generated in memory.\n", demoName)
	fmt.Fprintln(w, "SFTP logs in the keys of ~/.ssh/authorized_keys (or --authorized-keys FILE), with a")
	fmt.Fprintln(w, "host key kept in $XDG_STATE_HOME/filemux (or --host-key FILE); without keys it is off.")
	fmt.Fprintln(w, "HTTP downloads need no login; HTTP uploads (PUT, POST) need --writable and a user of")
	fmt.Fprintln(w, "--http-password-file or --http-token-file, unless --http-anonymous-uploads.")
	fmt.Fprintln(w, "With --config, it serves the listeners and routes of FILE (docs/config.md).")
	fmt.Fprintln(w, "Under systemd socket activation (LISTEN_FDS, with LISTEN_PID this process or unset),")
	fmt.Fprintln(w, "the passed UDP sockets serve TFTP, the TCP sockets named http or https")
	fmt.Fprintln(w, "(LISTEN_FDNAMES) HTTP and the other TCP sockets SFTP and SCP, in place of the")
	fmt.Fprintln(w, "addresses of the flags or the file (contrib/systemd).")
	fmt.Fprintln(w, "SIGINT or SIGTERM stops it, letting running transfers finish for a few seconds;")
	fmt.Fprintln(w, "SIGHUP reloads FILE, or without one the keys, passwords, tokens and certificate.")
}

// serveFlags are the flags of serve.
type serveFlags struct {
	tftp     addrList
	sftp     addrList
	hostKey  string
	authKeys string
	root     string
	writable bool
	single   bool
	portSpan string
	ports    daemon.PortPolicy // from single and portSpan
	trusted  netList
	http     serveHTTPFlags
	opts     serveOptions
}

func runServe(ctx context.Context, args []string) status {
	var f serveFlags
	fs := newFlagSet("serve", serveUsage, os.Stderr)
	fs.Var(&f.tftp, "tftp", "serve TFTP on `ADDR` (host:port, repeatable; default "+defaultTFTPAddr+")")
	fs.Var(&f.sftp, "sftp", "serve SFTP and SCP on `ADDR` (host:port, repeatable; default "+defaultSSHAddr+")")
	fs.StringVar(&f.hostKey, "host-key", "", "use the ed25519 SSH host key in `FILE`, generated when missing (default: in the state directory)")
	fs.StringVar(&f.authKeys, "authorized-keys", "", "let the keys of `FILE` log in over SFTP and SCP (default: ~/.ssh/authorized_keys)")
	fs.StringVar(&f.root, "root", ".", "serve the files under `DIR`")
	fs.BoolVar(&f.writable, "writable", false, "accept uploads (new files and replacements) into DIR")
	fs.BoolVar(&f.single, "single-port", false, "run every TFTP transfer on the listening port (one port for firewalls, NAT and containers);\nclients outside --trusted-networks then read lock-step at 1468-byte blocks")
	fs.StringVar(&f.portSpan, "port-range", "", "run each TFTP transfer on a port from `LO-HI`, inclusive, for firewalls that open a range")
	fs.Var(&f.trusted, "trusted-networks", "with --single-port or --port-range, grant the TFTP clients of `NETS` (CIDRs, comma-separated) windows and large blocks;\nonly where no one can forge their addresses")
	f.http.register(fs)
	f.opts.register(fs)
	if _, st, ok := parseCommand(fs, args, 0, 0); !ok {
		return st
	}
	replaced := append([]string{"tftp", "sftp", "host-key", "authorized-keys", "root", "writable", "single-port", "port-range", "trusted-networks"}, httpFlagNames...)
	if err := f.opts.check(visited(fs, replaced...)); err != nil {
		return usageError(fs, "serve", err)
	}
	if err := f.parsePorts(); err != nil {
		return usageError(fs, "serve", err)
	}
	inherited, err := activated()
	if err != nil {
		fmt.Fprintf(os.Stderr, "filemux serve: %v\n", err)
		return statusFailure
	}
	if f.opts.config != "" {
		return runConfigured(ctx, f.opts, inherited)
	}
	if err := f.http.check(len(f.http.addrs) > 0 || len(inherited.http) > 0, f.writable); err != nil {
		inherited.close()
		return usageError(fs, "serve", err)
	}
	if len(f.tftp) == 0 && len(f.sftp) == 0 && len(f.http.addrs) == 0 && !inherited.any() {
		f.tftp, f.sftp = addrList{defaultTFTPAddr}, addrList{defaultSSHAddr}
	}
	if err := serve(ctx, f, inherited); err != nil {
		fmt.Fprintf(os.Stderr, "filemux serve: %v\n", err)
		return statusFailure
	}
	return statusOK
}

// parsePorts sets the port policy from --single-port and --port-range.
// --trusted-networks needs one of them: random ports bound no client.
func (f *serveFlags) parsePorts() error {
	switch {
	case f.single && f.portSpan != "":
		return errors.New("--single-port and --port-range exclude each other")
	case len(f.trusted) > 0 && !f.single && f.portSpan == "":
		return errors.New("--trusted-networks needs --single-port or --port-range: with random ports every client gets windows already")
	case f.single:
		f.ports = daemon.PortsSingle
	case f.portSpan != "":
		p, err := daemon.ParsePortPolicy(f.portSpan)
		if err != nil || p == daemon.PortsRandom || p == daemon.PortsSingle {
			return fmt.Errorf("--port-range %q is not LO-HI with 1 <= LO <= HI", f.portSpan)
		}
		f.ports = p
	}
	return nil
}

// serve runs one TFTP daemon per --tftp address, one SSH server per
// --sftp address and one HTTP server per --http address over the same
// routes until ctx is done, then shuts them down gracefully. Inherited
// sockets of a kind (UDP, TCP for SSH, TCP named http) replace the
// addresses of that kind.
func serve(ctx context.Context, f serveFlags, inherited *sockets) error {
	root, err := filepath.Abs(f.root)
	if err != nil {
		return err
	}
	l, err := listenFlags(f, inherited)
	if err != nil {
		inherited.close()
		return err
	}
	routes, dir, err := newRoutes(root, f.writable, demoText(l, root))
	if err != nil {
		l.close()
		return err
	}
	defer dir.Close()
	s, err := flagServer(l, routes, f, os.Stderr)
	if err != nil {
		l.close()
		return err
	}
	s.printAdmin(os.Stdout)
	printBanner(os.Stdout, l, s.http, root, f)
	return s.run(ctx)
}

// listeners are the sockets of serve from flags, and the SSH keys.
type listeners struct {
	tftp  []net.PacketConn
	ssh   []net.Listener
	http  []net.Listener
	plan  sshPlan
	https bool // the HTTP listeners speak TLS
}

// listenFlags opens the sockets the flags ask for, or takes the inherited
// ones. SFTP may turn out to be off (no authorized keys); then it opens no
// TCP socket, and fails only if nothing else would be served.
func listenFlags(f serveFlags, inherited *sockets) (*listeners, error) {
	l := &listeners{tftp: inherited.udp, http: inherited.http, https: f.http.cert != ""}
	if len(l.http) == 0 && len(f.http.addrs) > 0 {
		lns, err := listenTCP(f.http.addrs)
		if err != nil {
			return nil, fmt.Errorf("http: %w", err)
		}
		l.http = lns
	}
	if len(f.sftp) > 0 || len(inherited.tcp) > 0 {
		plan, err := planSSH(f)
		if err != nil {
			l.close()
			return nil, err
		}
		l.plan = plan
		if err := l.listenSSH(f.sftp, inherited.tcp); err != nil {
			l.close()
			return nil, err
		}
	}
	if len(l.tftp) == 0 {
		pcs, err := listenAll(f.tftp)
		if err != nil {
			l.close()
			return nil, err
		}
		l.tftp = pcs
	}
	if len(l.tftp) == 0 && len(l.ssh) == 0 && len(l.http) == 0 {
		return nil, fmt.Errorf("SFTP is off: %s", l.plan.off)
	}
	return l, nil
}

// listenSSH takes the inherited TCP sockets, or listens on addrs, unless
// SFTP is off.
func (l *listeners) listenSSH(addrs []string, inherited []net.Listener) error {
	switch {
	case l.plan.off != "":
		for _, ln := range inherited {
			ln.Close()
		}
	case len(inherited) > 0:
		l.ssh = inherited
	default:
		lns, err := listenTCP(addrs)
		if err != nil {
			return fmt.Errorf("sftp: %w", err)
		}
		l.ssh = lns
	}
	return nil
}

func (l *listeners) close() {
	closeAll(l.tftp)
	for _, ln := range slices.Concat(l.ssh, l.http) {
		ln.Close()
	}
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

func printBanner(w io.Writer, l *listeners, httpd []*daemon.HTTP, root string, f serveFlags) {
	access := "read-only"
	if f.writable {
		access = "read-write"
	}
	for _, pc := range l.tftp {
		fmt.Fprintf(w, "filemux: serving TFTP on %s\n", pc.LocalAddr())
	}
	for _, ln := range l.ssh {
		fmt.Fprintf(w, "filemux: serving SFTP and SCP on %s\n", ln.Addr())
	}
	printHTTP(w, httpd, l.http)
	if l.plan.off != "" {
		fmt.Fprintf(w, "filemux: SFTP and SCP are off: %s\n", l.plan.off)
	}
	fmt.Fprintf(w, "  %-18s generated in memory\n  %-18s files under %s (%s)\n", demoName, "everything else", root, access)
	if len(l.ssh) > 0 {
		fmt.Fprintf(w, "  %-18s keys of %s\n", "SFTP logins", l.plan.authFile)
		fmt.Fprintf(w, "  %-18s %s (%s)\n", "SSH host key", ssh.FingerprintSHA256(l.plan.hostKey.PublicKey()), l.plan.keyFile)
	}
	if len(l.http) > 0 {
		fmt.Fprintf(w, "  %-18s %s\n", "HTTP uploads", f.http.uploads(f.writable))
	}
	fmt.Fprintf(w, "Try:\n%s", fetchHints(l))
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// fetchHints are the commands that fetch the demo file from the first
// listener of each protocol.
func fetchHints(l *listeners) string {
	var b strings.Builder
	if len(l.tftp) > 0 {
		addr := l.tftp[0].LocalAddr().String()
		fmt.Fprintf(&b, "  filemux get tftp://%s/%s\n  curl tftp://%s/%s\n", addr, demoName, addr, demoName)
	}
	if len(l.ssh) > 0 {
		host, port, _ := net.SplitHostPort(l.ssh[0].Addr().String())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		fmt.Fprintf(&b, "  sftp -P %s %s:%s\n", port, host, demoName)
	}
	if len(l.http) > 0 {
		scheme := "http"
		if l.https {
			scheme = "https"
		}
		fmt.Fprintf(&b, "  curl %s://%s/%s\n", scheme, l.http[0].Addr(), demoName)
	}
	return b.String()
}

func demoText(l *listeners, root string) []byte {
	return fmt.Appendf(nil, `Hello from filemux!

This file does not exist on disk: "filemux serve" generates it in memory and
serves it through a route registered before the one that serves the files
under %s.

Fetch it again with:
%s`, root, fetchHints(l))
}

// netList collects the networks of --trusted-networks: CIDRs or bare
// addresses, comma-separated or repeated.
type netList []netip.Prefix

func (n *netList) String() string {
	parts := make([]string, len(*n))
	for i, p := range *n {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func (n *netList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		p, err := netip.ParsePrefix(s)
		if a, aerr := netip.ParseAddr(s); err != nil && aerr == nil && a.Zone() == "" {
			p, err = netip.PrefixFrom(a, a.BitLen()), nil
		}
		if err != nil {
			return fmt.Errorf("%q is not a network such as 10.20.0.0/16", s)
		}
		*n = append(*n, p.Masked())
	}
	return nil
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
