package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

// recorder keeps every Outcome, by transfer.
type recorder struct {
	mu       sync.Mutex
	outcomes []handlers.Outcome
	per      map[*behaviour.Transfer]int
}

func (r *recorder) hooks() handlers.Hooks {
	return handlers.Hooks{OnEnd: func(o handlers.Outcome) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.per == nil {
			r.per = make(map[*behaviour.Transfer]int)
		}
		r.outcomes = append(r.outcomes, o)
		r.per[o.Transfer]++
	}}
}

func (r *recorder) last(t *testing.T) handlers.Outcome {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.outcomes) == 0 {
		t.Fatal("OnEnd was not called")
	}
	return r.outcomes[len(r.outcomes)-1]
}

// openCounter counts the Open calls that reach the handler it wraps.
type openCounter struct {
	behaviour.Handler
	n atomic.Int32
}

func (c *openCounter) Open(ctx context.Context, t *behaviour.Transfer) error {
	c.n.Add(1)
	return c.Handler.Open(ctx, t)
}

func (c *openCounter) Unwrap() behaviour.Handler { return c.Handler }

// Under the whole conformance run, with random access both ways, refusals
// and aborted uploads, OnEnd fires exactly once per Open.
func TestObserveOncePerTransfer(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "f"), pattern(10000, 1))
	var rec recorder
	counted := &openCounter{Handler: handlers.Observe(d, rec.hooks())}
	err := behaviourtest.TestHandler(counted, behaviourtest.Spec{
		Reads:         map[string][]byte{"f": pattern(10000, 1)},
		RefuseReads:   map[string]behaviour.Code{"missing": behaviour.CodeNotFound},
		Writes:        []string{"up"},
		WriteReadBack: true,
		RefuseWrites:  map[string]behaviour.Code{"f/x": behaviour.CodeNotFound},
	})
	if err != nil {
		t.Error(err)
	}
	if got, want := len(rec.outcomes), int(counted.n.Load()); got != want || want == 0 {
		t.Errorf("OnEnd called %d times for %d Opens", got, want)
	}
	var failed, ok int
	for _, o := range rec.outcomes {
		if rec.per[o.Transfer] != 1 {
			t.Errorf("OnEnd called %d times for one transfer of %s", rec.per[o.Transfer], o.Transfer.Name)
		}
		if o.OK() {
			ok++
			wantBytes := int64(10000)
			if o.Transfer.Access == behaviour.Write {
				wantBytes = behaviourtest.DefaultUploadSize
			}
			if o.Bytes != wantBytes && !(o.Transfer.Access == behaviour.Read && o.Transfer.Name == "up") {
				t.Errorf("%s %s: %d bytes counted, want %d", o.Transfer.Access, o.Transfer.Name, o.Bytes, wantBytes)
			}
		} else {
			failed++
		}
	}
	if ok == 0 || failed < 3 {
		t.Errorf("%d successes and %d failures observed; the run has both", ok, failed)
	}
}

func TestObserveOutcomes(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteCreate})
	writeFile(t, filepath.Join(root, "f"), pattern(3000, 1))
	var rec recorder
	h := handlers.Observe(d, rec.hooks())

	if _, err := behaviourtest.Read(ctx, h, "f", behaviourtest.RandomAccess(true)); err != nil {
		t.Fatal(err)
	}
	if o := rec.last(t); !o.OK() || !o.Opened || o.Bytes != 3000 || o.Code != 0 || o.Duration <= 0 {
		t.Errorf("random-access read: %+v", o)
	}

	_, err := behaviourtest.Read(ctx, h, "missing")
	if o := rec.last(t); o.OK() || o.Opened || o.Code != behaviour.CodeNotFound || !errors.Is(o.Err, err) {
		t.Errorf("refused read: %+v", o)
	}

	if err := behaviourtest.Write(ctx, h, "new.cfg", pattern(5000, 2), behaviourtest.RandomAccess(true)); err != nil {
		t.Fatal(err)
	}
	if o := rec.last(t); !o.OK() || o.Bytes != 5000 || o.Transfer.Name != "new.cfg" {
		t.Errorf("random-access upload: %+v", o)
	}

	err = behaviourtest.Write(ctx, h, "new.cfg", []byte("again"))
	if o := rec.last(t); o.OK() || o.Code != behaviour.CodeFileExists || !errors.Is(o.Err, err) {
		t.Errorf("refused upload: %+v", o)
	}

	tr, err := openUpload(t, h, "half", createTrunc, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Write(tr, []byte("half"), false); err != nil {
		t.Fatal(err)
	}
	h.Abort(tr, nil)
	if o := rec.last(t); o.OK() || !o.Opened || o.Bytes != 4 || o.Err == nil {
		t.Errorf("aborted upload: %+v", o)
	}
	assertNoTempFiles(t, root)
}

// A hook that panics after a successful ending makes engines abort the
// transfer; the wrapped handler must not see that Abort after its ending,
// nor the hook a second call.
func TestObservePanickingHook(t *testing.T) {
	var closes atomic.Int32
	var calls atomic.Int32
	inner := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return closeCounter{strings.NewReader("data"), &closes}, nil
	})
	h := handlers.Observe(inner, handlers.Hooks{OnEnd: func(handlers.Outcome) {
		calls.Add(1)
		panic("hook bug")
	}})
	_, err := behaviourtest.Read(context.Background(), h, "f")
	if err == nil {
		t.Error("the driver did not see the panic")
	}
	if calls.Load() != 1 || closes.Load() != 1 {
		t.Errorf("OnEnd called %d times, reader closed %d times; want once each", calls.Load(), closes.Load())
	}
}

func TestObserveWithoutHooks(t *testing.T) {
	got, err := behaviourtest.Read(context.Background(), handlers.Observe(behaviour.Bytes([]byte("x")), handlers.Hooks{}), "f")
	if err != nil || string(got) != "x" {
		t.Errorf("Read = %q, %v", got, err)
	}
}

func ExampleObserve() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	d, _ := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteCreate})
	defer d.Close()

	h := handlers.Observe(d, handlers.Hooks{OnEnd: func(o handlers.Outcome) {
		if o.OK() && o.Transfer.Access == behaviour.Write {
			fmt.Printf("collected %s (%d bytes)\n", o.Transfer.Name, o.Bytes)
			return
		}
		fmt.Printf("%s %s failed: code %d\n", o.Transfer.Access, o.Transfer.Name, o.Code)
	}})
	ctx := context.Background()
	behaviourtest.Write(ctx, h, "switch1-confg", []byte("hostname switch1\n"))
	behaviourtest.Write(ctx, h, "switch1-confg", []byte("hostname switch1\n"))
	behaviourtest.Read(ctx, h, "missing")
	// Output:
	// collected switch1-confg (17 bytes)
	// write switch1-confg failed: code 6
	// read missing failed: code 1
}
