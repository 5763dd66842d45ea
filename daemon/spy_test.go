package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// spy wraps a Handler and checks the contract from the handler's side:
// the calls of one transfer never overlap, nothing is called after the
// ending, and every opened transfer ends exactly once. It counts the calls.
type spy struct {
	h behaviour.Handler

	mu         sync.Mutex
	opens      int // Open calls
	opened     int // Open calls that returned nil
	aborts     int
	successes  int
	abortErrs  []error
	violations []string
	state      map[*behaviour.Transfer]*spyState
}

type spyState struct {
	busy    bool
	endings int
}

func newSpy(h behaviour.Handler) *spy {
	return &spy{h: h, state: make(map[*behaviour.Transfer]*spyState)}
}

func (s *spy) enter(t *behaviour.Transfer, what string) *spyState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state[t]
	if st == nil {
		st = &spyState{}
		s.state[t] = st
	}
	if st.busy {
		s.violations = append(s.violations, what+" overlaps another call of its transfer")
	}
	if st.endings > 0 {
		s.violations = append(s.violations, what+" called after the ending")
	}
	st.busy = true
	return st
}

func (s *spy) leave(st *spyState, ending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.busy = false
	if ending {
		st.endings++
	}
}

func (s *spy) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	s.mu.Lock()
	s.violations = append(s.violations, "Prepare called on the server side")
	s.mu.Unlock()
	return s.h.Prepare(ctx, t)
}

func (s *spy) Open(ctx context.Context, t *behaviour.Transfer) (err error) {
	st := s.enter(t, "Open")
	defer func() {
		r := recover()
		s.mu.Lock()
		s.opens++
		if err == nil && r == nil {
			s.opened++
		} else {
			st.endings++ // a failed Open is the end: nothing may follow
		}
		st.busy = false
		s.mu.Unlock()
		if r != nil {
			panic(r)
		}
	}()
	return s.h.Open(ctx, t)
}

func (s *spy) Read(t *behaviour.Transfer, p []byte) (n int, err error) {
	st := s.enter(t, "Read")
	ok := false
	defer func() {
		end := ok && errors.Is(err, io.EOF)
		s.leave(st, end)
		if end {
			s.success()
		}
	}()
	n, err = s.h.Read(t, p)
	ok = true
	return n, err
}

func (s *spy) Write(t *behaviour.Transfer, p []byte, last bool) (err error) {
	st := s.enter(t, "Write")
	ok := false
	defer func() {
		end := ok && last && err == nil
		s.leave(st, end)
		if end {
			s.success()
		}
	}()
	err = s.h.Write(t, p, last)
	ok = true
	return err
}

func (s *spy) Abort(t *behaviour.Transfer, err error) {
	st := s.enter(t, "Abort")
	defer s.leave(st, true)
	s.mu.Lock()
	s.aborts++
	s.abortErrs = append(s.abortErrs, err)
	s.mu.Unlock()
	s.h.Abort(t, err)
}

func (s *spy) success() {
	s.mu.Lock()
	s.successes++
	s.mu.Unlock()
}

// counts returns opens, aborts and successes.
func (s *spy) counts() (opens, aborts, successes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens, s.aborts, s.successes
}

// check fails the test on any contract violation and on an opened transfer
// without exactly one ending.
func (s *spy) check(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.violations {
		t.Error(v)
	}
	for tr, st := range s.state {
		if st.endings > 1 {
			t.Errorf("transfer %q ended %d times", tr.Name, st.endings)
		}
	}
}

// waitCounts waits until the counts reach the wanted values, and fails the
// test if they do not within a few seconds or overshoot.
func (s *spy) waitCounts(t testing.TB, opens, aborts, successes int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("opens=%d aborts=%d successes=%d", opens, aborts, successes), func() bool {
		o, a, ok := s.counts()
		return o == opens && a == aborts && ok == successes
	})
	time.Sleep(20 * time.Millisecond) // an extra call would show up now
	if o, a, ok := s.counts(); o != opens || a != aborts || ok != successes {
		t.Fatalf("counts moved on to opens=%d aborts=%d successes=%d", o, a, ok)
	}
	s.check(t)
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// funcs is a Handler made of optional functions; missing ones behave as
// behaviour.Base.
type funcs struct {
	behaviour.Base
	open  func(ctx context.Context, t *behaviour.Transfer) error
	read  func(t *behaviour.Transfer, p []byte) (int, error)
	write func(t *behaviour.Transfer, p []byte, last bool) error
}

func (f funcs) Open(ctx context.Context, t *behaviour.Transfer) error {
	if f.open == nil {
		return nil
	}
	return f.open(ctx, t)
}

func (f funcs) Read(t *behaviour.Transfer, p []byte) (int, error) {
	if f.read == nil {
		return f.Base.Read(t, p)
	}
	return f.read(t, p)
}

func (f funcs) Write(t *behaviour.Transfer, p []byte, last bool) error {
	if f.write == nil {
		return f.Base.Write(t, p, last)
	}
	return f.write(t, p, last)
}

// memory is a Handler that serves data for reads and keeps what writes
// commit, by name.
type memory struct {
	behaviour.Base
	data []byte

	mu    sync.Mutex
	files map[string][]byte
}

type memoryWrite struct{ buf []byte }

func newMemory(data []byte) *memory { return &memory{data: data, files: make(map[string][]byte)} }

func (m *memory) Open(_ context.Context, t *behaviour.Transfer) error {
	if t.Access == behaviour.Read {
		t.SetSize(int64(len(m.data)))
		t.State = new(int)
		return nil
	}
	t.State = &memoryWrite{}
	return nil
}

func (m *memory) Read(t *behaviour.Transfer, p []byte) (int, error) {
	off := t.State.(*int)
	n := copy(p, m.data[*off:])
	*off += n
	if *off == len(m.data) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memory) Write(t *behaviour.Transfer, p []byte, last bool) error {
	w := t.State.(*memoryWrite)
	w.buf = append(w.buf, p...)
	if last {
		m.mu.Lock()
		m.files[t.Name] = w.buf
		m.mu.Unlock()
	}
	return nil
}

func (m *memory) file(name string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	return b, ok
}
