package client

import (
	"context"
	"io/fs"
	"net/http"
	"path"

	"github.com/filemux/filemux/behaviour"
)

// Stat describes remote with a HEAD request: a regular file (mode 0444)
// named by remote's last segment, whose Size is the answer's
// Content-Length (-1 when the server does not send one) and whose ModTime
// is its Last-Modified (the zero time when it sends none). Errors are
// those of a download: a 404 is behaviour.ErrNotFound, and so on. Nothing
// is read from the file; redirects are followed as for a GET, and
// TransferTimeout and IdleTimeout bound the answer. A server
// that lists directories is not asked what remote is: a directory
// answers as the file its listing is.
func (c *HTTP) Stat(ctx context.Context, remote string) (fs.FileInfo, error) {
	ctx, cancel := c.transferContext(ctx)
	defer cancel()
	ctx, _, stop := c.watchIdle(ctx) // the answer's headers must come within IdleTimeout
	defer stop()
	resp, err := c.do(ctx, http.MethodHead, remote, nil, nil, func(*http.Request) {})
	if err != nil {
		return nil, c.fail("stat", remote, timedOut(ctx, err))
	}
	resp.Body.Close()
	fi := behaviour.FileInfo{FileName: path.Base("/" + remote), FileSize: resp.ContentLength, FileMode: 0o444}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		fi.FileModTime = t
	}
	if fi.FileName == "/" {
		fi.FileName = "."
	}
	return fi, nil
}
