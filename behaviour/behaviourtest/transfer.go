package behaviourtest

import (
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/filemux/filemux/behaviour"
)

// nextPort hands out peer ports so that concurrent transfers have distinct
// peers, as TFTP transfer IDs are.
var nextPort atomic.Uint32

// NewTransfer returns the *behaviour.Transfer an engine would build for a
// request of name: RequestedName as given, Name cleaned by
// behaviour.CleanName, protocol, mode, peer, user and suggested options as
// the options say (see Protocol, Mode, Peer, User and Suggest), Local on the
// protocol's standard port, and Create|Truncate flags for writes. A name
// CleanName refuses is refused with its error, as engines refuse it.
func NewTransfer(access behaviour.Access, name string, opts ...Option) (*behaviour.Transfer, error) {
	return newTransfer(newConfig(opts), access, name, 0)
}

// newTransfer builds the transfer; size is the length of an upload, sent as
// its tsize.
func newTransfer(c *config, access behaviour.Access, name string, size int) (*behaviour.Transfer, error) {
	clean, err := behaviour.CleanName(name)
	if err != nil {
		return nil, err
	}
	t := &behaviour.Transfer{
		Protocol:      c.protocol,
		Access:        access,
		RequestedName: name,
		Name:          clean,
		Mode:          c.mode,
		Options:       suggested(c.suggest, access, size),
		Peer:          c.peer,
		Local:         netip.AddrPortFrom(loopback, localPort(c.protocol)),
		User:          c.user,
	}
	if n, ok := t.Options.Int(behaviour.OptTSize); ok && access == behaviour.Write {
		t.SetSize(n) // as engines do with an upload's tsize
	}
	if !t.Peer.IsValid() {
		t.Peer = netip.AddrPortFrom(loopback, uint16(49152+nextPort.Add(1)%16384))
	}
	if t.User == "" && c.protocol != behaviour.TFTP {
		t.User = "behaviourtest"
	}
	if access == behaviour.Write {
		t.Flags = behaviour.FlagCreate | behaviour.FlagTruncate
	}
	return t, nil
}

var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

func localPort(p behaviour.Protocol) uint16 {
	if p == behaviour.TFTP {
		return 69
	}
	return 22
}

// suggested builds the options of a request, with tsize as TFTP clients
// send it: 0 on a read, the length of the upload on a write.
func suggested(opts []behaviour.Option, access behaviour.Access, size int) behaviour.Options {
	var o behaviour.Options
	for _, op := range opts {
		v := op.Value
		if o.Has(op.Name) {
			continue
		}
		if strings.EqualFold(op.Name, behaviour.OptTSize) {
			v = "0"
			if access == behaviour.Write {
				v = strconv.Itoa(size)
			}
		}
		o.Add(op.Name, v)
	}
	return o
}
