package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/filemux/filemux/behaviour"
)

// macHandler rewrites the "mac" capture into one canonical form before its
// handler looks it up.
type macHandler struct{ behaviour.Handler }

// canonicalMAC returns a Handler that serves what h serves after writing
// the route's "mac" capture as devices.yaml does (00:1a:2b:3c:4d:5e),
// whichever form the name used: 00-1A-2B-3C-4D-5E, 001a.2b3c.4d5e,
// 001a2b3c4d5e, or the 0:1a:2b:3c:4d:5e that ISC dhcpd's binary-to-ascii
// makes of it. A capture that is no MAC address is not found.
func canonicalMAC(h behaviour.Handler) behaviour.Handler { return macHandler{h} }

// Open canonicalises the capture and opens the file with it.
func (m macHandler) Open(ctx context.Context, t *behaviour.Transfer) error {
	for i, p := range t.Params {
		if p.Name != "mac" {
			continue
		}
		c, ok := canonical(p.Value)
		if !ok {
			return behaviour.ErrNotFound
		}
		t.Params[i].Value = c
	}
	return m.Handler.Open(ctx, t)
}

// Unwrap lets capability checks see the handler underneath.
func (m macHandler) Unwrap() behaviour.Handler { return m.Handler }

// canonical writes a MAC address as six lower-case, colon-separated pairs.
func canonical(s string) (string, bool) {
	var groups []string
	switch dotted := strings.Split(s, "."); {
	case strings.ContainsAny(s, ":-"):
		groups = strings.Split(strings.ReplaceAll(s, "-", ":"), ":")
	case len(dotted) == 3: // Cisco's 001a.2b3c.4d5e
		for _, d := range dotted {
			if len(d) != 4 {
				return "", false
			}
			groups = append(groups, d[:2], d[2:])
		}
	case len(s) == 12:
		groups = []string{s[0:2], s[2:4], s[4:6], s[6:8], s[8:10], s[10:12]}
	}
	if len(groups) != 6 {
		return "", false
	}
	for i, g := range groups {
		n, err := strconv.ParseUint(g, 16, 8)
		if err != nil || len(g) > 2 {
			return "", false
		}
		groups[i] = strconv.FormatUint(n|0x100, 16)[1:]
	}
	return strings.Join(groups, ":"), true
}
