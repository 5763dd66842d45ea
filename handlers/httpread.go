package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/filemux/filemux/behaviour"
)

// httpStream is a download read straight from the origin's response, for
// a handler without a cache or a file the cache cannot hold.
type httpStream struct {
	call   *originCall
	body   io.ReadCloser
	size   int64 // -1 when unknown
	got    int64
	closed bool
}

// openStream sends the GET of a read transfer and learns its size.
func (h *HTTP) openStream(ctx context.Context, t *behaviour.Transfer, u string) error {
	r := h.requestFor(t)
	call := h.newCall(t.Context())
	req, err := r.request(call.ctx, http.MethodGet, u, nil)
	if err != nil {
		call.end()
		return err
	}
	resp, err := call.do(h.client, req)
	if err != nil {
		return err
	}
	size := h.sizeOf(ctx, r, u, resp)
	t.SetSize(size)
	t.State = &httpStream{call: call, body: resp.Body, size: size}
	return nil
}

// sizeOf returns the size of a download: its Content-Length or, when the
// origin streams without one, what a HEAD says; -1 when neither tells.
func (h *HTTP) sizeOf(ctx context.Context, r originRequest, u string, resp *http.Response) int64 {
	if resp.ContentLength >= 0 {
		return resp.ContentLength
	}
	size, _, err := h.head(ctx, r, u)
	if err != nil {
		return -1
	}
	return size
}

// read reads the body, checking it against the size the transfer was
// promised, and releases the request at the end of the file.
func (s *httpStream) read(p []byte) (int, error) {
	if s.closed {
		return 0, io.EOF
	}
	n, err := s.call.read(s.body, p)
	s.got += int64(n)
	switch {
	case s.size >= 0 && s.got > s.size:
		return 0, lengthError(s.got, s.size)
	case err == io.EOF && s.size >= 0 && s.got != s.size:
		return n, lengthError(s.got, s.size)
	case err == io.EOF:
		s.close()
	}
	return n, err
}

func lengthError(got, want int64) error {
	return errOrigin.With(fmt.Errorf("handlers: http: the origin sent %d bytes of a %d-byte file", got, want))
}

func (s *httpStream) close() {
	if !s.closed {
		s.closed = true
		_ = s.body.Close()
		s.call.end()
	}
}
