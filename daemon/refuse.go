package daemon

import (
	"fmt"
	"log/slog"
	"net/netip"
)

// callRefuse calls a server's OnRefuse hook, when set, containing a panic.
func callRefuse(log *slog.Logger, hook func(netip.AddrPort, error), peer netip.AddrPort, err error) {
	if hook == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			log.Error("OnRefuse panicked", "peer", peer, "panic", fmt.Sprint(r))
		}
	}()
	hook(peer, err)
}
