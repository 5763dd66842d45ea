package behaviourtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// TestHandler checks h against the Handler contract and spec, without a
// network, and returns every violation it finds joined with errors.Join
// (each a *Violation naming the transfer and the rule), sorted, or nil.
//
// It reads every file of spec.Reads with every chunk size and, when h offers
// io.ReaderAt, with concurrent ReadAt calls in random order, and when it
// offers the whole content (behaviour.ContentOf), by taking that; checks the
// refusals; uploads to every name of spec.Writes sequentially, with WriteAt
// out of order when h offers io.WriterAt, and abandoned half-way; and calls
// Prepare with the suggested options. Transfers run on several goroutines at
// once, so run it under the race detector.
//
// Every transfer gets exactly one ending, as engines give it, with one
// exception: like testing/iotest.TestReader, the first read of each file
// calls Read once more after io.EOF, where any error or panic is accepted
// but data is not.
//
// Along the way it checks what an engine can see from outside: content and
// sizes, options never added or raised, Read answering (0, nil) forever or
// data after io.EOF, the io.ReaderAt and io.WriterAt rules, uploads
// invisible before their commit and after Abort, panics (recovered and
// reported), and goroutines the handler started that outlive its transfers.
func TestHandler(h behaviour.Handler, spec Spec) error {
	spec = spec.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := &kit{h: h, spec: spec, ctx: ctx, cancel: cancel, track: newTracker()}
	if k.run(k.jobs()) && !spec.IgnoreGoroutines {
		k.checkLeaks()
	}
	return k.v.sorted()
}

// kit is one TestHandler run.
type kit struct {
	h    behaviour.Handler
	spec Spec
	// ctx is the context of every transfer, cancelled after the timeout
	// once the transfers still running are reported.
	ctx    context.Context
	cancel context.CancelFunc
	track  *tracker
	v      violations

	mu       sync.Mutex
	inFlight map[int]job
}

// job is one independent check; jobs run in parallel.
type job struct {
	access behaviour.Access
	name   string
	what   string
	do     func()
}

// workers is how many transfers run at once.
const workers = 4

func (k *kit) jobs() []job {
	var js []job
	for _, name := range slices.Sorted(maps.Keys(k.spec.Reads)) {
		js = append(js, k.readJobs(name, k.spec.Reads[name])...)
	}
	for _, name := range k.spec.Writes {
		js = append(js, job{behaviour.Write, name, "uploads", func() { k.checkWrites(name) }})
	}
	for _, name := range slices.Sorted(maps.Keys(k.spec.RefuseReads)) {
		js = append(js, job{behaviour.Read, name, "refusal", func() { k.checkRefusal(behaviour.Read, name, k.spec.RefuseReads[name]) }})
	}
	for _, name := range slices.Sorted(maps.Keys(k.spec.RefuseWrites)) {
		js = append(js, job{behaviour.Write, name, "refusal", func() { k.checkRefusal(behaviour.Write, name, k.spec.RefuseWrites[name]) }})
	}
	return js
}

// run runs the jobs on workers goroutines and reports whether they all
// finished before the timeout.
func (k *kit) run(js []job) bool {
	k.inFlight = make(map[int]job)
	queue := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(js)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				k.runJob(i, js[i])
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range js {
			select {
			case queue <- i:
			case <-k.ctx.Done():
			}
		}
		close(queue)
		wg.Wait()
	}()
	timer := time.NewTimer(k.spec.Timeout)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		k.reportStuck()
		k.cancel()
		return false
	}
}

func (k *kit) runJob(i int, j job) {
	k.mu.Lock()
	k.inFlight[i] = j
	k.mu.Unlock()
	j.do()
	k.mu.Lock()
	delete(k.inFlight, i)
	k.mu.Unlock()
}

func (k *kit) reportStuck() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, i := range slices.Sorted(maps.Keys(k.inFlight)) {
		j := k.inFlight[i]
		k.v.add(&Violation{Access: j.access, Name: j.name, Rule: RuleTooLong, Detail: fmt.Sprintf("%s still running after %v: a handler call does not return", j.what, k.spec.Timeout)})
	}
}

// violate records a violation, unless the run timed out: what transfers
// report after the kit cancelled them follows from the report of the stuck
// ones.
func (k *kit) violate(access behaviour.Access, name string, rule Rule, format string, args ...any) {
	k.keep(&Violation{Access: access, Name: name, Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

func (k *kit) keep(err error) {
	if err != nil && k.ctx.Err() == nil {
		k.v.add(err)
	}
}

// config returns the driver settings of one transfer of the run.
func (k *kit) config(chunk int, maxSize int64) *config {
	return &config{
		chunk:    chunk,
		protocol: k.spec.Protocol,
		mode:     behaviour.Octet,
		suggest:  k.spec.Options,
		maxSize:  maxSize,
		track:    k.track,
	}
}

// transfer runs one transfer and keeps its violations.
func (k *kit) transfer(access behaviour.Access, name string, c *config, data []byte) ([]byte, error) {
	t, err := newTransfer(c, access, name, len(data))
	if err != nil {
		return nil, err
	}
	s := newSession(k.h, t, c)
	var out []byte
	k.within(t, func() { out, err = s.run(k.ctx, data) })
	k.keep(s.v.err())
	return out, err
}

// within runs f, which calls the handler for t, on a goroutine of its own,
// so that goroutines the handler starts are traced back to t.
func (k *kit) within(t *behaviour.Transfer, f func()) {
	done := make(chan struct{})
	k.track.goTracked(owner{t.Access, t.RequestedName}, func() {
		defer close(done)
		f()
	})
	<-done
}

// kitError reports errors the kit made up itself after a violation it
// already reported.
func kitError(err error) bool {
	for _, e := range []error{errPanicked, errBadCount, errStuck, errTooLong, errRandomEnding, errNoContent} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// describe names how a transfer was driven, for violation details.
func describe(c *config) string {
	s := fmt.Sprintf("chunk %d", c.chunk)
	if c.random {
		s += ", random access"
	}
	if c.whole {
		s += ", whole content"
	}
	return s
}

// settle is how long goroutines get to end after the last transfer.
const settle = 2 * time.Second
