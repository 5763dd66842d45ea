package bootlab

import (
	"net"

	"github.com/filemux/filemux/behaviour"
)

// HTTPServe starts an HTTP server that serves every request through h on l,
// in the background, and returns a function that stops it and reports how
// serving ended (nil after a clean stop). It is the interface the UEFI HTTP
// boot test runs filemux's HTTP daemon through (issue 18), so that the test
// is written before daemon.HTTP reaches this branch: wired to daemon.HTTP,
// it is one line (Handler h, Serve(l) in a goroutine, Close to stop).
type HTTPServe func(l net.Listener, h behaviour.Handler) (stop func() error, err error)
