package tftp

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/filemux/filemux/behaviour"
)

func TestToNetascii(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\nb", "a\r\nb"},
		{"a\rb", "a\r\x00b"},
		{"end\n", "end\r\n"},
		{"end\r", "end\r\x00"},
		{"", ""},
		{strings.Repeat("x\n", 300), strings.Repeat("x\r\n", 300)},
	} {
		// DataErrReader returns the last bytes together with io.EOF, as
		// the Handler contract allows; OneByteReader splits everything.
		for _, r := range []io.Reader{iotest.DataErrReader(strings.NewReader(tc.in)), iotest.OneByteReader(strings.NewReader(tc.in))} {
			got, err := io.ReadAll(iotest.HalfReader(toNetascii(r)))
			if err != nil || string(got) != tc.want {
				t.Fatalf("%q: got %q (%v), want %q", tc.in, got, err, tc.want)
			}
		}
	}
}

// dataWithEOF returns all of its data together with io.EOF in one call.
type dataWithEOF struct{ s string }

func (d *dataWithEOF) Read(p []byte) (int, error) {
	n := copy(p, d.s)
	d.s = d.s[n:]
	if d.s == "" {
		return n, io.EOF
	}
	return n, nil
}

// TestToNetasciiKeepsDataBeforeEOF: data delivered together with io.EOF,
// read out through small buffers, arrives whole (pin/tftp's encoder alone
// drops what it still holds when it sees io.EOF).
func TestToNetasciiKeepsDataBeforeEOF(t *testing.T) {
	in := strings.Repeat("ab\n", 40)
	r := toNetascii(&dataWithEOF{in})
	var got []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := strings.ReplaceAll(in, "\n", "\r\n"); string(got) != want {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
}

func TestNetasciiSink(t *testing.T) {
	for _, tc := range []struct {
		chunks []string
		want   string
	}{
		{[]string{"a\r\nb"}, "a\nb"},
		{[]string{"a\r\x00b"}, "a\rb"},
		{[]string{"a\r", "\nb"}, "a\nb"},
		{[]string{"a\r", "\x00"}, "a\r"},
		{[]string{"bare\rx"}, "bare\rx"},
		{[]string{"ends\r"}, "ends\r"},
		{[]string{"ends", "\r"}, "ends\r"},
		{[]string{"\r\r\n"}, "\r\n"},
	} {
		got := &sinkBuffer{}
		s := newNetasciiSink(got, 512)
		for i, c := range tc.chunks {
			if err := s.Write([]byte(c), i == len(tc.chunks)-1); err != nil {
				t.Fatal(err)
			}
		}
		if got.String() != tc.want || got.lasts != 1 {
			t.Errorf("%q: got %q", tc.chunks, got.String())
		}
	}
}

// TestNetasciiTransfer: a text file crosses the wire in netascii and comes
// back out unchanged, however its line ends fall on block boundaries.
func TestNetasciiTransfer(t *testing.T) {
	text := []byte(strings.Repeat("line one\nline\rtwo\n\n", 100))
	a, b := listenUDP(t), listenUDP(t)
	p := Params{Mode: behaviour.Netascii, BlockSize: 8, WindowSize: 4, Timeout: 100 * time.Millisecond, Retries: 5}
	send, recv, got := transfer(t, a, b, p, behaviour.Options{}, text)
	if send.err != nil || recv.err != nil {
		t.Fatalf("send: %v, receive: %v", send.err, recv.err)
	}
	if !bytes.Equal(got.Bytes(), text) {
		t.Fatalf("text changed on the way")
	}
	if wire := int64(len(text) + bytes.Count(text, []byte("\n")) + bytes.Count(text, []byte("\r"))); send.stats.Bytes != wire {
		t.Errorf("%d octets on the wire, want %d", send.stats.Bytes, wire)
	}
}
