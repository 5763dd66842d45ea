package daemon_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/tftp"
)

// TestNetascii: the handler sees the file with its own line ends; the
// peer sees CR LF on the wire, both ways.
func TestNetascii(t *testing.T) {
	m := newMemory([]byte("line one\nline two\n"))
	srv := daemontest.NewTFTP(t, m)
	c := newRawClient(t, srv.Addr())
	c.send(tftp.AppendRequest(nil, tftp.Request{Op: tftp.OpRRQ, Filename: "cfg", Mode: behaviour.Netascii}))
	if r := c.expect(tftp.OpData); string(r.Payload) != "line one\r\nline two\r\n" {
		t.Errorf("netascii DATA %q", r.Payload)
	}
	c.ack(1)

	c.send(tftp.AppendRequest(nil, tftp.Request{Op: tftp.OpWRQ, Filename: "up", Mode: behaviour.Netascii}))
	c.expect(tftp.OpAck)
	c.data(1, []byte("a\r\nb\r\n"))
	c.expect(tftp.OpAck)
	waitFor(t, "the upload", func() bool { _, ok := m.file("up"); return ok })
	if b, _ := m.file("up"); string(b) != "a\nb\n" {
		t.Errorf("stored %q", b)
	}
}

// TestWindowedUpload: a peer that sends a whole window before waiting
// (RFC 7440) gets one ACK per window, in both port policies: the
// single-port queue holds a full window.
func TestWindowedUpload(t *testing.T) {
	const window, blocks = 16, 40
	data := make([]byte, blocks*tftp.DefaultBlockSize+100)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, ports := range []daemon.PortPolicy{daemon.PortsRandom, daemon.PortsSingle} {
		t.Run(ports.String(), func(t *testing.T) {
			m := newMemory(nil)
			srv := daemontest.NewTFTP(t, m, func(d *daemon.TFTP) { d.Ports = ports })
			c := newRawClient(t, srv.Addr())
			c.wrq("w", "windowsize", fmt.Sprint(window))
			if o := c.expect(tftp.OpOACK); o.Options.String() != fmt.Sprintf("windowsize=%d", window) {
				t.Fatalf("OACK %q", o.Options.String())
			}
			for first := 1; first <= blocks+1; first += window {
				last := min(first+window-1, blocks+1)
				for b := first; b <= last; b++ {
					off := (b - 1) * tftp.DefaultBlockSize
					c.data(uint16(b), data[off:min(len(data), off+tftp.DefaultBlockSize)])
				}
				if a := c.expect(tftp.OpAck); int(a.Block) != last {
					t.Fatalf("ACK %d, want %d at the end of the window", a.Block, last)
				}
			}
			waitFor(t, "the upload", func() bool { b, ok := m.file("w"); return ok && bytes.Equal(b, data) })
		})
	}
}
