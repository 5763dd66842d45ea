package daemon

import (
	"errors"

	"github.com/filemux/filemux/behaviour"
)

// errShed ends an unconfirmed transfer to make room for a newer request.
var errShed = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "timed out",
	Err: errors.New("daemon: shed unanswered to make room under MaxUnconfirmed")}

// shedScan is how many of the oldest unconfirmed transfers the choice of
// the one to shed looks at.
const shedScan = 16

// hold puts a new transfer into the unconfirmed budget and returns the one
// it sheds to make room, or nil. The caller holds s.mu and kills the shed
// transfer after unlocking.
func (s *server) hold(x *transfer) *transfer {
	x.pend = s.pending.PushBack(x)
	s.pendingBy[x.t.Peer.Addr()]++
	if s.pending.Len() <= s.cfg.maxPending {
		return nil
	}
	old := s.victim()
	s.unhold(old)
	s.cfg.ctr.shed.Add(1)
	return old
}

// victim picks the transfer to shed: among the shedScan oldest, the oldest
// of the address that holds the most unconfirmed transfers. A flood from a
// few addresses thus sheds its own requests before an older one of a
// client elsewhere; a flood from forged addresses all different sheds the
// oldest. The caller holds s.mu.
func (s *server) victim() *transfer {
	var pick *transfer
	most := 0
	e := s.pending.Front()
	for range shedScan {
		if e == nil {
			break
		}
		x := e.Value.(*transfer)
		if n := s.pendingBy[x.t.Peer.Addr()]; n > most {
			pick, most = x, n
		}
		e = e.Next()
	}
	return pick
}

// unhold takes x out of the unconfirmed budget. The caller holds s.mu.
func (s *server) unhold(x *transfer) {
	if x.pend == nil {
		return
	}
	s.pending.Remove(x.pend)
	x.pend = nil
	addr := x.t.Peer.Addr()
	if s.pendingBy[addr]--; s.pendingBy[addr] <= 0 {
		delete(s.pendingBy, addr)
	}
}

// confirm moves x from the unconfirmed budget to a place under
// MaxTransfers and MaxPerClient, at its peer's first datagram; it returns
// the ERROR 3 for the peer when none is free. It runs on x's goroutine. A
// draining daemon lets x go on, as it does every transfer that runs.
func (s *server) confirm(x *transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unhold(x)
	if x.counted {
		return nil
	}
	addr := x.t.Peer.Addr()
	if err := s.slotFree(addr); err != nil {
		x.lateRefusal = true
		return err
	}
	x.counted = true
	s.counted++
	s.clients[addr]++
	return nil
}

// shed ends an unconfirmed transfer quietly: its peer, if there is one,
// never answered, and a word to it would only feed a spoofed victim.
func (x *transfer) shed() { x.kill(errShed, true) }
