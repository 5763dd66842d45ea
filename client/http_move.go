package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"

	"github.com/filemux/filemux/behaviour"
)

// StatusError is an HTTP server's answer that is not a success (2xx): its
// status code and status line. The body is not kept: servers fill it with
// HTML for people.
type StatusError struct {
	Code   int
	Status string // as the server sent it, such as "404 Not Found"
	// size is the file size a 416's Content-Range (bytes */SIZE) tells,
	// or -1.
	size int64
}

// Error says what the server answered.
func (e *StatusError) Error() string { return "server answered " + strconv.Quote(e.Status) }

// ReadHandler downloads remote into the local Handler h, chosen as the
// other clients' ReadHandler choose it (h is usually a
// *registry.Registry, which matches the LOCAL name localName). The calls
// follow the client side of the behaviour.Handler contract with
// t.Protocol == behaviour.HTTP and t.Access == behaviour.Write: Prepare
// before connecting; Open once the server answered with a success, with
// t.Size holding its Content-Length when it sent one (so a missing remote
// file leaves the local side untouched); Write for each piece, then
// Write(t, nil, true) once the whole body arrived and passed Verify; Abort
// exactly once if the transfer fails after Open.
func (c *HTTP) ReadHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	return c.measure(behaviour.Read, remote, func() (int64, error) {
		l, err := handlerSide(localName, h)
		if err != nil {
			return 0, c.fail("read", remote, onLocalSide(err))
		}
		return c.get(ctx, remote, l, wholeFile)
	})
}

// WriteHandler uploads with PUT the file the local Handler h produces for
// the LOCAL name localName to remote. The calls follow the client side of
// the behaviour.Handler contract with t.Protocol == behaviour.HTTP and
// t.Access == behaviour.Read: Prepare before connecting (a size it sets
// is the Content-Length), Open before the request is sent, Read until
// io.EOF, and Abort exactly once if the transfer fails after Open and
// before the final Read.
func (c *HTTP) WriteHandler(ctx context.Context, remote, localName string, h behaviour.Handler) (Result, error) {
	return c.measure(behaviour.Write, remote, func() (int64, error) {
		l, err := handlerSide(localName, h)
		if err != nil {
			return 0, c.fail("write", remote, onLocalSide(err))
		}
		return c.put(ctx, remote, l)
	})
}

// get downloads the range r of remote into the local side l.
func (c *HTTP) get(ctx context.Context, remote string, l local, r byteRange) (int64, error) {
	e := localEndpoint(ctx, behaviour.HTTP, c.User, behaviour.Read, l)
	if err := e.prepare(ctx); err != nil {
		return 0, c.fail("read", remote, err)
	}
	ctx, cancel := c.transferContext(ctx)
	defer cancel()
	ctx, idle, stop := c.watchIdle(ctx)
	defer stop()
	resp, err := c.do(ctx, http.MethodGet, remote, e, nil, func(req *http.Request) { setRange(req, r) })
	var n int64
	if err == nil {
		n, err = c.download(ctx, remote, resp, e, l.h, r, idle)
		resp.Body.Close()
		e.finish(err)
	}
	if err != nil {
		return n, c.fail("read", remote, timedOut(ctx, err))
	}
	return n, nil
}

// timedOut is the cause of a failure that ctx ended: TransferTimeout's or
// the caller's.
func timedOut(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// setRange asks for r unless it is the whole file.
func setRange(req *http.Request, r byteRange) {
	switch {
	case r == wholeFile:
	case r.end >= 0 && r.end == r.start:
		// An empty range has no Range header; download cuts to it.
	case r.end >= 0:
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", r.start, r.end-1))
	default:
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", r.start))
	}
}

// download copies the body of a successful answer into the local side,
// opened only now, checks the digest and commits. h is the local side's
// Handler, which a resumed download seeds the digest from.
func (c *HTTP) download(ctx context.Context, remote string, resp *http.Response, e *endpoint, h behaviour.Handler, r byteRange, idle *watchdog) (int64, error) {
	if err := checkPartial(resp, r); err != nil {
		return 0, err
	}
	total := resp.ContentLength
	skip := int64(0)
	if resp.StatusCode == http.StatusOK && r != wholeFile {
		// The server ignored the range: skip to it, and cut at its end.
		skip, total = r.start, r.length(total)
	}
	left := int64(-1)
	if r.end >= 0 {
		left = max(r.end-r.start, 0)
		if total < 0 || total > left {
			total = left
		}
	}
	if c.MaxSize > 0 && total > c.MaxSize {
		return 0, ErrTooLarge
	}
	e.t.SetSize(total)
	if err := e.open(ctx); err != nil {
		return 0, err
	}
	if _, err := io.CopyN(io.Discard, resp.Body, skip); err != nil {
		return 0, fmt.Errorf("client: the server ended the file before offset %d: %w", skip, err)
	}
	m := &meter{progress: c.Progress, p: Progress{Access: behaviour.Read, Remote: remote, Total: total}, verify: newVerifier(c.Verify), idle: idle}
	if err := seed(m.verify, h); err != nil {
		return 0, err
	}
	m.report()
	w := &meteredWriter{w: e, m: m, max: c.MaxSize, left: left}
	n, err := io.Copy(w, resp.Body)
	if err != nil && !errors.Is(err, errRangeEnd) {
		return n, err
	}
	if total >= 0 && n < total {
		return n, fmt.Errorf("client: the server sent %d of the %d bytes it announced", n, total)
	}
	if m.verify != nil {
		if err := m.verify.check(); err != nil {
			// The *IntegrityError alone: the behaviour.Error around it
			// is for the TFTP server's ears and repeats its text.
			if ie := (*IntegrityError)(nil); errors.As(err, &ie) {
				return n, ie
			}
			return n, err
		}
	}
	return n, e.commit()
}

// checkPartial fails a 206 whose Content-Range does not start where r
// does, or an answer in several parts, which would corrupt the file.
func checkPartial(resp *http.Response, r byteRange) error {
	if resp.StatusCode != http.StatusPartialContent {
		return nil
	}
	var first, last int64
	cr := resp.Header.Get("Content-Range")
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/", &first, &last); err != nil || first != r.start {
		return fmt.Errorf("%w: asked for bytes from %d, got Content-Range %q", ErrProtocol, r.start, cr)
	}
	return nil
}

// unsatisfiedSize is the size of the file a 416 answer names, or -1.
func unsatisfiedSize(resp *http.Response) int64 {
	var n int64
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		return -1
	}
	if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes */%d", &n); err != nil {
		return -1
	}
	return n
}

// put uploads the local side l to remote.
func (c *HTTP) put(ctx context.Context, remote string, l local) (n int64, err error) {
	e := localEndpoint(ctx, behaviour.HTTP, c.User, behaviour.Write, l)
	if err := e.prepare(ctx); err != nil {
		return 0, c.fail("write", remote, err)
	}
	ctx, cancel := c.transferContext(ctx)
	defer cancel()
	ctx, idle, stop := c.watchIdle(ctx)
	defer stop()
	if err := e.open(ctx); err != nil {
		return 0, c.fail("write", remote, err)
	}
	total, known := e.t.Size()
	if !known {
		total = -1
	}
	m := &meter{progress: c.Progress, p: Progress{Access: behaviour.Write, Remote: remote, Total: total}, idle: idle}
	m.report()
	body := &requestBody{r: &meteredReader{r: e, m: m}, closed: make(chan struct{})}
	// A ContentLength of 0 lets the transport probe the body for its end,
	// so that the local side still reads its ending.
	resp, err := c.do(ctx, http.MethodPut, remote, nil, body, func(req *http.Request) { req.ContentLength = max(total, 0) })
	if err == nil {
		resp.Body.Close()
	}
	// The transport may still be sending the body when the server
	// answered early (413): the local side is its until it closes it.
	<-body.closed
	e.finish(err)
	if err != nil {
		return m.p.Bytes, c.fail("write", remote, timedOut(ctx, err))
	}
	return m.p.Bytes, nil
}

// requestBody tells when the transport is done with an upload's body:
// it closes the body then, maybe after Do returned.
type requestBody struct {
	r      io.Reader
	once   sync.Once
	closed chan struct{}
}

func (b *requestBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *requestBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// do sends one request for remote and returns a successful answer; any
// other is a *StatusError. e, when set, learns the connection's addresses.
func (c *HTTP) do(ctx context.Context, method, remote string, e *endpoint, body io.Reader, adjust func(*http.Request)) (*http.Response, error) {
	target, err := c.target(remote)
	if err != nil {
		return nil, err
	}
	tr, err := c.transport()
	if err != nil {
		return nil, err
	}
	defer tr.CloseIdleConnections()
	if e != nil {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { e.connected(i.Conn) }})
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	c.authorize(req)
	adjust(req)
	hc := &http.Client{Transport: tr, CheckRedirect: sameOrigin}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, trustError(err)
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return nil, &StatusError{Code: resp.StatusCode, Status: resp.Status, size: unsatisfiedSize(resp)}
	}
	return resp, nil
}

// httpClass is the class of an HTTP status, or nil for ErrOther.
func httpClass(code int) error {
	switch code {
	case http.StatusNotFound, http.StatusGone:
		return behaviour.ErrNotFound
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusMethodNotAllowed:
		return behaviour.ErrAccessViolation
	case http.StatusRequestEntityTooLarge, http.StatusInsufficientStorage:
		return behaviour.ErrDiskFull
	case http.StatusConflict, http.StatusPreconditionFailed:
		return behaviour.ErrFileExists
	}
	return nil
}
