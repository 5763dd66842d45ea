package handlers

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/filemux/filemux/behaviour"
)

// httpUpload is a write transfer streamed to the origin as the body of a
// PUT that runs on its own goroutine from Open to the ending.
type httpUpload struct {
	call *originCall
	pw   *io.PipeWriter
	body *eofReader
	done chan struct{}
	err  error // the request's outcome, valid once done is closed
	once sync.Once
}

// eofReader records that the request body was read to its end, so that an
// origin answering before it took the whole upload is not a success.
type eofReader struct {
	r   io.Reader
	eof atomic.Bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof.Store(true)
	}
	return n, err
}

// openWrite starts the PUT of a write transfer; its body is fed by Write.
func (h *HTTP) openWrite(t *behaviour.Transfer, u string) error {
	call := h.newCall(t.Context())
	call.disarm() // the origin is waited on from the first Write
	pr, pw := io.Pipe()
	body := &eofReader{r: pr}
	req, err := h.requestFor(t).request(call.ctx, http.MethodPut, u, body)
	if err != nil {
		call.end()
		return err
	}
	if n, ok := t.Size(); ok && n > 0 {
		req.ContentLength = n
	}
	up := &httpUpload{call: call, pw: pw, body: body, done: make(chan struct{})}
	go up.send(h.client, req, pr)
	t.State = up
	return nil
}

func (up *httpUpload) send(client *http.Client, req *http.Request, pr *io.PipeReader) {
	defer close(up.done)
	resp, err := up.call.do(client, req)
	// Unblock a Write still waiting on a request that has ended.
	pr.CloseWithError(errOriginEarly)
	if err != nil {
		up.err = err
		return
	}
	discard(resp.Body)
	up.call.end()
	if !up.body.eof.Load() {
		up.err = errOriginEarly
	}
}

func (up *httpUpload) write(p []byte, last bool) error {
	if len(p) > 0 {
		up.call.arm()
		_, err := up.pw.Write(p)
		up.call.disarm()
		if err != nil {
			return up.finish(err)
		}
	}
	if !last {
		return nil
	}
	return up.finish(nil)
}

// finish ends the body (cleanly when cause is nil), waits for the origin's
// answer under the timeout, and returns the outcome.
func (up *httpUpload) finish(cause error) error {
	up.once.Do(func() {
		up.pw.CloseWithError(cause)
		if cause == nil {
			up.call.arm()
		}
		<-up.done
		up.call.end()
	})
	if up.err == nil && cause != nil {
		return errOrigin.With(cause)
	}
	return up.err
}

// abort breaks off the request, so that the origin never sees a complete
// body, and waits for it to end.
func (up *httpUpload) abort(err error) {
	if err == nil {
		err = errors.New("handlers: http: upload aborted")
	}
	up.once.Do(func() {
		up.pw.CloseWithError(err)
		up.call.cancel(err)
		<-up.done
		up.call.end()
	})
}
