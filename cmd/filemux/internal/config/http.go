package config

import (
	"crypto/tls"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/sshkeys"
)

// HTTPServer configures the HTTP server: one listener per address, all
// serving the same routes, over HTTP, or HTTPS with tls. GET and HEAD
// download without a login (credentials, when sent, must be right); PUT
// and POST upload, and need a user of password_file or token_file, unless
// the route sets anonymous_uploads. A reload (SIGHUP, POST /reload) reads
// the certificate, the password file and the token file again: a removed
// user or token is refused from the next request on, and the transfers
// running on it are aborted; files that do not load refuse the reload, and
// the running ones stay.
type HTTPServer struct {
	// Listen are the TCP addresses to serve on, "host:port", such as
	// "0.0.0.0:80" or, with tls, "0.0.0.0:443". At least one is required.
	Listen []string `yaml:"listen" daemon:"-"`
	// TLS serves HTTPS (HTTP/2 and HTTP/1.1, TLS 1.2 and later) on every
	// listen address; without it, the server speaks plain HTTP.
	TLS *TLS `yaml:"tls" daemon:",section"`
	// PasswordFile holds "user:bcrypt-hash" lines (htpasswd -B), for basic
	// auth.
	PasswordFile string `yaml:"password_file" daemon:",path"`
	// TokenFile holds "user:token" lines, for bearer tokens
	// (Authorization: Bearer TOKEN), each token 16 characters or more; #
	// starts a comment.
	TokenFile string `yaml:"token_file" daemon:",path"`
	// MaxConnections bounds the connections held at once. One over it
	// takes the place of the idlest connection that serves no request
	// (silent, sending its header slowly, or kept alive) of the address
	// that holds the most; when all serve one, it is answered 503 and
	// closed before its request is read.
	MaxConnections int `yaml:"max_connections"`
	// MaxPerAddress bounds the connections from one client address, as
	// max_connections does: one over it takes the place of its own
	// address's idlest connection, or is answered 503.
	MaxPerAddress int `yaml:"max_per_address"`
	// ReadHeaderTimeout bounds the reading of a request's header, against
	// clients that send it slowly (slowloris); off never does.
	ReadHeaderTimeout Interval `yaml:"read_header_timeout"`
	// DataTimeout fails a transfer whose body makes no progress for this
	// long: an upload's client sending nothing, a download's client
	// reading nothing; off never does.
	DataTimeout Interval `yaml:"data_timeout"`
	// IdleTimeout closes a kept-alive connection that sends no new request
	// for this long; off never does.
	IdleTimeout Interval `yaml:"idle_timeout"`
	// MaxSize bounds an upload: a larger Content-Length is refused with 413
	// before the data moves. 0 means no limit.
	MaxSize Size `yaml:"max_size"`
	// BanThreshold is the number of failed logins (wrong passwords or
	// tokens; requests without credentials score nothing) from one address
	// within ban_window that ban it for ban_duration: its connections are
	// closed on arrival and its requests answered 403 without a password
	// check. off never bans.
	BanThreshold Count `yaml:"ban_threshold"`
	// BanWindow is how long a failed login counts toward ban_threshold.
	BanWindow Duration `yaml:"ban_window"`
	// BanDuration is how long a ban lasts.
	BanDuration Duration `yaml:"ban_duration"`
}

// TLS names the certificate of the HTTPS server.
type TLS struct {
	// Cert is the certificate chain, PEM, the server's own certificate
	// first. Required.
	Cert string `yaml:"cert" daemon:"TLSCertFile,path"`
	// Key is the certificate's private key, PEM. Required.
	Key string `yaml:"key" daemon:"TLSKeyFile,path"`
}

// The defaults of the HTTP server are the daemon's, set before the file's
// values so that the reference of the configuration can show them.
func (h *HTTPServer) defaults() {
	h.MaxConnections = daemon.DefaultHTTPMaxConnections
	h.MaxPerAddress = daemon.DefaultHTTPMaxPerAddress
	h.ReadHeaderTimeout = Interval(daemon.DefaultHTTPReadHeaderTimeout)
	h.DataTimeout = Interval(daemon.DefaultHTTPDataTimeout)
	h.IdleTimeout = Interval(daemon.DefaultHTTPIdleTimeout)
	h.BanThreshold = daemon.DefaultHTTPBanThreshold
	h.BanWindow = Duration(daemon.DefaultHTTPBanWindow)
	h.BanDuration = Duration(daemon.DefaultHTTPBanDuration)
}

func (h *HTTPServer) validate(r *report, path string, f *File) {
	checkListen(r, path+".listen", h.Listen)
	if h.TLS != nil {
		h.TLS.validate(r, path+".tls", f)
	}
	if h.PasswordFile != "" {
		if _, err := sshkeys.LoadPasswords(f.resolve(h.PasswordFile)); err != nil {
			r.at(path+".password_file", "%v", err)
		}
	}
	if h.TokenFile != "" {
		// Before serving, ReloadAuth only checks that the file loads.
		d := daemon.HTTP{TokenFile: f.resolve(h.TokenFile)}
		if err := d.ReloadAuth(); err != nil {
			r.at(path+".token_file", "%s", trimDaemon(err, "daemon: HTTP.TokenFile: "))
		}
	}
	checkRange(r, path+".max_connections", h.MaxConnections, 0, math.MaxInt32)
	checkRange(r, path+".max_per_address", h.MaxPerAddress, 0, math.MaxInt32)
}

func (t *TLS) validate(r *report, path string, f *File) {
	switch {
	case t.Cert == "":
		r.at(path+".cert", "required: the certificate file (PEM)")
	case t.Key == "":
		r.at(path+".key", "required: the private key file (PEM)")
	default:
		cert, certErr := os.ReadFile(f.resolve(t.Cert))
		if certErr != nil {
			r.at(path+".cert", "%v", certErr)
		}
		key, keyErr := os.ReadFile(f.resolve(t.Key))
		if keyErr != nil {
			r.at(path+".key", "%v", keyErr)
		}
		if certErr == nil && keyErr == nil {
			if _, err := tls.X509KeyPair(cert, key); err != nil {
				r.at(path, "%v", err) // the message says which of the two
			}
		}
	}
}

// trimDaemon drops prefix from a daemon's error: the key already says
// where the value belongs.
func trimDaemon(err error, prefix string) string {
	msg, _ := strings.CutPrefix(err.Error(), prefix)
	return msg
}

// servesHTTP reports whether a route is served over HTTP when the file has
// an http section.
func (rt *Route) servesHTTP() bool {
	return len(rt.Protocols) == 0 || slices.Contains(rt.Protocols, Protocol(behaviour.HTTP))
}

// validateHTTP checks the keys of a route that only HTTP reads.
func (rt *Route) validateHTTP(r *report, path string, f *File) {
	if rt.AnonymousUploads {
		key := path + ".anonymous_uploads"
		switch {
		case f.HTTP == nil:
			r.at(key, "set, but there is no http section to upload over")
		case !rt.servesHTTP():
			r.at(key, "set, but protocols leaves out http")
		case rt.Access == AccessRead:
			r.at(key, "set, but the route is read-only (access: read)")
		case rt.Template != nil:
			r.at(key, "set, but a template takes no uploads")
		}
	}
	if rt.Listing {
		key := path + ".listing"
		switch {
		case f.HTTP == nil:
			r.at(key, "set, but there is no http section to list over")
		case !rt.servesHTTP():
			r.at(key, "set, but protocols leaves out http")
		case rt.Template != nil:
			r.at(key, "set, but a template has no directories to list")
		case rt.HTTP != nil:
			r.at(key, "set, but an http origin cannot be listed")
		case rt.Access == AccessWrite:
			r.at(key, "set, but the route is write-only (access: write): a listing would show every upload to anyone who can read over HTTP")
		}
	}
}
