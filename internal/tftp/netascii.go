package tftp

import (
	"io"

	"github.com/pin/tftp/v3/netascii"
)

// toNetascii translates a file to netascii (LF to CR LF, CR to CR NUL) with
// pin/tftp's encoder. That encoder drops the bytes it still holds when the
// underlying Read returns data together with io.EOF, which the Handler
// contract allows, so the source is split first: data, then a bare io.EOF.
func toNetascii(src io.Reader) io.Reader { return netascii.ToReader(&eofSplitter{r: src}) }

type eofSplitter struct {
	r   io.Reader
	eof bool
}

func (e *eofSplitter) Read(p []byte) (int, error) {
	if e.eof {
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	if err == io.EOF && n > 0 {
		e.eof = true
		return n, nil
	}
	return n, err
}

// netasciiSink translates netascii back to local text (CR LF to LF, CR NUL
// to CR) on its way to dst. pin/tftp's decoder is not used: it writes a
// stale byte for a CR followed by anything but LF or NUL and loses a CR at
// the end of the file. A bare CR is kept as it is.
type netasciiSink struct {
	dst Sink
	buf []byte
	cr  bool
}

func newNetasciiSink(dst Sink, blockSize int) *netasciiSink {
	return &netasciiSink{dst: dst, buf: make([]byte, 0, blockSize+1)}
}

// Write translates p; the output is never longer than p plus a held CR,
// so buf never grows.
func (s *netasciiSink) Write(p []byte, last bool) error {
	out := s.buf[:0]
	for _, c := range p {
		if s.cr {
			s.cr = false
			switch c {
			case '\n':
				out = append(out, '\n')
				continue
			case 0:
				out = append(out, '\r')
				continue
			}
			out = append(out, '\r')
		}
		if c == '\r' {
			s.cr = true
			continue
		}
		out = append(out, c)
	}
	if last && s.cr {
		out = append(out, '\r')
		s.cr = false
	}
	return s.dst.Write(out, last)
}
