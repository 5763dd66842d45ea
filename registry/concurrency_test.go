package registry_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/registry"
)

// Routes change under heavy dispatch: run with -race. Readers of a stable
// route must always get its content, whatever the writers do around it.
func TestConcurrentChangesAndDispatch(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`stable/.*`, behaviour.Bytes([]byte("stable")))
	r.MustRegister(`.*`, text("catch-all"))
	const writers, readers, rounds = 3, 4, 150

	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	for w := range writers {
		wg.Go(func() { errs <- churn(&r, w, rounds) })
	}
	for range readers {
		wg.Go(func() { errs <- dispatch(&r, rounds) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(r.Routes()); n != 2 {
		t.Errorf("%d routes after the churn, want the 2 stable ones: %+v", n, r.Routes())
	}
}

// churn inserts, replaces and removes its own routes, some in front of the
// stable ones.
func churn(r *registry.Registry, w, rounds int) error {
	for i := range rounds {
		p := fmt.Sprintf(`w%d-%d`, w, i)
		if err := r.Insert(0, p, text("first")); err != nil {
			return err
		}
		if err := r.Register(p+`x`, text("last")); err != nil {
			return err
		}
		if err := r.Replace(p, text("replaced")); err != nil {
			return err
		}
		_ = r.Routes()
		if err := r.Unregister(p); err != nil {
			return err
		}
		if err := r.Unregister(p + `x`); err != nil {
			return err
		}
	}
	return nil
}

func dispatch(r *registry.Registry, rounds int) error {
	ctx := context.Background()
	for i := range rounds {
		b, err := behaviourtest.Read(ctx, r, fmt.Sprintf("stable/%d", i))
		if err != nil || string(b) != "stable" {
			return fmt.Errorf("read stable/%d = %q, %v", i, b, err)
		}
		if _, err := r.Match("w0-1"); err != nil {
			return err
		}
	}
	return nil
}

// The registry passes the conformance kit: reads with every chunk size and
// random access, uploads, refusals with the right codes, several transfers
// at once, no leaked goroutines.
func TestConformance(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`img/(?<name>[^/]+)\.bin`, behaviour.Bytes(make([]byte, 70000)))
	r.MustRegister(`hello`, text("hello"))
	r.MustRegister(`up/.*`, behaviour.WriteFunc(func(_ context.Context, _ *behaviour.Transfer, rd io.Reader) error {
		_, err := io.Copy(io.Discard, rd)
		return err
	}))
	err := behaviourtest.TestHandler(&r, behaviourtest.Spec{
		Reads:        map[string][]byte{"img/a.bin": make([]byte, 70000), "hello": []byte("hello")},
		Writes:       []string{"up/a", "up/b"},
		RefuseReads:  map[string]behaviour.Code{"nothing": behaviour.CodeNotFound, "up/a": behaviour.CodeAccessViolation},
		RefuseWrites: map[string]behaviour.Code{"nothing": behaviour.CodeAccessViolation, "hello": behaviour.CodeAccessViolation},
	})
	if err != nil {
		t.Error(err)
	}
}
