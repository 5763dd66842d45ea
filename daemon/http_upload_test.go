package daemon_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"golang.org/x/crypto/bcrypt"
)

const (
	httpTestPassword = "correct horse"
	httpTestToken    = "0123456789abcdef-token"
)

// httpAuthFiles writes a password file for alice and a token file for
// bob.
func httpAuthFiles(t *testing.T) (passwords, tokens string) {
	t.Helper()
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(httpTestPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	passwords, tokens = filepath.Join(dir, "htpasswd"), filepath.Join(dir, "tokens")
	if err := os.WriteFile(passwords, []byte("alice:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokens, []byte("# devices\nbob:"+httpTestToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return passwords, tokens
}

// httpUploadServer serves a Memory with the test users' files.
func httpUploadServer(t *testing.T, opts ...daemontest.HTTPOption) (*daemontest.HTTPServer, *handlers.Memory, *httpRecorder) {
	t.Helper()
	pw, tok := httpAuthFiles(t)
	m := handlers.NewMemory()
	rec := &httpRecorder{}
	all := append([]daemontest.HTTPOption{rec.options, func(d *daemon.HTTP) { d.PasswordFile, d.TokenFile = pw, tok }}, opts...)
	return daemontest.NewHTTP(t, m, all...), m, rec
}

func httpPut(t *testing.T, s *daemontest.HTTPServer, method, name string, body []byte, auth func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL(name), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != nil {
		auth(req)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, name, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestHTTPUploadAuth(t *testing.T) {
	s, m, rec := httpUploadServer(t)
	data := sshRandom(200000)
	basic := func(user, pass string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	for _, tc := range []struct {
		name, method string
		auth         func(*http.Request)
		status       int
		user         string
	}{
		{"none", "PUT", nil, 401, ""},
		{"wrong-password", "PUT", basic("alice", "nope"), 401, ""},
		{"unknown-user", "PUT", basic("mallory", httpTestPassword), 401, ""},
		{"wrong-token", "PUT", bearer("0123456789abcdef-nope"), 401, ""},
		{"basic", "PUT", basic("alice", httpTestPassword), 201, "alice"},
		{"bearer", "POST", bearer(httpTestToken), 201, "bob"},
	} {
		resp := httpPut(t, s, tc.method, "up/"+tc.name, data, tc.auth)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if tc.status == 401 && !strings.Contains(strings.Join(resp.Header.Values("WWW-Authenticate"), ","), "Basic") {
			t.Errorf("%s: no Basic challenge: %v", tc.name, resp.Header)
		}
		got, ok := m.Get("up/" + tc.name)
		if ok != (tc.status == 201) || (ok && !bytes.Equal(got, data)) {
			t.Errorf("%s: stored %v, %d bytes", tc.name, ok, len(got))
		}
	}
	for i, user := range []string{"alice", "bob"} {
		st := rec.last(t, i+1)
		if st.User != user || st.Access != behaviour.Write || st.Outcome != daemon.OutcomeSuccess || st.Bytes != int64(len(data)) {
			t.Errorf("stats %+v", st)
		}
	}
	// A read with wrong credentials is refused too; one without them is
	// served.
	if resp, _ := httpGet(t, s, "GET", "up/basic", "Authorization", "Bearer 0123456789abcdef-nope"); resp.StatusCode != 401 {
		t.Errorf("GET with a wrong token: %d, want 401", resp.StatusCode)
	}
	if resp, body := httpGet(t, s, "GET", "up/basic"); resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Errorf("GET: %d, %d bytes", resp.StatusCode, len(body))
	}
}

func TestHTTPUploadAnonymousOptIn(t *testing.T) {
	s, m, _ := httpUploadServer(t, func(d *daemon.HTTP) {
		d.AnonymousUploads = func(name string) bool { return strings.HasPrefix(name, "drop/") }
	})
	if resp := httpPut(t, s, "PUT", "drop/cfg", []byte("x"), nil); resp.StatusCode != 201 {
		t.Errorf("opted-in: %d, want 201", resp.StatusCode)
	}
	if resp := httpPut(t, s, "PUT", "other/cfg", []byte("x"), nil); resp.StatusCode != 401 {
		t.Errorf("not opted-in: %d, want 401", resp.StatusCode)
	}
	if _, ok := m.Get("other/cfg"); ok {
		t.Error("stored a refused upload")
	}
}

func TestHTTPUploadRefusedByHandler(t *testing.T) {
	pw, _ := httpAuthFiles(t)
	ro := handlers.NewMemory()
	s := daemontest.NewHTTP(t, handlers.ReadOnly(ro), func(d *daemon.HTTP) { d.PasswordFile = pw })
	resp := httpPut(t, s, "PUT", "f", []byte("x"), func(r *http.Request) { r.SetBasicAuth("alice", httpTestPassword) })
	if resp.StatusCode != 403 {
		t.Errorf("read-only route: %d, want 403", resp.StatusCode)
	}
}

func TestHTTPUploadMaxSize(t *testing.T) {
	s, m, _ := httpUploadServer(t, func(d *daemon.HTTP) { d.MaxSize = 1000 })
	auth := func(r *http.Request) { r.SetBasicAuth("alice", httpTestPassword) }
	if resp := httpPut(t, s, "PUT", "big", make([]byte, 1001), auth); resp.StatusCode != 413 {
		t.Errorf("declared too large: %d, want 413", resp.StatusCode)
	}
	// Chunked: the size shows only as the body grows.
	req, _ := http.NewRequest("PUT", s.URL("big2"), io.MultiReader(bytes.NewReader(make([]byte, 5000))))
	req.ContentLength = -1
	auth(req)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("grown too large: %d, want 413", resp.StatusCode)
	}
	for _, n := range []string{"big", "big2"} {
		if _, ok := m.Get(n); ok {
			t.Errorf("stored %s", n)
		}
	}
}

// abortSpy records Abort on a writable Memory.
type abortSpy struct {
	*handlers.Memory
	aborted chan error
}

func (a abortSpy) Abort(t *behaviour.Transfer, err error) {
	a.Memory.Abort(t, err)
	a.aborted <- err
}

func TestHTTPUploadClientGoneAborts(t *testing.T) {
	pw, _ := httpAuthFiles(t)
	spy := abortSpy{handlers.NewMemory(), make(chan error, 1)}
	var rec httpRecorder
	s := daemontest.NewHTTP(t, spy, rec.options, func(d *daemon.HTTP) { d.PasswordFile = pw })
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	req := "PUT /half HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basicToken("alice", httpTestPassword) +
		"\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 50000)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case <-spy.aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("Abort never ran")
	}
	if _, ok := spy.Get("half"); ok {
		t.Error("a half upload was stored")
	}
	if st := rec.last(t, 1); st.Outcome != daemon.OutcomeFailed {
		t.Errorf("outcome %v, want failed", st.Outcome)
	}
}

func basicToken(user, pass string) string {
	r, _ := http.NewRequest("GET", "http://x/", nil)
	r.SetBasicAuth(user, pass)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestCurlAndWgetHTTPPut(t *testing.T) {
	s, m, _ := httpUploadServer(t)
	local := t.TempDir()
	data := sshRandom(2<<20 + 5)
	up := sshWriteFile(t, local, "up", data)
	if res := httpCurl(t, local, "-f", "-u", "alice:"+httpTestPassword, "-T", up, s.URL("curl.bin")); res.code != 0 {
		t.Fatalf("curl PUT: %v", res)
	}
	if got, _ := m.Get("curl.bin"); sshSum(got) != sshSum(data) {
		t.Errorf("curl PUT: sha256 %s, want %s", sshSum(got), sshSum(data))
	}
	if res := httpCurl(t, local, "-w", "%{http_code}", "-o", "/dev/null", "-T", up, s.URL("anon.bin")); res.stdout != "401" {
		t.Errorf("curl PUT without auth: %v, want 401", res)
	}
	if _, ok := m.Get("anon.bin"); ok {
		t.Error("stored an unauthenticated upload")
	}
	if res := httpWget(t, local, "--method=PUT", "--body-file="+up, "--header=Authorization: Bearer "+httpTestToken, "-O", "/dev/null", s.URL("wget.bin")); res.code != 0 {
		t.Fatalf("wget PUT: %v", res)
	}
	if got, _ := m.Get("wget.bin"); sshSum(got) != sshSum(data) {
		t.Errorf("wget PUT: sha256 %s, want %s", sshSum(got), sshSum(data))
	}
}

func TestHTTPBanAfterFailedLogins(t *testing.T) {
	s, m, rec := httpUploadServer(t, func(d *daemon.HTTP) { d.BanThreshold = 3 })
	good := func(r *http.Request) { r.SetBasicAuth("alice", httpTestPassword) }
	bad := func(r *http.Request) { r.SetBasicAuth("alice", "guess") }
	for range 5 { // missing credentials score nothing
		if resp := httpPut(t, s, "PUT", "f", []byte("x"), nil); resp.StatusCode != 401 {
			t.Fatalf("no credentials: %d", resp.StatusCode)
		}
	}
	if resp := httpPut(t, s, "PUT", "f", []byte("x"), good); resp.StatusCode != 201 {
		t.Fatalf("before the ban: %d, want 201", resp.StatusCode)
	}
	for range 3 {
		if resp := httpPut(t, s, "PUT", "g", []byte("x"), bad); resp.StatusCode != 401 {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("PUT", s.URL("g"), strings.NewReader("x"))
	good(req)
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("banned: %d, want 403 or a closed connection", resp.StatusCode)
		}
	}
	if _, ok := m.Get("g"); ok {
		t.Error("a banned address uploaded")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	found := false
	for _, err := range rec.refused {
		found = found || strings.Contains(err.Error(), "banned")
	}
	if !found {
		t.Errorf("no ban among the refusals %v", rec.refused)
	}
}

func TestHTTPActiveDuringUpload(t *testing.T) {
	s, m, rec := httpUploadServer(t)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", s.URL("slow"), pr)
	req.SetBasicAuth("alice", httpTestPassword)
	done := make(chan int, 1)
	go func() {
		resp, err := s.Client().Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	_, _ = pw.Write(make([]byte, 40000))
	var a []daemon.Stats
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if a = s.HTTP.Active(); len(a) == 1 && a[0].Bytes > 0 {
			break
		}
	}
	if len(a) != 1 || a[0].User != "alice" || a[0].Access != behaviour.Write || a[0].Bytes == 0 {
		t.Errorf("Active %+v", a)
	}
	if _, ok := m.Get("slow"); ok {
		t.Error("visible before the commit")
	}
	pw.Close()
	if code := <-done; code != 201 {
		t.Fatalf("PUT: %d", code)
	}
	if got, _ := m.Get("slow"); len(got) != 40000 {
		t.Errorf("stored %d bytes", len(got))
	}
	if st := rec.last(t, 1); st.Bytes != 40000 || st.Outcome != daemon.OutcomeSuccess {
		t.Errorf("stats %+v", st)
	}
	if a := s.HTTP.Active(); len(a) != 0 {
		t.Errorf("Active after the end: %+v", a)
	}
}
