package behaviourtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
	"github.com/filemux/filemux/internal/wire"
)

// session is one transfer driven through a handler: it makes every call an
// engine would make, in the order the contract fixes, and records what it
// sees that breaks the contract.
type session struct {
	h         behaviour.Handler
	t         *behaviour.Transfer
	c         *config
	suggested behaviour.Options
	v         violations
	d         *drive.Driver
	ended     bool // an ending happened: nothing more may be called
}

// errPanicked is what a session returns, and passes to Abort, after a
// handler method panicked.
var errPanicked = errors.New("behaviourtest: handler panicked")

// Run drives one whole transfer t through h, as a server-side engine would:
// Open, then Read until io.EOF (t.Access == behaviour.Read) or Write of data
// in pieces ending with last (t.Access == behaviour.Write), then exactly one
// ending, calling Abort when anything fails. It returns the bytes read (nil
// for a write) and the handler's error, joined with a *Violation for every
// breach of the contract it saw. Panics in handler methods are recovered and
// reported. Like an engine, Run passes every piece of a write in one buffer
// that it overwrites afterwards, so a handler must copy what it keeps. When
// ctx ends, Run stops between calls and aborts, as an engine
// does. Only the ChunkSize, RandomAccess and MaxSize options apply: t
// already says the rest. t must be fresh: Run calls Open on it.
func Run(ctx context.Context, h behaviour.Handler, t *behaviour.Transfer, data []byte, opts ...Option) ([]byte, error) {
	s := newSession(h, t, newConfig(opts))
	out, err := s.run(ctx, data)
	if vs := s.v.err(); vs != nil {
		return out, errors.Join(err, vs)
	}
	return out, err
}

// Read reads the file name from h in one transfer built by NewTransfer and
// driven by Run.
func Read(ctx context.Context, h behaviour.Handler, name string, opts ...Option) ([]byte, error) {
	t, err := newTransfer(newConfig(opts), behaviour.Read, name, 0)
	if err != nil {
		return nil, err
	}
	return Run(ctx, h, t, nil, opts...)
}

// Write uploads data to h as the file name in one transfer built by
// NewTransfer and driven by Run. A nil error means the handler committed it.
func Write(ctx context.Context, h behaviour.Handler, name string, data []byte, opts ...Option) error {
	t, err := newTransfer(newConfig(opts), behaviour.Write, name, len(data))
	if err != nil {
		return err
	}
	_, err = Run(ctx, h, t, data, opts...)
	return err
}

// newSession drives t through h with the engines' driver, which reports
// every panic as a violation.
func newSession(h behaviour.Handler, t *behaviour.Transfer, c *config) *session {
	s := &session{h: h, t: t, c: c, suggested: t.Options.Clone()}
	s.d = drive.New(h, t, drive.Config{Panic: s.panicked})
	return s
}

func (s *session) panicked(method string, r any, _ []byte) {
	s.violate(RulePanic, "%s panicked: %v", method, r)
}

func (s *session) run(ctx context.Context, data []byte) ([]byte, error) {
	s.t.SetContext(ctx)
	if err := s.d.Open(ctx); err != nil {
		return nil, kitCause(err)
	}
	s.checkOptions("Open")
	if s.t.Access == behaviour.Write {
		return nil, s.write(data)
	}
	return s.read()
}

// protect runs f, a call of method that the kit checks more strictly than
// the driver (the capabilities, random access and its ending), and reports
// a panic as a violation.
func (s *session) protect(method string, f func()) (panicked bool) {
	return drive.Contain(method, s.panicked, func() error { f(); return nil }) != nil
}

// kitCause is err, or errPanicked for a panic the driver reported.
func kitCause(err error) error {
	if errors.Is(err, drive.ErrPanicked) {
		return errPanicked
	}
	return err
}

// abort ends the transfer with Abort, once, and returns err.
func (s *session) abort(err error) error {
	if !s.ended {
		s.ended = true
		s.d.Abort(err)
	}
	return err
}

func (s *session) violate(rule Rule, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	if s.c.chunk > 0 {
		detail += " (" + describe(s.c) + ")"
	}
	s.v.add(&Violation{Access: s.t.Access, Name: s.t.RequestedName, Rule: rule, Detail: detail})
}

// checkOptions verifies that the handler only dropped or lowered options.
// tsize on a read is the one value a server raises: it answers the size.
func (s *session) checkOptions(method string) {
	if err := wire.CheckAccepted(s.suggested, s.t.Options); err != nil {
		s.violate(RuleOptionAdded, "%s added an option: suggested %q, accepted %q", method, s.suggested.String(), s.t.Options.String())
	}
	for name, value := range s.t.Options.All() {
		if s.t.Access == behaviour.Read && name == behaviour.OptTSize {
			continue
		}
		want, ok := s.suggested.Int(name)
		got, ok2 := wire.ParseDecimal(value)
		if ok && ok2 && got > want {
			s.violate(RuleOptionRaised, "%s raised option %s from %d to %d", method, name, want, got)
		}
	}
}

// violations collects errors from concurrent goroutines.
type violations struct {
	mu   sync.Mutex
	list []error
}

func (v *violations) add(err error) {
	if err == nil {
		return
	}
	v.mu.Lock()
	v.list = append(v.list, err)
	v.mu.Unlock()
}

func (v *violations) err() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return errors.Join(v.list...)
}

// sorted joins the errors in the order of their texts, so that a report
// does not depend on how the goroutines ran.
func (v *violations) sorted() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	list := slices.Clone(v.list)
	slices.SortFunc(list, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(list...)
}
