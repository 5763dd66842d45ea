package interop

import (
	"time"

	"github.com/filemux/filemux/internal/peers"
)

// waitSHA256 waits briefly for an upload to be committed: a client may see
// its last ACK before the daemon's final Write has renamed the file into
// place.
func waitSHA256(path, want string) string {
	var got string
	waitFor(func() bool {
		got = peers.SHA256File(path)
		return got == want
	})
	return got
}

// waitFor polls done for up to three seconds.
func waitFor(done func() bool) {
	deadline := time.Now().Add(3 * time.Second)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
