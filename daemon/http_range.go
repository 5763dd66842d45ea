package daemon

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// readerAt returns the handler's random-access reader, asked through the
// driver.
func (x *httpTransfer) readerAt() (io.ReaderAt, bool) {
	var ra io.ReaderAt
	var ok bool
	_ = x.d.Call("ReaderAt", func() error { ra, ok = behaviour.ReaderAt(x.s.cfg.handler, &x.t); return nil })
	return ra, ok && ra != nil
}

// stat describes the file through the handler's Stater, when it has one.
func (x *httpTransfer) stat() (fs.FileInfo, bool) {
	t := &behaviour.Transfer{Protocol: x.t.Protocol, Access: x.t.Access, RequestedName: x.t.RequestedName,
		Name: x.t.Name, Mode: x.t.Mode, Peer: x.t.Peer, Local: x.t.Local, User: x.t.User}
	t.SetContext(x.t.Context())
	var fi fs.FileInfo
	err := x.d.Call("Stat", func() (err error) { fi, err = behaviour.Stat(x.t.Context(), x.s.cfg.handler, t); return err })
	return fi, err == nil && fi != nil
}

// serveContent serves a file with random access through net/http's
// ServeContent, which answers ranges and conditional requests; the
// validators come from the handler's stat. A response with a body ends
// with the random-access ending, Read(t, nil); one without is aborted.
func (x *httpTransfer) serveContent(w http.ResponseWriter, r *http.Request, ra io.ReaderAt, size int64) error {
	mtime := x.validators(w, size, true)
	src := &httpSource{x: x, ra: ra}
	cw := &httpCounter{ResponseWriter: w, before: x.writeSoon}
	http.ServeContent(cw, r, "", mtime, io.NewSectionReader(src, 0, size))
	src.gate.close()
	return x.served(w, r, cw, src.err)
}

// httpReadGate keeps ServeContent's reads from the handler once it has
// returned. For several ranges ServeContent copies the content from a
// goroutine of its own into a pipe, and when the client goes away it
// returns while that goroutine may still be in a read or about to start
// one. close waits for a read in progress and fails every later one, so
// that the handler is never read after its ending and the counts and
// failures are final when the transfer ends.
type httpReadGate struct {
	mu     sync.Mutex
	closed bool
}

// errHTTPReadClosed fails a read ServeContent starts after it returned.
var errHTTPReadClosed = errors.New("http: content read after the response ended")

// enter holds the gate for one read; false when it is closed.
func (g *httpReadGate) enter() bool {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	return true
}

func (g *httpReadGate) leave() { g.mu.Unlock() }

func (g *httpReadGate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// validators sets ETag and Last-Modified from the handler's stat, when it
// has one with a modification time, and returns that time (zero when
// none). Without a size the ETag is left out: it would not tell two
// versions of the same time apart.
func (x *httpTransfer) validators(w http.ResponseWriter, size int64, known bool) time.Time {
	fi, ok := x.stat()
	if !ok || fi.ModTime().IsZero() {
		return time.Time{}
	}
	mtime := fi.ModTime()
	if known {
		w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, mtime.UnixNano(), size))
	}
	w.Header().Set("Last-Modified", mtime.UTC().Format(http.TimeFormat))
	return mtime
}

// notModified sets the validators of a sequential file and reports
// whether a GET or HEAD's If-None-Match or If-Modified-Since makes the
// answer 304, as ServeContent decides for random access.
func (x *httpTransfer) notModified(w http.ResponseWriter, r *http.Request, size int64, known bool) bool {
	mtime := x.validators(w, size, known)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		etag := w.Header().Get("ETag")
		return etag != "" && etagMatch(inm, etag)
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	return err == nil && !mtime.IsZero() && !mtime.Truncate(time.Second).After(ims)
}

// etagMatch reports whether the If-None-Match list matches etag, by the
// weak comparison RFC 9110 asks for it.
func etagMatch(list, etag string) bool {
	for tag := range strings.SplitSeq(list, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// httpSource is the handler's io.ReaderAt through the driver, counted; it
// keeps the first failure, which ServeContent does not report.
type httpSource struct {
	x    *httpTransfer
	ra   io.ReaderAt
	err  error
	gate httpReadGate
}

func (s *httpSource) ReadAt(p []byte, off int64) (int, error) {
	if !s.gate.enter() {
		return 0, errHTTPReadClosed
	}
	defer s.gate.leave()
	n, err := s.x.d.ReadAt(s.ra, p, off)
	s.x.bytes.Add(int64(n))
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// httpCounter records the status and the first write error of a response.
type httpCounter struct {
	http.ResponseWriter
	status int
	err    error
	before func()     // before each write
	whole  *httpWhole // the content being served whole, if it is
}

func (c *httpCounter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *httpCounter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.before()
	n, err := c.ResponseWriter.Write(p)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}
