package daemon_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
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

func TestHTTPMaxPerAddress(t *testing.T) {
	var rec httpRecorder
	s := daemontest.NewHTTP(t, behaviour.Bytes([]byte("x")), rec.options, func(d *daemon.HTTP) { d.MaxPerAddress = 2 })
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	// The backlog is accepted in order: the third connection comes after
	// both held ones.
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("third connection: %v %v, want 503", resp, err)
	}
	held[0].Close()
	// Its slot is given back once the server has seen it close.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	var resp2 *http.Response
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if resp2, err = client.Get(s.URL("f")); err == nil {
			resp2.Body.Close()
			if resp2.StatusCode == 200 {
				break
			}
		}
	}
	if err != nil || resp2.StatusCode != 200 {
		t.Errorf("after a slot freed: %v %v", resp2, err)
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
