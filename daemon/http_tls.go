package daemon

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"
)

// httpCert is the certificate served, swapped by ReloadTLS.
type httpCert struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

func (c *httpCert) load() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("daemon: HTTP TLS: %w", err)
	}
	c.cur.Store(&cert)
	return nil
}

// config is the server's TLS configuration: TLS 1.2 and later, HTTP/2
// and HTTP/1.1 offered by ALPN, the current certificate at every
// handshake.
func (c *httpCert) config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cur.Load(), nil
		},
	}
}

// errHTTPNoTLS is ReloadTLS's error on a server without TLS.
var errHTTPNoTLS = errors.New("daemon: HTTP is not serving TLS")

// ReloadTLS reads TLSCertFile and TLSKeyFile again while serving, as on
// SIGHUP: new connections get the new certificate, established ones keep
// theirs. When the files do not load, the server keeps the certificate it
// has and ReloadTLS returns why. On a server without TLSCertFile it
// returns an error.
//
// Before Serve, and after the server has ended, ReloadTLS only checks
// that the files load, as ReloadAuth does: Serve reads them when it
// starts. It is safe to call at any time, from any goroutine.
func (d *HTTP) ReloadTLS() error {
	if d.TLSCertFile == "" {
		return errHTTPNoTLS
	}
	var none *httpServer
	r := d.run.current()
	if r == none || r.ended() || r.cfg.cert == nil {
		c := &httpCert{certFile: d.TLSCertFile, keyFile: d.TLSKeyFile}
		return c.load()
	}
	return r.cfg.cert.load()
}
