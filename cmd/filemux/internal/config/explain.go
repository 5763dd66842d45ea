package config

import (
	"net/netip"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/registry"
)

// Explanation is what a file name gets from a configuration: the answer
// of `filemux match`, like atftpd's --pcre-test.
type Explanation struct {
	// Name is the requested name after behaviour.CleanName, as routes see
	// it.
	Name string
	// Index is the route's position, from 0; Route its name.
	Index int
	Route string
	// Pattern is the route's match as the file writes it, Where its
	// file:line.
	Pattern, Where string
	// Params are the named captures.
	Params []behaviour.Param
	// Handler describes the handler, such as "dir /srv/tftp (write: none)".
	Handler string
	// Access and Protocols are the route's filters.
	Access    Access
	Protocols []Protocol
	// AnonymousUploads and Listing are the route's anonymous_uploads and
	// listing.
	AnonymousUploads, Listing bool
	// URL is the origin URL of an http route for the name, rendered for a
	// client at 0.0.0.0 (templates that use the peer differ per client).
	URL string
}

// Explain cleans name as an engine would and reports the route it is
// dispatched to. It fails when the name is refused, when no route
// matches, or when a match runs out of time.
func (s *RouteSet) Explain(name string) (Explanation, error) {
	clean, err := behaviour.CleanName(name)
	if err != nil {
		return Explanation{}, err
	}
	reg := registry.Registry{MatchTimeout: s.matchTimeout}
	if err := reg.SetRoutes(s.routes); err != nil {
		return Explanation{}, err
	}
	m, err := reg.Match(clean)
	if err != nil {
		return Explanation{Name: clean, Index: -1}, err
	}
	info := s.infos[m.Index]
	e := Explanation{
		Name: clean, Index: m.Index, Route: info.name, Pattern: info.match, Where: m.Where,
		Params: m.Params, Handler: info.handler, Access: info.access, Protocols: info.protocols,
		AnonymousUploads: info.anonymous, Listing: info.listing,
	}
	if info.http != nil {
		t := &behaviour.Transfer{Protocol: behaviour.TFTP, Access: behaviour.Read, Name: clean, Params: m.Params,
			Peer: netip.AddrPortFrom(netip.IPv4Unspecified(), 0)}
		e.URL, _ = info.http.URL(t)
	}
	return e, nil
}
