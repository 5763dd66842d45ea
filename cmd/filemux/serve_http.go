package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/registry"
)

// serveHTTPFlags are serve's flags for HTTP from flags: the listeners, the
// certificate, the credentials of uploads.
type serveHTTPFlags struct {
	addrs     addrList
	cert, key string
	passwords string
	tokens    string
	anonymous bool
	listings  bool
}

func (h *serveHTTPFlags) register(fs *flag.FlagSet) {
	fs.Var(&h.addrs, "http", "serve HTTP (HTTPS with --http-cert) on `ADDR` (host:port, repeatable; off unless given)")
	fs.StringVar(&h.cert, "http-cert", "", "serve HTTPS with the certificate chain in `FILE` (PEM; with --http-key; SIGHUP reads it again)")
	fs.StringVar(&h.key, "http-key", "", "the private key of --http-cert, in `FILE` (PEM)")
	fs.StringVar(&h.passwords, "http-password-file", "", "let the users of `FILE` (user:bcrypt-hash lines, htpasswd -B) upload over HTTP with basic auth")
	fs.StringVar(&h.tokens, "http-token-file", "", "let the users of `FILE` (user:token lines) upload over HTTP with a bearer token")
	fs.BoolVar(&h.anonymous, "http-anonymous-uploads", false, "with --writable, accept HTTP uploads without a login, from anyone who reaches --http")
	fs.BoolVar(&h.listings, "http-listings", false, "list the directories of DIR over HTTP (HTML, or JSON with ?format=json)")
}

// httpFlagNames are the flags of serveHTTPFlags, which --config replaces.
var httpFlagNames = []string{"http", "http-cert", "http-key", "http-password-file", "http-token-file", "http-anonymous-uploads", "http-listings"}

// check validates the HTTP flags: served says whether HTTP runs at all
// (--http, or inherited HTTP sockets), writable whether --writable was
// given. The files must load now, so that a mistake fails at start and
// names its flag.
func (h *serveHTTPFlags) check(served, writable bool) error {
	var extra []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"--http-cert", h.cert != ""}, {"--http-key", h.key != ""}, {"--http-password-file", h.passwords != ""},
		{"--http-token-file", h.tokens != ""}, {"--http-anonymous-uploads", h.anonymous}, {"--http-listings", h.listings}} {
		if f.set {
			extra = append(extra, f.name)
		}
	}
	switch {
	case !served && len(extra) > 0:
		return fmt.Errorf("%s: there is no HTTP listener (give --http ADDR)", strings.Join(extra, ", "))
	case (h.cert == "") != (h.key == ""):
		return errors.New("--http-cert and --http-key go together")
	case h.anonymous && !writable:
		return errors.New("--http-anonymous-uploads needs --writable: without it nothing can be uploaded")
	}
	if h.cert != "" {
		if _, err := tls.LoadX509KeyPair(h.cert, h.key); err != nil {
			return fmt.Errorf("--http-cert, --http-key: %w", err)
		}
	}
	if h.passwords != "" {
		if err := (&daemon.HTTP{PasswordFile: h.passwords}).ReloadAuth(); err != nil {
			return fmt.Errorf("--http-password-file: %w", err)
		}
	}
	if h.tokens != "" {
		if err := (&daemon.HTTP{TokenFile: h.tokens}).ReloadAuth(); err != nil {
			return fmt.Errorf("--http-token-file: %w", err)
		}
	}
	return nil
}

// daemon returns the HTTP server of the flags for ln; the caller sets its
// handler and logger.
func (h *serveHTTPFlags) daemon(ln net.Listener) *daemon.HTTP {
	d := &daemon.HTTP{
		ListenAddr: ln.Addr().String(), TLSCertFile: h.cert, TLSKeyFile: h.key,
		PasswordFile: h.passwords, TokenFile: h.tokens,
	}
	if h.anonymous {
		d.AnonymousUploads = func(string) bool { return true }
	}
	if h.listings {
		d.Listings = func(string) bool { return true }
	}
	return d
}

// uploads says who may upload over HTTP from flags, for the banner.
func (h *serveHTTPFlags) uploads(writable bool) string {
	var who []string
	if h.passwords != "" {
		who = append(who, "the users of "+h.passwords)
	}
	if h.tokens != "" {
		who = append(who, "the tokens of "+h.tokens)
	}
	switch {
	case !writable:
		return "none (read-only)"
	case h.anonymous:
		return "anyone, without a login (--http-anonymous-uploads)"
	case len(who) == 0:
		return "none: no --http-password-file or --http-token-file to log in with"
	}
	return strings.Join(who, " and ")
}

// httpScheme is "https" for a server with TLS, else "http".
func httpScheme(d *daemon.HTTP) string {
	if d.TLSCertFile != "" {
		return "https"
	}
	return "http"
}

// printHTTP writes the banner lines of the HTTP servers.
func printHTTP(w io.Writer, ds []*daemon.HTTP, lns []net.Listener) {
	for i, d := range ds {
		fmt.Fprintf(w, "filemux: serving %s on %s\n", strings.ToUpper(httpScheme(d)), lns[i].Addr())
	}
}

// configureHTTP sets what a configured HTTP server takes from the routes
// rather than from its section: which names may be uploaded without a
// login, and which directories listed, decided by the route reg
// dispatches each name to.
func configureHTTP(d *daemon.HTTP, reg *registry.Registry) {
	d.AnonymousUploads = config.AnonymousUploads(reg)
	d.Listings = config.Listings(reg)
}
