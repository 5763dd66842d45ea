package daemon

import (
	"net/netip"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// unprovenRefused are the options an unproven peer is not granted: on a
// read a window lets one forged ACK pull many blocks, and on both a long
// timeout lets a forged transfer hold its place for minutes. A write
// keeps its window and block size: the daemon answers its DATA with ACKs,
// fewer bytes than it receives.
func unprovenRefused(op tftp.Opcode) []string {
	if op == tftp.OpRRQ {
		return []string{tftp.OptWindowSize, tftp.OptTimeout}
	}
	return []string{tftp.OptTimeout}
}

// unproven reports whether nothing proves that a peer at addr receives
// what it is sent: its transfer's port can be guessed, and addr is outside
// TrustedNetworks. See the TFTP type's doc.
func (s *server) unproven(addr netip.Addr) bool {
	if !s.guessable {
		return false
	}
	addr = addr.WithZone("") // Contains never matches an address with a zone
	for _, p := range s.cfg.trusted {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// negotiable returns the options of r the daemon offers the handler's Open:
// under the unproven-peer limits when bound.
func (s *server) negotiable(r tftp.Request, bound bool) (behaviour.Options, error) {
	if !bound {
		return tftp.ServerOptions(s.offered(r, false), s.cfg.limits)
	}
	lim := s.cfg.limits
	if r.Op == tftp.OpRRQ {
		lim = s.cfg.unproven
	}
	return tftp.ServerOptions(s.offered(r, true), lim)
}

// countBound counts an admitted transfer whose options the bound cut.
func (s *server) countBound(r tftp.Request, bounded behaviour.Options) {
	if s.cut(r, bounded) {
		s.cfg.ctr.bounded.Add(1)
	}
}

// cut reports whether the bound took something from r that the daemon
// would grant a trusted peer.
func (s *server) cut(r tftp.Request, bounded behaviour.Options) bool {
	full, err := tftp.ServerOptions(s.offered(r, false), s.cfg.limits)
	if err != nil {
		return false
	}
	for name, value := range full.All() {
		if v, ok := bounded.Get(name); !ok || v != value {
			return true
		}
	}
	return false
}
