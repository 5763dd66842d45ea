package behaviourtest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
)

// Each broken handler below breaks one rule; TestBrokenHandlersFail proves
// that TestHandler reports that rule for it, by name.

var content = []byte("0123456789")

// readOnly is the base of the broken readers: it serves content from a
// sequential reader in t.State, correctly, until a broken method overrides
// it. It offers no random access.
type readOnly struct{ behaviour.Base }

// sequential hides the io.ReaderAt of a *bytes.Reader.
type sequential struct{ r *bytes.Reader }

func (s sequential) Read(p []byte) (int, error) { return s.r.Read(p) }

func (readOnly) Open(_ context.Context, t *behaviour.Transfer) error {
	if t.Access != behaviour.Read {
		return behaviour.ErrAccessViolation
	}
	t.State = sequential{bytes.NewReader(content)}
	return nil
}

func (readOnly) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return t.State.(sequential).Read(p)
}

// dataAfterEOF returns io.EOF, then data again.
type dataAfterEOF struct{ readOnly }

func (dataAfterEOF) Read(t *behaviour.Transfer, p []byte) (int, error) {
	r := t.State.(sequential)
	n, err := r.Read(p)
	if err == io.EOF {
		r.r.Reset(content)
	}
	return n, err
}

// wrongSize announces one byte more than it serves.
type wrongSize struct{ readOnly }

func (h wrongSize) Open(ctx context.Context, t *behaviour.Transfer) error {
	t.SetSize(int64(len(content) + 1))
	return h.readOnly.Open(ctx, t)
}

// wrongTsize answers a tsize that is not the size.
type wrongTsize struct{ readOnly }

func (h wrongTsize) Open(ctx context.Context, t *behaviour.Transfer) error {
	_ = t.Options.Set("tsize", "3")
	return h.readOnly.Open(ctx, t)
}

// addsOption accepts an option nobody suggested.
type addsOption struct{ readOnly }

func (h addsOption) Open(ctx context.Context, t *behaviour.Transfer) error {
	t.Options.Add("rollover", "0")
	return h.readOnly.Open(ctx, t)
}

// raisesBlksize answers a larger block size than suggested.
type raisesBlksize struct{ readOnly }

func (h raisesBlksize) Open(ctx context.Context, t *behaviour.Transfer) error {
	_ = t.Options.Set("blksize", "65464")
	return h.readOnly.Open(ctx, t)
}

// prepareAdds adds an option in Prepare.
type prepareAdds struct{ readOnly }

func (prepareAdds) Prepare(_ context.Context, t *behaviour.Transfer) error {
	t.Options.Add("x-extra", "1")
	return nil
}

// panicsInRead panics on the first Read.
type panicsInRead struct{ readOnly }

func (panicsInRead) Read(*behaviour.Transfer, []byte) (int, error) { panic("broken Read") }

// panicsInAbort refuses every read from Read, then panics in the Abort that
// follows.
type panicsInAbort struct{ readOnly }

func (panicsInAbort) Read(*behaviour.Transfer, []byte) (int, error) {
	return 0, behaviour.ErrNotFound
}
func (panicsInAbort) Abort(*behaviour.Transfer, error) { panic("broken Abort") }

// zeroForever never makes progress.
type zeroForever struct{ readOnly }

func (zeroForever) Read(*behaviour.Transfer, []byte) (int, error) { return 0, nil }

// overCount claims more bytes than p holds.
type overCount struct{ readOnly }

func (overCount) Read(_ *behaviour.Transfer, p []byte) (int, error) { return len(p) + 1, nil }

// endless never ends.
type endless struct{ readOnly }

func (endless) Read(_ *behaviour.Transfer, p []byte) (int, error) { return len(p), nil }

// leaks starts a goroutine per transfer that waits for a channel nobody
// closes until the test ends.
type leaks struct {
	readOnly
	stop chan struct{}
}

func (h leaks) Open(ctx context.Context, t *behaviour.Transfer) error {
	go func() { <-h.stop }()
	return h.readOnly.Open(ctx, t)
}

// blocks never returns from Read until the transfer's context ends.
type blocks struct{ readOnly }

func (blocks) Read(t *behaviour.Transfer, _ []byte) (int, error) {
	<-t.Context().Done()
	return 0, t.Context().Err()
}

// wrongCode refuses with an access violation where not found is expected.
type wrongCode struct{ readOnly }

func (wrongCode) Open(context.Context, *behaviour.Transfer) error {
	return behaviour.ErrAccessViolation
}

// lazyRefusal opens everything but fails the first Read with not found:
// a refusal the kit accepts.
type lazyRefusal struct{ readOnly }

func (lazyRefusal) Read(*behaviour.Transfer, []byte) (int, error) { return 0, behaviour.ErrNotFound }

// shortReadAt offers io.ReaderAt but returns short reads with a nil error.
type shortReadAt struct{ readOnly }

type shortReader struct{ *bytes.Reader }

func (r shortReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.Reader.ReadAt(p[:len(p)/2], off)
	return n, err
}

func (h shortReadAt) Open(ctx context.Context, t *behaviour.Transfer) error {
	t.SetSize(int64(len(content)))
	t.State = shortReader{bytes.NewReader(content)}
	return nil
}

func (shortReadAt) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return t.State.(shortReader).Read(p)
}

// badRandomEnding offers io.ReaderAt but answers Read(t, nil) with (0, nil),
// as a bare *bytes.Reader does.
type badRandomEnding struct{ readOnly }

func (h badRandomEnding) Open(_ context.Context, t *behaviour.Transfer) error {
	t.SetSize(int64(len(content)))
	t.State = bytes.NewReader(content)
	return nil
}

func (badRandomEnding) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return t.State.(*bytes.Reader).Read(p)
}

// sharedState keeps the reader of the current transfer in the handler
// instead of t.State: concurrent transfers read each other's files. The
// pointer is atomic and the reader locked, so that this is a logical race the
// kit must catch from the content, not a data race that -race would report
// in this test itself. Open waits until two transfers are open at once, which
// also proves that the kit runs transfers in parallel.
type sharedState struct {
	behaviour.Base
	cur    atomic.Pointer[lockedReader]
	opened atomic.Int32
}

type lockedReader struct {
	mu sync.Mutex
	r  *bytes.Reader
}

func (h *sharedState) Open(_ context.Context, t *behaviour.Transfer) error {
	h.cur.Store(&lockedReader{r: bytes.NewReader([]byte(t.Name))})
	h.opened.Add(1)
	for deadline := time.Now().Add(5 * time.Second); h.opened.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return nil
}

func (h *sharedState) Read(_ *behaviour.Transfer, p []byte) (int, error) {
	lr := h.cur.Load()
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.r.Read(p)
}

// mapWriter is the base of the broken writers: it stores uploads in a map,
// correctly, until a broken method overrides it; reads serve the map.
type mapWriter struct {
	behaviour.Base
	mu    sync.Mutex
	files map[string][]byte
}

type pending struct{ buf []byte }

func (h *mapWriter) Open(_ context.Context, t *behaviour.Transfer) error {
	if t.Access == behaviour.Write {
		t.State = &pending{}
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.files[t.Name]
	if !ok {
		return behaviour.ErrNotFound
	}
	t.State = bytes.NewReader(b)
	return nil
}

func (h *mapWriter) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return t.State.(*bytes.Reader).Read(p)
}

func (h *mapWriter) Write(t *behaviour.Transfer, p []byte, last bool) error {
	st := t.State.(*pending)
	st.buf = append(st.buf, p...)
	if last {
		h.store(t.Name, st.buf)
	}
	return nil
}

func (h *mapWriter) store(name string, b []byte) {
	h.mu.Lock()
	h.files[name] = append([]byte(nil), b...)
	h.mu.Unlock()
}

// visibleEarly stores every piece as it arrives, and puts the old content
// back on Abort.
type visibleEarly struct{ *mapWriter }

type early struct {
	pending
	old    []byte
	hadOld bool
}

func (h visibleEarly) Open(ctx context.Context, t *behaviour.Transfer) error {
	if err := h.mapWriter.Open(ctx, t); err != nil || t.Access == behaviour.Read {
		return err
	}
	h.mu.Lock()
	old, ok := h.files[t.Name]
	h.mu.Unlock()
	t.State = &early{old: old, hadOld: ok}
	return nil
}

func (h visibleEarly) Write(t *behaviour.Transfer, p []byte, last bool) error {
	st := t.State.(*early)
	st.buf = append(st.buf, p...)
	h.store(t.Name, st.buf)
	return nil
}

func (h visibleEarly) Abort(t *behaviour.Transfer, _ error) {
	st := t.State.(*early)
	h.mu.Lock()
	defer h.mu.Unlock()
	if st.hadOld {
		h.files[t.Name] = st.old
	} else {
		delete(h.files, t.Name)
	}
}

// keepsAborted commits what it has when the upload is aborted.
type keepsAborted struct{ *mapWriter }

func (h keepsAborted) Abort(t *behaviour.Transfer, _ error) {
	h.store(t.Name, t.State.(*pending).buf)
}

// retainsBuffer keeps the caller's buffers instead of copying them.
type retainsBuffer struct{ *mapWriter }

type pieces struct{ list [][]byte }

func (h retainsBuffer) Open(ctx context.Context, t *behaviour.Transfer) error {
	if err := h.mapWriter.Open(ctx, t); err != nil || t.Access == behaviour.Read {
		return err
	}
	t.State = &pieces{}
	return nil
}

func (h retainsBuffer) Write(t *behaviour.Transfer, p []byte, last bool) error {
	st := t.State.(*pieces)
	st.list = append(st.list, p)
	if last {
		h.store(t.Name, bytes.Join(st.list, nil))
	}
	return nil
}

// panicsInWrite panics on a Write.
type panicsInWrite struct{ *mapWriter }

func (panicsInWrite) Write(*behaviour.Transfer, []byte, bool) error { panic("broken Write") }

func newMapWriter() *mapWriter { return &mapWriter{files: make(map[string][]byte)} }

func TestBrokenHandlersFail(t *testing.T) {
	reads := behaviourtest.Spec{Reads: map[string][]byte{"f": content}}
	writes := behaviourtest.Spec{Writes: []string{"up"}, WriteReadBack: true, UploadSize: 3000, ChunkSizes: []int{512, 1468}}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	tests := []struct {
		name string
		h    behaviour.Handler
		spec behaviourtest.Spec
		rule behaviourtest.Rule
		want string
	}{
		{"data after EOF", dataAfterEOF{}, reads, behaviourtest.RuleDataAfterEOF, `read "f": data after EOF: Read returned 1 bytes after io.EOF (chunk 1)`},
		{"wrong size", wrongSize{}, reads, behaviourtest.RuleSize, `read "f": size: Open set size 11, Read returned 10 bytes`},
		{"wrong tsize", wrongTsize{}, reads, behaviourtest.RuleSize, `read "f": size: Open set option tsize=3, Read returned 10 bytes`},
		{"adds option", addsOption{}, reads, behaviourtest.RuleOptionAdded, `read "f": option added: Open added an option`},
		{"raises blksize", raisesBlksize{}, reads, behaviourtest.RuleOptionRaised, `read "f": option raised: Open raised option blksize from 1468 to 65464`},
		{"Prepare adds", prepareAdds{}, reads, behaviourtest.RuleOptionAdded, `read "f": option added: Prepare added an option`},
		{"panics in Read", panicsInRead{}, reads, behaviourtest.RulePanic, `read "f": panic: Read panicked: broken Read`},
		{"panics in Abort", panicsInAbort{}, behaviourtest.Spec{RefuseReads: map[string]behaviour.Code{"f": behaviour.CodeNotFound}}, behaviourtest.RulePanic, `read "f": panic: Abort panicked: broken Abort`},
		{"zero forever", zeroForever{}, reads, behaviourtest.RuleZeroRead, `read "f": zero read: Read returned (0, nil) 100 times in a row`},
		{"count over len(p)", overCount{}, reads, behaviourtest.RuleReadLength, `read "f": read length: Read(p) with len(p) = 1 returned n = 2`},
		{"endless", endless{}, reads, behaviourtest.RuleTooLong, `read "f": too long: Read returned more than`},
		{"leaks a goroutine", leaks{stop: stop}, reads, behaviourtest.RuleLeak, `read "f": goroutine leak: goroutine`},
		{"blocks", blocks{}, behaviourtest.Spec{Reads: reads.Reads, Timeout: 500 * time.Millisecond}, behaviourtest.RuleTooLong, `read "f": too long: read, chunk 1 still running after 500ms`},
		{"refuses with the wrong code", wrongCode{}, behaviourtest.Spec{RefuseReads: map[string]behaviour.Code{"g": behaviour.CodeNotFound}}, behaviourtest.RuleRefusal, `read "g": refusal: refused with code 2 (access violation), want 1 (file not found)`},
		{"short ReadAt", shortReadAt{}, reads, behaviourtest.RuleRandomAccess, `read "f": random access: ReadAt(p, 0) returned 5 of 10 bytes and a nil error`},
		{"random ending", badRandomEnding{}, reads, behaviourtest.RuleRandomAccess, `read "f": random access: Read(t, nil) after random access returned (0, <nil>), want (0, io.EOF)`},
		{"shared state", &sharedState{}, behaviourtest.Spec{Reads: map[string][]byte{"a": []byte("a"), "b": []byte("b")}}, behaviourtest.RuleContent, `: content: `},
		{"visible before commit", visibleEarly{newMapWriter()}, writes, behaviourtest.RuleVisibleBeforeCommit, `write "up": visible before commit: a read before the final Write returned`},
		{"keeps aborted data", keepsAborted{newMapWriter()}, writes, behaviourtest.RuleVisibleAfterAbort, `write "up": visible after abort: after Abort a read returned 1536 bytes of the abandoned upload`},
		{"retains buffers", retainsBuffer{newMapWriter()}, writes, behaviourtest.RuleReadBack, `write "up": read back: after commit: read 3000 bytes, want 3000; first difference at offset 0`},
		{"panics in Write", panicsInWrite{newMapWriter()}, writes, behaviourtest.RulePanic, `write "up": panic: Write panicked: broken Write`},
	}
	// Rules broken as a consequence of the one under test.
	also := map[string]behaviourtest.Rule{
		// The probe after io.EOF reads another transfer's file.
		"shared state": behaviourtest.RuleDataAfterEOF,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := behaviourtest.TestHandler(tt.h, tt.spec)
			rules := rulesOf(err)
			delete(rules, also[tt.name])
			if !rules[tt.rule] || len(rules) != 1 {
				t.Errorf("TestHandler found rules %v, want only %q; got:\n%v", rules, tt.rule, err)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("TestHandler error lacks %q; got:\n%v", tt.want, err)
			}
		})
	}
}

// rulesOf returns the rules of the violations in err, however deeply
// joined; any other error counts as rule 0.
func rulesOf(err error) map[behaviourtest.Rule]bool {
	rules := make(map[behaviourtest.Rule]bool)
	var walk func(error)
	walk = func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				walk(e)
			}
			return
		}
		var v *behaviourtest.Violation
		if errors.As(err, &v) {
			rules[v.Rule] = true
		} else if err != nil {
			rules[0] = true
		}
	}
	walk(err)
	return rules
}

// TestLazyRefusalAccepted shows that a refusal may come from the first Read
// rather than from Open, as engines accept it.
func TestLazyRefusalAccepted(t *testing.T) {
	spec := behaviourtest.Spec{RefuseReads: map[string]behaviour.Code{"g": behaviour.CodeNotFound}}
	if err := behaviourtest.TestHandler(lazyRefusal{}, spec); err != nil {
		t.Errorf("TestHandler: %v", err)
	}
}

// racy keeps the current reader in a plain field shared by all transfers: a
// data race. Open waits, as sharedState does, until two transfers are open.
type racy struct {
	behaviour.Base
	cur    *bytes.Reader
	opened atomic.Int32
}

func (h *racy) Open(_ context.Context, t *behaviour.Transfer) error {
	h.cur = bytes.NewReader([]byte(t.Name))
	h.opened.Add(1)
	for deadline := time.Now().Add(5 * time.Second); h.opened.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return nil
}

func (h *racy) Read(_ *behaviour.Transfer, p []byte) (int, error) { return h.cur.Read(p) }

// TestDataRaceCaught shows that even without the race detector, a handler
// that shares per-transfer state across transfers fails the kit, since it
// runs transfers in parallel. Under -race the detector would fail this test
// by itself, so it runs only without it.
func TestDataRaceCaught(t *testing.T) {
	if raceEnabled {
		t.Skip("the handler races on purpose; the race detector would fail the test itself")
	}
	err := behaviourtest.TestHandler(&racy{}, behaviourtest.Spec{Reads: map[string][]byte{"a": []byte("a"), "b": []byte("b")}})
	if !rulesOf(err)[behaviourtest.RuleContent] {
		t.Errorf("TestHandler found no content violation in a racy handler; got: %v", err)
	}
}
