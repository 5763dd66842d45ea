package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	httpToken    = "0123456789abcdef-switch"
	httpNewToken = "fedcba9876543210-switch"
)

// TestConfigHTTP: serve --config with an http section serves the routes
// to curl: GET and HEAD, a listing where the route allows it and 404
// where it does not, PUT with basic auth against a bcrypt htpasswd and
// with a bearer token, PUT refused without a login (401) except on the
// route with anonymous_uploads, and a route limited to tftp absent over
// HTTP (404) while TFTP serves it. The transfers reach the log and the
// metrics with the protocol http.
func TestConfigHTTP(t *testing.T) {
	needCurl(t)
	path := writeConfig(t, map[string]string{
		"filemux.yaml": `tftp: {listen: ["127.0.0.1:0"]}
http:
  listen: ["127.0.0.1:0"]
  password_file: htpasswd
  token_file: tokens
metrics: {listen: "127.0.0.1:0"}
routes:
  - {name: tftp-only, match: 'tftp-only\.txt', protocols: [tftp], memory: {files: {tftp-only.txt: "over tftp\n"}}}
  - {name: drop, match: 'drop/.*', access: write, anonymous_uploads: true, dir: {root: www, write: create, make_parents: true}}
  - {name: pub, match: 'pub(/.*)?', listing: true, dir: {root: www}}
  - {name: up, match: 'up/.*', dir: {root: www, write: create, make_parents: true}}
`,
		"htpasswd":       htpasswd(t, "alice:correct horse"),
		"tokens":         "# devices\nswitch-1:" + httpToken + "\n",
		"www/pub/hi.txt": "hello over http\n",
		"www/up/.keep":   "",
		"payload":        "uploaded config\n",
	})
	dir := filepath.Dir(path)
	payload := filepath.Join(dir, "payload")
	s := startConfigured(t, path)
	if !strings.HasPrefix(s.http, "http://127.0.0.1:") {
		t.Fatalf("HTTP address %q from the banner", s.http)
	}
	u := s.http + "/"

	if code, body := curlDo(t, u+"pub/hi.txt"); code != 200 || body != "hello over http\n" {
		t.Errorf("GET: %d %q", code, body)
	}
	if out, err := curl(t, "-I", u+"pub/hi.txt"); err != nil || !strings.Contains(strings.ToLower(string(out)), "content-length: 16") {
		t.Errorf("HEAD: %v\n%s", err, out)
	}
	if code, body := curlDo(t, u+"pub/"); code != 200 || !strings.Contains(body, "hi.txt") {
		t.Errorf("listing of pub/: %d %q", code, body)
	}
	if code, _ := curlDo(t, u+"up/"); code != 404 {
		t.Errorf("listing of up/, a route without listing: %d, want 404", code)
	}
	if code, _ := curlDo(t, u+"tftp-only.txt"); code != 404 {
		t.Errorf("GET of a tftp-only route: %d, want 404", code)
	}
	if got, err := curl(t, "tftp://"+s.tftp+"/tftp-only.txt"); err != nil || string(got) != "over tftp\n" {
		t.Errorf("the tftp-only route over TFTP: %q, %v", got, err)
	}

	for _, tt := range []struct {
		name string
		args []string
		want int
	}{
		{"up/none", nil, 401},
		{"up/wrong", []string{"-u", "alice:wrong"}, 401},
		{"up/alice", []string{"-u", "alice:correct horse"}, 201},
		{"up/token", []string{"-H", "Authorization: Bearer " + httpToken}, 201},
		{"drop/anonymous", nil, 201},
		{"pub/hi.txt", []string{"-u", "alice:correct horse"}, 403}, // a read-only dir
	} {
		code, _ := curlDo(t, append(tt.args, "-T", payload, u+tt.name)...)
		if code != tt.want {
			t.Errorf("PUT %s: %d, want %d", tt.name, code, tt.want)
		}
		stored, err := os.ReadFile(filepath.Join(dir, "www", tt.name))
		if tt.want == 201 && (err != nil || string(stored) != "uploaded config\n") {
			t.Errorf("PUT %s: stored %q, %v", tt.name, stored, err)
		}
		if tt.want != 201 && tt.name != "pub/hi.txt" && err == nil {
			t.Errorf("PUT %s was refused but stored", tt.name)
		}
	}

	waitMetric(t, s.metrics, `filemux_transfers_total{access="write",outcome="success",protocol="http",route="up"}`, 2)
	waitMetric(t, s.metrics, `filemux_transfers_total{access="write",outcome="success",protocol="http",route="drop"}`, 1)
	waitMetric(t, s.metrics, `filemux_refused_requests_total{protocol="http",reason="authentication_required"}`, 1)
	s.waitLog(t, "user=alice file=up/alice route=up")
	if !strings.Contains(s.logs.String(), "protocol=http") || strings.Contains(s.logs.String(), "http transfer") {
		t.Errorf("the transfer lines are not serve's own, with protocol=http:\n%s", s.logs.String())
	}
}

// TestConfigHTTPSReload: an HTTPS server of the file, checked by curl
// against a test CA; SIGHUP reads the certificate and the password and
// token files again: curl trusts the new CA only, a removed user and a
// replaced token are refused, the new ones accepted. Files that do not
// load refuse the reload and everything stays; POST /reload reads them
// too.
func TestConfigHTTPSReload(t *testing.T) {
	needCurl(t)
	path := writeConfig(t, map[string]string{
		"filemux.yaml": `http:
  listen: ["127.0.0.1:0"]
  tls: {cert: tls/cert.pem, key: tls/key.pem}
  password_file: htpasswd
  token_file: tokens
metrics: {listen: "127.0.0.1:0"}
routes:
  - {name: up, match: '.*', memory: {write: any, files: {motd: "secure hello\n"}}}
`,
		"htpasswd":  htpasswd(t, "alice:alice pw"),
		"tokens":    "switch-1:" + httpToken + "\n",
		"payload":   "x\n",
		"tls/.keep": "",
	})
	dir := filepath.Dir(path)
	certFile, keyFile := filepath.Join(dir, "tls", "cert.pem"), filepath.Join(dir, "tls", "key.pem")
	ca1, ca2 := newTestCA(t, "ca1"), newTestCA(t, "ca2")
	ca1.issue(t, certFile, keyFile)
	s := startConfigured(t, path)
	if !strings.HasPrefix(s.http, "https://127.0.0.1:") {
		t.Fatalf("HTTPS address %q from the banner", s.http)
	}
	u, payload := s.http+"/", filepath.Join(dir, "payload")
	put := func(ca *testCA, name string, auth ...string) int {
		t.Helper()
		code, _ := curlDo(t, append(auth, "--cacert", ca.file, "-T", payload, u+name)...)
		return code
	}
	if code, body := curlDo(t, "--cacert", ca1.file, u+"motd"); code != 200 || body != "secure hello\n" {
		t.Fatalf("GET over HTTPS: %d %q", code, body)
	}
	if code, _ := curlDo(t, u+"motd"); code != 0 {
		t.Errorf("curl without --cacert: %d, want a refused handshake", code)
	}
	if code := put(ca1, "a", "-u", "alice:alice pw"); code != 201 {
		t.Errorf("alice before the reload: %d", code)
	}

	ca2.issue(t, certFile, keyFile)
	writeFile(t, filepath.Join(dir, "htpasswd"), []byte(htpasswd(t, "carol:carol pw")))
	writeFile(t, filepath.Join(dir, "tokens"), []byte("switch-1:"+httpNewToken+"\n"))
	s.signal(t, syscall.SIGHUP)
	s.waitLog(t, "configuration reloaded")
	if code, _ := curlDo(t, "--cacert", ca2.file, u+"motd"); code != 200 {
		t.Errorf("the new certificate after SIGHUP: %d", code)
	}
	if code, _ := curlDo(t, "--cacert", ca1.file, u+"motd"); code != 0 {
		t.Errorf("the old certificate is still served after SIGHUP: %d", code)
	}
	for _, tt := range []struct {
		who  string
		auth []string
		want int
	}{
		{"alice", []string{"-u", "alice:alice pw"}, 401},
		{"carol", []string{"-u", "carol:carol pw"}, 201},
		{"old token", []string{"-H", "Authorization: Bearer " + httpToken}, 401},
		{"new token", []string{"-H", "Authorization: Bearer " + httpNewToken}, 201},
	} {
		if code := put(ca2, "b", tt.auth...); code != tt.want {
			t.Errorf("%s after SIGHUP: %d, want %d", tt.who, code, tt.want)
		}
	}

	// A broken token file refuses the reload: the certificate and the
	// passwords rewritten meanwhile do not take effect either.
	ca1.issue(t, certFile, keyFile)
	writeFile(t, filepath.Join(dir, "tokens"), []byte("switch-1:short\n"))
	s.signal(t, syscall.SIGHUP)
	s.waitLog(t, "reload refused")
	if !strings.Contains(s.logs.String(), "token") {
		t.Errorf("the refusal does not name the token file:\n%s", s.logs.String())
	}
	if code, _ := curlDo(t, "--cacert", ca2.file, u+"motd"); code != 200 {
		t.Errorf("the certificate after a refused reload: %d", code)
	}
	if code := put(ca2, "c", "-H", "Authorization: Bearer "+httpNewToken); code != 201 {
		t.Errorf("the token after a refused reload: %d", code)
	}
	if v := metric(t, s.metrics, "filemux_config_last_reload_successful"); v != 0 {
		t.Errorf("config_last_reload_successful = %v after a refused reload", v)
	}

	writeFile(t, filepath.Join(dir, "tokens"), []byte("switch-1:"+httpToken+"\n"))
	resp, err := http.Post("http://"+s.metrics+"/reload", "text/plain", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /reload: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, _ := curlDo(t, "--cacert", ca1.file, u+"motd"); code != 200 {
		t.Errorf("the certificate after POST /reload: %d", code)
	}
	if code := put(ca1, "d", "-H", "Authorization: Bearer "+httpToken); code != 201 {
		t.Errorf("the token after POST /reload: %d", code)
	}
}

// TestServeHTTPFlags: serve --http from flags, twice over: read-only
// downloads for anyone and uploads with --http-password-file; then HTTPS
// with --http-cert and --http-key, --http-anonymous-uploads and
// --http-listings, and SIGHUP reading the certificate again.
func TestServeHTTPFlags(t *testing.T) {
	needCurl(t)
	root, work := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(root, "fw.bin"), []byte("firmware\n"))
	writeFile(t, filepath.Join(work, "payload"), []byte("uploaded\n"))
	pw := filepath.Join(work, "htpasswd")
	writeFile(t, pw, []byte(htpasswd(t, "alice:alice pw")))
	payload := filepath.Join(work, "payload")

	s := startServe(t, work, "--root", root, "--writable", "--http", "127.0.0.1:0", "--http", "127.0.0.1:0", "--http-password-file", pw)
	addrs := bannerAddrs(s.banner, "filemux: serving HTTP on ")
	if len(addrs) != 2 || !strings.Contains(s.banner, "HTTP uploads") || !strings.Contains(s.banner, "curl http://"+addrs[0]+"/filemux-demo.txt") {
		t.Fatalf("want two HTTP listeners, who uploads and a curl hint:\n%s", s.banner)
	}
	u := "http://" + addrs[1] + "/"
	if code, body := curlDo(t, u+"fw.bin"); code != 200 || body != "firmware\n" {
		t.Errorf("GET: %d %q", code, body)
	}
	if code, body := curlDo(t, u+"filemux-demo.txt"); code != 200 || !strings.Contains(body, "curl http://") {
		t.Errorf("GET of the demo file: %d %q", code, body)
	}
	if code, _ := curlDo(t, "-T", payload, u+"anon.txt"); code != 401 {
		t.Errorf("PUT without a login: %d, want 401", code)
	}
	if code, _ := curlDo(t, "-u", "alice:alice pw", "-T", payload, u+"alice.txt"); code != 201 {
		t.Errorf("PUT with a login: %d, want 201", code)
	}
	if b, err := os.ReadFile(filepath.Join(root, "alice.txt")); err != nil || string(b) != "uploaded\n" {
		t.Errorf("stored %q, %v", b, err)
	}
	if code, _ := curlDo(t, u); code != 404 {
		t.Errorf("listing without --http-listings: %d, want 404", code)
	}
	s.stop(t)

	ca1, ca2 := newTestCA(t, "ca1"), newTestCA(t, "ca2")
	cert, key := filepath.Join(work, "cert.pem"), filepath.Join(work, "key.pem")
	ca1.issue(t, cert, key)
	s = startServe(t, work, "--root", root, "--writable", "--http", "127.0.0.1:0", "--http-cert", cert, "--http-key", key,
		"--http-anonymous-uploads", "--http-listings")
	u = "https://" + bannerAddr(t, s.banner, "filemux: serving HTTPS on ") + "/"
	if code, _ := curlDo(t, "--cacert", ca1.file, "-T", payload, u+"anon.txt"); code != 201 {
		t.Errorf("PUT with --http-anonymous-uploads: %d, want 201", code)
	}
	if code, body := curlDo(t, "--cacert", ca1.file, u); code != 200 || !strings.Contains(body, "anon.txt") {
		t.Errorf("listing with --http-listings: %d %q", code, body)
	}
	ca2.issue(t, cert, key)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := 50
	for code, _ := curlDo(t, "--cacert", ca2.file, u+"fw.bin"); code != 200; code, _ = curlDo(t, "--cacert", ca2.file, u+"fw.bin") {
		if deadline--; deadline == 0 {
			t.Fatal("the new certificate is not served after SIGHUP")
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop(t)
}

// TestServeHTTPFlagsRefused: the HTTP flags that cannot work are usage
// errors, and files that do not load fail at start naming their flag.
func TestServeHTTPFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "tokens")
	writeFile(t, bad, []byte("switch-1:short\n"))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--tftp", "127.0.0.1:0", "--http-password-file", bad}, "there is no HTTP listener"},
		{[]string{"--http", "127.0.0.1:0", "--http-cert", bad}, "--http-cert and --http-key go together"},
		{[]string{"--http", "127.0.0.1:0", "--http-anonymous-uploads"}, "needs --writable"},
		{[]string{"--http", "127.0.0.1:0", "--http-token-file", bad}, "--http-token-file: "},
		{[]string{"--http", "127.0.0.1:0", "--http-cert", bad, "--http-key", bad}, "--http-cert, --http-key: "},
		{[]string{"--http", "web"}, `"web" is not HOST:PORT`},
		{[]string{"--config", "x.yaml", "--http", "127.0.0.1:0"}, "--config takes the listeners"},
	} {
		o := filemux(t, dir, nil, append([]string{"serve"}, tt.args...)...).expect(t, statusUsage)
		if !strings.Contains(o.stderr, tt.want) {
			t.Errorf("serve %v: the error lacks %q:\n%s", tt.args, tt.want, o.stderr)
		}
	}
}

// TestConfigHTTPCheckAndMatch: filemux check validates the http section,
// its files included, with the line of each problem; filemux match shows
// a route's HTTP keys.
func TestConfigHTTPCheckAndMatch(t *testing.T) {
	ca := newTestCA(t, "ca")
	good := writeConfig(t, map[string]string{"filemux.yaml": `http:
  listen: ["0.0.0.0:443"]
  tls: {cert: cert.pem, key: key.pem}
  token_file: tokens
routes:
  - {name: logs, match: 'logs/.*', access: write, anonymous_uploads: true, memory: {write: create}}
  - {name: pub, match: 'pub(/.*)?', listing: true, memory: {}}
`, "tokens": "switch-1:" + httpToken + "\n", "cert.pem": "", "key.pem": ""})
	dir := filepath.Dir(good)
	ca.issue(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	o := filemux(t, t.TempDir(), nil, "check", "--config", good).expect(t, statusOK)
	if !strings.Contains(o.stdout, "valid: 2 routes; HTTPS on 0.0.0.0:443") {
		t.Errorf("check said %q", o.stdout)
	}
	o = filemux(t, t.TempDir(), nil, "match", "--config", good, "logs/sw1.log", "pub/fw").expect(t, statusOK)
	for _, want := range []string{"access:    write over tftp, sftp, scp, http", "http:      uploads without a login (anonymous_uploads)",
		"http:      directories listed (listing)"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("match output lacks %q:\n%s", want, o.stdout)
		}
	}

	writeFile(t, filepath.Join(dir, "tokens"), []byte("switch-1:short\n"))
	writeFile(t, filepath.Join(dir, "key.pem"), []byte("not a key\n"))
	o = filemux(t, t.TempDir(), nil, "check", "--config", good).expect(t, statusFailure)
	for _, want := range []string{good + ":3:3: http.tls: tls: failed to find any PEM data in key input", good + `:4:3: http.token_file: line 1: want "user:token"`} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("check of broken files lacks %q:\n%s", want, o.stderr)
		}
	}
}
