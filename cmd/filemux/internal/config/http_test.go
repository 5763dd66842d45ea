package config_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/registry"
)

// selfSigned returns a PEM certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

func TestHTTPErrors(t *testing.T) {
	const routes = "routes: [{match: x, memory: {}}]\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"http alone serves", "http: {listen: [':8080']}\n" + routes, nil},
		{"no listen", "http: {}\n" + routes, []string{"f.yaml:1:1: http.listen: at least one address is required"}},
		{"bad listen", "http:\n  listen: [':8080', 'web']\n" + routes, []string{`f.yaml:2:21: http.listen[1]: "web" is not an address host:port`}},
		{"unknown key", "http: {listen: [':80'], password: pw}\n" + routes, []string{"f.yaml:1:25: http.password: unknown key (known keys: ban_duration"}},
		{"tls without key", "http:\n  listen: [':443']\n  tls: {cert: cert.pem}\n" + routes, []string{"f.yaml:3:3: http.tls.key: required"}},
		{"tls good", "http:\n  listen: [':443']\n  tls: {cert: cert.pem, key: key.pem}\n" + routes, nil},
		{"tls key that is not the cert's", "http:\n  listen: [':443']\n  tls: {cert: cert.pem, key: cert.pem}\n" + routes,
			[]string{"f.yaml:3:3: http.tls: tls: found a certificate rather than a key"}},
		{"tls missing file", "http:\n  listen: [':443']\n  tls: {cert: nope.pem, key: key.pem}\n" + routes,
			[]string{"f.yaml:3:9: http.tls.cert: open "}},
		{"password file", "http: {listen: [':80'], password_file: pw, token_file: tokens}\n" + routes, nil},
		{"bad password file", "http: {listen: [':80'], password_file: tokens}\n" + routes,
			[]string{"f.yaml:1:25: http.password_file: sshkeys: password file line 1"}},
		{"bad token file", "http:\n  listen: [':80']\n  token_file: short\n" + routes,
			[]string{`f.yaml:3:3: http.token_file: line 2: want "user:token", a token of 16 characters or more`}},
		{"timeouts off", "http: {listen: [':80'], read_header_timeout: off, data_timeout: off, idle_timeout: 0s, ban_threshold: off}\n" + routes, nil},
		{"bad timeout", "http: {listen: [':80'], data_timeout: soon}\n" + routes,
			[]string{`f.yaml:1:25: http.data_timeout: "soon" is not a duration such as 1.5s, 500ms or 2m, or off`}},
		{"negative limit", "http: {listen: [':80'], max_connections: -1}\n" + routes,
			[]string{"f.yaml:1:25: http.max_connections: -1 is outside 0..2147483647"}},
		{"protocol http", "http: {listen: [':80']}\ntftp: {listen: [':69']}\nroutes: [{match: x, memory: {}, protocols: [tftp, http]}]\n", nil},
		{"protocol http twice", "http: {listen: [':80']}\nroutes: [{match: x, memory: {}, protocols: [http, http]}]\n",
			[]string{"f.yaml:2:51: routes[0].protocols[1]: http is listed twice"}},
		{"anonymous uploads", "http: {listen: [':80']}\nroutes:\n  - {match: x, access: write, anonymous_uploads: true, memory: {write: create}}\n", nil},
		{"anonymous uploads without http", "tftp: {listen: [':69']}\nroutes:\n  - {match: x, anonymous_uploads: true, memory: {write: create}}\n",
			[]string{"f.yaml:3:16: routes[0].anonymous_uploads: set, but there is no http section"}},
		{"anonymous uploads not over http", "http: {listen: [':80']}\ntftp: {listen: [':69']}\nroutes:\n  - {match: x, protocols: [tftp], anonymous_uploads: true, memory: {write: create}}\n",
			[]string{"f.yaml:4:35: routes[0].anonymous_uploads: set, but protocols leaves out http"}},
		{"anonymous uploads on a read route", "http: {listen: [':80']}\nroutes:\n  - {match: x, access: read, anonymous_uploads: true, memory: {}}\n",
			[]string{"f.yaml:3:30: routes[0].anonymous_uploads: set, but the route is read-only"}},
		{"anonymous uploads on a template", "http: {listen: [':80']}\nroutes:\n  - {match: x, anonymous_uploads: true, template: {text: x}}\n",
			[]string{"f.yaml:3:16: routes[0].anonymous_uploads: set, but a template takes no uploads"}},
		{"listing", "http: {listen: [':80']}\nroutes:\n  - {match: 'pub(/.*)?', listing: true, memory: {}}\n", nil},
		{"listing without http", "tftp: {listen: [':69']}\nroutes:\n  - {match: x, listing: true, memory: {}}\n",
			[]string{"f.yaml:3:16: routes[0].listing: set, but there is no http section"}},
		{"listing not over http", "http: {listen: [':80']}\nroutes:\n  - {match: x, protocols: [sftp], listing: true, memory: {}}\n",
			[]string{"f.yaml:3:35: routes[0].listing: set, but protocols leaves out http"}},
		{"listing a template", "http: {listen: [':80']}\nroutes:\n  - {match: x, listing: true, template: {text: x}}\n",
			[]string{"f.yaml:3:16: routes[0].listing: set, but a template has no directories"}},
		{"listing an origin", "http: {listen: [':80']}\nroutes:\n  - {match: x, listing: true, http: {url: 'http://x/'}}\n",
			[]string{"f.yaml:3:16: routes[0].listing: set, but an http origin cannot be listed"}},
		{"listing a write-only route", "http: {listen: [':80']}\nroutes:\n  - {match: x, access: write, listing: true, memory: {write: any}}\n",
			[]string{"f.yaml:3:31: routes[0].listing: set, but the route is write-only"}},
		{"anonymous uploads not a bool", "http: {listen: [':80']}\nroutes:\n  - {match: x, anonymous_uploads: yes please, memory: {}}\n",
			[]string{`f.yaml:3:16: routes[0].anonymous_uploads: want true or false, not "yes please"`}},
	}
	dir := t.TempDir()
	cert, key := selfSigned(t)
	for name, content := range map[string]string{
		"cert.pem": cert, "key.pem": key,
		"pw":     "ops:$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n",
		"tokens": "switch-1:0123456789abcdef-token\n",
		"short":  "# devices\nswitch-1:short\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("f.yaml", dir, []byte(tt.yaml))
			checkErrors(t, err, tt.want)
		})
	}
}

// TestHTTPDaemons: the http section reaches daemon.HTTP: paths from the
// file's directory, tls's files as TLSCertFile and TLSKeyFile, off as
// daemon.Never, the defaults where the file says nothing.
func TestHTTPDaemons(t *testing.T) {
	cert, key := selfSigned(t)
	path := setup(t, `http:
  listen: ["127.0.0.1:0", "127.0.0.1:0"]
  tls: {cert: tls/cert.pem, key: tls/key.pem}
  password_file: pw
  token_file: tokens
  read_header_timeout: off
  data_timeout: 5s
  max_per_address: 7
  max_size: 1M
  ban_threshold: 3
routes:
  - {match: 'pub/.*', memory: {files: {pub/motd: "welcome\n"}}}
`, map[string]string{"tls/cert.pem": cert, "tls/key.pem": key, "pw": "ops:$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n",
		"tokens": "switch-1:0123456789abcdef-token\n"})
	f, _, reg := serve(t, path, config.BuildOptions{})
	ds := f.HTTPDaemons(reg, nil)
	if len(ds) != 2 {
		t.Fatalf("%d servers for 2 addresses", len(ds))
	}
	dir := filepath.Dir(path)
	d := ds[1]
	switch {
	case d.ListenAddr != "127.0.0.1:0" || d.Handler != reg:
		t.Errorf("address %q, handler %v", d.ListenAddr, d.Handler)
	case d.TLSCertFile != filepath.Join(dir, "tls/cert.pem") || d.TLSKeyFile != filepath.Join(dir, "tls/key.pem"):
		t.Errorf("TLS files %q, %q", d.TLSCertFile, d.TLSKeyFile)
	case d.PasswordFile != filepath.Join(dir, "pw") || d.TokenFile != filepath.Join(dir, "tokens"):
		t.Errorf("auth files %q, %q", d.PasswordFile, d.TokenFile)
	case d.ReadHeaderTimeout >= 0 || d.DataTimeout != 5*time.Second || d.IdleTimeout != daemon.DefaultHTTPIdleTimeout:
		t.Errorf("timeouts %v, %v, %v", d.ReadHeaderTimeout, d.DataTimeout, d.IdleTimeout)
	case d.MaxPerAddress != 7 || d.MaxConnections != daemon.DefaultHTTPMaxConnections || d.MaxSize != 1<<20:
		t.Errorf("limits %d, %d, %d", d.MaxPerAddress, d.MaxConnections, d.MaxSize)
	case d.BanThreshold != 3 || d.BanWindow != daemon.DefaultHTTPBanWindow || d.BanDuration != daemon.DefaultHTTPBanDuration:
		t.Errorf("bans %d, %v, %v", d.BanThreshold, d.BanWindow, d.BanDuration)
	case d.AnonymousUploads != nil:
		t.Error("AnonymousUploads set: it is the caller's")
	}

	// Without tls, the server speaks plain HTTP.
	path = setup(t, "http: {listen: [':80']}\nroutes: [{match: x, memory: {}}]\n", nil)
	f, _, reg = serve(t, path, config.BuildOptions{})
	if d := f.HTTPDaemons(reg, nil)[0]; d.TLSCertFile != "" || d.TLSKeyFile != "" {
		t.Errorf("TLS without a tls section: %q, %q", d.TLSCertFile, d.TLSKeyFile)
	}
	if len(f.TFTPDaemons(reg, nil))+len(f.SSHDaemons(reg, nil)) != 0 {
		t.Error("daemons of sections the file lacks")
	}
}

// TestAnonymousUploadsFollowsTheRoute: AnonymousUploads answers for the
// route the registry dispatches a name to, the first that matches; and
// the route itself refuses an HTTP upload without a user unless it opted
// in, whatever the daemon asked before, while TFTP and SFTP, and HTTP
// with a user, pass.
func TestAnonymousUploadsFollowsTheRoute(t *testing.T) {
	path := setup(t, `http: {listen: [':80']}
tftp: {listen: [':69']}
routes:
  - {name: locked, match: 'drop/locked', access: write, memory: {write: create}}
  - {name: drop, match: 'drop/.*', access: write, anonymous_uploads: true, memory: {write: create}}
  - {name: rest, match: '.*', memory: {write: any}}
`, nil)
	_, set, reg := serve(t, path, config.BuildOptions{})
	anon := config.AnonymousUploads(reg)
	for name, want := range map[string]bool{"drop/x.log": true, "drop/locked": false, "other": false, "drop": false} {
		if got := anon(name); got != want {
			t.Errorf("AnonymousUploads(%q) = %v, want %v", name, got, want)
		}
	}
	if e, err := set.Explain("drop/x.log"); err != nil || !e.AnonymousUploads || e.Route != "drop" {
		t.Errorf("Explain: %+v, %v", e, err)
	}
	upload := func(p behaviour.Protocol, user, name string) error {
		tr := &behaviour.Transfer{Protocol: p, Access: behaviour.Write, Name: name, User: user, Flags: behaviour.FlagCreate}
		if err := reg.Open(context.Background(), tr); err != nil {
			return err
		}
		return reg.Write(tr, []byte("x"), true)
	}
	for _, tt := range []struct {
		p          behaviour.Protocol
		user, name string
		ok         bool
	}{
		{behaviour.HTTP, "", "drop/a", true},
		{behaviour.HTTP, "", "drop/locked", false},
		{behaviour.HTTP, "", "other", false},
		{behaviour.HTTP, "ops", "other", true},
		{behaviour.TFTP, "", "other2", true},
		{behaviour.SFTP, "ops", "drop/locked", true},
	} {
		err := upload(tt.p, tt.user, tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("%v upload of %s by %q: %v, want ok %v", tt.p, tt.name, tt.user, err, tt.ok)
		}
		if err != nil && !errors.Is(err, behaviour.ErrAccessViolation) && behaviour.Classify(err).Code != behaviour.CodeAccessViolation {
			t.Errorf("%v upload of %s: %v, want an access violation", tt.p, tt.name, err)
		}
	}
	if m, err := reg.Match("nothing/matches/here"); err == nil && m.Pattern != ".*" {
		t.Errorf("match: %+v", m)
	}
	var empty registry.Registry
	if config.AnonymousUploads(&empty)("drop/x") {
		t.Error("a name no route matches may be uploaded anonymously")
	}
}

// TestListingsFollowTheRoute: Listings answers for the route a
// directory's name is dispatched to, and the route refuses an HTTP
// listing it does not allow while SFTP lists as before.
func TestListingsFollowTheRoute(t *testing.T) {
	path := setup(t, `http: {listen: [':80']}
sftp: {listen: [':2222'], host_key: k, password_file: pw}
routes:
  - {name: pub, match: 'pub(/.*)?', listing: true, memory: {files: {pub/a: "a", pub/sub/b: "b"}}}
  - {name: private, match: '.*', memory: {files: {private/c: "c"}}}
`, map[string]string{"pw": "ops:$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n"})
	_, set, reg := serve(t, path, config.BuildOptions{})
	listings := config.Listings(reg)
	for name, want := range map[string]bool{"pub": true, "pub/sub": true, ".": false, "private": false} {
		if got := listings(name); got != want {
			t.Errorf("Listings(%q) = %v, want %v", name, got, want)
		}
	}
	if e, err := set.Explain("pub/sub"); err != nil || !e.Listing {
		t.Errorf("Explain: %+v, %v", e, err)
	}
	list := func(p behaviour.Protocol, name string) error {
		_, err := behaviour.List(context.Background(), reg, &behaviour.Transfer{Protocol: p, Access: behaviour.Read, Name: name, User: "ops"})
		return err
	}
	if err := list(behaviour.HTTP, "pub"); err != nil {
		t.Errorf("HTTP list of pub: %v", err)
	}
	if err := list(behaviour.HTTP, "private"); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("HTTP list of private: %v, want not found", err)
	}
	if err := list(behaviour.SFTP, "private"); err != nil {
		t.Errorf("SFTP list of private: %v", err)
	}
}

// TestProtocolHTTP: a route limited to tftp does not exist over HTTP, and
// one limited to http not over TFTP.
func TestProtocolHTTP(t *testing.T) {
	path := setup(t, `http: {listen: [':80']}
tftp: {listen: [':69']}
routes:
  - {match: 'tftp-only', protocols: [tftp], memory: {files: {tftp-only: "t"}}}
  - {match: 'http-only', protocols: [http], memory: {files: {http-only: "h"}}}
`, nil)
	_, _, reg := serve(t, path, config.BuildOptions{})
	for _, tt := range []struct {
		p    behaviour.Protocol
		name string
		ok   bool
	}{
		{behaviour.HTTP, "tftp-only", false}, {behaviour.TFTP, "tftp-only", true},
		{behaviour.HTTP, "http-only", true}, {behaviour.TFTP, "http-only", false},
	} {
		tr := &behaviour.Transfer{Protocol: tt.p, Access: behaviour.Read, Name: tt.name}
		err := reg.Open(context.Background(), tr)
		if err == nil {
			reg.Abort(tr, errors.New("done"))
		}
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, behaviour.ErrNotFound)) {
			t.Errorf("%v read of %s: %v, want ok %v (else not found)", tt.p, tt.name, err, tt.ok)
		}
	}
}
