package registry_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/registry"
)

// attrs is a handler that keeps modes and times, and tells an open
// transfer of its own (t.State set by its Open) from a name.
type attrs struct {
	behaviour.Base
	calls []string
}

func (a *attrs) Open(_ context.Context, t *behaviour.Transfer) error {
	t.State = "upload"
	return nil
}

func (a *attrs) Chmod(_ context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	a.calls = append(a.calls, fmt.Sprintf("chmod %s %o state=%v via %s", t.Name, mode, t.State, t.Pattern))
	return nil
}

func (a *attrs) Chtimes(_ context.Context, t *behaviour.Transfer, _, mtime time.Time) error {
	a.calls = append(a.calls, fmt.Sprintf("chtimes %s %d state=%v", t.Name, mtime.Unix(), t.State))
	return nil
}

// Chmod and Chtimes dispatch on the name; a transfer the registry opened
// goes to the handler chosen at its Open, even after its route changed;
// no route is not found; a handler without the capability answers
// ErrUnsupported.
func TestRegistryAttributes(t *testing.T) {
	ctx := context.Background()
	a := &attrs{}
	r := &registry.Registry{}
	r.MustRegister(`cfg/.*`, a)
	r.MustRegister(`plain/.*`, behaviour.Bytes([]byte("x")))
	if err := r.Chmod(ctx, &behaviour.Transfer{Name: "cfg/a"}, 0o600); err != nil {
		t.Fatal(err)
	}
	up := &behaviour.Transfer{Access: behaviour.Write, Name: "cfg/b"}
	if err := r.Open(ctx, up); err != nil {
		t.Fatal(err)
	}
	if err := r.Replace(`cfg/.*`, behaviour.Bytes(nil)); err != nil {
		t.Fatal(err)
	}
	if err := r.Chtimes(ctx, up, time.Unix(0, 0), time.Unix(7, 0)); err != nil {
		t.Fatal(err)
	}
	want := []string{"chmod cfg/a 600 state=<nil> via cfg/.*", "chtimes cfg/b 7 state=upload"}
	if fmt.Sprint(a.calls) != fmt.Sprint(want) {
		t.Errorf("calls %q, want %q", a.calls, want)
	}
	if err := r.Chmod(ctx, &behaviour.Transfer{Name: "other"}, 0o600); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("no route: %v", err)
	}
	if err := r.Chtimes(ctx, &behaviour.Transfer{Name: "plain/x"}, time.Now(), time.Now()); !errors.Is(err, behaviour.ErrUnsupported) {
		t.Errorf("a handler without Chtimes: %v", err)
	}
}

// chmod goes to the route that serves the name.
func ExampleRegistry_Chmod() {
	a := &attrs{}
	r := &registry.Registry{}
	r.MustRegister(`configs/(?<host>[^/]+)\.cfg`, a)
	fmt.Println(r.Chmod(context.Background(), &behaviour.Transfer{Name: "configs/sw1.cfg"}, 0o640))
	fmt.Println(a.calls[0])
	fmt.Println(r.Chmod(context.Background(), &behaviour.Transfer{Name: "firmware.bin"}, 0o640))
	// Output:
	// <nil>
	// chmod configs/sw1.cfg 640 state=<nil> via configs/(?<host>[^/]+)\.cfg
	// file not found: registry: no route matches
}

// utimes goes to the route that serves the name, as chmod does.
func ExampleRegistry_Chtimes() {
	a := &attrs{}
	r := &registry.Registry{}
	r.MustRegister(`backups/.*`, a)
	fmt.Println(r.Chtimes(context.Background(), &behaviour.Transfer{Name: "backups/sw1"}, time.Unix(0, 0), time.Unix(1700000000, 0)))
	fmt.Println(a.calls[0])
	// Output:
	// <nil>
	// chtimes backups/sw1 1700000000 state=<nil>
}
