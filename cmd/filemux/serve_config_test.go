package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

const iosTemplate = "hostname {{.Params.host}}\ninterface Vlan{{.Data.vlan}}\n ip address {{.Data.mgmt_ip}} 255.255.255.0\n"

// TestConfigTemplatesAndMetrics: templates render per-device configs
// selected by a hostname capture and by the client's address, over TFTP
// (curl) and SFTP (curl), the logs say which route served, and the
// metrics count the transfers.
func TestConfigTemplatesAndMetrics(t *testing.T) {
	needCurl(t)
	key, pub := sshKey(t)
	path := writeConfig(t, map[string]string{
		"filemux.yaml": `tftp:
  listen: ["127.0.0.1:0"]
  max_blksize: 1468
sftp:
  listen: ["127.0.0.1:0"]
  host_key: state/ssh_host_ed25519_key
  authorized_keys: authorized_keys
metrics:
  listen: "127.0.0.1:0"
routes:
  - name: configs
    match: '(?<host>[a-z0-9-]+)-confg'
    template: {file: templates/ios.tmpl, data: inventory.yaml, key: host}
  - name: ztp
    match: 'ztp/by-address'
    template:
      text: "hostname {{.Data.hostname}}\n"
      data: devices.csv
      key: peer
      key_field: ip
`,
		"templates/ios.tmpl": iosTemplate,
		"inventory.yaml":     "sw-core-01: {vlan: 10, mgmt_ip: 10.0.0.11}\nsw-core-02: {vlan: 20, mgmt_ip: 10.0.0.12}\n",
		"devices.csv":        "ip,hostname\n127.0.0.1,lab-loopback\n",
		"authorized_keys":    pub,
		"state/.keep":        "",
	})
	s := startConfigured(t, path, "--log-format", "json")
	got, err := curl(t, "tftp://"+s.tftp+"/sw-core-02-confg")
	if want := "hostname sw-core-02\ninterface Vlan20\n ip address 10.0.0.12 255.255.255.0\n"; err != nil || string(got) != want {
		t.Errorf("template by hostname: %q, %v", got, err)
	}
	if got, err := curl(t, "tftp://"+s.tftp+"/ztp/by-address"); err != nil || string(got) != "hostname lab-loopback\n" {
		t.Errorf("template by peer: %q, %v", got, err)
	}
	if _, err := curl(t, "tftp://"+s.tftp+"/sw-edge-99-confg"); err == nil {
		t.Error("a device missing from the inventory got a file")
	}
	got, err = curl(t, "--insecure", "--key", key, "--pubkey", key+".pub", "sftp://ops@"+s.sftp+"/sw-core-01-confg")
	if err != nil || !strings.HasPrefix(string(got), "hostname sw-core-01\n") {
		t.Errorf("the same route over SFTP: %q, %v", got, err)
	}

	waitMetric(t, s.metrics, `filemux_transfers_total{access="read",outcome="success",protocol="tftp",route="configs"}`, 1)
	waitMetric(t, s.metrics, `filemux_transfers_total{access="read",outcome="success",protocol="tftp",route="ztp"}`, 1)
	waitMetric(t, s.metrics, `filemux_transfers_total{access="read",outcome="success",protocol="sftp",route="configs"}`, 1)
	waitMetric(t, s.metrics, `filemux_refused_requests_total{protocol="tftp",reason="not_found"}`, 1)
	if h, err := http.Get("http://" + s.metrics + "/healthz"); err != nil || h.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", h.Status, err)
	}
	s.signal(t, syscall.SIGTERM)
	if code := s.wait(t, 15*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
	checkTransferLogs(t, s.logs.String())
}

func waitMetric(t *testing.T, addr, sample string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := metric(t, addr, sample)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", sample, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkTransferLogs finds, in JSON logs, one line per transfer naming its
// route, and none of the daemons' own shorter lines.
func checkTransferLogs(t *testing.T, logs string) {
	t.Helper()
	routes := map[string]int{}
	for line := range strings.Lines(logs) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		switch rec["msg"] {
		case "transfer":
			routes[fmt.Sprint(rec["protocol"], " ", rec["route"], " ", rec["outcome"])]++
			for _, k := range []string{"peer", "file", "access", "options", "bytes", "duration", "code"} {
				if _, ok := rec[k]; !ok {
					t.Errorf("transfer line without %s: %s", k, line)
				}
			}
		case "tftp transfer", "sftp transfer":
			t.Errorf("the daemon's own transfer line was not left out: %s", line)
		}
	}
	for _, want := range []string{"tftp configs success", "tftp ztp success", "sftp configs success", "tftp configs refused"} {
		if routes[want] != 1 {
			t.Errorf("%d transfer lines for %q; all: %v", routes[want], want, routes)
		}
	}
}

// TestConfigUploadsAndActions: a write route stores uploads atomically
// and fires its completion actions exactly once per upload: a POST of the
// event, and /bin/cp run without a shell.
func TestConfigUploadsAndActions(t *testing.T) {
	needCurl(t)
	cp := "/bin/cp"
	peers.Need(t, cp)
	var mu sync.Mutex
	events := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e handlers.ActionEvent
		_ = json.NewDecoder(r.Body).Decode(&e)
		mu.Lock()
		events[e.Outcome+" "+e.Name+" "+e.Params["host"]]++
		mu.Unlock()
	}))
	defer hook.Close()
	path := writeConfig(t, map[string]string{
		"filemux.yaml": fmt.Sprintf(`tftp: {listen: ["127.0.0.1:0"]}
routes:
  - name: backups
    match: '(?<host>[a-z0-9-]+)-confg'
    access: write
    dir: {root: backup, write: create}
    actions:
      - post: %s/uploaded
      - run: [%s, "backup/{{.Name}}", "archive/{{.Params.host}}.cfg"]
      - {on: failure, post: "%s/failed"}
`, hook.URL, cp, hook.URL),
		"backup/.keep":  "",
		"archive/.keep": "",
	})
	archive := filepath.Join(filepath.Dir(path), "archive")
	s := startConfigured(t, path)
	work := t.TempDir()
	for i := range 5 {
		name := fmt.Sprintf("r%d-confg", i)
		writeFile(t, filepath.Join(work, name), bytes.Repeat([]byte{byte('a' + i)}, 3000+i))
		if _, err := curl(t, "-T", filepath.Join(work, name), "tftp://"+s.tftp+"/"+name); err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
	}
	if _, err := curl(t, "-T", filepath.Join(work, "r0-confg"), "tftp://"+s.tftp+"/r0-confg"); err == nil {
		t.Error("write: create let an upload replace a file")
	}
	if _, err := curl(t, "tftp://"+s.tftp+"/r1-confg"); err == nil {
		t.Error("a write route served a download")
	}
	s.signal(t, syscall.SIGTERM) // actions finish before the exit
	if code := s.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"failure r0-confg r0": 1}
	for i := range 5 {
		want[fmt.Sprintf("success r%d-confg r%d", i, i)] = 1
		stored := filepath.Join(filepath.Dir(path), "backup", fmt.Sprintf("r%d-confg", i))
		if fileSHA(t, stored) != fileSHA(t, filepath.Join(work, fmt.Sprintf("r%d-confg", i))) {
			t.Errorf("upload %d differs", i)
		}
		if fileSHA(t, filepath.Join(archive, fmt.Sprintf("r%d.cfg", i))) != fileSHA(t, stored) {
			t.Errorf("the cp action did not archive upload %d", i)
		}
	}
	if fmt.Sprint(events) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", events, want)
	}
	entries, _ := os.ReadDir(filepath.Join(filepath.Dir(path), "backup"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".filemux-") {
			t.Errorf("a temporary file was left behind: %s", e.Name())
		}
	}
}

// slowOrigin serves 64 KiB in 16 pieces a tenth of a second apart, and
// tells when a request arrived.
func slowOrigin(t *testing.T) (*httptest.Server, chan struct{}, []byte) {
	body := peers.RandomBytes(64 << 10)
	started := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		started <- struct{}{}
		for i := 0; i < len(body); i += 4096 {
			_, _ = w.Write(body[i : i+4096])
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, started, body
}

// download fetches name in the background with filemux's client.
func download(addr, name string) chan error {
	done := make(chan error, 1)
	go func() {
		c := &client.TFTP{Addr: addr, Timeout: 2 * time.Second}
		b, _, err := c.ReadBytes(context.Background(), name)
		if err == nil && len(b) != 64<<10 {
			err = fmt.Errorf("%d bytes", len(b))
		}
		done <- err
	}()
	return done
}

// TestConfigReload: SIGHUP swaps the routes while a transfer runs, which
// finishes; a broken file is refused with its line, and the running
// routes keep serving.
func TestConfigReload(t *testing.T) {
	needCurl(t)
	origin, started, body := slowOrigin(t)
	first := fmt.Sprintf(`tftp: {listen: ["127.0.0.1:0"]}
metrics: {listen: "127.0.0.1:0"}
routes:
  - {name: slow, match: 'slow/.*', http: {url: "%s/{{.Name}}", cache_size: 0}}
  - {name: old, match: 'motd', memory: {files: {motd: "old\n"}}}
`, origin.URL)
	path := writeConfig(t, map[string]string{"filemux.yaml": first})
	s := startConfigured(t, path)
	done := download(s.tftp, "slow/kernel")
	<-started

	writeFile(t, path, []byte(strings.Replace(first, `"old\n"`, `"new\n"`, 1)))
	s.signal(t, syscall.SIGHUP)
	s.waitLog(t, "configuration reloaded")
	if got, err := curl(t, "tftp://"+s.tftp+"/motd"); err != nil || string(got) != "new\n" {
		t.Errorf("after the reload: %q, %v", got, err)
	}
	if err := <-done; err != nil {
		t.Errorf("the transfer running across the reload: %v", err)
	}

	writeFile(t, path, []byte(strings.Replace(first, "match: 'motd'", "match: 'motd('", 1)))
	s.signal(t, syscall.SIGHUP)
	s.waitLog(t, "reload refused")
	if !strings.Contains(s.logs.String(), "filemux.yaml:5:") || !strings.Contains(s.logs.String(), "routes[1].match") {
		t.Errorf("the refusal does not name the file, line and key:\n%s", s.logs.String())
	}
	if got, err := curl(t, "tftp://"+s.tftp+"/motd"); err != nil || string(got) != "new\n" {
		t.Errorf("after a refused reload: %q, %v", got, err)
	}
	if v := metric(t, s.metrics, "filemux_config_last_reload_successful"); v != 0 {
		t.Errorf("config_last_reload_successful = %v after a refused reload", v)
	}

	writeFile(t, path, []byte(strings.Replace(first, `"old\n"`, `"posted\n"`, 1)))
	resp, err := http.Post("http://"+s.metrics+"/reload", "text/plain", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /reload: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	if got, err := curl(t, "tftp://"+s.tftp+"/motd"); err != nil || string(got) != "posted\n" {
		t.Errorf("after POST /reload: %q, %v", got, err)
	}
	_ = body
}

// TestConfigGracefulShutdown: SIGTERM lets a running transfer finish, and
// the server exits 0 afterwards.
func TestConfigGracefulShutdown(t *testing.T) {
	origin, started, _ := slowOrigin(t)
	path := writeConfig(t, map[string]string{"filemux.yaml": fmt.Sprintf(`tftp: {listen: ["127.0.0.1:0"]}
shutdown_timeout: 20s
routes:
  - {match: 'slow/.*', http: {url: "%s/{{.Name}}", cache_size: 0}}
`, origin.URL)})
	s := startConfigured(t, path)
	done := download(s.tftp, "slow/initrd")
	<-started
	s.signal(t, syscall.SIGTERM)
	if err := <-done; err != nil {
		t.Errorf("the transfer running at SIGTERM: %v", err)
	}
	if code := s.wait(t, 15*time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// TestConfigHTTPSingleFlight: 200 TFTP clients fetch the same kernel from
// an http route at once; the origin serves it once.
func TestConfigHTTPSingleFlight(t *testing.T) {
	kernel := peers.RandomBytes(200 << 10)
	var gets atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		time.Sleep(200 * time.Millisecond)
		w.Header().Set("Content-Length", fmt.Sprint(len(kernel)))
		_, _ = w.Write(kernel)
	}))
	defer origin.Close()
	path := writeConfig(t, map[string]string{"filemux.yaml": fmt.Sprintf(`tftp: {listen: ["127.0.0.1:0"], max_transfers: 400}
routes:
  - match: 'boot/(?<file>.+)'
    http: {url: "%s/pxe/{{.Params.file}}"}
`, origin.URL)})
	s := startConfigured(t, path)
	const clients = 200
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			c := &client.TFTP{Addr: s.tftp, BlockSize: 1468, Timeout: 2 * time.Second}
			b, _, err := c.ReadBytes(context.Background(), "boot/vmlinuz")
			if err == nil && !bytes.Equal(b, kernel) {
				err = fmt.Errorf("wrong content, %d bytes", len(b))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			t.Log(err)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d clients failed", failed, clients)
	}
	if n := gets.Load(); n != 1 {
		t.Errorf("%d clients cost the origin %d requests, want 1", clients, n)
	}
}

// TestConfigCheckAndMatch: check validates a file or reports every
// problem with file:line; match shows the route a name gets.
func TestConfigCheckAndMatch(t *testing.T) {
	good := writeConfig(t, map[string]string{"filemux.yaml": `tftp: {listen: ["0.0.0.0:69"]}
routes:
  - {name: configs, match: '(?<host>[a-z0-9-]+)-confg', template: {text: "hostname {{.Params.host}}\n"}}
  - {name: boot, match: 'boot/(?<file>.+)', protocols: [tftp], http: {url: "http://artifacts.internal/pxe/{{.Params.file}}"}}
`})
	o := filemux(t, t.TempDir(), nil, "check", "--config", good).expect(t, statusOK)
	if !strings.Contains(o.stdout, "valid: 2 routes; TFTP on 0.0.0.0:69") {
		t.Errorf("check said %q", o.stdout)
	}
	bad := writeConfig(t, map[string]string{"filemux.yaml": `tftp: {listen: ["0.0.0.0:69"], max_blksize: 9}
routes:
  - {match: '(?<host>[a-z0-9-]+)-confg', template: {text: "hostname {{.Params.hots}}\n"}}
  - match: 'boot/('
    http: {url: "http://x/"}
`})
	o = filemux(t, t.TempDir(), nil, "check", "--config", bad).expect(t, statusFailure)
	for _, want := range []string{bad + ":3:53: routes[0].template.text: .Params.hots is not a named group", bad + ":4:5: routes[1].match: invalid pattern"} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("check of a broken file lacks %q:\n%s", want, o.stderr)
		}
	}
	filemux(t, t.TempDir(), nil, "serve", "--config", bad).expect(t, statusFailure)
	filemux(t, t.TempDir(), nil, "serve", "--config", good, "--tftp", "127.0.0.1:0").expect(t, statusUsage)

	o = filemux(t, t.TempDir(), nil, "match", "--config", good, "/boot//ipxe.efi", "sw1-confg").expect(t, statusOK)
	for _, want := range []string{"cleaned:   boot/ipxe.efi", `route:     1 "boot" at ` + good + ":4", "capture:   file=ipxe.efi",
		"origin:    http://artifacts.internal/pxe/ipxe.efi", "access:    both over tftp", "capture:   host=sw1", "handler:   template (inline)",
		"match:     boot/(?<file>.+) (the whole name)"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("match output lacks %q:\n%s", want, o.stdout)
		}
	}
	o = filemux(t, t.TempDir(), nil, "match", "--config", good, "motd").expect(t, statusNotFound)
	if !strings.Contains(o.stdout, "no route matches the whole name") {
		t.Errorf("match of an unrouted name: %q", o.stdout)
	}
}

// TestConfigIdleExit: --idle-exit stops a server nobody asks anything.
func TestConfigIdleExit(t *testing.T) {
	path := writeConfig(t, map[string]string{"filemux.yaml": `tftp: {listen: ["127.0.0.1:0"]}
routes: [{match: '.*', memory: {}}]
`})
	start := time.Now()
	s := startConfigured(t, path, "--idle-exit", "300ms")
	if code := s.wait(t, 10*time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("exited after %v, before the idle period", d)
	}
	if !strings.Contains(s.logs.String(), "idle") {
		t.Errorf("no word of the idle exit in the logs:\n%s", s.logs.String())
	}
}

// TestServeFlagsObservability: without a file, serve takes --metrics,
// --log-format and --idle-exit too.
func TestServeFlagsObservability(t *testing.T) {
	needCurl(t)
	dir := t.TempDir()
	s := startServe(t, dir, "--metrics", "127.0.0.1:0", "--log-format", "json", "--idle-exit", "1s")
	var admin string
	for line := range strings.Lines(s.banner) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "filemux: metrics on http://"); ok {
			admin = strings.TrimSuffix(rest, "/metrics")
		}
	}
	if admin == "" {
		t.Fatalf("no metrics address in the banner:\n%s", s.banner)
	}
	if _, err := curl(t, "tftp://"+s.addr+"/filemux-demo.txt"); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, admin, `filemux_transfers_total{access="read",outcome="success",protocol="tftp",route="filemux-demo\\.txt"}`, 1)
	select {
	case err := <-s.exited:
		s.exited <- err
		if err != nil {
			t.Errorf("exit after the idle period: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--idle-exit did not stop the server")
	}
}
