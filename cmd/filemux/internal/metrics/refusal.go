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

// httpRefusal counts a request the HTTP server refused before its
// transfer started. The reason is a slug of the refusal: the peer message
// of a *behaviour.Error (illegal_file_name), else the daemon's own text,
// one of a fixed set (method_not_allowed, authentication_required,
// authentication_required_wrong_credentials, banned_after_failed_logins,
// too_many_connections, too_many_connections_from_this_address,
// shutting_down, ...), never a file name.
func (m *Metrics) httpRefusal(_ netip.AddrPort, err error) {
	var be *behaviour.Error
	reason := strings.TrimPrefix(err.Error(), "http: ")
	if errors.As(err, &be) {
		reason = be.PeerMessage()
	}
	m.Refused(behaviour.HTTP, slug(reason))
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
