package peers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"time"
)

// launcher is how to start one server process.
type launcher struct {
	path string
	args []string
	env  []string
	addr netip.AddrPort
	// portFromOutput says the server picks its port and prints it as
	// "FILEMUX-PORT n".
	portFromOutput bool
}

var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

func launcherFor(k ServerKind, cfg ServerConfig) (launcher, error) {
	switch k {
	case TFTPDHPA:
		return tftpdHPA(cfg)
	case ATFTPD:
		return atftpd(cfg)
	case Dnsmasq:
		return dnsmasq(cfg)
	case ErlangServer:
		return erlangServer(cfg)
	case NodeServer:
		return nodeServer(cfg)
	}
	return launcher{}, fmt.Errorf("no launcher for %v", k)
}

// onFreePort returns a launcher for addr 127.0.0.1 and a port free now.
func onFreePort(prog string) (launcher, error) {
	path, err := Lookup(prog)
	if err != nil {
		return launcher{}, err
	}
	port, err := FreeUDPPort()
	if err != nil {
		return launcher{}, err
	}
	return launcher{path: path, addr: netip.AddrPortFrom(loopback, uint16(port))}, nil
}

func tftpdHPA(cfg ServerConfig) (launcher, error) {
	l, err := onFreePort("in.tftpd")
	if err != nil {
		return l, err
	}
	// -L foreground, -s chroot into the root, -p no extra permission
	// checks, -u root so that it can read what the test wrote.
	l.args = []string{"-L", "-s", "-p", "-u", "root", "-a", l.addr.String()}
	if cfg.Writable {
		l.args = append(l.args, "-c")
	}
	l.args = append(append(l.args, cfg.Args...), cfg.Root)
	return l, nil
}

func atftpd(cfg ServerConfig) (launcher, error) {
	l, err := onFreePort(ProgATFTPD)
	if err != nil {
		return l, err
	}
	l.args = []string{"--daemon", "--no-fork", "--port", strconv.Itoa(int(l.addr.Port())),
		"--bind-address", l.addr.Addr().String(), "--user", "root", "--group", "root", "--logfile", "-"}
	l.args = append(append(l.args, cfg.Args...), cfg.Root)
	return l, nil
}

func dnsmasq(cfg ServerConfig) (launcher, error) {
	path, err := Lookup("dnsmasq")
	if err != nil {
		return launcher{}, err
	}
	a, err := freeLoopbackAddr(69)
	if err != nil {
		return launcher{}, err
	}
	l := launcher{path: path, addr: netip.AddrPortFrom(a, 69)}
	l.args = []string{"--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--user=root",
		"--listen-address=" + a.String(), "--bind-interfaces", "--enable-tftp",
		"--tftp-root=" + cfg.Root, "--pid-file=", "--log-facility=-"}
	l.args = append(l.args, cfg.Args...)
	return l, nil
}

// erlangServerScript starts Erlang's tftp daemon on a port it picks and
// prints the port; the root and write permission come from the environment
// so that no path needs quoting.
const erlangServerScript = `
Root = os:getenv("FILEMUX_PEER_ROOT"),
Opts0 = [{port, 0}, {udp, [{ip, {127,0,0,1}}]}, {callback, {"", tftp_file, [{root_dir, Root}]}}],
Opts = case os:getenv("FILEMUX_PEER_WRITABLE") of "1" -> Opts0; _ -> [{reject, write} | Opts0] end,
{ok, P} = tftp:start(Opts),
{ok, Info} = tftp:info(P),
{port, Port} = lists:keyfind(port, 1, Info),
io:format("FILEMUX-PORT ~p~n", [Port]),
receive stop -> ok end.`

func erlangServer(cfg ServerConfig) (launcher, error) {
	path, err := Lookup("erl")
	if err != nil {
		return launcher{}, err
	}
	return launcher{
		path:           path,
		args:           []string{"-noshell", "-eval", erlangServerScript},
		env:            []string{"FILEMUX_PEER_ROOT=" + cfg.Root, "FILEMUX_PEER_WRITABLE=" + envBool(cfg.Writable)},
		addr:           netip.AddrPortFrom(loopback, 0),
		portFromOutput: true,
	}, nil
}

// nodeServerScript runs the npm tftp server; node's module cannot bind port
// 0 (it turns 0 into 69), so the port is chosen for it.
const nodeServerScript = `
const tftp = require(process.env.FILEMUX_NODE_TFTP);
const e = process.env;
const s = tftp.createServer({
  host: "127.0.0.1", port: +e.FILEMUX_PEER_PORT, root: e.FILEMUX_PEER_ROOT,
  windowSize: +e.FILEMUX_PEER_WINDOW || undefined, denyPUT: e.FILEMUX_PEER_WRITABLE !== "1",
}, (req, res) => {
  req.on("error", (err) => console.error("request error: " + err.message));
  s.requestListener(req, res);
});
s.on("error", (err) => { console.error("server error: " + err.message); process.exit(2); });
s.on("listening", () => console.log("FILEMUX-LISTENING"));
s.listen();
`

func nodeServer(cfg ServerConfig) (launcher, error) {
	l, err := onFreePort("node")
	if err != nil {
		return l, err
	}
	mod, err := Lookup(ProgNodeTFTP)
	if err != nil {
		return l, err
	}
	l.args = []string{"-e", nodeServerScript}
	l.env = []string{
		"FILEMUX_NODE_TFTP=" + mod,
		"FILEMUX_PEER_PORT=" + strconv.Itoa(int(l.addr.Port())),
		"FILEMUX_PEER_ROOT=" + cfg.Root,
		"FILEMUX_PEER_WINDOW=" + strconv.Itoa(cfg.WindowSize),
		"FILEMUX_PEER_WRITABLE=" + envBool(cfg.Writable),
	}
	return l, nil
}

func envBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

var printedPort = regexp.MustCompile(`FILEMUX-PORT (\d+)`)

// waitPrintedPort waits for the "FILEMUX-PORT n" line of a server that
// chose its own port.
func waitPrintedPort(ctx context.Context, p *process) (uint16, error) {
	for {
		if m := printedPort.FindStringSubmatch(p.out.String()); m != nil {
			port, err := strconv.ParseUint(m[1], 10, 16)
			return uint16(port), err
		}
		if p.exited() {
			return 0, errors.New("the server exited before printing its port")
		}
		select {
		case <-ctx.Done():
			return 0, errors.New("the server did not print its port")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
