package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"text/template"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Defaults of HTTPConfig.
const (
	// DefaultHTTPTimeout is shorter than the TFTP daemon's handler budget
	// at its default timeout (twice one second), so that a silent origin
	// reaches the peer as a clean error from the handler rather than as the
	// daemon's watchdog killing the call.
	DefaultHTTPTimeout = 1500 * time.Millisecond
	// DefaultHTTPCacheTTL is how long a cached download is served.
	DefaultHTTPCacheTTL = time.Minute
)

// The request headers that tell the origin who asks and what the route
// captured. Param headers are HTTPParamHeader followed by the capture's
// name, as in X-Filemux-Param-Host.
const (
	HTTPPeerHeader     = "X-Filemux-Peer"
	HTTPNameHeader     = "X-Filemux-Name"
	HTTPProtocolHeader = "X-Filemux-Protocol"
	HTTPUserHeader     = "X-Filemux-User"
	HTTPParamHeader    = "X-Filemux-Param-"
)

// HTTPConfig configures the handler NewHTTP returns. URL is required; the
// zero value of every other field is a usable default.
type HTTPConfig struct {
	// URL is the origin URL of a transfer: a text/template executed with
	// [HTTPData], such as "http://artifacts.internal/boot/{{.Name}}". It
	// must start with "http://" or "https://" before any action, so that
	// no capture can choose the scheme.
	URL string
	// Client sends the requests; nil means a client of the handler's own.
	// Timeout applies whatever the client.
	Client *http.Client
	// Header holds extra request headers, such as Authorization.
	Header http.Header
	// Timeout bounds each wait on the origin: for the response headers
	// (connecting included), for each part of a body, and for the answer
	// to an upload once its last byte is sent. 0 means DefaultHTTPTimeout.
	Timeout time.Duration
	// CacheSize bounds the downloads kept in memory, in bytes; 0 turns the
	// cache off. A download is cached only when its size is known before
	// its body arrives and fits in CacheSize.
	CacheSize int64
	// CacheTTL is how long a cached download is served before the origin
	// is asked again. 0 means DefaultHTTPCacheTTL.
	CacheTTL time.Duration
}

// HTTPData is what the URL template of a transfer is executed with. Name
// and the values of Params are escaped as URL path segments (each part
// between slashes with url.PathEscape), so that a requested name cannot add
// a query, a fragment or a different host to the URL.
type HTTPData struct {
	// Name is the cleaned file name (t.Name), escaped.
	Name string
	// Params holds the named captures of the route, escaped.
	Params map[string]string
	// Peer and Local are the remote and local addresses.
	Peer, Local netip.AddrPort
}

// HTTP is a Handler whose files live on an HTTP origin: a read is a GET, a
// write a PUT, to the URL its template renders for the transfer. It is how
// a TFTP boot server fronts an artifact store.
//
// A read sets the transfer's size from the response's Content-Length or,
// when the origin streams without one, from a HEAD; a body that ends short
// of that size fails the transfer. With a cache (HTTPConfig.CacheSize),
// downloads of the same URL share one origin request: the first transfer
// fetches, the ones that arrive meanwhile wait for its response headers and
// then read the body as it arrives, and later ones read it from memory
// until CacheTTL passes. A thousand PXE clients booting the same kernel
// cost the origin one request. The origin sees the headers of the transfer
// that fetched, so with a cache its answer must depend on the URL only.
//
// A write streams the data to the origin as a PUT while it arrives (with a
// Content-Length when the upload announces its size); the final Write
// returns once the origin answered, and fails unless the answer is 2xx. An
// aborted upload breaks off its request, which an origin must discard.
//
// Every request carries the peer's address, the cleaned name, the
// protocol, the SSH user and the route's captures as headers
// (X-Filemux-Peer, X-Filemux-Name, X-Filemux-Protocol, X-Filemux-User,
// X-Filemux-Param-<name>). Origin answers map to protocol errors: 404 and
// 410 are file not found, 401 and 403 an access violation, 413 disk full;
// anything else, and every network failure, is an undefined error whose
// peer message never shows the URL (the cause, for logs, does).
//
// HTTP also offers behaviour.Stater (a HEAD, or the cache). It is safe for
// concurrent use.
type HTTP struct {
	url     *template.Template
	client  *http.Client
	header  http.Header
	timeout time.Duration
	cache   *httpCache
}

// NewHTTP returns an HTTP handler configured by cfg, or an error when cfg
// is invalid: no URL, a URL template that does not parse or does not start
// with a fixed http:// or https:// scheme, a negative duration or size.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	tmpl, err := parseHTTPURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("handlers: http: negative Timeout %v", cfg.Timeout)
	case cfg.CacheSize < 0:
		return nil, fmt.Errorf("handlers: http: negative CacheSize %d", cfg.CacheSize)
	case cfg.CacheTTL < 0:
		return nil, fmt.Errorf("handlers: http: negative CacheTTL %v", cfg.CacheTTL)
	}
	h := &HTTP{url: tmpl, client: cfg.Client, header: cfg.Header.Clone(), timeout: cfg.Timeout}
	if h.client == nil {
		h.client = &http.Client{}
	}
	if h.timeout == 0 {
		h.timeout = DefaultHTTPTimeout
	}
	if cfg.CacheSize > 0 {
		h.cache = newHTTPCache(cfg.CacheSize, cmpOrDuration(cfg.CacheTTL, DefaultHTTPCacheTTL))
	}
	return h, nil
}

func cmpOrDuration(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func parseHTTPURL(text string) (*template.Template, error) {
	if text == "" {
		return nil, errors.New("handlers: http: URL is required")
	}
	prefix, _, _ := strings.Cut(text, "{{")
	lower := strings.ToLower(prefix)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return nil, fmt.Errorf("handlers: http: URL %q does not start with http:// or https://", text)
	}
	tmpl, err := template.New("url").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("handlers: http: URL: %w", err)
	}
	return tmpl, nil
}

// errHTTPURL refuses a transfer whose URL did not render into an absolute
// http or https URL.
var errHTTPURL = &behaviour.Error{Code: behaviour.CodeNotFound, Message: "file not found"}

// URL returns the origin URL of t: the template executed with t's data.
// A template that fails for t (a capture it names is missing) or renders
// something other than an absolute http or https URL is a not-found error.
func (h *HTTP) URL(t *behaviour.Transfer) (string, error) {
	var b bytes.Buffer
	if err := h.url.Execute(&b, httpDataOf(t)); err != nil {
		return "", errHTTPURL.With(err)
	}
	u, err := url.Parse(b.String())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errHTTPURL.With(fmt.Errorf("handlers: http: template rendered %q, not an absolute http URL", b.String()))
	}
	return u.String(), nil
}

func httpDataOf(t *behaviour.Transfer) HTTPData {
	d := HTTPData{Name: escapePath(t.Name), Params: make(map[string]string, len(t.Params)), Peer: t.Peer, Local: t.Local}
	for _, p := range t.Params {
		d.Params[p.Name] = escapePath(p.Value)
	}
	return d
}

// escapePath escapes each slash-separated segment of s.
func escapePath(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// originRequest builds the requests of one transfer. Its headers are taken
// from the transfer once, at Open, so that a fetch shared through the cache
// never reads the transfer again.
type originRequest struct{ header http.Header }

func (h *HTTP) requestFor(t *behaviour.Transfer) originRequest {
	hd := h.header.Clone()
	if hd == nil {
		hd = make(http.Header)
	}
	hd.Set(HTTPPeerHeader, t.Peer.String())
	hd.Set(HTTPNameHeader, t.Name)
	hd.Set(HTTPProtocolHeader, t.Protocol.String())
	if t.User != "" {
		hd.Set(HTTPUserHeader, t.User)
	}
	for _, p := range t.Params {
		hd.Set(HTTPParamHeader+p.Name, p.Value)
	}
	return originRequest{hd}
}

func (r originRequest) request(ctx context.Context, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, errOrigin.With(err)
	}
	req.Header = r.header.Clone()
	return req, nil
}

// Prepare accepts the suggested options unchanged.
func (h *HTTP) Prepare(context.Context, *behaviour.Transfer) error { return nil }

// Open starts the GET of a read (from the cache when it can) or the PUT
// of a write.
func (h *HTTP) Open(ctx context.Context, t *behaviour.Transfer) error {
	u, err := h.URL(t)
	if err != nil {
		return err
	}
	if t.Access == behaviour.Write {
		return h.openWrite(t, u)
	}
	if h.cache != nil {
		return h.openCached(ctx, t, u)
	}
	return h.openStream(ctx, t, u)
}

// Read returns the next bytes of the download.
func (h *HTTP) Read(t *behaviour.Transfer, p []byte) (int, error) {
	switch s := t.State.(type) {
	case *httpStream:
		return s.read(p)
	case *httpEntryReader:
		return s.read(p)
	}
	return 0, errWrongAccess
}

// Write sends the next bytes of the upload; the last call waits for the
// origin's answer.
func (h *HTTP) Write(t *behaviour.Transfer, p []byte, last bool) error {
	s, ok := t.State.(*httpUpload)
	if !ok {
		return errWrongAccess
	}
	return s.write(p, last)
}

// Abort closes the download or breaks off the upload.
func (h *HTTP) Abort(t *behaviour.Transfer, err error) {
	switch s := t.State.(type) {
	case *httpStream:
		s.close()
	case *httpUpload:
		s.abort(err)
	}
}

// Stat describes t.Name from the cache or with a HEAD.
func (h *HTTP) Stat(ctx context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	u, err := h.URL(t)
	if err != nil {
		return nil, err
	}
	info := behaviour.FileInfo{FileName: path.Base(t.Name), FileMode: 0o444}
	if e := h.cache.fresh(u); e != nil {
		info.FileSize, info.FileModTime = e.size, e.modTime
		return info, nil
	}
	size, mod, err := h.head(ctx, h.requestFor(t), u)
	if err != nil {
		return nil, err
	}
	info.FileSize, info.FileModTime = max(size, 0), mod
	return info, nil
}

var (
	_ behaviour.Handler = (*HTTP)(nil)
	_ behaviour.Stater  = (*HTTP)(nil)
)
