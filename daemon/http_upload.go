package daemon

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/filemux/filemux/behaviour"
)

// receive moves a PUT or POST body into the handler's Writes and commits
// with the last one; the answer is 201 after the commit. Any failure,
// including a client that goes away mid-body, aborts the upload before
// the answer, so that a client told of the failure finds nothing of it.
func (x *httpTransfer) receive(w http.ResponseWriter, r *http.Request) error {
	buf := make([]byte, httpBufSize)
	for {
		x.readSoon()
		n, rerr := fill(r.Body, buf)
		if rerr != nil && rerr != io.EOF {
			return x.uploadFailed(w, fmt.Errorf("%w: %v", errHTTPClientGone, rerr))
		}
		if n > 0 {
			if m := x.s.cfg.maxSize; m > 0 && x.bytes.Load()+int64(n) > m {
				return x.uploadFailed(w, behaviour.ErrDiskFull.With(errHTTPTooLarge))
			}
			if err := x.d.Write(buf[:n], false); err != nil {
				return x.uploadFailed(w, err)
			}
			x.bytes.Add(int64(n))
		}
		if rerr == io.EOF {
			if err := x.d.Write(nil, true); err != nil {
				return x.uploadFailed(w, err)
			}
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusCreated)
			return nil
		}
	}
}

// uploadFailed aborts the upload, then answers with the failure's status
// (a client gone hears nothing).
func (x *httpTransfer) uploadFailed(w http.ResponseWriter, err error) error {
	x.d.Abort(err)
	if !errors.Is(err, errHTTPClientGone) {
		w.Header().Set("Connection", "close") // the rest of the body is not read
		httpError(w, err)
	}
	return err
}

// fill reads r until buf is full or r fails; unlike io.ReadFull it keeps
// io.ErrUnexpectedEOF, which net/http's body returns for a client gone
// before its Content-Length, apart from the io.EOF of a complete body.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
