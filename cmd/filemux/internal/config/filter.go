package config

import (
	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// restrictAccess applies a route's access: read-only routes refuse every
// change (handlers.ReadOnly), write-only routes refuse downloads
// (handlers.WriteOnly).
func restrictAccess(h behaviour.Handler, a Access) behaviour.Handler {
	switch a {
	case AccessRead:
		return handlers.ReadOnly(h)
	case AccessWrite:
		return handlers.WriteOnly(h)
	}
	return h
}

// restrictProtocols limits a route to some protocols (handlers.Protocols);
// empty means all.
func restrictProtocols(h behaviour.Handler, ps []Protocol) behaviour.Handler {
	if len(ps) == 0 {
		return h
	}
	allowed := make([]behaviour.Protocol, len(ps))
	for i, p := range ps {
		allowed[i] = behaviour.Protocol(p)
	}
	return handlers.Protocols(h, allowed...)
}
