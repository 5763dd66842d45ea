package daemon

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/filemux/filemux/internal/sshkeys"
)

// httpAuth checks the credentials of a request: basic auth against bcrypt
// hashes (an htpasswd -B file, parsed as SSH's PasswordFile is), bearer
// tokens by their SHA-256.
type httpAuth struct {
	passwords *sshkeys.Passwords
	tokens    map[[sha256.Size]byte]string // sha256(token) -> user
}

// httpCreds are the credentials requests are checked against now;
// ReloadAuth replaces them while the server runs.
type httpCreds struct {
	cur    atomic.Pointer[httpAuth]
	reload sync.Mutex // one reload at a time, so that the last file read wins
}

// ReloadAuth reads PasswordFile and TokenFile again while serving, as on
// SIGHUP, and checks every later request against them: a user or token
// that was removed, or a password that changed, is refused (401) from the
// next request on, on connections kept alive too. The transfers running
// on such credentials are aborted and their connections closed, as SSH's
// ReloadAuth closes the connections of a revoked key. When a file cannot
// be read or parsed, ReloadAuth returns the error and the credentials in
// use stay, all of them.
//
// Before Serve, and after the server has ended, ReloadAuth only checks
// that the files load. It is safe to call at any time, from any goroutine.
func (d *HTTP) ReloadAuth() error {
	var none *httpServer
	r := d.run.current()
	if r == none || r.ended() {
		_, err := d.loadAuth()
		return err
	}
	creds := &r.cfg.auth
	creds.reload.Lock()
	defer creds.reload.Unlock()
	a, err := d.loadAuth()
	if err != nil {
		return err
	}
	creds.cur.Store(a)
	r.revoke(a)
	return nil
}

// revoke aborts the running transfers whose login a no longer accepts:
// over HTTP/1 by closing the connection at once; over HTTP/2, whose
// connection carries other users' requests too, by failing the stream's
// next read or write of its body (readSoon, writeSoon). A
// transfer registered after the swap checks itself (newTransfer), so that
// none slips between the two.
func (s *httpServer) revoke(a *httpAuth) {
	s.mu.Lock()
	var gone []*httpTransfer
	for x := range s.live {
		if x.login.user != "" && !a.accepts(x.login) {
			gone = append(gone, x)
		}
	}
	s.mu.Unlock()
	for _, x := range gone {
		s.cfg.log.Warn("http credentials revoked: transfer aborted", "peer", x.t.Peer, "user", x.t.User, "file", x.t.Name)
		x.revoke()
	}
}

// httpLogin is what a request authenticated with, kept so that a reload
// can tell whether the credentials in use still accept it: the password
// entry (bcrypt hash) a basic login was checked against, or the SHA-256
// of a bearer token. The zero value is no login.
type httpLogin struct {
	user   string
	hash   []byte
	token  [sha256.Size]byte
	bearer bool
}

// accepts reports whether a still holds the credential of l: the same
// password entry for its user, or the same token for the same user.
func (a *httpAuth) accepts(l httpLogin) bool {
	if l.bearer {
		return a.tokens[l.token] == l.user
	}
	hash, ok := a.passwords.Hash(l.user)
	return ok && bytes.Equal(hash, l.hash)
}

// errHTTPUnauthorized is the failure of a request whose credentials are
// missing or wrong where they are needed: a 401.
var errHTTPUnauthorized = errors.New("http: authentication required")

// errHTTPBadCredentials is the failure of credentials that do not check
// out: a 401 that scores against the address (BanThreshold).
var errHTTPBadCredentials = fmt.Errorf("%w: wrong credentials", errHTTPUnauthorized)

// errHTTPRevoked ends a transfer whose credentials a reload removed.
var errHTTPRevoked = errors.New("http: credentials revoked by a reload")

// errHTTPBanned is the refusal of an address banned after failed logins.
var errHTTPBanned = errors.New("banned after failed logins")

// maxTokenFile bounds the size of a token file.
const maxTokenFile = 4 << 20

func (d *HTTP) loadAuth() (*httpAuth, error) {
	a := &httpAuth{passwords: &sshkeys.Passwords{}, tokens: map[[sha256.Size]byte]string{}}
	if d.PasswordFile != "" {
		p, err := sshkeys.LoadPasswords(d.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("daemon: HTTP.PasswordFile: %w", err)
		}
		a.passwords = p
	}
	if d.TokenFile != "" {
		if err := a.loadTokens(d.TokenFile); err != nil {
			return nil, fmt.Errorf("daemon: HTTP.TokenFile: %w", err)
		}
	}
	return a, nil
}

// loadTokens reads lines of "user:token"; blank lines and # comments are
// skipped.
func (a *httpAuth) loadTokens(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() > maxTokenFile {
		return fmt.Errorf("%s is larger than %d bytes", path, maxTokenFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		user, token, ok := strings.Cut(line, ":")
		sum := sha256.Sum256([]byte(token))
		switch {
		case !ok || user == "" || len(token) < 16:
			return fmt.Errorf(`line %d: want "user:token", a token of 16 characters or more`, n)
		case a.tokens[sum] != "":
			return fmt.Errorf("line %d: token listed twice", n)
		}
		a.tokens[sum] = user
	}
	return sc.Err()
}

// login returns how r authenticated: no login with a nil error when r
// carries no credentials, errHTTPBadCredentials when they are wrong.
func (a *httpAuth) login(r *http.Request) (httpLogin, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return httpLogin{}, nil
	}
	if user, pass, ok := r.BasicAuth(); ok {
		if a.passwords.Check(user, []byte(pass)) {
			hash, _ := a.passwords.Hash(user)
			return httpLogin{user: user, hash: hash}, nil
		}
		return httpLogin{}, errHTTPBadCredentials
	}
	if scheme, token, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if user := a.tokens[sum]; user != "" {
			return httpLogin{user: user, token: sum, bearer: true}, nil
		}
	}
	return httpLogin{}, errHTTPBadCredentials
}

// challenge answers 401 with the schemes the server accepts.
func httpChallenge(w http.ResponseWriter) {
	w.Header().Add("WWW-Authenticate", `Basic realm="filemux", charset="UTF-8"`)
	w.Header().Add("WWW-Authenticate", `Bearer realm="filemux"`)
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}
