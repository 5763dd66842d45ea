package daemon

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
)

// errHTTPNoBody ends a transfer whose response carried no body: a HEAD, a
// 304, a 412 or a 416. The handler is aborted: it produced nothing.
var errHTTPNoBody = errors.New("http: response without a body")

// httpBufSize is how much one handler Read is asked for.
const httpBufSize = 32 << 10

// respond sends the file: through net/http's ServeContent when the handler
// offers a size and its whole content (sent by sendfile(2) or as bytes) or
// random access (ranges, validators), as a plain body otherwise.
func (x *httpTransfer) respond(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", httpContentType(x.t.Name))
	size, known := x.t.Size()
	if known {
		if c, ok := x.content(); ok {
			return x.serveWhole(w, r, c, size)
		}
		if ra, ok := x.readerAt(); ok {
			return x.serveContent(w, r, ra, size)
		}
	}
	w.Header().Set("Accept-Ranges", "none")
	if x.notModified(w, r, size, known) {
		w.WriteHeader(http.StatusNotModified)
		return errHTTPNoBody
	}
	if known {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return errHTTPNoBody
	}
	return x.copyBody(w, size, known)
}

// httpContentType is the type of a name's extension, or
// application/octet-stream.
func httpContentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// copyBody moves the handler's sequential Reads into the body. A failure
// after the header went out cuts the response (http.ErrAbortHandler,
// raised by ServeHTTP after the transfer ended), so that the client never
// takes a partial body, chunked or not, for the whole file.
func (x *httpTransfer) copyBody(w http.ResponseWriter, size int64, known bool) error {
	buf := make([]byte, httpBufSize)
	wrote := false
	for {
		n, err := x.d.Read(buf)
		if err != nil && !errors.Is(err, io.EOF) {
			if !wrote {
				httpError(w, err)
				return err
			}
			x.cutResponse = true
			return err
		}
		if n > 0 {
			wrote = true
			x.writeSoon()
			if _, werr := w.Write(buf[:n]); werr != nil {
				x.cutResponse = true
				return x.writeFailed(werr)
			}
			x.bytes.Add(int64(n))
		}
		if errors.Is(err, io.EOF) {
			if known && x.bytes.Load() != size {
				x.cutResponse = true
				return errHTTPShort
			}
			return nil
		}
	}
}

// writeFailed is the cause of a failed write of the body: the handler
// sent more than its size, or the client went away.
func (x *httpTransfer) writeFailed(err error) error {
	if errors.Is(err, http.ErrContentLength) {
		return fmt.Errorf("http: the handler sent more than the size it set: %w", err)
	}
	return fmt.Errorf("%w: %v", errHTTPClientGone, err)
}
