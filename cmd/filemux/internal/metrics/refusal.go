package metrics

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
)

// tftpRefusal counts a request the TFTP daemon refused before admission
// (malformed, refused name, limits, shutdown, the rate limit), which no
// transfer hook sees. The reason is the refusal's peer message as a slug
// (too_many_transfers, illegal_file_name, ...), a fixed set of the
// daemon's and the wire codec's own texts, or rate_limit.
func (m *Metrics) tftpRefusal(_ netip.AddrPort, err error) {
	reason := "rate_limit"
	if !errors.Is(err, daemon.ErrRateLimited) {
		reason = slug(behaviour.PeerMessage(err))
	}
	m.Refused(behaviour.TFTP, reason)
}

// slug turns a message into a label value: lower case, words joined by
// underscores, at most 48 bytes.
func slug(msg string) string {
	var b strings.Builder
	under := false
	for _, c := range strings.ToLower(msg) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(c)
		default:
			under = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	if b.Len() == 0 {
		return "error"
	}
	return b.String()
}
