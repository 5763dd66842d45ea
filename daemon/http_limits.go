package daemon

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Reasons of connections refused over the limits, for OnRefuse.
var (
	errHTTPTooMany        = errors.New("too many connections")
	errHTTPTooManyFromOne = errors.New("too many connections from this address")
)

// httpBusy is what a connection over the limits hears before it is
// closed.
const httpBusy = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n"

// httpLimiter is a listener that holds at most max connections, perAddr
// from one address. A connection over them takes the place of the idlest
// connection that is not serving a request (silent since it connected,
// sending its header slowly, or kept alive between requests): of its own
// address when that address holds perAddr, otherwise of the address that
// holds the most. When every connection is serving, the newcomer is
// answered 503 (over TLS only closed) at once, before net/http sees it.
// So idle or slow connections cannot lock others out, from one address or
// many. A connection shed in the instant its request has been read, before
// the handler counts it as serving, loses that request.
type httpLimiter struct {
	net.Listener
	s            *httpServer
	max, perAddr int

	mu     sync.Mutex
	total  int
	byAddr map[netip.Addr]map[*httpLimitedConn]struct{}
}

func newHTTPLimiter(ln net.Listener, s *httpServer) *httpLimiter {
	return &httpLimiter{Listener: ln, s: s, max: s.cfg.maxConns, perAddr: s.cfg.maxPerAddr,
		byAddr: map[netip.Addr]map[*httpLimitedConn]struct{}{}}
}

// Accept returns the next connection within the limits.
func (l *httpLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := sshAddrOf(c.RemoteAddr())
		if l.s.defender.isBanned(addr.Addr(), time.Now()) {
			l.s.refused(addr, errHTTPBanned)
			c.Close()
			continue
		}
		lc := &httpLimitedConn{Conn: c, l: l, addr: addr.Addr()}
		lc.idleSince.Store(time.Now().UnixNano())
		shed, err := l.admit(lc)
		if err != nil {
			l.s.cfg.log.Debug("http connection refused", "peer", addr, "reason", err)
			l.s.refused(addr, err)
			if l.s.cfg.cert != nil {
				c.Close() // a plain 503 would only be a bad record to a TLS client
			} else {
				go refuseConn(c)
			}
			continue
		}
		if shed != nil {
			l.s.shed.Add(1)
			l.s.cfg.log.Debug("http idle connection shed for a new one", "peer", shed.RemoteAddr(), "for", addr)
			shed.Conn.Close()
		}
		return lc, nil
	}
}

// refuseConn tells a connection over the limits and closes it, within a
// second whatever the client does.
func refuseConn(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(httpBusy))
	c.Close()
}

// admit counts c in, in place of the connection it returns when the
// limits were full; the caller closes that one.
func (l *httpLimiter) admit(c *httpLimitedConn) (*httpLimitedConn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var shed *httpLimitedConn
	switch {
	case len(l.byAddr[c.addr]) >= l.perAddr:
		if shed = idlest(l.byAddr[c.addr]); shed == nil {
			return nil, errHTTPTooManyFromOne
		}
	case l.total >= l.max:
		if shed = l.idlestOfBusiest(); shed == nil {
			return nil, errHTTPTooMany
		}
	}
	if shed != nil {
		l.removeLocked(shed)
	}
	l.total++
	set := l.byAddr[c.addr]
	if set == nil {
		set = map[*httpLimitedConn]struct{}{}
		l.byAddr[c.addr] = set
	}
	set[c] = struct{}{}
	return shed, nil
}

// idlestOfBusiest returns the idlest connection of the address that holds
// the most connections and has one not serving a request.
func (l *httpLimiter) idlestOfBusiest() *httpLimitedConn {
	var best *httpLimitedConn
	most := 0
	for _, set := range l.byAddr {
		if len(set) <= most {
			continue
		}
		if c := idlest(set); c != nil {
			best, most = c, len(set)
		}
	}
	return best
}

// idlest returns the connection of set idle for the longest, nil when all
// serve requests.
func idlest(set map[*httpLimitedConn]struct{}) *httpLimitedConn {
	var best *httpLimitedConn
	var since int64
	for c := range set {
		if c.serving.Load() > 0 {
			continue
		}
		if t := c.idleSince.Load(); best == nil || t < since {
			best, since = c, t
		}
	}
	return best
}

// removeLocked gives c's slot back, once.
func (l *httpLimiter) removeLocked(c *httpLimitedConn) {
	if c.gone {
		return
	}
	c.gone = true
	l.total--
	set := l.byAddr[c.addr]
	delete(set, c)
	if len(set) == 0 {
		delete(l.byAddr, c.addr)
	}
}

// httpLimitedConn gives its slot back when it closes, once. serving counts
// the requests it is serving (HTTP/2 serves several at once); idleSince is
// when the last one ended, or when it connected.
type httpLimitedConn struct {
	net.Conn
	l         *httpLimiter
	addr      netip.Addr
	serving   atomic.Int32
	idleSince atomic.Int64
	gone      bool // guarded by l.mu
}

// ReadFrom hands a copy to the connection's own ReadFrom, so that net/http
// sends a file with sendfile(2) through this wrapper as it does to a bare
// TCP connection.
func (c *httpLimitedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

func (c *httpLimitedConn) Close() error {
	err := c.Conn.Close()
	c.l.mu.Lock()
	c.l.removeLocked(c)
	c.l.mu.Unlock()
	return err
}

// servingRequest marks the connection of r as serving a request until the
// returned function runs, so that it is not shed for a newcomer.
func servingRequest(r *http.Request) func() {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	lc, ok := c.(*httpLimitedConn)
	if !ok {
		return func() {}
	}
	lc.serving.Add(1)
	return func() {
		lc.idleSince.Store(time.Now().UnixNano())
		lc.serving.Add(-1)
	}
}
