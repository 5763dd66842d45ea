package daemon_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// slowRandom is a Memory file read only through a slow ReaderAt (it hides
// the whole content), that counts the reads made after the transfer's
// ending. It does not embed the Memory, whose Content would be promoted.
type slowRandom struct {
	m     *handlers.Memory
	ended atomic.Bool
	late  atomic.Int32
	reads atomic.Int32
}

func (h *slowRandom) Unwrap() behaviour.Handler { return h.m }

func (h *slowRandom) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	return h.m.Prepare(ctx, t)
}

func (h *slowRandom) Open(ctx context.Context, t *behaviour.Transfer) error { return h.m.Open(ctx, t) }

func (h *slowRandom) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return h.m.Write(t, p, last)
}

func (h *slowRandom) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	ra, ok := behaviour.ReaderAt(h.m, t)
	if !ok {
		return nil, false
	}
	return readerAtFunc(func(p []byte, off int64) (int, error) {
		h.reads.Add(1)
		time.Sleep(50 * time.Millisecond)
		if h.ended.Load() {
			h.late.Add(1)
		}
		return ra.ReadAt(p, off)
	}), true
}

func (h *slowRandom) Read(t *behaviour.Transfer, p []byte) (int, error) {
	if p == nil {
		h.ended.Store(true)
	}
	return h.m.Read(t, p)
}

func (h *slowRandom) Abort(t *behaviour.Transfer, err error) {
	h.ended.Store(true)
	h.m.Abort(t, err)
}

type readerAtFunc func(p []byte, off int64) (int, error)

func (f readerAtFunc) ReadAt(p []byte, off int64) (int, error) { return f(p, off) }

// TestHTTPMultiRangeClientGoneReadsNoMore: a client that goes away in the
// middle of a multipart answer to several ranges, which net/http copies
// from a goroutine of its own, leaves no read of the handler after the
// transfer's ending.
func TestHTTPMultiRangeClientGoneReadsNoMore(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("f", make([]byte, 8<<20))
	h := &slowRandom{m: m}
	var rec httpRecorder
	s := daemontest.NewHTTP(t, h, rec.options)
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /f HTTP/1.1\r\nHost: x\r\nRange: bytes=0-10,100-8388607\r\n\r\n")
	if _, err := io.ReadFull(bufio.NewReader(c), make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); h.reads.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not read the second range: %d reads", h.reads.Load())
		}
	}
	c.(*net.TCPConn).SetLinger(0)
	c.Close()
	if st := rec.last(t, 1); st.Outcome == daemon.OutcomeSuccess {
		t.Fatalf("the cut answer succeeded: %+v", st)
	}
	time.Sleep(300 * time.Millisecond) // for a read the copying goroutine would start late
	if n := h.late.Load(); n != 0 {
		t.Errorf("%d reads of the handler after the transfer's ending", n)
	}
}
