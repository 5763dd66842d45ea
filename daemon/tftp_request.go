package daemon

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

// dispatch handles one datagram that arrived on the listening socket. It
// runs on the read loop, so everything it does is short: a request becomes
// a transfer on a goroutine of its own.
func (s *server) dispatch(b []byte, peer, local netip.AddrPort) {
	if !validPeer(peer) || !validLocal(local) {
		return
	}
	switch op := opcode(b); {
	case op == tftp.OpRRQ || op == tftp.OpWRQ:
		s.request(b, peer, local)
	case s.single && s.deliver(b, peer):
		// Handed to the peer's transfer.
	case op == tftp.OpError:
		// Never answer an ERROR: two daemons must not ping-pong.
	case s.limiter.allow(peer.Addr()):
		s.stray(op, peer, local)
	}
}

func opcode(b []byte) tftp.Opcode {
	if len(b) < 2 {
		return 0
	}
	return tftp.Opcode(binary.BigEndian.Uint16(b))
}

// stray answers a datagram that belongs to no transfer: ERROR 5 for a
// packet of a transfer (a late ACK after an ERROR, a transfer that ended),
// ERROR 4 for anything else.
func (s *server) stray(op tftp.Opcode, peer, local netip.AddrPort) {
	e := errNotRequest
	if op == tftp.OpData || op == tftp.OpAck || op == tftp.OpOACK {
		e = errUnknownTID
	}
	s.reply(peer, local, e)
}

// reply sends an ERROR for err from the listening socket.
func (s *server) reply(peer, local netip.AddrPort, err error) {
	b := tftp.AppendError(nil, wire.TFTPCode(err), behaviour.PeerMessage(err))
	if werr := s.sock.write(b, peer, local.Addr()); werr != nil {
		s.cfg.log.Debug("tftp reply failed", "peer", peer, "err", werr)
	}
}

// request admits an RRQ or WRQ, or answers it with an ERROR.
func (s *server) request(b []byte, peer, local netip.AddrPort) {
	if !s.limiter.allow(peer.Addr()) {
		s.cfg.log.Debug("tftp request over the rate limit", "peer", peer)
		s.refused(peer, ErrRateLimited)
		return
	}
	s.mu.Lock()
	s.touch()
	s.mu.Unlock()
	req, err := tftp.ParseRequest(b)
	if err != nil {
		s.refuse(peer, local, req, err)
		return
	}
	name, err := behaviour.CleanName(req.Filename)
	if err == nil {
		err = s.access(req.Op)
	}
	bound := s.unproven(peer.Addr())
	var suggested behaviour.Options
	if err == nil {
		suggested, err = s.negotiable(req, bound)
	}
	if err != nil {
		s.refuse(peer, local, req, err)
		return
	}
	x, err := s.admit(req, name, suggested, peer, local, bound)
	switch {
	case err != nil:
		s.refuse(peer, local, req, err)
	case x != nil:
		go x.run()
	}
}

// offered is the request as the engine should see it: without the options
// the daemon refuses to negotiate, and without those it grants no
// unproven peer.
func (s *server) offered(r tftp.Request, bound bool) tftp.Request {
	if len(s.cfg.refuseOpts) == 0 && !bound {
		return r
	}
	r.Options = r.Options.Clone()
	for _, name := range s.cfg.refuseOpts {
		r.Options.Del(name)
	}
	if bound {
		for _, name := range unprovenRefused(r.Op) {
			r.Options.Del(name)
		}
	}
	return r
}

func (s *server) access(op tftp.Opcode) error {
	switch {
	case op == tftp.OpRRQ && s.cfg.refuseReads:
		return errReadsRefused
	case op == tftp.OpWRQ && s.cfg.refuseWrites:
		return errWritesRefused
	}
	return nil
}

func (s *server) refuse(peer, local netip.AddrPort, req tftp.Request, err error) {
	s.cfg.log.Info("tftp request refused", "peer", peer, "op", opName(req.Op), "file", logName(req.Filename),
		"code", int(wire.TFTPCode(err)), "err", err)
	s.refused(peer, err) // before the reply, so that a peer that saw it finds it counted
	s.reply(peer, local, err)
}

func (s *server) refused(peer netip.AddrPort, err error) {
	callRefuse(s.cfg.log, s.cfg.onRefuse, peer, err)
}

// maxLogName bounds a refused name in the logs: a hostile name may be 64 KiB.
const maxLogName = 256

func logName(name string) string {
	if len(name) <= maxLogName {
		return name
	}
	return strings.ToValidUTF8(name[:maxLogName], "") + "..."
}

func opName(op tftp.Opcode) string {
	if op == 0 {
		return "?"
	}
	return op.String()
}

// admit starts a transfer for a request, unless it repeats one that runs
// (nil, nil) or a limit refuses it. It runs on the read loop only, so the
// counts it checks can only fall before it registers the transfer.
//
// In single-port mode a new request from a port whose transfer runs means
// the peer has given up on that transfer (one port, one transfer): the old
// transfer is ended quietly and its place freed, whether or not the new
// request is admitted.
func (s *server) admit(req tftp.Request, name string, suggested behaviour.Options, peer, local netip.AddrPort, bound bool) (*transfer, error) {
	key := joinKey{peer: peer, op: req.Op, name: req.Filename}
	s.mu.Lock()
	joined := s.joins[key]
	if joined != nil && !joined.committed() {
		s.mu.Unlock()
		return nil, nil
	}
	busy := s.routes[peer]
	if busy != nil {
		s.uncount(busy)
		s.unhold(busy)
	}
	err := s.limit(peer.Addr())
	s.mu.Unlock()
	if busy != nil {
		busy.supersede()
	}
	if joined != nil {
		s.detach(joined) // only its dally is left
	}
	if err != nil {
		return nil, err
	}
	x := newTransfer(s, req, name, suggested, peer, local)
	x.unproven = bound
	if err := s.open(x); err != nil {
		return nil, err
	}
	if bound {
		s.countBound(req, suggested)
	}
	return x, s.register(x, key)
}

// limit checks the daemon's state and counts for one more transfer from
// addr: a request that could not take a place even if its peer answered at
// once is refused now, as before any budget of unconfirmed transfers. The
// caller holds s.mu.
func (s *server) limit(addr netip.Addr) error {
	if s.draining {
		return errShutdown
	}
	return s.slotFree(addr)
}

// slotFree reports whether a confirmed transfer from addr fits under
// MaxTransfers and MaxPerClient. The caller holds s.mu.
func (s *server) slotFree(addr netip.Addr) error {
	switch {
	case s.counted >= s.cfg.maxTransfers:
		return errTooMany
	case s.cfg.maxPerClient > 0 && s.clients[addr] >= s.cfg.maxPerClient:
		return errTooManyClient
	}
	return nil
}

// register makes x known to the read loop and holds it in the unconfirmed
// budget until its peer answers (confirm).
func (s *server) register(x *transfer, key joinKey) error {
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		x.release()
		return errShutdown
	}
	x.key = key
	s.live[x] = struct{}{}
	s.joins[key] = x
	if s.single {
		s.routes[x.t.Peer] = x
	}
	old := s.hold(x)
	s.mu.Unlock()
	if old != nil {
		old.shed()
	}
	return nil
}

// uncount releases x's place under MaxTransfers and MaxPerClient: when it
// ends, or earlier once a write is committed, since its dally holds nothing
// but a socket for one timeout and must not make the next upload wait. The
// caller holds s.mu.
func (s *server) uncount(x *transfer) {
	if !x.counted {
		return
	}
	x.counted = false
	s.counted--
	addr := x.t.Peer.Addr()
	if s.clients[addr]--; s.clients[addr] <= 0 {
		delete(s.clients, addr)
	}
}

// detach stops routing the peer's datagrams and repeated requests to x; x
// keeps running until its engine returns.
func (s *server) detach(x *transfer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.joins[x.key] == x {
		delete(s.joins, x.key)
	}
	if s.routes[x.t.Peer] == x {
		delete(s.routes, x.t.Peer)
	}
}

// committed releases a committed write's place under the limits.
func (s *server) committed(x *transfer) {
	s.mu.Lock()
	s.uncount(x)
	s.mu.Unlock()
}

// remove forgets an ended transfer.
func (s *server) remove(x *transfer) {
	s.detach(x)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.live[x]; !ok {
		return
	}
	delete(s.live, x)
	s.uncount(x)
	s.unhold(x)
	s.touch()
}
