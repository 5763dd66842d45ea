package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// HTTP downloads files with GET and uploads them with PUT from one HTTP or
// HTTPS server, with the methods, [Result] and [*Error] of the other
// clients. The zero value of every field but URL is a usable default.
// Errors are [*Error] values whose Class is behaviour's sentinel of the
// server's status where one fits (see [Error.Class]): 404 and 410 are
// behaviour.ErrNotFound; 401, 403 and 405 behaviour.ErrAccessViolation (a
// refused login is a refusal of the file here, as on TFTP; the cause, a
// [*StatusError], keeps the code); 413 and 507 behaviour.ErrDiskFull; 409
// and 412 behaviour.ErrFileExists; any other status ErrOther. An HTTPS
// server whose certificate does not verify is refused before anything is
// sent, with the classes of an SSH host key that is not trusted:
// ErrHostKeyMismatch when the certificate is for another name,
// ErrHostKeyUnknown otherwise (no trusted CA signed it, or it expired).
type HTTP struct {
	// URL is the server and an optional path prefix, such as
	// "https://boot.example:8443/images/"; the remote names of the methods
	// are joined to its path, each segment percent-encoded.
	URL string
	// User and Password, when User is set, log in with basic
	// authentication. Token, when set, is sent as a bearer token instead.
	User, Password string
	Token          string
	// CAFile names a PEM file of the certificates that verify an HTTPS
	// server, in place of the system's. InsecureSkipVerify accepts any
	// certificate, for a lab device with a self-signed one: anyone on the
	// path can then read and change the transfer.
	CAFile             string
	InsecureSkipVerify bool
	// ConnectTimeout bounds connecting and the TLS handshake: 0 means
	// DefaultConnectTimeout. TransferTimeout, when positive, bounds each
	// whole transfer (ErrTimeout).
	ConnectTimeout  time.Duration
	TransferTimeout time.Duration
	// IdleTimeout, when positive, fails a transfer with ErrTimeout when no
	// data has moved for this long, the answer's headers included, as
	// happens when a server stalls. 0 means no limit.
	IdleTimeout time.Duration
	// MaxSize refuses a download larger than this many bytes: a larger
	// Content-Length fails before the local side is opened, a body that
	// grows past it fails at once (ErrTooLarge), and nothing is committed.
	// 0 means no limit.
	MaxSize int64
	// Fsync makes ReadFile flush the file to stable storage before the
	// rename, as SFTP's Fsync does.
	Fsync bool
	// Verify, when set, checks the digest of each download: a mismatch
	// fails it with ErrIntegrity and commits nothing.
	Verify Checksum
	// Progress, when set, is called after each piece reaches or leaves the
	// local side, and once at the start. It must return quickly.
	Progress func(Progress)
}

// ReadTo downloads remote into w. On failure w has received part of the
// file.
func (c *HTTP) ReadTo(ctx context.Context, remote string, w io.Writer) (Result, error) {
	return c.measure(behaviour.Read, remote, func() (int64, error) {
		return c.get(ctx, remote, local{name: remote, requested: remote, h: writerSink{w: w}}, wholeFile)
	})
}

// ReadBytes downloads remote into memory. Set MaxSize to bound the memory
// a server can make it use.
func (c *HTTP) ReadBytes(ctx context.Context, remote string) ([]byte, Result, error) {
	return readBytes(func(w io.Writer) (Result, error) { return c.ReadTo(ctx, remote, w) })
}

// ReadFile downloads remote into the local file name atomically: the data
// goes to a temporary file next to it, renamed over it only once the whole
// body arrived (and passed Verify). A failed download leaves name as it
// was.
func (c *HTTP) ReadFile(ctx context.Context, remote, name string) (Result, error) {
	return c.measure(behaviour.Read, remote, func() (int64, error) {
		return c.get(ctx, remote, local{name: name, requested: name, h: fileSink{path: name, sync: c.Fsync}}, wholeFile)
	})
}

// ReadRange downloads the bytes of remote from offset start up to end
// (exclusive) into w with a Range request; end < 0 means to the end of the
// file. A server that ignores the range and sends the whole file (200) is
// cut to the range. MaxSize and Verify apply to the range. A start past
// the end of the file fails (416, class ErrOther).
func (c *HTTP) ReadRange(ctx context.Context, remote string, start, end int64, w io.Writer) (Result, error) {
	return c.measure(behaviour.Read, remote, func() (int64, error) {
		if start < 0 || (end >= 0 && end < start) {
			return 0, c.fail("read", remote, fmt.Errorf("client: bad byte range %d..%d", start, end))
		}
		return c.get(ctx, remote, local{name: remote, requested: remote, h: writerSink{w: w}}, byteRange{start, end})
	})
}

// WriteFrom uploads r to remote with PUT, replacing it, and returns the
// number of bytes sent. When r tells its size (Len, Size or Stat) it is
// the Content-Length and Progress's total; otherwise the body is chunked.
// r is closed at the end when it is an io.Closer.
func (c *HTTP) WriteFrom(ctx context.Context, remote string, r io.Reader) (Result, error) {
	return c.measure(behaviour.Write, remote, func() (int64, error) {
		return c.put(ctx, remote, readerSide(remote, r))
	})
}

// WriteBytes uploads data to remote.
func (c *HTTP) WriteBytes(ctx context.Context, remote string, data []byte) (Result, error) {
	return c.WriteFrom(ctx, remote, bytes.NewReader(data))
}

// WriteFile uploads the local file name to remote.
func (c *HTTP) WriteFile(ctx context.Context, remote, name string) (Result, error) {
	return c.measure(behaviour.Write, remote, func() (int64, error) {
		l, err := fileSide(name)
		if err != nil {
			return 0, c.fail("write", remote, onLocalSide(err))
		}
		return c.put(ctx, remote, l)
	})
}

// measure runs move, one transfer of remote, and describes it.
func (c *HTTP) measure(a behaviour.Access, remote string, move func() (int64, error)) (Result, error) {
	start := time.Now()
	n, err := move()
	res := Result{Protocol: behaviour.HTTP, Access: a, Remote: remote, Server: c.address(), Mode: behaviour.Octet, Size: -1, Bytes: n}
	res.Duration = time.Since(start)
	return res, err
}

// fail classifies err, the failure of op on remote.
func (c *HTTP) fail(op, remote string, err error) *Error {
	return newError(behaviour.HTTP, op, remote, c.address(), err)
}

// address is the host:port of URL, or URL itself when it does not parse.
func (c *HTTP) address() string {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		return c.URL
	}
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if strings.EqualFold(u.Scheme, "https") {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// target is the URL of remote: URL's path joined with remote's segments,
// each escaped, so that a name with "?" or "#" stays a name.
func (c *HTTP) target(remote string) (string, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("client: HTTP.URL %q is not an http:// or https:// URL", c.URL)
	}
	segs := strings.Split(strings.TrimPrefix(remote, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.TrimSuffix(u.String(), "/") + "/" + strings.Join(segs, "/"), nil
}

// transport is a fresh transport per transfer, as the other clients use a
// connection per transfer; without keep-alives, the connection closes with
// the answer's body rather than idling in a transport nobody reuses. It
// asks for no compression: a file moves byte for byte, and a server that
// labels a .gz file Content-Encoding: gzip must not have it unpacked.
func (c *HTTP) transport() (*http.Transport, error) {
	// InsecureSkipVerify is the caller's named opt-in, off by default.
	cfg := &tls.Config{InsecureSkipVerify: c.InsecureSkipVerify}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, onLocalSide(err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, onLocalSide(fmt.Errorf("client: no PEM certificate in %s", c.CAFile))
		}
	}
	timeout := c.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	d := &net.Dialer{Timeout: timeout}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment, DialContext: d.DialContext, TLSClientConfig: cfg,
		TLSHandshakeTimeout: timeout, DisableKeepAlives: true, DisableCompression: true, ForceAttemptHTTP2: true,
	}, nil
}

// transferContext bounds a transfer by TransferTimeout.
func (c *HTTP) transferContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.TransferTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	cause := fmt.Errorf("%w: the transfer took longer than %v", ErrTimeout, c.TransferTimeout)
	return context.WithTimeoutCause(ctx, c.TransferTimeout, cause)
}

// watchIdle returns ctx ended with ErrTimeout when the watchdog is not
// kicked for IdleTimeout, and the function that releases both.
func (c *HTTP) watchIdle(ctx context.Context) (context.Context, *watchdog, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	if c.IdleTimeout <= 0 {
		return ctx, nil, func() { cancel(nil) }
	}
	w := &watchdog{d: c.IdleTimeout}
	w.t = time.AfterFunc(w.d, func() {
		w.fired.Store(true)
		cancel(fmt.Errorf("%w: no data moved for %v", ErrTimeout, w.d))
	})
	return ctx, w, func() { w.stop(); cancel(nil) }
}

// authorize adds the credentials to req.
func (c *HTTP) authorize(req *http.Request) {
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
}

// errNoRedirect stops the client at a redirect to another host or scheme:
// credentials must not follow it.
var errNoRedirect = errors.New("client: redirect to another origin refused")

func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("client: stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return errNoRedirect
	}
	return nil
}
