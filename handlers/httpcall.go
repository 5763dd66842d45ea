package handlers

import (
	"context"
	"io"
	"net/http"
	"time"
)

// originCall is one request to the origin under the handler's timeout: its
// context is cancelled with errOriginTimeout when a wait on the origin
// (armed by the caller) lasts longer than the timeout. One timer serves all
// the waits of a request.
type originCall struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	timeout time.Duration
}

// newCall returns a call derived from parent, armed: connecting and the
// response headers are the first wait.
func (h *HTTP) newCall(parent context.Context) *originCall {
	ctx, cancel := context.WithCancelCause(parent)
	c := &originCall{ctx: ctx, cancel: cancel, timeout: h.timeout}
	c.timer = time.AfterFunc(h.timeout, func() { cancel(errOriginTimeout) })
	return c
}

func (c *originCall) arm()    { c.timer.Reset(c.timeout) }
func (c *originCall) disarm() { c.timer.Stop() }

// end releases the call; its context is cancelled.
func (c *originCall) end() {
	c.timer.Stop()
	c.cancel(context.Canceled)
}

// do sends req, which must carry c.ctx, and returns a 2xx response whose
// body the caller reads and closes. On any other outcome the call is ended.
func (c *originCall) do(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	c.disarm()
	if err != nil {
		err = transportError(c.ctx, err)
		c.end()
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		discard(resp.Body)
		c.end()
		return nil, statusError(resp)
	}
	return resp, nil
}

// read reads a body under the timeout.
func (c *originCall) read(r io.Reader, p []byte) (int, error) {
	c.arm()
	n, err := r.Read(p)
	c.disarm()
	if err != nil && err != io.EOF {
		err = transportError(c.ctx, err)
	}
	return n, err
}

// discard drains a little of a body, so that the connection can be reused,
// and closes it.
func discard(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 4<<10)
	_ = body.Close()
}

// head asks the origin for the size and modification time of u; size is
// -1 when the origin does not say.
func (h *HTTP) head(ctx context.Context, r originRequest, u string) (int64, time.Time, error) {
	c := h.newCall(ctx)
	defer c.end()
	req, err := r.request(c.ctx, http.MethodHead, u, nil)
	if err != nil {
		return -1, time.Time{}, err
	}
	resp, err := c.do(h.client, req)
	if err != nil {
		return -1, time.Time{}, err
	}
	discard(resp.Body)
	return resp.ContentLength, modTimeOf(resp), nil
}

func modTimeOf(resp *http.Response) time.Time {
	t, err := http.ParseTime(resp.Header.Get("Last-Modified"))
	if err != nil {
		return time.Time{}
	}
	return t
}
