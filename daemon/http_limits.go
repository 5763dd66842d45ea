package daemon

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
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
// from one address: one over them is answered 503 and closed at once,
// before net/http sees it, so that idle or slow connections cannot take
// every goroutine.
type httpLimiter struct {
	net.Listener
	s            *httpServer
	max, perAddr int

	mu     sync.Mutex
	total  int
	byAddr map[netip.Addr]int
}

func newHTTPLimiter(ln net.Listener, s *httpServer) *httpLimiter {
	return &httpLimiter{Listener: ln, s: s, max: s.cfg.maxConns, perAddr: s.cfg.maxPerAddr, byAddr: map[netip.Addr]int{}}
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
		if err := l.admit(addr.Addr()); err != nil {
			l.s.cfg.log.Debug("http connection refused", "peer", addr, "reason", err)
			l.s.refused(addr, err)
			go refuseConn(c)
			continue
		}
		return &httpLimitedConn{Conn: c, l: l, addr: addr.Addr()}, nil
	}
}

// refuseConn tells a connection over the limits and closes it, within a
// second whatever the client does.
func refuseConn(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte(httpBusy))
	c.Close()
}

func (l *httpLimiter) admit(a netip.Addr) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.total >= l.max:
		return errHTTPTooMany
	case l.byAddr[a] >= l.perAddr:
		return errHTTPTooManyFromOne
	}
	l.total++
	l.byAddr[a]++
	return nil
}

func (l *httpLimiter) leave(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byAddr[a]--; l.byAddr[a] <= 0 {
		delete(l.byAddr, a)
	}
}

// httpLimitedConn gives its slot back when it closes, once.
type httpLimitedConn struct {
	net.Conn
	l    *httpLimiter
	addr netip.Addr
	once sync.Once
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
	c.once.Do(func() { c.l.leave(c.addr) })
	return err
}
