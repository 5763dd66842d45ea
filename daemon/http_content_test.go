package daemon_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// fileListener is a listener whose connections record the files handed
// to their ReadFrom, which on a TCP connection is sendfile(2): the proof
// that the daemon gave the kernel the file and copied nothing itself.
type fileListener struct {
	net.Listener
	fileBytes atomic.Int64 // what ReadFrom got from *os.File sources
	other     atomic.Int64 // ReadFrom calls with any other source
}

func (l *fileListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &fileConn{Conn: c, l: l}, nil
}

type fileConn struct {
	net.Conn
	l *fileListener
}

func (c *fileConn) ReadFrom(r io.Reader) (int64, error) {
	src := r
	if lr, ok := r.(*io.LimitedReader); ok {
		src = lr.R
	}
	n, err := c.Conn.(io.ReaderFrom).ReadFrom(r)
	if _, ok := src.(*os.File); ok {
		c.l.fileBytes.Add(n)
	} else {
		c.l.other.Add(1)
	}
	return n, err
}

// serveHTTPOn starts an HTTP server of h on a fileListener.
func serveHTTPOn(t *testing.T, h behaviour.Handler, opts ...func(*daemon.HTTP)) (*daemon.HTTP, *fileListener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &fileListener{Listener: ln}
	d := &daemon.HTTP{Handler: h}
	for _, o := range opts {
		o(d)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(fl) }()
	t.Cleanup(func() {
		d.Close()
		if err := <-done; err != nil && !errors.Is(err, daemon.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return d, fl, "http://" + ln.Addr().String() + "/"
}

// contentSpy sits between the decorators and a handler and counts what
// reaches it: reads with bytes, random reads, endings, aborts and the
// bytes the engine reports sent from its content, which it lets through.
type contentSpy struct {
	h                               behaviour.Handler
	reads, readAts, endings, aborts atomic.Int32
	sent                            atomic.Int64
	mu                              sync.Mutex
	abortErrs                       []error
}

func (s *contentSpy) Unwrap() behaviour.Handler { return s.h }
func (s *contentSpy) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	return s.h.Prepare(ctx, t)
}
func (s *contentSpy) Open(ctx context.Context, t *behaviour.Transfer) error { return s.h.Open(ctx, t) }
func (s *contentSpy) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return s.h.Write(t, p, last)
}

func (s *contentSpy) Read(t *behaviour.Transfer, p []byte) (int, error) {
	n, err := s.h.Read(t, p)
	switch {
	case p != nil:
		s.reads.Add(1)
	case err == io.EOF:
		s.endings.Add(1)
	}
	return n, err
}

func (s *contentSpy) Abort(t *behaviour.Transfer, err error) {
	s.aborts.Add(1)
	s.mu.Lock()
	s.abortErrs = append(s.abortErrs, err)
	s.mu.Unlock()
	s.h.Abort(t, err)
}

func (s *contentSpy) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	ra, ok := behaviour.ReaderAt(s.h, t)
	if !ok {
		return nil, false
	}
	return readAtFunc(func(p []byte, off int64) (int, error) { s.readAts.Add(1); return ra.ReadAt(p, off) }), true
}

func (s *contentSpy) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	c, ok := behaviour.ContentOf(s.h, t)
	if ok {
		inner := c.Sent
		c.Sent = func(n int64) {
			s.sent.Add(n)
			if inner != nil {
				inner(n)
			}
		}
	}
	return c, ok
}

func (s *contentSpy) counts() string {
	return fmt.Sprintf("reads %d, readAts %d, endings %d, aborts %d, sent %d",
		s.reads.Load(), s.readAts.Load(), s.endings.Load(), s.aborts.Load(), s.sent.Load())
}

type readAtFunc func(p []byte, off int64) (int, error)

func (f readAtFunc) ReadAt(p []byte, off int64) (int, error) { return f(p, off) }

// httpRoute builds what the config builds for a read-only route, with the spy
// next to the handler, and a registry with it as its only route.
func httpRoute(spy *contentSpy, outcomes chan<- handlers.Outcome) behaviour.Handler {
	h := handlers.Observe(handlers.ReadOnly(spy), handlers.Hooks{OnEnd: func(o handlers.Outcome) { outcomes <- o }})
	reg := &registry.Registry{}
	reg.MustRegister(`.+`, h)
	return reg
}

func randomHTTPFile(t *testing.T, dir, name string, n int) []byte {
	t.Helper()
	data := make([]byte, n)
	_, _ = rand.Read(data)
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

func getURL(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if len(hdr)%2 == 1 {
		req.Method = hdr[len(hdr)-1]
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return resp, body
}

func nextOutcome(t *testing.T, ch <-chan handlers.Outcome) handlers.Outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("no transfer ended")
	}
	return handlers.Outcome{}
}

// TestHTTPDirSendsItsFile: a Dir route's GET goes out by sendfile(2),
// whole and in ranges, with no Read through the handler, the bytes
// counted for the hooks and the one ending kept.
func TestHTTPDirSendsItsFile(t *testing.T) {
	root := t.TempDir()
	data := randomHTTPFile(t, root, "big.bin", 3<<20+12345) // several pieces
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	spy := &contentSpy{h: dir}
	outcomes := make(chan handlers.Outcome, 10)
	var rec httpRecorder
	_, fl, url := serveHTTPOn(t, httpRoute(spy, outcomes), rec.options)

	resp, body := getURL(t, url+"big.bin")
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET: %d, %d bytes, want 200 and the file's %d", resp.StatusCode, len(body), len(data))
	}
	o := nextOutcome(t, outcomes)
	st := rec.last(t, 1)
	if !o.OK() || o.Bytes != int64(len(data)) || st.Outcome != daemon.OutcomeSuccess || st.Bytes != int64(len(data)) {
		t.Errorf("outcome %+v, stats %+v; want success with %d bytes", o, st, len(data))
	}
	// net/http writes the first 512 bytes itself, to sniff them.
	if got := fl.fileBytes.Load(); got < int64(len(data))-512 {
		t.Errorf("sendfile sent %d bytes of %d (%d other ReadFrom calls)", got, len(data), fl.other.Load())
	}
	if spy.reads.Load() != 0 || spy.readAts.Load() != 0 || spy.endings.Load() != 1 || spy.aborts.Load() != 0 ||
		spy.sent.Load() != int64(len(data)) {
		t.Errorf("the handler saw %s; want only the ending and every byte sent", spy.counts())
	}

	fl.fileBytes.Store(0)
	for _, tc := range []struct {
		rng        string
		start, end int
	}{{"bytes=1000-1999", 1000, 2000}, {"bytes=-777", len(data) - 777, len(data)}, {"bytes=1048000-", 1048000, len(data)}} {
		resp, body := getURL(t, url+"big.bin", "Range", tc.rng)
		if resp.StatusCode != 206 || !bytes.Equal(body, data[tc.start:tc.end]) {
			t.Errorf("%s: %d, %d bytes, want 206 and %d", tc.rng, resp.StatusCode, len(body), tc.end-tc.start)
		}
		if o := nextOutcome(t, outcomes); !o.OK() || o.Bytes != int64(tc.end-tc.start) {
			t.Errorf("%s: outcome %+v", tc.rng, o)
		}
	}
	if fl.fileBytes.Load() == 0 {
		t.Error("no range went out by sendfile")
	}

	// Several ranges: multipart, read from the file by the engine.
	resp, body = getURL(t, url+"big.bin", "Range", "bytes=0-9,2000000-2000099")
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for _, want := range [][]byte{data[:10], data[2000000:2000100]} {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("multipart: %v (status %d)", err, resp.StatusCode)
		}
		if got, _ := io.ReadAll(p); !bytes.Equal(got, want) {
			t.Errorf("part %s: %d bytes differ", p.Header.Get("Content-Range"), len(got))
		}
	}
	if o := nextOutcome(t, outcomes); !o.OK() || o.Bytes != 110 {
		t.Errorf("multipart: outcome %+v, want 110 bytes", o)
	}

	// The validators, and HEAD: no body, the handler aborted once.
	resp, _ = getURL(t, url+"big.bin")
	nextOutcome(t, outcomes)
	etag := resp.Header.Get("ETag")
	if resp, body := getURL(t, url+"big.bin", "If-None-Match", etag); resp.StatusCode != 304 || len(body) != 0 || etag == "" {
		t.Errorf("If-None-Match %q: %d", etag, resp.StatusCode)
	}
	nextOutcome(t, outcomes)
	aborts := spy.aborts.Load()
	if resp, body := getURL(t, url+"big.bin", http.MethodHead); resp.StatusCode != 200 || resp.ContentLength != int64(len(data)) || len(body) != 0 {
		t.Errorf("HEAD: %d, length %d, %d bytes", resp.StatusCode, resp.ContentLength, len(body))
	}
	if o := nextOutcome(t, outcomes); o.OK() || o.Bytes != 0 || spy.aborts.Load() != aborts+1 {
		t.Errorf("HEAD: outcome %+v, the handler saw %s", o, spy.counts())
	}
	if spy.reads.Load() != 0 || spy.readAts.Load() != 0 {
		t.Errorf("the handler was read: %s", spy.counts())
	}
}

// TestHTTPMemorySendsItsBytes: a Memory route's GET writes its bytes as
// they are, with no Read through the handler.
func TestHTTPMemorySendsItsBytes(t *testing.T) {
	m := handlers.NewMemoryWith
	mem, err := m(handlers.MemoryConfig{MaxFileSize: -1, MaxTotal: -1})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 5<<20+3)
	_, _ = rand.Read(data)
	mem.Put("m.bin", data)
	spy := &contentSpy{h: mem}
	outcomes := make(chan handlers.Outcome, 10)
	_, fl, url := serveHTTPOn(t, httpRoute(spy, outcomes))
	resp, body := getURL(t, url+"m.bin")
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET: %d, %d bytes", resp.StatusCode, len(body))
	}
	if o := nextOutcome(t, outcomes); !o.OK() || o.Bytes != int64(len(data)) {
		t.Errorf("outcome %+v", o)
	}
	if resp, body := getURL(t, url+"m.bin", "Range", "bytes=4000000-4000009"); resp.StatusCode != 206 || !bytes.Equal(body, data[4000000:4000010]) {
		t.Errorf("range: %d %d bytes", resp.StatusCode, len(body))
	}
	nextOutcome(t, outcomes)
	if spy.reads.Load() != 0 || spy.readAts.Load() != 0 || spy.endings.Load() != 2 || spy.sent.Load() != int64(len(data))+10 {
		t.Errorf("the handler saw %s", spy.counts())
	}
	if fl.fileBytes.Load() != 0 {
		t.Errorf("a Memory sent %d bytes from a file", fl.fileBytes.Load())
	}
}

// rot13 changes the bytes it reads, sequentially and at random, and says
// nothing of contents: ContentOf stops at its RandomReader.
type rot13 struct{ behaviour.Handler }

func (r rot13) Unwrap() behaviour.Handler { return r.Handler }

func (r rot13) Read(t *behaviour.Transfer, p []byte) (int, error) {
	n, err := r.Handler.Read(t, p)
	rotate(p[:n])
	return n, err
}

func (r rot13) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	ra, ok := behaviour.ReaderAt(r.Handler, t)
	if !ok {
		return nil, false
	}
	return readAtFunc(func(p []byte, off int64) (int, error) {
		n, err := ra.ReadAt(p, off)
		rotate(p[:n])
		return n, err
	}), true
}

func rotate(p []byte) {
	for i, c := range p {
		switch {
		case c >= 'a' && c <= 'z':
			p[i] = 'a' + (c-'a'+13)%26
		case c >= 'A' && c <= 'Z':
			p[i] = 'A' + (c-'A'+13)%26
		}
	}
}

// TestHTTPContentHiddenByDecorators: a decorator that changes the bytes
// or caps them keeps the file from the engine, which reads it through the
// decorator instead.
func TestHTTPContentHiddenByDecorators(t *testing.T) {
	root := t.TempDir()
	text := bytes.Repeat([]byte("Hello, World! "), 100000)
	if err := os.WriteFile(filepath.Join(root, "t.txt"), text, 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	want := bytes.Clone(text)
	rotate(want)
	for _, tc := range []struct {
		name   string
		h      behaviour.Handler
		status int
		body   []byte
	}{
		{"rot13", rot13{dir}, 200, want},
		{"SizeCap above the size", handlers.SizeCap(dir, int64(len(text))), 200, text},
		{"SizeCap below the size", handlers.SizeCap(dir, 1000), 507, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spy := &contentSpy{h: tc.h}
			outcomes := make(chan handlers.Outcome, 10)
			_, fl, url := serveHTTPOn(t, httpRoute(spy, outcomes))
			resp, body := getURL(t, url+"t.txt")
			if resp.StatusCode != tc.status || (tc.body != nil && !bytes.Equal(body, tc.body)) {
				t.Errorf("GET: %d, %d bytes (%.20q), want %d", resp.StatusCode, len(body), body, tc.status)
			}
			nextOutcome(t, outcomes)
			if fl.fileBytes.Load() != 0 || spy.sent.Load() != 0 {
				t.Errorf("the file went out whole past the decorator: sendfile %d bytes, %s", fl.fileBytes.Load(), spy.counts())
			}
			if tc.status == 200 && spy.readAts.Load() == 0 {
				t.Errorf("the body did not come through the decorator: %s", spy.counts())
			}
		})
	}
}

// TestHTTPClientGoneMidSendfile: a client that goes away in the middle of
// a sendfile(2) fails the transfer, which is aborted once, never ended,
// with the bytes sent so far counted.
func TestHTTPClientGoneMidSendfile(t *testing.T) {
	root := t.TempDir()
	size := 64 << 20
	randomHTTPFile(t, root, "huge.bin", size)
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	spy := &contentSpy{h: dir}
	outcomes := make(chan handlers.Outcome, 10)
	var rec httpRecorder
	d, fl, url := serveHTTPOn(t, httpRoute(spy, outcomes), rec.options)
	c, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := io.ReadFull(c, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the transfer to be active", func() bool { return len(d.Active()) == 1 })
	c.Close()
	o := nextOutcome(t, outcomes)
	st := rec.last(t, 1)
	if o.OK() || st.Outcome != daemon.OutcomeFailed || st.Bytes >= int64(size) || o.Bytes != spy.sent.Load() || o.Bytes != st.Bytes {
		t.Errorf("outcome %+v, stats %+v, %s; want a failure short of %d bytes, counted alike", o, st, spy.counts(), size)
	}
	if spy.aborts.Load() != 1 || spy.endings.Load() != 0 || spy.reads.Load() != 0 {
		t.Errorf("the handler saw %s; want one Abort and no ending", spy.counts())
	}
	if fl.fileBytes.Load() == 0 {
		t.Error("nothing went out by sendfile")
	}
	time.Sleep(20 * time.Millisecond)
	if spy.aborts.Load() != 1 {
		t.Errorf("aborted %d times", spy.aborts.Load())
	}
}

// TestHTTPStalledClientMidSendfile: a client that stops reading is cut
// after DataTimeout, sendfile(2) or not.
func TestHTTPStalledClientMidSendfile(t *testing.T) {
	root := t.TempDir()
	randomHTTPFile(t, root, "huge.bin", 64<<20)
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	spy := &contentSpy{h: dir}
	outcomes := make(chan handlers.Outcome, 10)
	_, _, url := serveHTTPOn(t, httpRoute(spy, outcomes), func(d *daemon.HTTP) { d.DataTimeout = 300 * time.Millisecond })
	c, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "GET /huge.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	o := nextOutcome(t, outcomes)
	if o.OK() || time.Since(start) > 5*time.Second || spy.aborts.Load() != 1 || spy.endings.Load() != 0 {
		t.Errorf("outcome %+v after %v, %s; want a failure after about 300ms", o, time.Since(start), spy.counts())
	}
}

// shortFile offers a file shorter than the size its Open sets, as a file
// truncated after its Open would be.
type shortFile struct {
	behaviour.Base
	path    string
	aborted chan error
}

func (s *shortFile) Open(_ context.Context, t *behaviour.Transfer) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	fi, _ := f.Stat()
	t.SetSize(fi.Size() + 1000)
	t.State = f
	return nil
}

func (s *shortFile) Read(t *behaviour.Transfer, p []byte) (int, error) {
	t.State.(*os.File).Close()
	return 0, io.EOF
}

func (s *shortFile) Abort(t *behaviour.Transfer, err error) {
	t.State.(*os.File).Close()
	s.aborted <- err
}

func (s *shortFile) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	return behaviour.Content{File: t.State.(*os.File)}, true
}

// TestHTTPShortFileCutsTheResponse: a file that ends before its size cuts
// the response, so that the client never takes it for whole.
func TestHTTPShortFileCutsTheResponse(t *testing.T) {
	root := t.TempDir()
	randomHTTPFile(t, root, "f", 2<<20)
	h := &shortFile{path: filepath.Join(root, "f"), aborted: make(chan error, 1)}
	var rec httpRecorder
	_, _, url := serveHTTPOn(t, h, rec.options)
	resp, err := http.Get(url + "f")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Errorf("the client read %d bytes without an error", n)
	}
	select {
	case <-h.aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not aborted")
	}
	if st := rec.last(t, 1); st.Outcome != daemon.OutcomeFailed || st.Bytes != 2<<20 {
		t.Errorf("stats %+v", st)
	}
}

// TestHTTPSContent: over TLS the file cannot go by sendfile(2); the
// engine copies it, still without reading through the handler.
func TestHTTPSContent(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "ca")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.issue(t, certFile, keyFile)
	root := t.TempDir()
	data := randomHTTPFile(t, root, "f.bin", 3<<20)
	d, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	spy := &contentSpy{h: d}
	outcomes := make(chan handlers.Outcome, 10)
	s := daemontest.NewHTTP(t, httpRoute(spy, outcomes), func(d *daemon.HTTP) { d.TLSCertFile, d.TLSKeyFile = certFile, keyFile })
	for _, proto := range []string{"HTTP/2.0", "HTTP/1.1"} {
		c := tlsClient(ca)
		if proto == "HTTP/1.1" {
			c.Transport.(*http.Transport).ForceAttemptHTTP2 = false
			c.Transport.(*http.Transport).TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		resp, err := c.Get(s.URL("f.bin"))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.Proto != proto || !bytes.Equal(body, data) {
			t.Errorf("%s: %s, %d bytes, %v", proto, resp.Proto, len(body), err)
		}
		if o := nextOutcome(t, outcomes); !o.OK() || o.Bytes != int64(len(data)) {
			t.Errorf("%s: outcome %+v", proto, o)
		}
	}
	if spy.reads.Load() != 0 || spy.readAts.Load() != 0 || spy.sent.Load() != 2*int64(len(data)) {
		t.Errorf("the handler saw %s", spy.counts())
	}
}
