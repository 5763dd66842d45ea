package daemon_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// closedWithin reports whether the server closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return err == nil // EOF: the server closed it; a timeout is an error
}

func TestHTTPSlowHeaderIsCut(t *testing.T) {
	s := daemontest.NewHTTP(t, behaviour.Bytes([]byte("x")), func(d *daemon.HTTP) { d.ReadHeaderTimeout = 200 * time.Millisecond })
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /f HTTP/1.1\r\nHost: x\r\n") // and never the end
	if !closedWithin(c, 3*time.Second) {
		t.Error("a header that never ends held its connection")
	}
}

// TestHTTPMaxPerAddress: over MaxPerAddress, a new connection takes the
// place of its address's idlest connection that serves no request; when
// all of them serve one, it is answered 503.
func TestHTTPMaxPerAddress(t *testing.T) {
	var rec httpRecorder
	release := make(chan struct{})
	var slow atomic.Int32
	s := daemontest.NewHTTP(t, behaviour.Bytes([]byte("x")), rec.options, func(d *daemon.HTTP) {
		d.MaxPerAddress = 2
		d.OnRequest = func(st daemon.Stats) error {
			if st.Name == "slow" {
				slow.Add(1)
				<-release
			}
			return nil
		}
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	get := func(name string) (int, error) {
		resp, err := client.Get(s.URL(name))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	// Two silent connections: the third takes the older one's place.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
		time.Sleep(10 * time.Millisecond) // in order, and idle for different times
	}
	if st, err := get("f"); err != nil || st != 200 {
		t.Fatalf("a third connection with two silent ones held: %d %v, want 200", st, err)
	}
	if !closedWithin(held[0], 3*time.Second) {
		t.Error("the idlest silent connection was not shed")
	}
	if closedWithin(held[1], 100*time.Millisecond) {
		t.Error("the younger silent connection was shed too")
	}
	held[1].Close()

	// Two connections serving a request: the third is refused.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if st, err := get("slow"); err != nil || st != 200 {
				t.Errorf("a slow request: %d %v", st, err)
			}
		})
	}
	defer wg.Wait()
	defer close(release)
	for deadline := time.Now().Add(5 * time.Second); slow.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow requests did not arrive")
		}
	}
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("a third connection with two serving: %v %v, want 503", resp, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.refused) == 0 || !strings.Contains(rec.refused[0].Error(), "from this address") {
		t.Errorf("refusals %v", rec.refused)
	}
}

func TestHTTPStalledUploadTimesOut(t *testing.T) {
	pw, _ := httpAuthFiles(t)
	spy := abortSpy{handlers.NewMemory(), make(chan error, 1)}
	s := daemontest.NewHTTP(t, spy, func(d *daemon.HTTP) { d.PasswordFile, d.DataTimeout = pw, 200*time.Millisecond })
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "PUT /slow HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "+basicToken("alice", httpTestPassword)+
		"\r\nContent-Length: 1000\r\n\r\nabc")
	select {
	case <-spy.aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("a stalled upload was never aborted")
	}
	if _, ok := spy.Get("slow"); ok {
		t.Error("stored a stalled upload")
	}
}

// TestHTTPGetDuringSilentFlood: connections from three addresses that
// never finish a request, silent or sending half a header, fill
// MaxConnections; a request from a fourth address takes the place of one
// of them and is served.
func TestHTTPGetDuringSilentFlood(t *testing.T) {
	s := daemontest.NewHTTP(t, behaviour.Bytes([]byte("x")), func(d *daemon.HTTP) {
		d.MaxConnections, d.MaxPerAddress = 50, 20
	})
	for i := range 60 {
		attacker := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%3))}, Timeout: 5 * time.Second}
		c, err := attacker.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i%2 == 1 {
			if _, err := c.Write([]byte("GET /f HTTP/1.1\r\nHost: x\r\n")); err != nil {
				t.Fatal(err)
			}
		}
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	start := time.Now()
	resp, err := client.Get(s.URL("f"))
	if err != nil {
		t.Fatalf("GET during the flood: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET during the flood: %d", resp.StatusCode)
	}
	t.Logf("GET from a fourth address while 60 connections that never finish a request fill 50 slots: %v", time.Since(start))
	if g := s.HTTP.Guard(); g.Shed < 11 {
		t.Errorf("Guard().Shed = %d, want at least 11", g.Shed)
	}
}
