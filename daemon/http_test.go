package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// httpGet makes a request with the given headers and returns the
// response with its body read.
func httpGet(t *testing.T, s *daemontest.HTTPServer, method, name string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, name, err)
	}
	return resp, body
}

// httpRecorder keeps the Stats of the endings and the refusals.
type httpRecorder struct {
	mu      sync.Mutex
	ended   []daemon.Stats
	refused []error
}

func (r *httpRecorder) options(d *daemon.HTTP) {
	d.OnSuccess = r.end
	d.OnFailure = r.end
	d.OnRefuse = func(_ netip.AddrPort, err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.refused = append(r.refused, err)
	}
}

func (r *httpRecorder) end(s daemon.Stats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, s)
}

// last waits for the ending of the n-th transfer (from 1) and returns it.
func (r *httpRecorder) last(t *testing.T, n int) daemon.Stats {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		r.mu.Lock()
		if len(r.ended) >= n {
			s := r.ended[n-1]
			r.mu.Unlock()
			return s
		}
		r.mu.Unlock()
	}
	t.Fatalf("transfer %d never ended", n)
	return daemon.Stats{}
}

// httpSequential is a handler without random access whose size is unknown
// unless size >= 0.
func httpSequential(data []byte, size int64) behaviour.Handler {
	return behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		t.SetSize(size)
		return struct{ io.Reader }{bytes.NewReader(data)}, nil
	})
}

func TestHTTPGetSequential(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	for _, tc := range []struct {
		name    string
		size    int64
		length  int64
		chunked bool
	}{{"known", int64(len(data)), int64(len(data)), false}, {"unknown", -1, -1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var rec httpRecorder
			s := daemontest.NewHTTP(t, httpSequential(data, tc.size), rec.options)
			resp, body := httpGet(t, s, "GET", "a/b.bin")
			if resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Fatalf("GET: %d, %d bytes, want 200 and %d", resp.StatusCode, len(body), len(data))
			}
			if resp.ContentLength != tc.length || (len(resp.TransferEncoding) > 0) != tc.chunked {
				t.Errorf("Content-Length %d, Transfer-Encoding %v; want %d, chunked %v", resp.ContentLength, resp.TransferEncoding, tc.length, tc.chunked)
			}
			if got := resp.Header.Get("Accept-Ranges"); got != "none" {
				t.Errorf("Accept-Ranges %q, want none", got)
			}
			st := rec.last(t, 1)
			if st.Protocol != behaviour.HTTP || st.Access != behaviour.Read || st.Name != "a/b.bin" ||
				st.Outcome != daemon.OutcomeSuccess || st.Bytes != int64(len(data)) || !st.Peer.IsValid() || st.Local != s.Addr() {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestHTTPRegistryCaptures(t *testing.T) {
	reg := &registry.Registry{}
	var got behaviour.Transfer
	h := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		got = *t
		return strings.NewReader("hostname " + t.Param("host") + "\n"), nil
	})
	if err := reg.Register(`configs/(?<host>[a-z0-9-]+)\.cfg`, h); err != nil {
		t.Fatal(err)
	}
	s := daemontest.NewHTTP(t, reg)
	resp, body := httpGet(t, s, "GET", "configs/sw-01.cfg")
	if resp.StatusCode != 200 || string(body) != "hostname sw-01\n" {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	if got.Protocol != behaviour.HTTP || got.Peer.Addr().String() != "127.0.0.1" || got.Local != s.Addr() || got.RequestedName != "/configs/sw-01.cfg" {
		t.Errorf("transfer %+v", got)
	}
	if resp, body := httpGet(t, s, "GET", "configs/NOPE"); resp.StatusCode != 404 || strings.Contains(string(body), "NOPE") {
		t.Errorf("unrouted: %d %q, want 404 without the name", resp.StatusCode, body)
	}
}

// rawStatus sends a request line as it is and returns the status line.
func rawStatus(t *testing.T, s *daemontest.HTTPServer, target string) string {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	b, _ := io.ReadAll(c)
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

func TestHTTPNames(t *testing.T) {
	var names []string
	var mu sync.Mutex
	h := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		mu.Lock()
		names = append(names, t.Name)
		mu.Unlock()
		return strings.NewReader("x"), nil
	})
	s := daemontest.NewHTTP(t, h)
	for target, want := range map[string]string{
		"/../etc/passwd":     "403",
		"/a/%2e%2e/%2e%2e/x": "403",
		"/a%00b":             "403",
		"/a%5c..%5cb":        "403",
		"/%252e%252e/x":      "200",
		"//dup///slashes":    "200",
		"/with%20space":      "200",
	} {
		if got := rawStatus(t, s, target); !strings.Contains(got, " "+want+" ") {
			t.Errorf("%s: %q, want %s", target, got, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]bool{"%2e%2e/x": true, "dup/slashes": true, "with space": true}
	for _, n := range names {
		if !want[n] {
			t.Errorf("handler saw %q", n)
		}
	}
	if len(names) != len(want) {
		t.Errorf("handler saw %q, want %v", names, want)
	}
}

func TestHTTPErrors(t *testing.T) {
	fail := func(err error) behaviour.Handler {
		return behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return nil, err })
	}
	secret := errors.New("/secret/path exploded")
	for _, tc := range []struct {
		h      behaviour.Handler
		status int
	}{
		{fail(behaviour.ErrNotFound.With(secret)), 404},
		{fail(behaviour.ErrAccessViolation.With(secret)), 403},
		{fail(secret), 500},
		{fail(behaviour.NewError(behaviour.CodeUndefined, "do not show").With(secret)), 500},
		{behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { panic(secret) }), 500},
	} {
		var rec httpRecorder
		s := daemontest.NewHTTP(t, tc.h, rec.options)
		resp, body := httpGet(t, s, "GET", "f")
		if resp.StatusCode != tc.status || strings.Contains(string(body), "secret") || strings.Contains(string(body), "show") {
			t.Errorf("%d %q, want %d without the cause", resp.StatusCode, body, tc.status)
		}
		if st := rec.last(t, 1); st.Outcome != daemon.OutcomeRefused {
			t.Errorf("outcome %v, want refused", st.Outcome)
		}
	}
}

// failing reads n bytes, then fails.
type failing struct {
	behaviour.Base
	n       int
	aborted chan error
}

func (f *failing) Open(_ context.Context, t *behaviour.Transfer) error {
	t.SetSize(int64(f.n) * 2)
	return nil
}

func (f *failing) Read(t *behaviour.Transfer, p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func (f *failing) Abort(_ *behaviour.Transfer, err error) { f.aborted <- err }

func TestHTTPFailureMidBodyCutsTheResponse(t *testing.T) {
	h := &failing{n: 100000, aborted: make(chan error, 1)}
	s := daemontest.NewHTTP(t, h)
	resp, err := s.Client().Get(s.URL("f"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("a failure after the header read as a complete body")
	}
	select {
	case <-h.aborted:
	case <-time.After(5 * time.Second):
		t.Error("Abort never ran")
	}
}

func TestHTTPMethods(t *testing.T) {
	var rec httpRecorder
	s := daemontest.NewHTTP(t, behaviour.Bytes([]byte("x")), rec.options)
	resp, _ := httpGet(t, s, "DELETE", "f")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, PUT, POST" {
		t.Errorf("DELETE: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.refused) != 1 {
		t.Errorf("refusals %v, want one", rec.refused)
	}
}

func TestHTTPHead(t *testing.T) {
	for name, h := range map[string]behaviour.Handler{
		"random":     behaviour.Bytes([]byte("hello")),
		"sequential": httpSequential([]byte("hello"), 5),
	} {
		t.Run(name, func(t *testing.T) {
			var rec httpRecorder
			s := daemontest.NewHTTP(t, h, rec.options)
			resp, body := httpGet(t, s, "HEAD", "f")
			if resp.StatusCode != 200 || resp.ContentLength != 5 || len(body) != 0 {
				t.Errorf("HEAD: %d, length %d, body %q", resp.StatusCode, resp.ContentLength, body)
			}
			if st := rec.last(t, 1); st.Outcome != daemon.OutcomeDeclined || st.Bytes != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestHTTPRanges(t *testing.T) {
	m := handlers.NewMemory()
	data := []byte("0123456789abcdef")
	m.Put("f", data)
	var rec httpRecorder
	s := daemontest.NewHTTP(t, m, rec.options)
	resp, body := httpGet(t, s, "GET", "f", "Range", "bytes=4-7")
	if resp.StatusCode != 206 || string(body) != "4567" || resp.Header.Get("Content-Range") != "bytes 4-7/16" {
		t.Fatalf("range: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	if st := rec.last(t, 1); st.Outcome != daemon.OutcomeSuccess || st.Bytes != 4 {
		t.Errorf("stats %+v", st)
	}
	if resp, _ := httpGet(t, s, "GET", "f", "Range", "bytes=99-"); resp.StatusCode != 416 {
		t.Errorf("unsatisfiable: %d, want 416", resp.StatusCode)
	}
	resp, body = httpGet(t, s, "GET", "f")
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode != 200 || !bytes.Equal(body, data) || etag == "" || lm == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("GET: %d %q, ETag %q, Last-Modified %q", resp.StatusCode, body, etag, lm)
	}
	if resp, body := httpGet(t, s, "GET", "f", "If-None-Match", etag); resp.StatusCode != 304 || len(body) != 0 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	if resp, _ := httpGet(t, s, "GET", "f", "If-Modified-Since", lm); resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d", resp.StatusCode)
	}
	if resp, body := httpGet(t, s, "GET", "f", "Range", "bytes=0-1", "If-Range", etag); resp.StatusCode != 206 || string(body) != "01" {
		t.Errorf("If-Range matching: %d %q", resp.StatusCode, body)
	}
	if resp, body := httpGet(t, s, "GET", "f", "Range", "bytes=0-1", "If-Range", `"other"`); resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Errorf("If-Range stale: %d %q", resp.StatusCode, body)
	}
}

// blocking serves a file whose Read waits for release.
type blocking struct {
	behaviour.Base
	started chan struct{}
	release chan struct{}
	aborted chan error
}

func (b *blocking) Read(t *behaviour.Transfer, p []byte) (int, error) {
	select {
	case b.started <- struct{}{}:
	default:
	}
	<-b.release
	return copy(p, "x"), nil
}

func (b *blocking) Abort(_ *behaviour.Transfer, err error) { b.aborted <- err }

func TestHTTPShutdownAbortsAndActive(t *testing.T) {
	h := &blocking{started: make(chan struct{}, 1), release: make(chan struct{}), aborted: make(chan error, 1)}
	var rec httpRecorder
	s := daemontest.NewHTTP(t, h, rec.options)
	go func() {
		if resp, err := s.Client().Get(s.URL("f")); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	<-h.started
	if a := s.HTTP.Active(); len(a) != 1 || a[0].Name != "f" || a[0].Outcome != daemon.OutcomeRunning {
		t.Errorf("Active %+v", a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.HTTP.Shutdown(ctx) }()
	time.Sleep(100 * time.Millisecond)
	close(h.release) // the stuck call returns: the aborted transfer ends
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want the deadline", err)
	}
	select {
	case <-h.aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("Abort never ran")
	}
	if st := rec.last(t, 1); st.Outcome != daemon.OutcomeShutdown {
		t.Errorf("outcome %v, want shutdown", st.Outcome)
	}
	if _, err := s.Client().Get(s.URL("f")); err == nil {
		t.Error("served after Shutdown")
	}
}

func TestHTTPValidate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&daemon.HTTP{}).Serve(ln); err == nil || !strings.Contains(err.Error(), "Handler is nil") {
		t.Errorf("Serve without a handler: %v", err)
	}
}

func TestHTTPServiceUnderRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon.HTTP{Handler: behaviour.Bytes([]byte("ok"))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx, time.Second, daemon.HTTPService(d, ln)) }()
	url := "http://" + ln.Addr().String() + "/f"
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if resp, err = http.Get(url); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("GET: %q", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v, want nil", err)
	}
	if _, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(url); err == nil {
		t.Error("served after Run returned")
	}
}

// panicking panics in Read after its first bytes.
type panicking struct {
	behaviour.Base
	reads   int
	aborted chan error
}

func (p *panicking) Read(_ *behaviour.Transfer, b []byte) (int, error) {
	if p.reads++; p.reads > 1 {
		panic("handler bug")
	}
	return copy(b, bytes.Repeat([]byte("y"), len(b))), nil
}

func (p *panicking) Abort(_ *behaviour.Transfer, err error) { p.aborted <- err }

func TestHTTPPanicMidBody(t *testing.T) {
	h := &panicking{aborted: make(chan error, 1)}
	var rec httpRecorder
	s := daemontest.NewHTTP(t, h, rec.options)
	resp, err := s.Client().Get(s.URL("f"))
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a panic mid-body read as a complete body")
	}
	select {
	case <-h.aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("Abort never ran")
	}
	if st := rec.last(t, 1); st.Outcome != daemon.OutcomeFailed {
		t.Errorf("outcome %v, want failed", st.Outcome)
	}
	// The server keeps serving.
	if resp, _ := httpGet(t, s, "HEAD", "f"); resp.StatusCode != 200 {
		t.Errorf("after the panic: %d", resp.StatusCode)
	}
}

func TestHTTPIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	var got behaviour.Transfer
	h := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		got = *t
		return strings.NewReader("six"), nil
	})
	s := daemontest.NewHTTP(t, h, func(d *daemon.HTTP) { d.ListenAddr = "[::1]:0" })
	resp, body := httpGet(t, s, "GET", "f")
	if resp.StatusCode != 200 || string(body) != "six" || got.Peer.Addr().String() != "::1" || got.Local != s.Addr() {
		t.Errorf("%d %q, peer %v local %v", resp.StatusCode, body, got.Peer, got.Local)
	}
}

// statSequential is a sequential handler with a stat.
type statSequential struct {
	behaviour.Handler
	mtime time.Time
}

func (s statSequential) Stat(context.Context, *behaviour.Transfer) (fs.FileInfo, error) {
	return fstest.MapFS{"f": {Data: []byte("hello"), ModTime: s.mtime}}.Stat("f")
}

func TestHTTPConditionalSequential(t *testing.T) {
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := daemontest.NewHTTP(t, statSequential{httpSequential([]byte("hello"), 5), mtime})
	resp, body := httpGet(t, s, "GET", "f")
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode != 200 || string(body) != "hello" || etag == "" || lm != mtime.Format(http.TimeFormat) {
		t.Fatalf("GET: %d %q, ETag %q, Last-Modified %q", resp.StatusCode, body, etag, lm)
	}
	for _, hdr := range [][]string{
		{"If-None-Match", etag}, {"If-None-Match", `"x", W/` + etag}, {"If-Modified-Since", lm},
	} {
		if resp, body := httpGet(t, s, "GET", "f", hdr...); resp.StatusCode != 304 || len(body) != 0 {
			t.Errorf("%v: %d %q, want 304", hdr, resp.StatusCode, body)
		}
	}
	for _, hdr := range [][]string{
		{"If-None-Match", `"other"`}, {"If-Modified-Since", mtime.Add(-time.Hour).Format(http.TimeFormat)},
	} {
		if resp, body := httpGet(t, s, "GET", "f", hdr...); resp.StatusCode != 200 || string(body) != "hello" {
			t.Errorf("%v: %d %q, want 200", hdr, resp.StatusCode, body)
		}
	}
}
