package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
)

// httpTransfer is one GET or HEAD, from Open to its single ending. Its
// handler calls go through the driver, on the request's goroutine.
type httpTransfer struct {
	s      *httpServer
	t      behaviour.Transfer
	d      *drive.Driver
	conn   net.Conn
	start  time.Time
	bytes  atomic.Int64
	inCall atomic.Int32
	cancel context.CancelFunc

	// cutResponse says the response must be cut, not ended: the body
	// went out in part. shut says a shutdown aborted the transfer.
	cutResponse bool
	rc          *http.ResponseController
	shut        atomic.Bool
	// login is how the request authenticated; revoked says a reload
	// removed it and aborted the transfer. h2 says the request came over
	// HTTP/2, where the connection is not the transfer's own.
	login   httpLogin
	revoked atomic.Bool
	h2      bool

	mu   sync.Mutex
	done bool // finish ran
}

// Errors of HTTP transfers, for logs and hooks.
var (
	errHTTPMethod     = errors.New("method not allowed")
	errHTTPClientGone = errors.New("http: client went away")
	errHTTPTooLarge   = errors.New("http: upload larger than MaxSize")
	errHTTPShort      = errors.New("http: the handler ended before the size it set")
)

// ServeHTTP turns a request into a transfer through the handler: GET and
// HEAD read, PUT and POST write.
func (s *httpServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer servingRequest(r)()
	peer := httpAddr(r.RemoteAddr)
	access, ok := httpAccess(r.Method)
	if !ok {
		w.Header().Set("Allow", "GET, HEAD, PUT, POST")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		s.refused(peer, errHTTPMethod)
		return
	}
	if s.defender.isBanned(peer.Addr(), time.Now()) {
		w.Header().Set("Connection", "close")
		http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
		s.refused(peer, errHTTPBanned)
		return
	}
	x, err := s.newTransfer(r, peer, access)
	if errors.Is(err, errHTTPBadCredentials) && s.defender.fail(peer.Addr(), time.Now()) {
		s.cfg.log.Warn("http address banned", "peer", peer, "for", s.cfg.ban.banFor)
	}
	if err != nil {
		s.refuse(w, err)
		s.refused(peer, err)
		return
	}
	defer x.cancel()
	x.rc = http.NewResponseController(w)
	defer x.clearDeadlines()
	if access == behaviour.Read && x.wantsDirectory(r) {
		if err := x.hookRequest(); err != nil {
			x.refusedDirectory(w, err)
			return
		}
		x.serveDirectory(w, r, true)
		if x.cutResponse {
			panic(http.ErrAbortHandler)
		}
		return
	}
	if err := x.open(); err != nil {
		if errors.Is(err, errHTTPDirectory) {
			x.serveDirectory(w, r, false)
			return
		}
		httpError(w, err)
		return
	}
	if access == behaviour.Write {
		x.finish(x.receive(w, r))
		return
	}
	x.finish(x.respond(w, r))
	if x.cutResponse {
		panic(http.ErrAbortHandler)
	}
}

// httpAccess is the access of a method: GET and HEAD read, PUT and POST
// write; any other is refused.
func httpAccess(method string) (behaviour.Access, bool) {
	switch method {
	case http.MethodGet, http.MethodHead:
		return behaviour.Read, true
	case http.MethodPut, http.MethodPost:
		return behaviour.Write, true
	}
	return 0, false
}

// refuse answers a request refused before its transfer started.
func (s *httpServer) refuse(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errHTTPUnauthorized):
		httpChallenge(w)
	case errors.Is(err, errHTTPShutdown):
		w.Header().Set("Connection", "close")
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
	case errors.Is(err, errHTTPTooLarge):
		http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
	default:
		httpError(w, err)
	}
}

// newTransfer authenticates r, cleans its name and registers its
// transfer. An upload needs a user unless AnonymousUploads allows the
// name.
func (s *httpServer) newTransfer(r *http.Request, peer netip.AddrPort, access behaviour.Access) (*httpTransfer, error) {
	login, err := s.cfg.auth.cur.Load().login(r)
	if err != nil {
		return nil, err
	}
	user := login.user
	name, err := s.cfg.names.Clean(r.URL.Path)
	if err != nil {
		return nil, err
	}
	if access == behaviour.Write {
		if user == "" && (s.cfg.anonymous == nil || !s.cfg.anonymous(name)) {
			return nil, errHTTPUnauthorized
		}
		if s.cfg.maxSize > 0 && r.ContentLength > s.cfg.maxSize {
			return nil, errHTTPTooLarge
		}
	}
	x := &httpTransfer{s: s, start: time.Now(), login: login, h2: r.ProtoMajor >= 2}
	x.conn, _ = r.Context().Value(connKey{}).(net.Conn)
	x.t = behaviour.Transfer{
		Protocol: behaviour.HTTP, Access: access, RequestedName: r.URL.EscapedPath(), Name: name,
		Mode: behaviour.Octet, Peer: peer, Local: httpLocal(r), User: user,
	}
	if access == behaviour.Write {
		x.t.Flags = behaviour.FlagCreate | behaviour.FlagTruncate
		x.t.SetSize(r.ContentLength) // -1, unknown, when chunked
	}
	var ctx context.Context
	ctx, x.cancel = context.WithCancel(r.Context())
	x.t.SetContext(ctx)
	x.d = drive.New(s.cfg.handler, &x.t, drive.Config{Panic: x.panicked, InCall: &x.inCall})
	if err := s.track(x); err != nil {
		x.cancel()
		return nil, err
	}
	// A reload between the check above and track may have removed the
	// credentials; revoke did not see this transfer then.
	if user != "" && !s.cfg.auth.cur.Load().accepts(login) {
		s.untrack(x)
		x.cancel()
		return nil, errHTTPUnauthorized
	}
	return x, nil
}

// open asks OnRequest and the handler's Open; a refusal is reported here.
// A read whose Open failed on a name the handler's stat calls a directory
// returns errHTTPDirectory, unreported: the caller answers it as one.
func (x *httpTransfer) open() error {
	err := x.hookRequest()
	if err == nil {
		err = x.d.Open(x.t.Context())
		// A directory the handler does not open (Dir refuses it as an
		// access violation, Memory does not find it) is answered as a
		// directory: redirected where it may be listed, and otherwise
		// 404, so that a 403 never tells it from a missing file.
		if err != nil && x.t.Access == behaviour.Read && (x.listingAllowed() || !errors.Is(err, behaviour.ErrNotFound)) && x.isDirectory() {
			return errHTTPDirectory
		}
	}
	if err != nil {
		x.mu.Lock()
		x.done = true
		x.mu.Unlock()
		x.s.untrack(x)
		x.report(OutcomeRefused, err)
	}
	return err
}

// finish ends the transfer once: with a nil cause it succeeded; otherwise
// Abort runs, unless the handler had its ending, and the failure is
// reported.
func (x *httpTransfer) finish(cause error) {
	x.mu.Lock()
	if x.done {
		x.mu.Unlock()
		return
	}
	x.done = true
	if cause != nil && x.revoked.Load() {
		cause = errHTTPRevoked
	}
	if cause != nil {
		x.d.Abort(cause)
	}
	x.mu.Unlock()
	x.s.untrack(x)
	x.report(x.outcome(cause), cause)
}

// cut aborts the transfer from a shutdown: the context is cancelled and
// the connection closed, so that the request's goroutine fails and ends
// the transfer.
func (x *httpTransfer) cut() {
	x.shut.Store(true)
	x.cancel()
	if x.conn != nil {
		x.conn.Close()
	}
}

// revoke aborts the transfer whose credentials a reload removed.
func (x *httpTransfer) revoke() {
	x.revoked.Store(true)
	x.cancel()
	if !x.h2 && x.conn != nil {
		x.conn.Close()
	}
}

// stuck reports a handler call that has not returned.
func (x *httpTransfer) stuck() bool { return x.inCall.Load() > 0 }

func (x *httpTransfer) panicked(what string, r any, stack []byte) {
	x.s.cfg.log.Error("http handler panicked", "call", what, "peer", x.t.Peer,
		"file", x.t.Name, "panic", fmt.Sprint(r), "stack", string(stack))
}

// httpAddr parses a request's RemoteAddr, unmapping IPv4-mapped addresses.
func httpAddr(s string) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(s)
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// httpLocal returns the local address r arrived on.
func httpLocal(r *http.Request) netip.AddrPort {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return sshAddrOf(a)
	}
	return netip.AddrPort{}
}

// httpStatus is the status of a failure: its behaviour code mapped.
func httpStatus(err error) int {
	if errors.Is(err, errHTTPShutdown) {
		return http.StatusServiceUnavailable
	}
	switch behaviour.Classify(err).Code {
	case behaviour.CodeNotFound:
		return http.StatusNotFound
	case behaviour.CodeAccessViolation, behaviour.CodeNoSuchUser:
		return http.StatusForbidden
	case behaviour.CodeDiskFull:
		if errors.Is(err, errHTTPTooLarge) {
			return http.StatusRequestEntityTooLarge
		}
		return http.StatusInsufficientStorage
	case behaviour.CodeFileExists:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// httpError answers a failure before any of the body: the peer message
// for client errors, the status text alone for server errors.
func httpError(w http.ResponseWriter, err error) {
	code := httpStatus(err)
	msg := http.StatusText(code)
	if code < 500 {
		msg = behaviour.Classify(err).PeerMessage()
	}
	http.Error(w, msg, code)
}

// readSoon and writeSoon give the next body read or response write
// DataTimeout to make progress.
func (x *httpTransfer) readSoon() {
	if x.revoked.Load() {
		_ = x.rc.SetReadDeadline(time.Now())
		return
	}
	if d := x.s.cfg.data; d > 0 {
		_ = x.rc.SetReadDeadline(time.Now().Add(d))
	}
}

func (x *httpTransfer) writeSoon() {
	if x.revoked.Load() {
		_ = x.rc.SetWriteDeadline(time.Now())
		return
	}
	if d := x.s.cfg.data; d > 0 {
		_ = x.rc.SetWriteDeadline(time.Now().Add(d))
	}
}

// clearDeadlines leaves the connection as net/http expects it for its
// next request.
func (x *httpTransfer) clearDeadlines() {
	if x.s.cfg.data > 0 {
		_ = x.rc.SetReadDeadline(time.Time{})
		_ = x.rc.SetWriteDeadline(time.Time{})
	}
}
