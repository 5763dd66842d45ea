package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/filemux/filemux/client"
)

// meter draws a transfer's progress bar on a terminal (name, size, rate,
// ETA) and writes the one-line summary at the end.
type meter struct {
	w     io.Writer
	name  string
	width int // 0: no bar (not a terminal, or --quiet)
	start time.Time
	drawn time.Time
	last  client.Progress
}

// redraw is the shortest interval between two frames of the bar.
const redraw = 100 * time.Millisecond

func newMeter(w io.Writer, name string, width int) *meter {
	return &meter{w: w, name: name, width: width, start: time.Now()}
}

// update is the client's Progress callback.
func (m *meter) update(p client.Progress) {
	m.last = p
	if m.width == 0 || time.Since(m.drawn) < redraw {
		return
	}
	m.drawn = time.Now()
	fmt.Fprint(m.w, "\r"+m.frame(p))
}

// done clears the bar.
func (m *meter) done() {
	if m.width > 0 && !m.drawn.IsZero() {
		fmt.Fprint(m.w, "\r"+strings.Repeat(" ", m.width-1)+"\r")
	}
}

// frame renders one line of the bar, fitted to the terminal's width.
func (m *meter) frame(p client.Progress) string {
	elapsed := time.Since(m.start)
	rate := float64(p.Bytes) / max(elapsed.Seconds(), 1e-3)
	size, eta, bar := humanBytes(p.Bytes), "--:--", ""
	if p.Total > 0 {
		size = humanBytes(p.Total)
		if rate > 0 {
			eta = clock(time.Duration(float64(p.Total-p.Bytes) / rate * float64(time.Second)))
		}
	}
	head := fmt.Sprintf("%-20s %10s %10s/s %6s ", shorten(m.name, 20), size, humanBytes(int64(rate)), eta)
	if p.Total > 0 {
		bar = progressBar(float64(p.Bytes)/float64(p.Total), m.width-len(head)-1)
	}
	line := head + bar
	return line[:min(len(line), m.width-1)]
}

// progressBar draws [####·····] 42% in n columns.
func progressBar(frac float64, n int) string {
	inner := n - 7
	if inner < 5 {
		return fmt.Sprintf("%3.0f%%", 100*frac)
	}
	full := min(int(frac*float64(inner)), inner)
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", inner-full) + "] " + fmt.Sprintf("%3.0f%%", 100*frac)
}

// summary is the one line printed at the end: what moved, how fast, and
// with which options.
func summary(verb, from, to string, res client.Result) string {
	secs := res.Duration.Seconds()
	rate := float64(res.Bytes) / max(secs, 1e-6)
	s := fmt.Sprintf("%s %s -> %s: %s in %s (%s/s), %s mode, blksize %d, windowsize %d",
		verb, from, to, humanBytes(res.Bytes), res.Duration.Round(time.Millisecond), humanBytes(int64(rate)),
		res.Mode, res.BlockSize, res.WindowSize)
	if res.Retransmits > 0 {
		s += fmt.Sprintf(", %d resent", res.Retransmits)
	}
	if res.Options.Len() > 0 {
		s += ", server accepted " + res.Options.String()
	}
	if res.Unconfirmed {
		s += ", final ACK never came (server ended first)"
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 100*60 {
		return fmt.Sprintf("%dh%02d", s/3600, s/60%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n+3:]
}
