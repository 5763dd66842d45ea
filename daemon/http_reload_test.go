package daemon_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"golang.org/x/crypto/bcrypt"
)

// TestHTTPReloadAuth: ReloadAuth reads the password and token files
// again. A removed user, a changed password and a replaced token are
// refused from the next request on, also on a connection kept alive since
// they were accepted; files that do not load refuse the reload and the
// credentials in use stay, all of them.
func TestHTTPReloadAuth(t *testing.T) {
	s, m, _ := httpUploadServer(t)
	d := s.HTTP
	basic := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	// put uploads name and reports the status and whether the request went
	// over a connection kept alive.
	put := func(name string, auth func(*http.Request)) (int, bool) {
		t.Helper()
		reused := false
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
		resp := httpPut(t, s, "PUT", name, []byte("data"), func(r *http.Request) {
			*r = *r.WithContext(httptrace.WithClientTrace(r.Context(), trace))
			auth(r)
		})
		return resp.StatusCode, reused
	}
	for name, auth := range map[string]func(*http.Request){"alice": basic("alice", httpTestPassword), "bob": bearer(httpTestToken)} {
		if st, _ := put("before/"+name, auth); st != 201 {
			t.Fatalf("%s before the reload: %d", name, st)
		}
	}

	// alice is gone, carol is new; bob's token is replaced.
	pwFile, tokFile := d.PasswordFile, d.TokenFile
	hash, err := bcrypt.GenerateFromPassword([]byte("carol's secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	const newToken = "fedcba9876543210-token"
	writeTestFile(t, pwFile, "carol:"+string(hash)+"\n")
	writeTestFile(t, tokFile, "bob:"+newToken+"\n")
	if err := d.ReloadAuth(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"alice", basic("alice", httpTestPassword), 401},
		{"bob-old", bearer(httpTestToken), 401},
		{"bob-new", bearer(newToken), 201},
		{"carol", basic("carol", "carol's secret"), 201},
	} {
		st, reused := put("after/"+tc.name, tc.auth)
		if st != tc.want {
			t.Errorf("%s after the reload: %d, want %d", tc.name, st, tc.want)
		}
		if tc.name == "alice" && !reused {
			t.Error("the refused request went over a new connection: the keep-alive case is untested")
		}
	}
	if _, ok := m.Get("after/alice"); ok {
		t.Error("the removed user's upload was stored")
	}

	// A token file that does not parse, then a password file that does not:
	// each reload is refused and both files' credentials stay.
	for _, broken := range []struct{ file, content string }{{tokFile, "bob:short\n"}, {pwFile, "carol\n"}} {
		good, err := os.ReadFile(broken.file)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, broken.file, broken.content)
		if err := d.ReloadAuth(); err == nil {
			t.Errorf("ReloadAuth accepted %q in %s", broken.content, filepath.Base(broken.file))
		}
		if st, _ := put("kept/bob", bearer(newToken)); st != 201 {
			t.Errorf("the token after a refused reload: %d", st)
		}
		if st, _ := put("kept/carol", basic("carol", "carol's secret")); st != 201 {
			t.Errorf("the password after a refused reload: %d", st)
		}
		writeTestFile(t, broken.file, string(good))
	}
}

// TestHTTPReloadAuthBeforeServe: before Serve, ReloadAuth only checks
// that the files load.
func TestHTTPReloadAuthBeforeServe(t *testing.T) {
	pw, tok := httpAuthFiles(t)
	if err := (&daemon.HTTP{PasswordFile: pw, TokenFile: tok}).ReloadAuth(); err != nil {
		t.Errorf("good files: %v", err)
	}
	if err := (&daemon.HTTP{}).ReloadAuth(); err != nil {
		t.Errorf("no files: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "tokens")
	writeTestFile(t, bad, "bob:short\n")
	if err := (&daemon.HTTP{TokenFile: bad}).ReloadAuth(); err == nil {
		t.Error("a bad token file checked out")
	}
	if err := (&daemon.HTTP{PasswordFile: filepath.Join(t.TempDir(), "missing")}).ReloadAuth(); err == nil {
		t.Error("a missing password file checked out")
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPReloadTLSBeforeServe: before Serve, ReloadTLS only checks that
// the certificate loads.
func TestHTTPReloadTLSBeforeServe(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	newTestCA(t, dir, "ca").issue(t, certFile, keyFile)
	if err := (&daemon.HTTP{TLSCertFile: certFile, TLSKeyFile: keyFile}).ReloadTLS(); err != nil {
		t.Errorf("a good certificate: %v", err)
	}
	if err := (&daemon.HTTP{TLSCertFile: certFile, TLSKeyFile: certFile}).ReloadTLS(); err == nil {
		t.Error("a certificate as its own key checked out")
	}
	if err := (&daemon.HTTP{}).ReloadTLS(); err == nil {
		t.Error("ReloadTLS without TLS succeeded")
	}
}

// TestHTTPReloadAuthAbortsRevoked: a reload that removes a token aborts
// the upload running on it, which leaves nothing behind, and closes its
// connection; an upload by a user the reload kept goes on and lands.
func TestHTTPReloadAuthAbortsRevoked(t *testing.T) {
	s, m, rec := httpUploadServer(t)
	d := s.HTTP
	type upload struct {
		w    *io.PipeWriter
		done chan error
	}
	start := func(name string, auth func(*http.Request)) upload {
		pr, pw := io.Pipe()
		req, err := http.NewRequest("PUT", s.URL(name), pr)
		if err != nil {
			t.Fatal(err)
		}
		auth(req)
		u := upload{pw, make(chan error, 1)}
		go func() {
			resp, err := s.Client().Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			u.done <- err
		}()
		if _, err := pw.Write(make([]byte, 64<<10)); err != nil {
			t.Fatal(err)
		}
		return u
	}
	bob := start("revoked/bob", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+httpTestToken) })
	alice := start("kept/alice", func(r *http.Request) { r.SetBasicAuth("alice", httpTestPassword) })
	for deadline := time.Now().Add(5 * time.Second); len(d.Active()) < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d transfers running, want 2", len(d.Active()))
		}
	}

	writeTestFile(t, d.TokenFile, "# bob's token was revoked\n")
	if err := d.ReloadAuth(); err != nil {
		t.Fatal(err)
	}
	// The server ends bob's upload at once; net/http's client returns only
	// once its body ends, so the pipe is closed after the server's report.
	st := rec.last(t, 1)
	if st.User != "bob" || st.Outcome != daemon.OutcomeFailed || st.Err == nil || !strings.Contains(st.Err.Error(), "revoked") {
		t.Errorf("the first transfer to end: %s's, %v: %v; want bob's, failed, revoked", st.User, st.Outcome, st.Err)
	}
	bob.w.Close()
	if err := <-bob.done; err == nil {
		t.Error("the revoked token's upload succeeded")
	}
	if _, err := alice.w.Write(make([]byte, 64<<10)); err != nil {
		t.Fatalf("alice's upload broke at the reload: %v", err)
	}
	alice.w.Close()
	if err := <-alice.done; err != nil {
		t.Fatalf("alice's upload: %v", err)
	}
	if _, ok := m.Get("revoked/bob"); ok {
		t.Error("the revoked upload was stored")
	}
	if data, ok := m.Get("kept/alice"); !ok || len(data) != 128<<10 {
		t.Errorf("alice's upload: %d bytes, stored %v", len(data), ok)
	}
	if st := rec.last(t, 2); st.User != "alice" || st.Outcome != daemon.OutcomeSuccess {
		t.Errorf("the second transfer to end: %s's, %v: %v", st.User, st.Outcome, st.Err)
	}
}

// TestHTTP2ReloadAuthRevokesOnlyItsStream: over HTTP/2 a reload that
// removes one user's token aborts that user's download, and not another
// user's on the same connection.
func TestHTTP2ReloadAuthRevokesOnlyItsStream(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "ca")
	certFile, keyFile := dir+"/cert.pem", dir+"/key.pem"
	ca.issue(t, certFile, keyFile)
	m := handlers.NewMemory()
	m.Put("big", make([]byte, 64<<20))
	tokens := dir + "/tokens"
	const aliceToken, bobToken = "alice-token-0123456789", "bob-token-0123456789ab"
	writeTestFile(t, tokens, "alice:"+aliceToken+"\nbob:"+bobToken+"\n")
	var rec httpRecorder
	s := daemontest.NewHTTP(t, m, rec.options, func(d *daemon.HTTP) {
		d.TLSCertFile, d.TLSKeyFile, d.TokenFile = certFile, keyFile, tokens
	})
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	type result struct {
		n   int64
		err error
	}
	start := func(token string) (*http.Response, chan result) {
		req, _ := http.NewRequest("GET", s.URL("big"), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s, want HTTP/2", resp.Proto)
		}
		return resp, make(chan result, 1)
	}
	aliceResp, alice := start(aliceToken)
	bobResp, bob := start(bobToken)
	read := func(resp *http.Response, ch chan result, slow bool) {
		defer resp.Body.Close()
		var n int64
		buf := make([]byte, 64<<10)
		for {
			k, err := resp.Body.Read(buf)
			n += int64(k)
			if err == io.EOF {
				ch <- result{n, nil}
				return
			}
			if err != nil {
				ch <- result{n, err}
				return
			}
			if slow && n > 1<<20 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	if _, err := io.ReadFull(aliceResp.Body, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, tokens, "bob:"+bobToken+"\n")
	if err := s.HTTP.ReloadAuth(); err != nil {
		t.Fatal(err)
	}
	go read(aliceResp, alice, false)
	go read(bobResp, bob, false)
	if r := <-alice; r.err == nil {
		t.Errorf("alice's download went on after her token was removed: %d bytes", r.n+1<<20)
	}
	if r := <-bob; r.err != nil || r.n != 64<<20 {
		t.Errorf("bob's download on the same connection: %d bytes, %v", r.n, r.err)
	}
}
