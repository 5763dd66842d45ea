package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Two versions of a running-config and the diff between them.
const (
	v1 = "hostname sw1\n!\ninterface Gi0/1\n description uplink\n switchport mode trunk\n!\ninterface Gi0/2\n shutdown\n!\nsnmp-server community public RO\nend\n"
	v2 = "hostname sw1\n!\ninterface Gi0/1\n description uplink to core\n switchport mode trunk\n!\ninterface Gi0/2\n shutdown\n!\nntp server 10.0.0.1\nend\n"

	v1to2 = `@@ -2,5 +2,5 @@
 !
 interface Gi0/1
- description uplink
+ description uplink to core
  switchport mode trunk
 !
@@ -8,4 +8,4 @@
  shutdown
 !
-snmp-server community public RO
+ntp server 10.0.0.1
 end
`
	testMaxSize = 64 << 10
)

// logBuffer collects the program's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// records returns the logged records whose message is msg, for host.
func (l *logBuffer) records(t *testing.T, msg, host string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if r["msg"] == msg && r["host"] == host {
			out = append(out, r)
		}
	}
	return out
}

// server is the running program as the test sees it.
type server struct {
	dir       string
	tftp, ssh netip.AddrPort
	log       *logBuffer
	user      ed25519.PrivateKey
	hostKey   ssh.PublicKey
}

// start runs the program with SSH on free loopback ports and a fresh
// backup folder until the test ends.
func start(t *testing.T) *server {
	t.Helper()
	s := &server{dir: t.TempDir(), log: &logBuffer{}}
	hostSigner := signer(t, newKey(t))
	s.user = newKey(t)
	s.hostKey = hostSigner.PublicKey()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]netip.AddrPort, 1)
	cfg := config{
		Dir:            s.dir,
		MaxSize:        testMaxSize,
		Listen:         "127.0.0.1:0",
		SSH:            "127.0.0.1:0",
		HostKeys:       []ssh.Signer{hostSigner},
		AuthorizedKeys: []ssh.PublicKey{signer(t, s.user).PublicKey()},
		Logger:         slog.New(slog.NewJSONHandler(s.log, nil)),
		Grace:          50 * time.Millisecond,
		Ready:          func(tftp, ssh netip.AddrPort) { ready <- [2]netip.AddrPort{tftp, ssh} },
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if t.Failed() {
			t.Logf("the program's log:\n%s", s.log.buf.String())
		}
	})
	select {
	case a := <-ready:
		s.tftp, s.ssh = a[0], a[1]
	case err := <-done:
		done <- err
		t.Fatalf("run ended before listening: %v", err)
	}
	return s
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func signer(t *testing.T, key ed25519.PrivateKey) ssh.Signer {
	t.Helper()
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// versions returns the stored versions of host, oldest first, and fails
// the test if the folder holds anything else (a temporary file left over).
func (s *server) versions(t *testing.T, host string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.dir, host))
	if err != nil {
		t.Fatal(err)
	}
	var contents []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".cfg") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s holds %s besides the versions", host, e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, host, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, string(b))
	}
	return contents
}

// checkHistory checks the versions of host and the log records about them:
// the first is logged as such, every later one with its diff.
func (s *server) checkHistory(t *testing.T, host string, protocol behaviour.Protocol, want ...string) {
	t.Helper()
	if got := s.versions(t, host); !slices.Equal(got, want) {
		t.Fatalf("%s: stored versions %q, want %q", host, got, want)
	}
	if first := s.log.records(t, "first config of host", host); len(first) != 1 || first[0]["protocol"] != protocol.String() {
		t.Errorf("%s: %d records of its first config (%v), want one over %s", host, len(first), first, protocol)
	}
	changed := s.log.records(t, "config changed", host)
	unchanged := s.log.records(t, "config unchanged", host)
	if len(changed)+len(unchanged) != len(want)-1 {
		t.Fatalf("%s: %d changes and %d unchanged logged for %d versions", host, len(changed), len(unchanged), len(want))
	}
	for _, r := range changed {
		if r["diff"] != v1to2 || r["removed"] != 2.0 || r["added"] != 2.0 || !strings.HasPrefix(r["previous"].(string), host+"/") {
			t.Errorf("%s: change logged as %v, want the diff\n%s", host, r, v1to2)
		}
	}
}

func TestTFTPClient(t *testing.T) {
	s := start(t)
	c := &client.TFTP{Addr: s.tftp.String(), TSize: true}
	ctx := context.Background()
	for _, v := range []string{v1, v2, v2} {
		if _, err := c.WriteBytes(ctx, "sw1-confg", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	s.checkHistory(t, "sw1", behaviour.TFTP, v1, v2, v2)
	if n := len(s.log.records(t, "config unchanged", "sw1")); n != 1 {
		t.Errorf("%d pushes logged as unchanged, want 1", n)
	}
}

func TestTFTPRefusals(t *testing.T) {
	s := start(t)
	c := &client.TFTP{Addr: s.tftp.String()}
	ctx := context.Background()
	if _, err := c.WriteBytes(ctx, "sw1-confg", []byte(v1)); err != nil {
		t.Fatal(err)
	}
	wantCode := func(what string, err error, code behaviour.Code) {
		t.Helper()
		var se *client.ServerError
		if !errors.As(err, &se) || se.Code != code {
			t.Errorf("%s: %v, want ERROR %d", what, err, code)
		}
	}
	_, _, err := c.ReadBytes(ctx, "sw1-confg")
	wantCode("reading a backup", err, behaviour.CodeAccessViolation)
	_, err = c.WriteBytes(ctx, "notes.txt", []byte("x"))
	wantCode("pushing an unknown name", err, behaviour.CodeAccessViolation)

	// Too large, announced or not: refused, and nothing is stored.
	big := bytes.Repeat([]byte("x"), testMaxSize+1)
	_, err = (&client.TFTP{Addr: s.tftp.String(), TSize: true}).WriteBytes(ctx, "sw1-confg", big)
	wantCode("an announced oversize push", err, behaviour.CodeDiskFull)
	_, err = c.WriteFrom(ctx, "sw1-confg", io.MultiReader(bytes.NewReader(big)))
	wantCode("an oversize push", err, behaviour.CodeDiskFull)
	if got := s.versions(t, "sw1"); !slices.Equal(got, []string{v1}) {
		t.Errorf("after refused pushes, versions %q, want only the first", got)
	}
}

// need returns the path of an external program, or skips the test (fails it
// when CI=true).
func need(t *testing.T, prog string) string {
	t.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required with CI=true: %v", prog, err)
		}
		t.Skipf("%s is not installed (apt-get install curl tftp-hpa openssh-client): %v", prog, err)
	}
	return path
}

// command runs prog in dir with a deadline and fails the test if it fails.
func command(t *testing.T, dir, prog string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", prog, args, err, out)
	}
}

// writeConfigs writes v1 and v2 as files into a new folder.
func writeConfigs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"v1.cfg": v1, "v2.cfg": v2} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Like `copy running-config tftp://...`: curl pushes the first version,
// tftp-hpa the second.
func TestCurlAndTFTPHPA(t *testing.T) {
	curl, tftp := need(t, "curl"), need(t, "tftp")
	s := start(t)
	dir := writeConfigs(t)
	command(t, dir, curl, "-sS", "-T", "v1.cfg", "tftp://"+s.tftp.String()+"/backup/sw2.cfg")
	command(t, dir, tftp, "-m", "binary", s.tftp.Addr().String(), strconv.Itoa(int(s.tftp.Port())), "-c", "put", "v2.cfg", "backup/sw2.cfg")
	s.checkHistory(t, "sw2", behaviour.TFTP, v1, v2)
}

// Like `copy running-config scp://...` on gear that speaks only the legacy
// SCP protocol: OpenSSH's scp -O.
func TestSCP(t *testing.T) {
	scp := need(t, "scp")
	s := start(t)
	dir := writeConfigs(t)
	key := writeKey(t, dir, s)
	args := []string{"-O", "-q", "-P", strconv.Itoa(int(s.ssh.Port())), "-i", key,
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + filepath.Join(dir, "known_hosts"),
		"-o", "GlobalKnownHostsFile=/dev/null"}
	target := "backup@" + s.ssh.Addr().String() + ":sw3-confg"
	command(t, dir, scp, append(args, "v1.cfg", target)...)
	command(t, dir, scp, append(args, "v2.cfg", target)...)
	s.checkHistory(t, "sw3", behaviour.SCP, v1, v2)
}

// writeKey writes the authorized client key and a known_hosts file for the
// server into dir, as OpenSSH wants them, and returns the key's path.
func writeKey(t *testing.T, dir string, s *server) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(s.user, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	host := "[" + s.ssh.Addr().String() + "]:" + strconv.Itoa(int(s.ssh.Port()))
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(host+" "+string(ssh.MarshalAuthorizedKey(s.hostKey))), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSFTP(t *testing.T) {
	s := start(t)
	conn, err := ssh.Dial("tcp", s.ssh.String(), &ssh.ClientConfig{
		User:            "backup",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer(t, s.user))},
		HostKeyCallback: ssh.FixedHostKey(s.hostKey),
		Timeout:         5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, v := range []string{v1, v2} {
		f, err := sc.Create("/backup/sw4.cfg")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(v)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s.checkHistory(t, "sw4", behaviour.SFTP, v1, v2)
	if _, err := sc.ReadDir("/sw4"); err == nil {
		t.Error("SFTP lists the backups")
	}
	if err := sc.Remove("/backup/sw4.cfg"); err == nil {
		t.Error("SFTP removes a backup")
	}
}
