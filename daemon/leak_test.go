package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

const leakTransfers = 5000 // per port policy: 10,000 in all

// leakHandler fails or succeeds by the name's prefix.
func leakHandler(data []byte) behaviour.Handler {
	m := newMemory(data)
	return funcs{
		open: func(ctx context.Context, t *behaviour.Transfer) error {
			if strings.HasPrefix(t.Name, "missing") {
				return behaviour.ErrNotFound
			}
			return m.Open(ctx, t)
		},
		read: func(t *behaviour.Transfer, p []byte) (int, error) {
			if strings.HasPrefix(t.Name, "panic") {
				panic("leak test panic")
			}
			return m.Read(t, p)
		},
		write: m.Write,
	}
}

// TestNoLeaks runs 10,000 transfers, mixed successes, refusals,
// aborts, timeouts and panics, in both port policies, and checks that the
// goroutines and file descriptors come back to where they started, both
// while the daemon still runs and after it is closed.
func TestNoLeaks(t *testing.T) {
	warm, _ := net.ListenPacket("udp", "127.0.0.1:0") // the runtime's poller fds open once
	warm.Close()
	// Without collections no finalizer closes a leaked socket behind the
	// daemon's back.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)
	data := bytes.Repeat([]byte("L"), 700)
	for _, ports := range []daemon.PortPolicy{daemon.PortsRandom, daemon.PortsSingle} {
		srv := daemontest.NewTFTP(t, leakHandler(data), func(d *daemon.TFTP) {
			d.Ports = ports
			d.Timeout = 200 * time.Millisecond // long enough that a loaded machine rarely resends
			d.Retries = 1
			d.MaxTransfers = 1000
			d.Logger = nil
		})
		runningG, runningFD := runtime.NumGoroutine(), openFDs(t)
		const workers = 8
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := newRawClient(t, srv.Addr())
				defer c.close()
				for i := w; i < leakTransfers; i += workers {
					kind := (i + i/workers) % 8
					if kind == 5 || kind == 6 {
						// An abandoned transfer's late datagrams must not
						// reach the next transfer: a socket of its own, kept
						// open until the end.
						spare := newRawClient(t, srv.Addr())
						defer spare.close()
						leakOnce(t, spare, i, kind, data)
						continue
					}
					leakOnce(t, c, i, kind, data)
				}
			}()
		}
		wg.Wait()
		waitFor(t, "the transfers to end", func() bool { return len(srv.TFTP.Active()) == 0 })
		settle(t, fmt.Sprintf("%v daemon running", ports), runningG, runningFD)
		srv.Close()
	}
	settle(t, "daemons closed", baseG, baseFD)
}

// leakOnce runs transfer i, of one kind of the mix, and checks its result.
func leakOnce(t *testing.T, c *rawClient, i, kind int, data []byte) {
	switch kind {
	case 0, 1:
		if got, _ := c.get(fmt.Sprint("ok-", i)); !bytes.Equal(got, data) {
			t.Errorf("transfer %d: wrong content", i)
		}
	case 2:
		c.put(fmt.Sprint("up-", i), data[:600])
	case 3:
		c.rrq(fmt.Sprint("missing-", i))
		c.expectError(behaviour.CodeNotFound)
	case 4:
		c.rrq(fmt.Sprint("../bad-", i))
		c.expectError(behaviour.CodeAccessViolation)
	case 5: // the peer aborts
		c.rrq(fmt.Sprint("abort-", i))
		c.expect(tftp.OpData)
		c.sendTID(tftp.AppendError(nil, 0, "changed my mind"))
	case 6: // the peer vanishes
		c.rrq(fmt.Sprint("vanish-", i))
		c.expect(tftp.OpData)
	case 7:
		c.rrq(fmt.Sprint("panic-", i))
		c.expectError(behaviour.CodeUndefined)
	}
}

// settle waits until the goroutines and descriptors are back to a level.
func settle(t *testing.T, when string, goroutines, fds int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFDs(t)
		if g <= goroutines && f <= fds {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%s: %d goroutines (want <= %d), %d fds (want <= %d)\n%s",
				when, g, goroutines, f, fds, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here:", err)
	}
	return len(entries)
}
