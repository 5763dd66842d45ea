package behaviourtest

import (
	"bytes"
	"maps"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// tracker remembers the goroutines the kit starts and the transfer each one
// works for, so that goroutines the handler starts from them are told apart
// from everyone else's, however many other tests run at the same time. A nil
// tracker starts plain goroutines.
type tracker struct {
	mu     sync.Mutex
	labels map[uint64]owner
}

// owner is the transfer a goroutine works for.
type owner struct {
	access behaviour.Access
	name   string
}

func newTracker() *tracker { return &tracker{labels: make(map[uint64]owner)} }

// goTracked runs f on a new goroutine working for the transfer label.
func (tr *tracker) goTracked(label owner, f func()) {
	if tr == nil {
		go f()
		return
	}
	go func() {
		tr.mu.Lock()
		tr.labels[goroutineID()] = label
		tr.mu.Unlock()
		f()
	}()
}

// goroutineID returns the id of the calling goroutine, from the first line
// of its stack: "goroutine 18 [running]:".
func goroutineID() uint64 {
	var buf [64]byte
	line := buf[:runtime.Stack(buf[:], false)]
	line = bytes.TrimPrefix(line, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(line[:max(bytes.IndexByte(line, ' '), 0)]), 10, 64)
	return id
}

// goroutine is one entry of a full stack dump.
type goroutine struct {
	id, parent uint64
	top        string // the function it is in
	creator    string // the "created by" line
}

// leaked returns the goroutines alive that a kit goroutine started, directly
// or through other such goroutines, with the label of their transfer.
func (tr *tracker) leaked() map[goroutine]owner {
	all := dump()
	tr.mu.Lock()
	labels := maps.Clone(tr.labels)
	tr.mu.Unlock()
	out := make(map[goroutine]owner)
	for grew := true; grew; {
		grew = false
		for _, g := range all {
			if processWide(g) {
				continue
			}
			l, fromKit := labels[g.parent]
			if _, known := labels[g.id]; fromKit && !known {
				labels[g.id] = l
				out[g] = l
				grew = true
			}
		}
	}
	return out
}

// processWide reports goroutines that a library starts once for the whole
// process on first use, from whichever goroutine happens to need it first:
// they outlive the transfer that started them without being its leak.
// regexp2's match-timeout clock is one (the registry times every match).
func processWide(g goroutine) bool {
	return strings.HasPrefix(g.creator, "github.com/dlclark/regexp2.")
}

// dump parses runtime.Stack for all goroutines.
func dump() []goroutine {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for block := range strings.SplitSeq(string(buf), "\n\n") {
		if g, ok := parseGoroutine(block); ok {
			gs = append(gs, g)
		}
	}
	return gs
}

// parseGoroutine reads one block of a stack dump:
//
//	goroutine 21 [chan receive]:
//	pkg.f(...)
//		file.go:12 +0x1d
//	created by pkg.g in goroutine 7
//		file.go:30 +0x5a
func parseGoroutine(block string) (goroutine, bool) {
	lines := strings.Split(block, "\n")
	header, ok := strings.CutPrefix(lines[0], "goroutine ")
	if !ok {
		return goroutine{}, false
	}
	var g goroutine
	g.id, _ = strconv.ParseUint(strings.Fields(header)[0], 10, 64)
	if len(lines) > 1 {
		g.top = lines[1]
	}
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "created by "); ok {
			fn, id, _ := strings.Cut(rest, " in goroutine ")
			g.creator = fn
			g.parent, _ = strconv.ParseUint(id, 10, 64)
		}
	}
	return g, g.parent != 0
}

// leakPoll is how often the leak check looks again while goroutines settle.
const leakPoll = 10 * time.Millisecond

// checkLeaks waits up to settle for the goroutines the handler started to
// end, then reports those still alive.
func (k *kit) checkLeaks() {
	deadline := time.Now().Add(settle)
	for {
		leaks := k.track.leaked()
		if len(leaks) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for g, o := range leaks {
				k.violate(o.access, o.name, RuleLeak, "goroutine %d started by %s is still in %s %v after the transfers ended", g.id, g.creator, g.top, settle)
			}
			return
		}
		time.Sleep(leakPoll)
	}
}
