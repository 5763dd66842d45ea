package main

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/peers"
)

// TestServeSSHFlags: --authorized-keys and --host-key replace the user's
// files, and every --sftp address serves, to OpenSSH sftp and scp -O.
func TestServeSSHFlags(t *testing.T) {
	peers.Need(t, "sftp")
	peers.Need(t, "scp")
	key, pub := sshKey(t)
	keys := filepath.Join(t.TempDir(), "keys")
	writeFile(t, keys, []byte(pub))
	hostKey := filepath.Join(t.TempDir(), "host_key")
	dir := t.TempDir()
	data := peers.RandomBytes(30000)
	writeFile(t, filepath.Join(dir, "fw.bin"), data)
	noKeys := []string{"HOME=" + t.TempDir(), "XDG_STATE_HOME="}
	s := startServeEnv(t, dir, noKeys, "--sftp", "127.0.0.1:0", "--sftp", "127.0.0.1:0",
		"--authorized-keys", keys, "--host-key", hostKey)
	addrs := bannerAddrs(s.banner, "filemux: serving SFTP and SCP on ")
	if len(addrs) != 2 {
		t.Fatalf("want two SFTP listeners:\n%s", s.banner)
	}
	checkMode(t, hostKey, 0o600)
	if got := opensshGet(t, addrs[1], key, "fw.bin"); sha(got) != sha(data) {
		t.Error("fw.bin differs over SFTP on the second address")
	}
	if got := scpGet(t, addrs[0], key, "fw.bin"); sha(got) != sha(data) {
		t.Error("fw.bin differs over scp -O")
	}
	s.stop(t)
	o := filemux(t, dir, nil, "serve", "--sftp", "127.0.0.1:0", "--authorized-keys", filepath.Join(dir, "missing")).expect(t, statusFailure)
	if !strings.Contains(o.stderr, "--authorized-keys") {
		t.Errorf("the error does not name the flag: %s", o.stderr)
	}
}

// bannerAddrs returns the addresses after prefix on lines of the banner.
func bannerAddrs(banner, prefix string) []string {
	var out []string
	for line := range strings.Lines(banner) {
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			out = append(out, a)
		}
	}
	return out
}

// scpGet fetches name with OpenSSH's scp in its legacy SCP mode.
func scpGet(t *testing.T, addr, key, name string) []byte {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "got")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "scp", "-O", "-P", port, "-i", key, "-F", "/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "user@"+host+":"+name, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scp -O %s: %v\n%s", name, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestServePortPolicy: --single-port answers from the listening port and
// --port-range from a port of the range, to a raw request and to curl.
func TestServePortPolicy(t *testing.T) {
	peers.Need(t, "curl")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("small file\n"))
	s := startServe(t, dir, "--single-port")
	_, listening, _ := net.SplitHostPort(s.addr)
	if got := replyPort(t, s.addr, "small.txt"); strconv.Itoa(got) != listening {
		t.Errorf("--single-port answered from port %d, want %s", got, listening)
	}
	curlSmall(t, s.addr)
	s.stop(t)

	port, err := peers.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	s = startServe(t, dir, "--port-range", strconv.Itoa(port)+"-"+strconv.Itoa(port))
	if got := replyPort(t, s.addr, "small.txt"); got != port {
		t.Errorf("--port-range %d-%d answered from port %d", port, port, got)
	}
	curlSmall(t, s.addr)
	s.stop(t)
}

func curlSmall(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := exec.CommandContext(ctx, "curl", "-sS", "tftp://"+addr+"/small.txt").Output()
	if err != nil || string(got) != "small file\n" {
		t.Fatalf("curl got %q, %v", got, err)
	}
}

// replyPort reads name, which fits one block, with a bare RRQ and
// returns the port the DATA came from.
func replyPort(t *testing.T, addr, name string) int {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	server, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteTo([]byte("\x00\x01"+name+"\x00octet\x00"), server); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 600)
	n, from, err := conn.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 || binary.BigEndian.Uint16(buf) != 3 || n-4 >= 512 {
		t.Fatalf("want the one DATA block of %s, got % x", name, buf[:n])
	}
	if _, err := conn.WriteTo([]byte{0, 4, buf[2], buf[3]}, from); err != nil {
		t.Fatal(err)
	}
	return from.Port
}

// TestServeTrustedNetworks: with --single-port a client gets no window
// unless --trusted-networks lists it.
func TestServeTrustedNetworks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("small file\n"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--single-port"}, "blksize=1468"},
		{[]string{"--single-port", "--trusted-networks", "192.0.2.0/24,127.0.0.1"}, "blksize=1468 windowsize=4"},
	} {
		s := startServe(t, dir, tc.args...)
		if got := oackTo(t, s.addr, "small.txt", "blksize", "1468", "windowsize", "4"); got != tc.want {
			t.Errorf("%v: OACK %q, want %q", tc.args, got, tc.want)
		}
		s.stop(t)
	}
}

// oackTo sends an RRQ for name with the options and returns the OACK's
// options, then ends the transfer with an ERROR.
func oackTo(t *testing.T, addr, name string, opts ...string) string {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "\x00\x01" + name + "\x00octet\x00" + strings.Join(opts, "\x00") + "\x00"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 600)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 || binary.BigEndian.Uint16(buf) != 6 {
		t.Fatalf("want an OACK, got % x", buf[:n])
	}
	_, _ = conn.Write([]byte("\x00\x05\x00\x08declined\x00"))
	fields := strings.Split(strings.TrimSuffix(string(buf[2:n]), "\x00"), "\x00")
	var pairs []string
	for i := 0; i+1 < len(fields); i += 2 {
		pairs = append(pairs, fields[i]+"="+fields[i+1])
	}
	return strings.Join(pairs, " ")
}

// TestServePortFlagsRefused: the port flags exclude each other and take
// a valid range.
func TestServePortFlagsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"--single-port", "--port-range", "4000-4010"},
		{"--port-range", "4010-4000"},
		{"--port-range", "0-10"},
		{"--port-range", "single"},
		{"--trusted-networks", "10.0.0.0/8"},
		{"--single-port", "--trusted-networks", "10.0/8"},
	} {
		filemux(t, t.TempDir(), nil, append([]string{"serve", "--tftp", "127.0.0.1:0"}, args...)...).expect(t, statusUsage)
	}
	filemux(t, t.TempDir(), nil, "serve", "--config", "x.yaml", "--single-port").expect(t, statusUsage)
	filemux(t, t.TempDir(), nil, "serve", "--config", "x.yaml", "--trusted-networks", "10.0.0.0/8").expect(t, statusUsage)
}
