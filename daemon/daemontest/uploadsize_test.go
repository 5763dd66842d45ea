package daemontest_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
)

// sizeSink records the size an upload's Transfer holds at Open.
type sizeSink struct {
	behaviour.Base
	sizes chan int64
}

func (s sizeSink) Open(_ context.Context, t *behaviour.Transfer) error {
	n, ok := t.Size()
	if !ok {
		n = -1
	}
	s.sizes <- n
	return nil
}

func (sizeSink) Write(*behaviour.Transfer, []byte, bool) error { return nil }

// TestTFTPUploadSizeFromTsize checks that the daemon records a WRQ's tsize
// as t.Size() before Open, and leaves the size unknown without one.
func TestTFTPUploadSizeFromTsize(t *testing.T) {
	h := sizeSink{sizes: make(chan int64, 2)}
	srv := daemontest.NewTFTP(t, h)
	data := bytes.Repeat([]byte("x"), 3000)
	for _, tsize := range []bool{true, false} {
		c := &client.TFTP{Addr: srv.Addr().String(), TSize: tsize}
		if _, err := c.WriteBytes(context.Background(), "up.bin", data); err != nil {
			t.Fatal(err)
		}
		want := int64(len(data))
		if !tsize {
			want = -1
		}
		if got := <-h.sizes; got != want {
			t.Errorf("tsize sent %v: t.Size() at Open = %d, want %d", tsize, got, want)
		}
	}
}
