package registry_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/registry"
)

// endless is a handler whose Read fills p at no cost, so that measurements
// see the registry's forwarding alone.
type endless struct{ behaviour.Base }

func (endless) Read(_ *behaviour.Transfer, p []byte) (int, error) { return len(p), nil }

// fiftyRoutes returns a registry of 50 routes of the shapes a deployment
// uses, where only the last matches "cfg/sw42.lab.cfg".
func fiftyRoutes(tb testing.TB) *registry.Registry {
	r := new(registry.Registry)
	for i := range 49 {
		if err := r.Register(fmt.Sprintf(`site%d/(?<host>[^/]+)\.cfg`, i), endless{}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := r.Register(`cfg/(?<host>[^/.]+)(\.(?<domain>[^/]+))?\.cfg`, endless{}); err != nil {
		tb.Fatal(err)
	}
	return r
}

// Forwarding a block costs no allocation (one lookup in the transfer).
func TestReadForwardingDoesNotAllocate(t *testing.T) {
	var inner, outer registry.Registry
	inner.MustRegister(`.*`, endless{})
	outer.MustRegister(`.*`, wrap(&inner))
	tr := open(t, &outer, "f")
	buf := make([]byte, 512)
	if n := testing.AllocsPerRun(100, func() { _, _ = outer.Read(tr, buf) }); n != 0 {
		t.Errorf("Read through two registries and a decorator allocates %v times per call", n)
	}
}

func BenchmarkOpen50Routes(b *testing.B) {
	r := fiftyRoutes(b)
	ctx := context.Background()
	tr := newTransfer(b, behaviour.Read, "cfg/sw42.lab.cfg")
	b.ReportAllocs()
	for b.Loop() {
		t := *tr
		if err := r.Open(ctx, &t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadForwarding(b *testing.B) {
	r := fiftyRoutes(b)
	tr := open(b, r, "cfg/sw42.lab.cfg")
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Read(tr, buf); err != nil {
			b.Fatal(err)
		}
	}
}
