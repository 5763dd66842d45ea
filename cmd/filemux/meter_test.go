package main

import (
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
)

func TestFrame(t *testing.T) {
	m := newMeter(nil, "a/very/long/path/to/firmware.bin", 80)
	m.start = time.Now().Add(-2 * time.Second)
	f := m.frame(client.Progress{Bytes: 1 << 20, Total: 4 << 20})
	for _, want := range []string{"firmware.bin", "4.0 MiB", "512.0 KiB/s", "00:06", "25%", "[###"} {
		if !strings.Contains(f, want) {
			t.Errorf("frame %q lacks %q", f, want)
		}
	}
	if len(f) >= 80 {
		t.Errorf("frame of %d columns on an 80-column terminal", len(f))
	}
	if f := m.frame(client.Progress{Bytes: 1000, Total: -1}); !strings.Contains(f, "--:--") || strings.Contains(f, "[") {
		t.Errorf("frame without total: %q", f)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
