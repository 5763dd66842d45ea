//go:build unix

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/peers"
)

// inherit starts "filemux serve args..." in dir with the given sockets
// passed as systemd does (fds from 3 on, LISTEN_FDS), plus env. The
// parent's copies are closed once the child runs.
func inherit(t *testing.T, dir string, env []string, socks []*os.File, args ...string) *served {
	t.Helper()
	cmd := exec.Command(filemuxBin, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "LISTEN_") }), env...)
	cmd.Env = append(cmd.Env, "LISTEN_FDS="+strconv.Itoa(len(socks)))
	cmd.ExtraFiles = socks
	s := startCmd(t, cmd)
	for _, f := range socks {
		f.Close()
	}
	return s
}

// udpSocket returns a bound loopback UDP socket as a file, and its address.
func udpSocket(t *testing.T) (*os.File, string) {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	f, err := pc.File()
	if err != nil {
		t.Fatal(err)
	}
	return f, pc.LocalAddr().String()
}

// tcpSocket returns a listening loopback TCP socket as a file, and its
// address.
func tcpSocket(t *testing.T) (*os.File, string) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	return f, ln.Addr().String()
}

func curlGet(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := exec.CommandContext(ctx, "curl", "-sS", url).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", url, err)
	}
	return string(got)
}

// TestServeSocketActivation: serve takes a UDP socket for TFTP and a TCP
// socket for SFTP from systemd's protocol, with LISTEN_PID unset,
// instead of binding the default addresses, and serves curl and OpenSSH
// sftp on them.
func TestServeSocketActivation(t *testing.T) {
	peers.Need(t, "curl")
	peers.Need(t, "sftp")
	_, key, env := userHome(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("small file\n"))
	udp, udpAddr := udpSocket(t)
	tcp, tcpAddr := tcpSocket(t)
	s := inherit(t, dir, append(env, "LISTEN_FDNAMES=tftp:sftp"), []*os.File{udp, tcp})
	if got := bannerAddrs(s.banner, "filemux: serving TFTP on "); !slices.Equal(got, []string{udpAddr}) {
		t.Errorf("TFTP on %q, want the inherited %s:\n%s", got, udpAddr, s.banner)
	}
	if got := bannerAddrs(s.banner, "filemux: serving SFTP and SCP on "); !slices.Equal(got, []string{tcpAddr}) {
		t.Errorf("SFTP on %q, want the inherited %s:\n%s", got, tcpAddr, s.banner)
	}
	if got := curlGet(t, "tftp://"+udpAddr+"/small.txt"); got != "small file\n" {
		t.Errorf("curl got %q", got)
	}
	if got := opensshGet(t, tcpAddr, key, "small.txt"); string(got) != "small file\n" {
		t.Errorf("sftp got %q", got)
	}
	s.stop(t)
}

// TestServeSocketActivationConfig: with --config, the inherited UDP
// socket serves the file's TFTP settings and routes in place of its
// listen addresses.
func TestServeSocketActivationConfig(t *testing.T) {
	peers.Need(t, "curl")
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "files", "small.txt"), []byte("small file\n"))
	writeFile(t, filepath.Join(dir, "filemux.yaml"), []byte(`tftp:
  listen: ["127.0.0.1:1"]
routes:
  - match: '.*'
    dir: {root: files}
`))
	udp, udpAddr := udpSocket(t)
	s := inherit(t, dir, nil, []*os.File{udp}, "--config", "filemux.yaml")
	if got := bannerAddrs(s.banner, "filemux: serving TFTP on "); !slices.Equal(got, []string{udpAddr}) {
		t.Errorf("TFTP on %q, want the inherited %s:\n%s", got, udpAddr, s.banner)
	}
	if got := curlGet(t, "tftp://"+udpAddr+"/small.txt"); got != "small file\n" {
		t.Errorf("curl got %q", got)
	}
	s.stop(t)
}

// TestServeSocketActivationOtherPID: sockets meant for another process
// (LISTEN_PID names it) are left alone, and the flags' addresses serve.
func TestServeSocketActivationOtherPID(t *testing.T) {
	peers.Need(t, "curl")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("small file\n"))
	port, err := peers.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	udp, udpAddr := udpSocket(t)
	s := inherit(t, dir, []string{"LISTEN_PID=1"}, []*os.File{udp}, "--tftp", addr)
	if got := bannerAddrs(s.banner, "filemux: serving TFTP on "); !slices.Equal(got, []string{addr}) {
		t.Errorf("TFTP on %q, want %s, not the inherited %s:\n%s", got, addr, udpAddr, s.banner)
	}
	if got := curlGet(t, "tftp://"+addr+"/small.txt"); got != "small file\n" {
		t.Errorf("curl got %q", got)
	}
	s.stop(t)
}

// sshBanner reads the first line a server at addr sends: an SSH server's
// version.
func sshBanner(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	return string(buf[:n])
}

// TestServeSocketActivationNamed: with --config, systemd's socket names
// (LISTEN_FDNAMES) tell the TCP sockets apart: the one named http serves
// the file's http section, the one named sftp its sftp section, in place
// of their listen addresses; the UDP socket named tftp serves TFTP.
func TestServeSocketActivationNamed(t *testing.T) {
	peers.Need(t, "curl")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), []byte(htpasswd(t, "ops:ops pw")))
	writeFile(t, filepath.Join(dir, "filemux.yaml"), []byte(`tftp: {listen: ["127.0.0.1:1"]}
sftp: {listen: ["127.0.0.1:1"], host_key: host_key, password_file: pw}
http: {listen: ["127.0.0.1:1"]}
routes:
  - {match: 'small\.txt', memory: {files: {small.txt: "small file\n"}}}
`))
	udp, udpAddr := udpSocket(t)
	httpSock, httpAddr := tcpSocket(t)
	sshSock, sshAddr := tcpSocket(t)
	// The HTTP socket comes first: its name, not its place, decides.
	s := inherit(t, dir, []string{"LISTEN_FDNAMES=http:tftp:sftp"}, []*os.File{httpSock, udp, sshSock}, "--config", "filemux.yaml")
	for prefix, want := range map[string]string{
		"filemux: serving TFTP on ": udpAddr, "filemux: serving SFTP and SCP on ": sshAddr, "filemux: serving HTTP on ": httpAddr,
	} {
		if got := bannerAddrs(s.banner, prefix); !slices.Equal(got, []string{want}) {
			t.Errorf("%s%q, want the inherited %s:\n%s", prefix, got, want, s.banner)
		}
	}
	if got := curlGet(t, "http://"+httpAddr+"/small.txt"); got != "small file\n" {
		t.Errorf("curl over HTTP got %q", got)
	}
	if got := curlGet(t, "tftp://"+udpAddr+"/small.txt"); got != "small file\n" {
		t.Errorf("curl over TFTP got %q", got)
	}
	if got := sshBanner(t, sshAddr); !strings.HasPrefix(got, "SSH-2.0-") {
		t.Errorf("the sftp socket answers %q", got)
	}
	s.stop(t)
}

// TestServeSocketActivationHTTPFlags: from flags, a socket named https
// serves HTTP while an unnamed-looking one (a unit's own name, as systemd
// gives by default) keeps serving SFTP, as units from before names
// counted expect.
func TestServeSocketActivationHTTPFlags(t *testing.T) {
	peers.Need(t, "curl")
	_, _, env := userHome(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("small file\n"))
	sshSock, sshAddr := tcpSocket(t)
	httpSock, httpAddr := tcpSocket(t)
	s := inherit(t, dir, append(env, "LISTEN_FDNAMES=filemux.socket:https"), []*os.File{sshSock, httpSock})
	if got := bannerAddrs(s.banner, "filemux: serving HTTP on "); !slices.Equal(got, []string{httpAddr}) {
		t.Errorf("HTTP on %q, want the inherited %s:\n%s", got, httpAddr, s.banner)
	}
	if got := bannerAddrs(s.banner, "filemux: serving SFTP and SCP on "); !slices.Equal(got, []string{sshAddr}) {
		t.Errorf("SFTP on %q, want the inherited %s:\n%s", got, sshAddr, s.banner)
	}
	if got := curlGet(t, "http://"+httpAddr+"/small.txt"); got != "small file\n" {
		t.Errorf("curl over HTTP got %q", got)
	}
	if got := sshBanner(t, sshAddr); !strings.HasPrefix(got, "SSH-2.0-") {
		t.Errorf("the unnamed TCP socket answers %q", got)
	}
	s.stop(t)
}

// TestServeSocketActivationRefused: a name that contradicts the socket
// (a UDP socket named http), or HTTP sockets for a file without an http
// section, fail at start and say why.
func TestServeSocketActivationRefused(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "filemux.yaml"), []byte("tftp: {listen: [\"127.0.0.1:1\"]}\nroutes: [{match: x, memory: {}}]\n"))
	for _, tt := range []struct {
		names string
		udp   bool
		args  []string
		want  string
	}{
		{"http", true, nil, "is UDP, but its name is for a TCP server"},
		{"tftp", false, nil, "is TCP, but TFTP runs over UDP"},
		{"http", false, []string{"--config", "filemux.yaml"}, "no http section"},
	} {
		var sock *os.File
		if tt.udp {
			sock, _ = udpSocket(t)
		} else {
			sock, _ = tcpSocket(t)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, filemuxBin, append([]string{"serve"}, tt.args...)...)
		cmd.Dir = dir
		cmd.Env = append(slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "LISTEN_") }),
			"LISTEN_FDS=1", "LISTEN_FDNAMES="+tt.names)
		cmd.ExtraFiles = []*os.File{sock}
		out, err := cmd.CombinedOutput()
		cancel()
		sock.Close()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("LISTEN_FDNAMES=%s %v: %v, output lacks %q:\n%s", tt.names, tt.args, err, tt.want, out)
		}
	}
}

// freeTCPAddr returns a loopback address whose port was free a moment
// ago.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeSystemdSocketActivate: systemd's own socket passing, by
// systemd-socket-activate: it binds two TCP sockets named sftp and http
// (--fdname, as FileDescriptorName= in a unit), waits for the first
// connection and starts filemux serve --config with them; curl's request
// on the http socket is answered by the HTTP server, the sftp socket
// speaks SSH.
func TestServeSystemdSocketActivate(t *testing.T) {
	peers.Need(t, "curl")
	peers.Need(t, "systemd-socket-activate")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pw"), []byte(htpasswd(t, "ops:ops pw")))
	writeFile(t, filepath.Join(dir, "filemux.yaml"), []byte(`sftp: {listen: ["127.0.0.1:1"], host_key: host_key, password_file: pw}
http: {listen: ["127.0.0.1:1"]}
routes:
  - {match: 'small\.txt', memory: {files: {small.txt: "small file\n"}}}
`))
	sshAddr, httpAddr := freeTCPAddr(t), freeTCPAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "systemd-socket-activate", "-l", sshAddr, "-l", httpAddr, "--fdname=sftp:http",
		filemuxBin, "serve", "--config", "filemux.yaml")
	cmd.Dir = dir
	cmd.Env = slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "LISTEN_") })
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("systemd-socket-activate and filemux:\n%s", logs.String())
		}
	}()
	// systemd-socket-activate binds before it waits: retry until it does.
	var got string
	for i := 0; ; i++ {
		code, body := curlDo(t, "--max-time", "20", "http://"+httpAddr+"/small.txt")
		if code == 200 {
			got = body
			break
		}
		if i == 100 {
			t.Fatalf("curl over the activated http socket: %d %q", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got != "small file\n" {
		t.Errorf("curl got %q", got)
	}
	if banner := sshBanner(t, sshAddr); !strings.HasPrefix(banner, "SSH-2.0-") {
		t.Errorf("the socket named sftp answers %q", banner)
	}
	for _, want := range []string{"filemux: serving SFTP and SCP on " + sshAddr, "filemux: serving HTTP on " + httpAddr} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the banner lacks %q", want)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("filemux did not stop on SIGTERM")
	}
}
