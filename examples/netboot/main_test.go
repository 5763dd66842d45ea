package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
)

// The machines of provisioning/hosts.yaml, and one in no inventory, as
// iPXE writes their MAC addresses.
const (
	lab01   = "52-54-00-12-34-56"
	lab02   = "52-54-00-12-34-57"
	unknown = "02-00-00-00-00-99"
)

// server is the running program as the test sees it.
type server struct {
	tftp, http netip.AddrPort
	root       string
	tokens     map[string]string // hostname -> its bearer token
}

// web returns the URL of name on the HTTP daemon.
func (s server) web(name string) string { return "http://" + s.http.String() + "/" + name }

// bootFile is the content the test gives a kernel or initrd of boot/.
func bootFile(name string) []byte {
	return bytes.Repeat([]byte("stand-in "+name+" served from a Dir\n"), 10000+len(name))
}

// start runs the program on free loopback ports until the test ends, with
// a root holding the kernels and initrds hosts.yaml names, and a token per
// host. edit, when set, changes the config before the start.
func start(t *testing.T, edit func(*config)) server {
	t.Helper()
	s := server{root: t.TempDir(), tokens: map[string]string{}}
	if err := os.Mkdir(filepath.Join(s.root, "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vmlinuz-6.1", "initrd-6.1.img", "vmlinuz-6.6", "initrd-6.6.img"} {
		if err := os.WriteFile(filepath.Join(s.root, "boot", name), bootFile(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var lines strings.Builder
	for _, host := range []string{"lab-01", "lab-02"} {
		s.tokens[host] = rand.Text()
		lines.WriteString(host + ":" + s.tokens[host] + "\n")
	}
	tokenFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenFile, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan [2]netip.AddrPort, 1)
	cfg := config{
		TFTP:      "127.0.0.1:0",
		HTTP:      "127.0.0.1:0",
		Root:      s.root,
		TokenFile: tokenFile,
		Logger:    slog.New(slog.NewTextHandler(t.Output(), nil)),
		Grace:     50 * time.Millisecond,
		Ready:     func(tftp, http netip.AddrPort) { ready <- [2]netip.AddrPort{tftp, http} },
	}
	if edit != nil {
		edit(&cfg)
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case a := <-ready:
		s.tftp, s.http = a[0], a[1]
	case err := <-done:
		done <- err
		t.Fatalf("run ended before listening: %v", err)
	}
	return s
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
		t.Skipf("%s is not installed (apt-get install curl): %v", prog, err)
	}
	return path
}

// curl runs curl with args and returns the HTTP status of its answer and
// the body.
func curl(t *testing.T, args ...string) (int, []byte) {
	t.Helper()
	prog := need(t, "curl")
	body := filepath.Join(t.TempDir(), "body")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, append([]string{"-sS", "-o", body, "-w", "%{http_code}"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl %q: %v\n%s", args, err, stderr.Bytes())
	}
	code, err := strconv.Atoi(string(out))
	if err != nil {
		t.Fatalf("curl %q printed the status %q", args, out)
	}
	b, err := os.ReadFile(body)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return code, b
}

// tftpRead fetches name with the repository's TFTP client.
func tftpRead(t *testing.T, s server, name string) ([]byte, error) {
	t.Helper()
	b, _, err := (&client.TFTP{Addr: s.tftp.String(), TSize: true}).ReadBytes(context.Background(), name)
	return b, err
}

// serverCode returns the TFTP error code the server answered, 0 if none.
func serverCode(err error) behaviour.Code {
	var se *client.ServerError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// bearer is curl's header for host's token.
func bearer(s server, host string) string { return "Authorization: Bearer " + s.tokens[host] }

// TFTP hands out boot.ipxe, the same for every machine, which chains to
// HTTP; the MAC-keyed script it names comes from the same route over
// either protocol.
func TestBootScriptOverTFTPChainsToHTTP(t *testing.T) {
	s := start(t, nil)
	b, err := tftpRead(t, s, "boot.ipxe")
	if err != nil {
		t.Fatal(err)
	}
	server := "http://" + s.http.String()
	want := "#!ipxe\nchain " + server + "/mac-${net0/mac:hexhyp}.ipxe || echo no boot script for ${net0/mac} on " + server + "\n"
	if string(b) != want {
		t.Fatalf("boot.ipxe over TFTP:\n%s\nwant:\n%s", b, want)
	}
	// What iPXE does: expand the variable and fetch the URL.
	url, _, _ := strings.Cut(strings.TrimPrefix(strings.Split(string(b), "\n")[1], "chain "), " ")
	url = strings.ReplaceAll(url, "${net0/mac:hexhyp}", lab01)
	code, overHTTP := curl(t, url)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, overHTTP)
	}
	overTFTP, err := tftpRead(t, s, "mac-"+lab01+".ipxe")
	if err != nil || !bytes.Equal(overTFTP, overHTTP) {
		t.Errorf("the script over TFTP (%v):\n%s\nover HTTP:\n%s", err, overTFTP, overHTTP)
	}
}

// Each machine gets its own script, rendered from its record; the kernel
// and initrd it names are served whole from the root's boot/ over HTTP.
func TestHostScripts(t *testing.T) {
	s := start(t, nil)
	server := "http://" + s.http.String()
	for _, tc := range []struct{ mac, want string }{
		{lab01, "#!ipxe\n" +
			"# lab-01 (" + lab01 + "), a leaf\n" +
			"kernel " + server + "/boot/vmlinuz-6.1 initrd=initrd-6.1.img console=ttyS0 quiet hostname=lab-01 ztp=" + server + "/ztp/" + lab01 + ".cfg\n" +
			"initrd " + server + "/boot/initrd-6.1.img\n" +
			"boot\n"},
		{lab02, "#!ipxe\n" +
			"# lab-02 (" + lab02 + "), a spine\n" +
			"kernel " + server + "/boot/vmlinuz-6.6 initrd=initrd-6.6.img console=ttyS0 hostname=lab-02 ztp=" + server + "/ztp/" + lab02 + ".cfg\n" +
			"initrd " + server + "/boot/initrd-6.6.img\n" +
			"boot\n"},
	} {
		code, script := curl(t, s.web("mac-"+tc.mac+".ipxe"))
		if code != 200 || string(script) != tc.want {
			t.Errorf("mac-%s.ipxe: %d\n%s\nwant 200:\n%s", tc.mac, code, script, tc.want)
			continue
		}
		// Fetch what the script names, as iPXE's kernel and initrd do.
		for _, line := range strings.Split(string(script), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || (f[0] != "kernel" && f[0] != "initrd") {
				continue
			}
			code, b := curl(t, f[1])
			name := f[1][strings.LastIndex(f[1], "/")+1:]
			if code != 200 || !bytes.Equal(b, bootFile(name)) {
				t.Errorf("%s: %d, %d bytes; want 200 and the %d bytes of boot/%s", f[1], code, len(b), len(bootFile(name)), name)
			}
		}
	}
}

// The ZTP config comes from the same record, over HTTP as over TFTP.
func TestZTPConfig(t *testing.T) {
	s := start(t, nil)
	want := func(proto string) string {
		return "# Zero-touch configuration of lab-02 (" + lab02 + "), over " + proto + "\n" +
			"hostname lab-02\n" +
			"role spine\n" +
			"interface mgmt0\n" +
			"  address 10.0.10.12/24\n" +
			"route default via 10.0.10.1\n" +
			"# Once configured, the device uploads what it runs, with its own token:\n" +
			"upload http://" + s.http.String() + "/configs/lab-02.cfg\n"
	}
	if code, b := curl(t, s.web("ztp/"+lab02+".cfg")); code != 200 || string(b) != want("http") {
		t.Errorf("ztp/%s.cfg over HTTP: %d\n%s\nwant 200:\n%s", lab02, code, b, want("http"))
	}
	if b, err := tftpRead(t, s, "ztp/"+lab02+".cfg"); err != nil || string(b) != want("tftp") {
		t.Errorf("ztp/%s.cfg over TFTP (%v):\n%s\nwant:\n%s", lab02, err, b, want("tftp"))
	}
}

// A MAC address in no inventory has no script and no config: 404 over
// HTTP, file not found over TFTP, so that iPXE prints its error and goes
// on (boot.ipxe's "|| echo").
func TestUnknownMACIsNotFound(t *testing.T) {
	s := start(t, nil)
	for _, name := range []string{"mac-" + unknown + ".ipxe", "ztp/" + unknown + ".cfg", "mac-52-54-00-12-34.ipxe", "boot/vmlinuz-9.9"} {
		if code, b := curl(t, s.web(name)); code != 404 {
			t.Errorf("GET %s: %d %s, want 404", name, code, b)
		}
	}
	if _, err := tftpRead(t, s, "mac-"+unknown+".ipxe"); serverCode(err) != behaviour.CodeNotFound {
		t.Errorf("TFTP mac-%s.ipxe: %v, want ERROR 1", unknown, err)
	}
}

// tempFiles returns the names of the upload temporaries in configs/.
func tempFiles(t *testing.T, s server) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(s.root, "configs", ".filemux-*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Uploads go over HTTP with the device's own token; everything else is
// refused and leaves nothing on disk.
func TestUploadConfig(t *testing.T) {
	s := start(t, nil)
	local := filepath.Join(t.TempDir(), "running.cfg")
	target := filepath.Join(s.root, "configs", "lab-01.cfg")
	url := s.web("configs/lab-01.cfg")
	put := func(content string, args ...string) int {
		t.Helper()
		if err := os.WriteFile(local, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _ := curl(t, append([]string{"-T", local}, append(args, url)...)...)
		return code
	}
	for _, tc := range []struct {
		what string
		args []string
		want int
	}{
		{"no token", nil, 401},
		{"a wrong token", []string{"-H", "Authorization: Bearer " + rand.Text()}, 401},
		{"lab-02's token", []string{"-H", bearer(s, "lab-02")}, 403},
	} {
		if code := put("hostname intruder\n", tc.args...); code != tc.want {
			t.Errorf("PUT with %s: %d, want %d", tc.what, code, tc.want)
		}
		if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("PUT with %s left %s (%v)", tc.what, target, err)
		}
	}
	for _, content := range []string{"hostname lab-01\n", "hostname lab-01\ninterface mgmt0\n  address 10.0.10.11/24\n"} {
		if code := put(content, "-H", bearer(s, "lab-01")); code != 201 {
			t.Fatalf("PUT with lab-01's token: %d, want 201", code)
		}
		if b, err := os.ReadFile(target); err != nil || string(b) != content {
			t.Fatalf("%s holds %q (%v), want %q", target, b, err, content)
		}
	}
	if code, b := curl(t, "-H", bearer(s, "lab-01"), url); code != 403 {
		t.Errorf("GET of an uploaded config: %d %s, want 403 (write-only)", code, b)
	}
	_, err := (&client.TFTP{Addr: s.tftp.String()}).WriteBytes(context.Background(), "configs/lab-01.cfg", []byte("hostname tftp\n"))
	if serverCode(err) != behaviour.CodeAccessViolation {
		t.Errorf("TFTP upload: %v, want ERROR 2", err)
	}
	if m := tempFiles(t, s); len(m) != 0 {
		t.Errorf("temporaries left in configs/: %q", m)
	}
}

// streamingPut starts curl uploading its standard input to name with
// host's token and returns the pipe that feeds it.
func streamingPut(t *testing.T, s server, host, name string) (*exec.Cmd, io.WriteCloser, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(need(t, "curl"), "-sS", "-o", "/dev/null", "-w", "%{http_code}",
		"-T", "-", "-H", bearer(s, host), s.web(name))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, in, &out
}

// waitTemp waits until an upload's temporary in configs/ holds at least n
// bytes: the server has the data, not yet the file.
func waitTemp(t *testing.T, s server, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, f := range tempFiles(t, s) {
			if fi, err := os.Stat(f); err == nil && fi.Size() >= n {
				return
			}
		}
	}
	t.Fatalf("no temporary of %d bytes in configs/ within 10s: %q", n, tempFiles(t, s))
}

// An upload replaces the config in one step: while the body arrives, the
// old config is there whole; a client that goes away leaves it untouched.
func TestUploadIsAtomic(t *testing.T) {
	s := start(t, nil)
	target := filepath.Join(s.root, "configs", "lab-01.cfg")
	old := "hostname lab-01\n! the config before\n"
	if err := os.WriteFile(target, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	half := bytes.Repeat([]byte("interface Ethernet1\n description uplink\n"), 4000) // 160,000 bytes
	unchanged := func(when string) {
		t.Helper()
		if b, err := os.ReadFile(target); err != nil || string(b) != old {
			t.Fatalf("%s, %s holds %d bytes (%v), want the old config", when, target, len(b), err)
		}
	}

	cmd, in, out := streamingPut(t, s, "lab-01", "configs/lab-01.cfg")
	if _, err := in.Write(half); err != nil {
		t.Fatal(err)
	}
	// The server writes the body as it comes, in pieces of 32 KiB; curl
	// and the server buffer the rest.
	waitTemp(t, s, 64<<10)
	unchanged("with half of the upload sent")
	if _, err := in.Write(half); err != nil {
		t.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil || out.String() != "201" {
		t.Fatalf("curl -T -: %v, %q; want status 201", err, out)
	}
	if b, _ := os.ReadFile(target); !bytes.Equal(b, append(append([]byte{}, half...), half...)) {
		t.Fatalf("%s holds %d bytes after the upload, want %d", target, len(b), 2*len(half))
	}
	if m := tempFiles(t, s); len(m) != 0 {
		t.Errorf("temporaries left after a committed upload: %q", m)
	}

	// A client that dies mid-body: the upload is aborted, its temporary
	// removed, the config as it was.
	old = string(half) + string(half)
	cmd, in, _ = streamingPut(t, s, "lab-01", "configs/lab-01.cfg")
	if _, err := in.Write(half); err != nil {
		t.Fatal(err)
	}
	waitTemp(t, s, 64<<10)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); len(tempFiles(t, s)) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the aborted upload's temporary is still there: %q", tempFiles(t, s))
		}
	}
	unchanged("after an aborted upload")
}

// Without -root the program serves a demo folder of stand-ins, and
// removes it when it stops.
func TestDemoFolder(t *testing.T) {
	s := start(t, func(c *config) { c.Root = "" })
	code, b := curl(t, s.web("boot/vmlinuz-6.1"))
	if code != 200 || !bytes.HasPrefix(b, []byte("stand-in kernel vmlinuz-6.1:")) {
		t.Errorf("GET boot/vmlinuz-6.1 from the demo folder: %d, %.60q", code, b)
	}
}

func TestPublicAddr(t *testing.T) {
	bound := netip.MustParseAddrPort("127.0.0.1:8080")
	for _, tc := range []struct {
		public string
		bound  netip.AddrPort
		want   string
	}{
		{"", bound, "127.0.0.1:8080"},
		{"boot.lab.example", bound, "boot.lab.example"},
		{"10.0.2.2:8080", netip.MustParseAddrPort("0.0.0.0:8080"), "10.0.2.2:8080"},
	} {
		if got, err := publicAddr(tc.public, tc.bound); err != nil || got != tc.want {
			t.Errorf("publicAddr(%q, %v) = %q, %v; want %q", tc.public, tc.bound, got, err, tc.want)
		}
	}
	for _, unspecified := range []string{"0.0.0.0:80", "[::]:80"} {
		if _, err := publicAddr("", netip.MustParseAddrPort(unspecified)); err == nil {
			t.Errorf("publicAddr without -public on %s: no error", unspecified)
		}
	}
}
