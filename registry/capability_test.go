package registry_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/registry"
)

// store is a handler with the SFTP capabilities that records each call
// with the pattern and captures the registry set.
type store struct {
	behaviour.Base
	mu    sync.Mutex
	calls []string
}

func (s *store) record(op string, t *behaviour.Transfer, extra string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, op+" "+t.Name+extra+" via "+t.Pattern+" user="+t.Param("user"))
}

func (s *store) Remove(_ context.Context, t *behaviour.Transfer) error {
	s.record("remove", t, "")
	return nil
}

func (s *store) Rename(_ context.Context, t *behaviour.Transfer, newName string) error {
	s.record("rename", t, " to "+newName)
	return nil
}

func (s *store) Mkdir(_ context.Context, t *behaviour.Transfer) error {
	s.record("mkdir", t, "")
	return nil
}

func (s *store) Rmdir(_ context.Context, t *behaviour.Transfer) error {
	s.record("rmdir", t, "")
	return nil
}

func newCapabilityRegistry(s *store) *registry.Registry {
	r := new(registry.Registry)
	r.MustRegister(`pub(/.*)?`, behaviour.FS(fstest.MapFS{
		"pub/a.txt":     {Data: []byte("hello")},
		"pub/sub/b.txt": {Data: []byte("hi")},
	}))
	r.MustRegister(`home/(?<user>[^/]+)(/.*)?`, s)
	r.MustRegister(`tmp/.*`, behaviour.Bytes(nil))
	return r
}

func TestStatAndListThroughFS(t *testing.T) {
	r := newCapabilityRegistry(new(store))
	ctx := context.Background()
	tr := newTransfer(t, behaviour.Read, "pub/a.txt")
	fi, err := behaviour.Stat(ctx, r, tr)
	if err != nil || fi.Size() != 5 || fi.Name() != "a.txt" {
		t.Fatalf("Stat = %v, %v; want a.txt of 5 bytes", fi, err)
	}
	if tr.Pattern != `pub(/.*)?` {
		t.Errorf("Stat set Pattern %q", tr.Pattern)
	}
	infos, err := behaviour.List(ctx, r, newTransfer(t, behaviour.Read, "pub"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	if !slices.Equal(names, []string{"a.txt", "sub"}) {
		t.Errorf("List(pub) = %q", names)
	}
	if _, err := r.Stat(ctx, newTransfer(t, behaviour.Read, "pub/missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a missing file: %v", err)
	}
}

func TestCapabilitiesReachTheMatchedHandler(t *testing.T) {
	s := new(store)
	r := newCapabilityRegistry(s)
	ctx := context.Background()
	tr := func(name string) *behaviour.Transfer { return newTransfer(t, behaviour.Write, name) }
	for _, err := range []error{
		r.Remove(ctx, tr("home/ann/x")),
		r.Rename(ctx, tr("home/ann/x"), "home/bob/y"),
		r.Mkdir(ctx, tr("home/ann/d")),
		r.Rmdir(ctx, tr("home/ann/d")),
	} {
		if err != nil {
			t.Error(err)
		}
	}
	pattern := `home/(?<user>[^/]+)(/.*)?`
	want := []string{
		"remove home/ann/x via " + pattern + " user=ann",
		"rename home/ann/x to home/bob/y via " + pattern + " user=ann",
		"mkdir home/ann/d via " + pattern + " user=ann",
		"rmdir home/ann/d via " + pattern + " user=ann",
	}
	if !slices.Equal(s.calls, want) {
		t.Errorf("calls:\n%q\nwant\n%q", s.calls, want)
	}
}

func TestCapabilityRefusals(t *testing.T) {
	s := new(store)
	r := newCapabilityRegistry(s)
	ctx := context.Background()
	tr := func(name string) *behaviour.Transfer { return newTransfer(t, behaviour.Read, name) }
	_, errStat := r.Stat(ctx, tr("nowhere"))
	_, errList := r.List(ctx, tr("nowhere"))
	_, errStatTmp := r.Stat(ctx, tr("tmp/x"))
	tests := []struct {
		what string
		err  error
		want *behaviour.Error
	}{
		{"Stat without a route", errStat, behaviour.ErrNotFound},
		{"List without a route", errList, behaviour.ErrNotFound},
		{"Remove without a route", r.Remove(ctx, tr("nowhere")), behaviour.ErrNotFound},
		{"Rmdir without a route", r.Rmdir(ctx, tr("nowhere")), behaviour.ErrNotFound},
		{"Rename without a route", r.Rename(ctx, tr("nowhere"), "home/ann/x"), behaviour.ErrNotFound},
		{"Mkdir without a route", r.Mkdir(ctx, tr("nowhere")), behaviour.ErrAccessViolation},
		{"Stat of a handler without Stater", errStatTmp, behaviour.ErrUnsupported},
		{"Remove of a handler without Remover", r.Remove(ctx, tr("pub/a.txt")), behaviour.ErrUnsupported},
		{"Rename into another route", r.Rename(ctx, tr("home/ann/x"), "pub/x"), behaviour.ErrAccessViolation},
		{"Rename out of every route", r.Rename(ctx, tr("home/ann/x"), "nowhere"), behaviour.ErrAccessViolation},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || behaviour.PeerMessage(tt.err) != tt.want.PeerMessage() {
			t.Errorf("%s: %v, want %v", tt.what, tt.err, tt.want)
		}
	}
	if len(s.calls) != 0 {
		t.Errorf("refused operations reached the handler: %q", s.calls)
	}
}
