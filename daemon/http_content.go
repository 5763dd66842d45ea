package daemon

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/filemux/filemux/internal/drive"
)

// Pieces of a whole content: the engine sends a content in pieces, each
// under its own write deadline (DataTimeout) and counted as it goes
// (Active). The first is httpChunkFirst; each next one is sized to take a
// quarter of DataTimeout at the rate of the one before, within
// httpChunkMin and httpChunkMax, so that a slow client that keeps reading
// is not cut and a fast one costs few calls. At the default DataTimeout
// (a minute) a client is cut when it reads the first 256 KiB at under
// 4.4 KB/s, or a later piece at under 1.1 KB/s. A storm of 500 GETs of
// 1 MiB took a tenth longer with a first piece of 64 KiB than of 1 MiB;
// 256 KiB was level with 1 MiB, within noise, in alternating runs
// (docs/benchmarks.md).
const (
	httpChunkFirst = 256 << 10
	httpChunkMin   = 64 << 10
	httpChunkMax   = 16 << 20
)

// content returns the handler's whole content of the read, asked through
// the driver.
func (x *httpTransfer) content() (*drive.Content, bool) { return x.d.Content() }

// serveWhole serves a whole content (an open file or bytes) through
// ServeContent, which answers ranges and conditional requests as for
// random access. A single range or the whole file goes out without
// passing through a buffer of ours: the file by sendfile(2) when the
// connection is plain TCP, the bytes as they are.
func (x *httpTransfer) serveWhole(w http.ResponseWriter, r *http.Request, c *drive.Content, size int64) error {
	mtime := x.validators(w, size, true)
	body := &httpWhole{x: x, c: c, size: size}
	cw := &httpCounter{ResponseWriter: w, before: x.writeSoon, whole: body}
	http.ServeContent(cw, r, "", mtime, body)
	body.gate.close()
	return x.served(w, r, cw, body.err)
}

// served ends a response of ServeContent: srcErr is the content's first
// failure. A response with a body ends with the random-access ending,
// Read(t, nil); one without is aborted.
func (x *httpTransfer) served(w http.ResponseWriter, r *http.Request, cw *httpCounter, srcErr error) error {
	switch {
	case srcErr != nil:
		x.cutResponse = cw.status != 0
		if cw.status == 0 {
			httpError(w, srcErr)
		}
		return srcErr
	case cw.err != nil:
		x.cutResponse = true
		return fmt.Errorf("%w: %v", errHTTPClientGone, cw.err)
	case r.Method == http.MethodHead || (cw.status != http.StatusOK && cw.status != http.StatusPartialContent):
		return errHTTPNoBody
	}
	return x.d.EndRead()
}

// httpWhole is a whole content as the io.ReadSeeker ServeContent takes.
// Read copies from it, for the multipart answers to several ranges; a
// single range goes out by sendTo, which ServeContent reaches through
// httpCounter.ReadFrom. Both count what they send.
type httpWhole struct {
	x         *httpTransfer
	c         *drive.Content
	size, pos int64
	chunk     int64 // the next piece sendTo sends
	err       error // the content's first failure
	// gate keeps the reads of ServeContent's multipart goroutine (Seek
	// and Read) from the content once ServeContent has returned.
	gate httpReadGate
}

func (b *httpWhole) Seek(offset int64, whence int) (int64, error) {
	if !b.gate.enter() {
		return 0, errHTTPReadClosed
	}
	defer b.gate.leave()
	switch whence {
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		offset += b.size
	}
	if offset < 0 {
		return 0, errors.New("http: seek before the start")
	}
	b.pos = offset
	return offset, nil
}

// Read copies into ServeContent's pipe for a multipart answer. Its count
// is what went into the pipe: for a client gone mid-answer it may exceed
// what the client got by a pipe's worth (32 KiB).
func (b *httpWhole) Read(p []byte) (int, error) {
	if !b.gate.enter() {
		return 0, errHTTPReadClosed
	}
	defer b.gate.leave()
	if b.err != nil {
		return 0, b.err
	}
	if b.pos >= b.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.size-b.pos)]
	var n int
	if data := b.c.Bytes(); data != nil {
		n = copy(p, data[b.pos:])
	} else {
		var err error
		if n, err = b.c.File().ReadAt(p, b.pos); n < len(p) {
			b.err = b.failed(err)
		}
	}
	b.sent(int64(n))
	return n, b.err
}

// failed is the failure of reading the content: it ended before its size
// (io.EOF) or could not be read.
func (b *httpWhole) failed(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return errHTTPShort
	}
	return fmt.Errorf("http: reading the content: %w", err)
}

func (b *httpWhole) sent(n int64) {
	b.pos += n
	b.x.bytes.Add(n)
	b.c.Sent(n)
}

// sendTo sends n bytes from the current position to w, piece by piece.
func (b *httpWhole) sendTo(w io.Writer, before func(), n int64) (int64, error) {
	var total int64
	for total < n {
		if b.chunk == 0 {
			b.chunk = httpChunkFirst
		}
		piece := min(n-total, b.chunk)
		before()
		start := time.Now()
		k, err := b.piece(w, piece)
		b.sent(k)
		total += k
		if err != nil {
			return total, err
		}
		if k < piece {
			b.err = errHTTPShort
			return total, b.err
		}
		b.resize(piece, time.Since(start))
	}
	return total, nil
}

// piece sends one piece: bytes by one Write, a file by sendfile(2)
// through w's ReadFrom (net/http's, which hands the file to the TCP
// connection), or else copied.
func (b *httpWhole) piece(w io.Writer, n int64) (int64, error) {
	if data := b.c.Bytes(); data != nil {
		k, err := w.Write(data[b.pos : b.pos+n])
		return int64(k), err
	}
	f := b.c.File()
	if rf, ok := w.(io.ReaderFrom); ok {
		if _, err := f.Seek(b.pos, io.SeekStart); err != nil {
			b.err = b.failed(err)
			return 0, b.err
		}
		return rf.ReadFrom(&io.LimitedReader{R: f, N: n})
	}
	return io.Copy(w, io.NewSectionReader(f, b.pos, n))
}

// resize sizes the next piece to take a quarter of DataTimeout at the rate
// the last one went.
func (b *httpWhole) resize(n int64, took time.Duration) {
	limit := b.x.s.cfg.data
	if limit <= 0 {
		b.chunk = httpChunkMax
		return
	}
	next := httpChunkMax
	if took > 0 {
		next = int(min(float64(n)*float64(limit/4)/float64(took), httpChunkMax))
	}
	b.chunk = int64(max(next, httpChunkMin))
}

// ReadFrom sends what ServeContent copies: a range of a whole content
// piece by piece (httpWhole.sendTo); anything else through Write.
func (c *httpCounter) ReadFrom(src io.Reader) (int64, error) {
	if lr, ok := src.(*io.LimitedReader); ok && c.whole != nil && lr.R == io.Reader(c.whole) {
		if c.status == 0 {
			c.status = http.StatusOK
		}
		n, err := c.whole.sendTo(c.ResponseWriter, c.before, lr.N)
		lr.N -= n
		if err != nil && c.whole.err == nil && c.err == nil {
			c.err = err
		}
		return n, err
	}
	return io.Copy(writerOnly{c}, src)
}

// writerOnly hides a writer's ReadFrom, so that io.Copy does not call it
// back.
type writerOnly struct{ io.Writer }
