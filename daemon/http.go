package daemon

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// HTTP serves files over HTTP through a behaviour.Handler, usually a
// *registry.Registry: the routes that serve TFTP, SFTP and SCP serve
// HTTP too. Configure it with its exported fields before
// serving; every field but Handler has a usable zero value. The fields
// are read when serving starts and must not change afterwards.
//
// Every GET or HEAD becomes a *behaviour.Transfer with Protocol
// behaviour.HTTP, Access behaviour.Read, the peer and local addresses and
// Name = behaviour.CleanName of the request's path, percent-decoded once
// by net/http (so "%252e%252e" names the file "%2e%2e", never ".."), and
// RequestedName = the path as sent, still escaped (so that logs never
// carry decoded control characters). After a
// successful Open there is exactly one ending, as the behaviour.Handler
// contract says: the body's last Read, or Abort when the client goes away,
// the handler fails or the server shuts down.
//
// Responses: a file whose size Open set is sent with Content-Length,
// any other chunked. A handler that offers random access
// (behaviour.ReaderAt) and a known size gets byte ranges (206, a
// multipart/byteranges body for several, 416, If-Range) and the conditional requests of net/http's ServeContent
// (304 on If-None-Match or If-Modified-Since); its ETag and Last-Modified
// come from behaviour.Stat when the handler has one, and with them any
// handler gets If-None-Match and If-Modified-Since answered 304. A handler
// that offers its whole content (behaviour.ContentOf: a Dir's open file, a
// Memory's bytes) gets the same answers, and its bytes go out without a
// Read or ReadAt: a file by sendfile(2) on plain TCP, bytes by large
// writes; the ending is Read(t, nil) as for random access, and the bytes
// sent are told to the chain (behaviour.Content.Sent) before it, so that
// Observe counts them. A HEAD opens the
// file to learn its size and aborts it (Outcome OutcomeDeclined). A name
// the handler does not find is 404, a refused one 403, a bad name 403, a
// method other than GET, HEAD, PUT and POST 405, disk full 507, an upload
// over MaxSize 413; any other failure is 500 with the status text as the
// body, never the cause. Client errors carry the error's peer message.
// A directory is listed only where Listings allows it, and is 404
// everywhere else; see Listings.
//
// PUT and POST upload the body to the route (Access behaviour.Write,
// flags create and truncate, the size from Content-Length when sent):
// each piece of the body is a Write, the end of the body the last Write,
// whose success commits the file and answers 201. Any failure, a client
// that goes away mid-body included, aborts the upload before the answer.
// An upload needs an authenticated user, by basic auth against
// PasswordFile (bcrypt, htpasswd -B) or a bearer token from TokenFile,
// unless AnonymousUploads allows its name; without one it is answered
// 401 before Open and before any of the body is read. Wrong credentials
// are 401 on every method, and ban the address after BanThreshold of
// them; right ones set Transfer.User on reads too.
//
// Every handler call goes through the one driver the other servers use:
// a panic is recovered, the transfer aborted, the response ended (500
// when no header was sent, a cut connection otherwise), and the server
// keeps serving.
type HTTP struct {
	// ListenAddr is the TCP address ListenAndServe listens on,
	// "host:port". The empty string means ":80", ":443" with TLS. Port 0 picks a free port,
	// which Addr returns.
	ListenAddr string
	// Handler serves every request. Required.
	Handler behaviour.Handler
	// Logger receives the server's structured logs; nil discards them.
	Logger *slog.Logger
	// MaxNameLen bounds file names, in bytes. 0 means
	// behaviour.DefaultMaxNameLen (4096).
	MaxNameLen int

	// TLSCertFile and TLSKeyFile, when set (both or neither), make the
	// server speak HTTPS: a PEM certificate chain and its private key,
	// loaded when serving starts and again at ReloadTLS. HTTPS offers
	// HTTP/2 and HTTP/1.1 (ALPN) and accepts TLS 1.2 and later.
	TLSCertFile, TLSKeyFile string

	// PasswordFile holds "user:bcrypt-hash" lines (htpasswd -B), for
	// basic auth, parsed as SSH.PasswordFile is.
	PasswordFile string
	// TokenFile holds "user:token" lines, for bearer tokens
	// (Authorization: Bearer TOKEN); a token has 16 characters or more.
	TokenFile string
	// BanThreshold is the number of failed logins (wrong passwords or
	// tokens; missing credentials score nothing) from one address within
	// BanWindow that ban it for BanDuration: its new connections are
	// closed on arrival and its requests answered 403 without a password
	// check, which bounds the bcrypt work a guesser can cause. 0 means
	// DefaultHTTPBanThreshold; Never (any negative value) means no ban.
	BanThreshold int
	// BanWindow is how long a failed login counts. 0 means
	// DefaultHTTPBanWindow.
	BanWindow time.Duration
	// BanDuration is how long a ban lasts. 0 means DefaultHTTPBanDuration.
	BanDuration time.Duration
	// AnonymousUploads, when set, reports the names an unauthenticated
	// PUT or POST may write, for devices that cannot authenticate. Without
	// it, every upload needs a user from PasswordFile or TokenFile. It is a
	// first cut of a per-route opt-in.
	AnonymousUploads func(name string) bool
	// Listings, when set, reports the directories whose listing a GET or
	// HEAD may have, by their cleaned name ("." for the root); the config
	// sets it per route. nil means no listings anywhere.
	//
	// A request names a directory when its path ends in "/" (or is "/"),
	// or when the handler's Open fails on a name its behaviour.Stat calls a
	// directory. Where Listings allows it and the handler is a
	// behaviour.Lister, a path without the slash is redirected (301) to the
	// same name with one, as net/http's FileServer does, and a path with it
	// gets the listing: HTML (text/html, names escaped by html/template,
	// links percent-encoded and relative, sorted by name bytewise, with the
	// size of files and the modification time in UTC), or, with the query
	// format=json or application/json in Accept, a JSON array of
	// {"name", "type": "file"|"dir"|"other", "size" (files), "mtime"
	// (RFC 3339, when known)}. Entries whose full name the NamePolicy
	// refuses are left out. Everywhere else a directory is 404 with the
	// body of a missing file (not 403), so that a response never tells an
	// unlisted directory from nothing. A listing is a read transfer: it is
	// asked of OnRequest, reported, and its bytes are the body's.
	Listings func(name string) bool
	// MaxSize bounds an upload in bytes: a larger Content-Length is refused
	// with 413 before the data moves, a body that grows past it aborts the
	// upload. 0 means no limit.
	MaxSize int64

	// ReadHeaderTimeout bounds the reading of a request's header, against
	// clients that send it slowly (slowloris). 0 means
	// DefaultHTTPReadHeaderTimeout; Never (any negative value) means none.
	ReadHeaderTimeout time.Duration
	// DataTimeout fails a transfer whose body makes no progress for this
	// long: an upload's client sending nothing, a download's client
	// reading nothing. A whole content (see above) goes out in pieces that
	// must each leave within it: the first of 256 KiB, the next sized to a
	// quarter of DataTimeout at the rate so far (64 KiB to 16 MiB); at the
	// default a client reading under 4.4 KB/s is cut. 0 means
	// DefaultHTTPDataTimeout; Never means none.
	DataTimeout time.Duration
	// MaxConnections bounds the connections held at once. A connection
	// over it takes the place of the idlest connection that is not serving
	// a request (silent, sending its header, or kept alive between
	// requests) of the address that holds the most; when every connection
	// serves a request, it is answered 503 (over TLS only closed) before
	// its request is read. 0 means DefaultHTTPMaxConnections.
	MaxConnections int
	// MaxPerAddress bounds the connections from one client address, as
	// MaxConnections does: over it, a connection takes the place of its
	// own address's idlest one, or is answered 503. 0 means
	// DefaultHTTPMaxPerAddress.
	MaxPerAddress int
	// IdleTimeout closes a kept-alive connection that sends no new request
	// for this long. 0 means DefaultHTTPIdleTimeout; Never means none.
	IdleTimeout time.Duration

	// OnRequest, when set, is called for every transfer before the
	// handler's Open, with its statistics so far. An error refuses the
	// transfer with the status of its code.
	OnRequest func(Stats) error
	// OnSuccess is called once for each transfer that succeeded.
	OnSuccess func(Stats)
	// OnFailure is called once for each transfer that did not succeed,
	// including those OnRequest or Open refused and HEAD requests.
	OnFailure func(Stats)
	// OnRefuse, when set, is called for each request refused before a
	// transfer starts: a method other than GET or HEAD, a bad name, a
	// request while shutting down. It must return quickly; a panic in it
	// is recovered and logged.
	OnRefuse func(peer netip.AddrPort, err error)

	run runs[*httpServer]
}

// Defaults of the HTTP fields, named as those of TFTP and SSH.
const (
	// DefaultHTTPReadHeaderTimeout is HTTP.ReadHeaderTimeout.
	DefaultHTTPReadHeaderTimeout = 10 * time.Second
	// DefaultHTTPIdleTimeout is HTTP.IdleTimeout.
	DefaultHTTPIdleTimeout = 2 * time.Minute
	// DefaultHTTPDataTimeout is HTTP.DataTimeout.
	DefaultHTTPDataTimeout = time.Minute
	// DefaultHTTPBanThreshold is HTTP.BanThreshold, as SSH's.
	DefaultHTTPBanThreshold = DefaultSSHBanThreshold
	// DefaultHTTPBanWindow is HTTP.BanWindow.
	DefaultHTTPBanWindow = DefaultSSHBanWindow
	// DefaultHTTPBanDuration is HTTP.BanDuration.
	DefaultHTTPBanDuration = DefaultSSHBanDuration
	// DefaultHTTPMaxConnections is HTTP.MaxConnections.
	DefaultHTTPMaxConnections = 1000
	// DefaultHTTPMaxPerAddress is HTTP.MaxPerAddress.
	DefaultHTTPMaxPerAddress = 100

	defaultHTTPAddr  = ":80"
	defaultHTTPSAddr = ":443"
)

// httpSettings are the HTTP fields with their defaults applied, fixed when
// serving starts.
type httpSettings struct {
	handler    behaviour.Handler
	log        *slog.Logger
	names      behaviour.NamePolicy
	readHeader time.Duration // 0: none
	idle       time.Duration // 0: none
	data       time.Duration // 0: none
	maxConns   int
	maxPerAddr int
	cert       *httpCert // nil: plain HTTP
	auth       httpCreds
	ban        sshGuardSettings // the ban fields only
	anonymous  func(string) bool
	listings   func(string) bool
	maxSize    int64
	hooks
}

func (d *HTTP) validate() error {
	c := checks{prefix: "daemon: HTTP."}
	c.check(d.Handler == nil, "Handler is nil")
	c.check(d.MaxNameLen < 0, "MaxNameLen %d is negative", d.MaxNameLen)
	c.check(d.MaxSize < 0, "MaxSize %d is negative", d.MaxSize)
	c.check((d.TLSCertFile == "") != (d.TLSKeyFile == ""), "TLSCertFile and TLSKeyFile go together")
	c.check(d.MaxConnections < 0, "MaxConnections %d is negative", d.MaxConnections)
	c.check(d.MaxPerAddress < 0, "MaxPerAddress %d is negative", d.MaxPerAddress)
	return c.err()
}

func (d *HTTP) settings() (*httpSettings, error) {
	s := &httpSettings{
		handler:    d.Handler,
		log:        d.Logger,
		names:      behaviour.NamePolicy{MaxLen: d.MaxNameLen},
		readHeader: orNone(d.ReadHeaderTimeout, DefaultHTTPReadHeaderTimeout),
		idle:       orNone(d.IdleTimeout, DefaultHTTPIdleTimeout),
		data:       orNone(d.DataTimeout, DefaultHTTPDataTimeout),
		maxConns:   orDefault(d.MaxConnections, DefaultHTTPMaxConnections),
		maxPerAddr: orDefault(d.MaxPerAddress, DefaultHTTPMaxPerAddress),
		anonymous:  d.AnonymousUploads,
		listings:   d.Listings,
		ban: sshGuardSettings{
			banThreshold: max(orDefault(d.BanThreshold, DefaultHTTPBanThreshold), 0),
			banWindow:    orNone(d.BanWindow, DefaultHTTPBanWindow),
			banFor:       orNone(d.BanDuration, DefaultHTTPBanDuration),
		},
		maxSize: d.MaxSize,
		hooks:   hooks{d.OnRequest, d.OnSuccess, d.OnFailure, d.OnRefuse},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	auth, err := d.loadAuth()
	if err != nil {
		return nil, err
	}
	s.auth.cur.Store(auth)
	if d.TLSCertFile != "" {
		s.cert = &httpCert{certFile: d.TLSCertFile, keyFile: d.TLSKeyFile}
		if err := s.cert.load(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ListenAndServe listens on the TCP address d.ListenAddr (":80" when
// empty, ":443" with TLS) and serves until Shutdown or Close; see Serve.
func (d *HTTP) ListenAndServe() error {
	fallback := defaultHTTPAddr
	if d.TLSCertFile != "" {
		fallback = defaultHTTPSAddr
	}
	return listenAndServe(d.ListenAddr, fallback, d.validate, listenTCP, d.Serve)
}
