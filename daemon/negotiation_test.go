package daemon_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
)

// adjusting is a memory handler whose Open changes the options first.
type adjusting struct {
	*memory
	adjust func(t *behaviour.Transfer)
	seen   chan behaviour.Options // the options Open was offered
}

func (a *adjusting) Open(ctx context.Context, t *behaviour.Transfer) error {
	a.seen <- t.Options.Clone()
	if a.adjust != nil {
		a.adjust(t)
	}
	return a.memory.Open(ctx, t)
}

func TestNegotiation(t *testing.T) {
	data := bytes.Repeat([]byte("negotiate "), 300) // 3000 bytes
	size := strconv.Itoa(len(data))
	cases := []struct {
		name    string
		config  func(*daemon.TFTP)
		request []string
		adjust  func(*behaviour.Transfer)
		offered string // the options Open sees
		oack    string // "" means no OACK: DATA 1 comes at once
		refused bool   // ERROR 8 after Open, then Abort
	}{
		{name: "accepted as asked", request: []string{"blksize", "1024", "tsize", "0", "timeout", "3"},
			offered: "blksize=1024 tsize=0 timeout=3", oack: "blksize=1024 tsize=" + size + " timeout=3"},
		{name: "unknown options dropped, no OACK", request: []string{"colour", "blue", "rollover", "0"}},
		{name: "blksize above MaxBlockSize gets the max", config: func(d *daemon.TFTP) { d.MaxBlockSize = 600 },
			request: []string{"blksize", "1400"}, offered: "blksize=600", oack: "blksize=600"},
		{name: "windowsize above MaxWindowSize gets the max", config: func(d *daemon.TFTP) { d.MaxWindowSize = 1 },
			request: []string{"windowsize", "100"}, offered: "windowsize=1", oack: "windowsize=1"},
		{name: "handler lowers blksize", request: []string{"blksize", "1400", "tsize", "0"},
			adjust:  func(t *behaviour.Transfer) { t.Options.Lower("blksize", 700) },
			offered: "blksize=1400 tsize=0", oack: "blksize=700 tsize=" + size},
		{name: "handler drops tsize", request: []string{"tsize", "0", "blksize", "1024"},
			adjust:  func(t *behaviour.Transfer) { t.Options.Del("tsize") },
			offered: "tsize=0 blksize=1024", oack: "blksize=1024"},
		{name: "handler drops everything, no OACK", request: []string{"blksize", "1024"},
			adjust: func(t *behaviour.Transfer) { t.Options.Del("blksize") }, offered: "blksize=1024"},
		{name: "handler adds an option", request: []string{"blksize", "1024"},
			adjust:  func(t *behaviour.Transfer) { t.Options.Add("windowsize", "8") },
			offered: "blksize=1024", refused: true},
		{name: "handler raises blksize", request: []string{"blksize", "1024"},
			adjust:  func(t *behaviour.Transfer) { _ = t.Options.Set("blksize", "4096") },
			offered: "blksize=1024", refused: true},
		{name: "refused option never negotiated", config: func(d *daemon.TFTP) { d.RefuseOptions = []string{"WindowSize"} },
			request: []string{"windowsize", "4", "blksize", "1024"}, offered: "blksize=1024", oack: "blksize=1024"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &adjusting{memory: newMemory(data), adjust: tc.adjust, seen: make(chan behaviour.Options, 1)}
			sp := newSpy(h)
			var opts []daemontest.Option
			if tc.config != nil {
				opts = append(opts, tc.config)
			}
			srv := daemontest.NewTFTP(t, sp, opts...)
			c := newRawClient(t, srv.Addr())
			if tc.refused {
				c.rrq("f", tc.request...)
				c.expectError(behaviour.CodeOptionRefused)
				sp.waitCounts(t, 1, 1, 0)
			} else {
				got, oack := c.get("f", tc.request...)
				if !bytes.Equal(got, data) {
					t.Fatalf("read %d bytes, want the %d served", len(got), len(data))
				}
				if s := oack.String(); s != tc.oack {
					t.Errorf("OACK %q, want %q", s, tc.oack)
				}
				sp.waitCounts(t, 1, 0, 1)
			}
			offered := <-h.seen
			if s := offered.String(); s != tc.offered {
				t.Errorf("Open was offered %q, want %q", s, tc.offered)
			}
		})
	}
}

// TestWriteTSize checks the WRQ side of tsize: echoed when accepted, and a
// size above MaxSize refused before the handler is asked or any data moves.
func TestWriteTSize(t *testing.T) {
	m := newMemory(nil)
	sp := newSpy(m)
	srv := daemontest.NewTFTP(t, sp, func(d *daemon.TFTP) { d.MaxSize = 1000 })
	c := newRawClient(t, srv.Addr())

	c.wrq("big", "tsize", "1001")
	if e := c.expectError(behaviour.CodeDiskFull); e.from != srv.Addr() {
		t.Errorf("refusal came from %v, want the listening address %v", e.from, srv.Addr())
	}
	c.silent(50 * time.Millisecond)

	data := bytes.Repeat([]byte{7}, 1000)
	oack := c.put("fits", data, "tsize", "1000")
	if s := oack.String(); s != "tsize=1000" {
		t.Errorf("OACK %q, want tsize=1000", s)
	}
	sp.waitCounts(t, 1, 0, 1)
	if got, _ := m.file("fits"); !bytes.Equal(got, data) {
		t.Errorf("stored %d bytes, want %d", len(got), len(data))
	}
}
