package handlers_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

func TestDirContentIsItsOpenFile(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	writeFile(t, filepath.Join(root, "f"), []byte("abc"))
	tr := transfer(t, behaviour.Read, "f")
	if err := d.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	c, ok := behaviour.ContentOf(d, tr)
	if !ok || c.File != tr.State.(*os.File) || c.Bytes != nil {
		t.Fatalf("ContentOf = %+v, %v; want the open file", c, ok)
	}
	if n, err := d.Read(tr, nil); n != 0 || err != io.EOF {
		t.Fatalf("the ending: %d, %v", n, err)
	}
	if _, err := c.File.Stat(); err == nil {
		t.Error("the ending left the content's file open")
	}

	up := transfer(t, behaviour.Write, "g")
	if err := d.Open(context.Background(), up); err != nil {
		t.Fatal(err)
	}
	defer d.Abort(up, nil)
	if _, ok := behaviour.ContentOf(d, up); ok {
		t.Error("an upload offers a content")
	}
}

func TestMemoryContentIsItsSnapshot(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("f", []byte("old"))
	tr := transfer(t, behaviour.Read, "f")
	if err := m.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	m.Put("f", []byte("new!"))
	c, ok := behaviour.ContentOf(m, tr)
	if !ok || string(c.Bytes) != "old" || c.File != nil {
		t.Fatalf("ContentOf = %q, %v; want the snapshot of Open", c.Bytes, ok)
	}
	if _, ok := behaviour.ContentOf(m, transfer(t, behaviour.Read, "f")); ok {
		t.Error("a transfer that was not opened offers a content")
	}
	tpl := handlers.Template("x")
	tt := transfer(t, behaviour.Read, "t")
	if err := tpl.Open(context.Background(), tt); err != nil {
		t.Fatal(err)
	}
	if _, ok := behaviour.ContentOf(tpl, tt); ok {
		t.Error("a template offers a content")
	}
}

// TestDecoratorsAndContent checks every decorator: those that change,
// cap or hide the bytes hide the content; those that let reads through
// unchanged pass it, and Observe counts what the engine sent.
func TestDecoratorsAndContent(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{})
	writeFile(t, filepath.Join(root, "f"), []byte("abcdef"))
	var outcomes []handlers.Outcome
	observed := func(h behaviour.Handler) behaviour.Handler {
		return handlers.Observe(h, handlers.Hooks{OnEnd: func(o handlers.Outcome) { outcomes = append(outcomes, o) }})
	}
	actions := &handlers.Actions{}
	withAction, err := actions.Wrap(d, handlers.Action{On: handlers.ActionOnFailure, Run: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		h        behaviour.Handler
		protocol behaviour.Protocol
		want     bool
	}{
		{"ReadOnly", handlers.ReadOnly(d), behaviour.HTTP, true},
		{"Protocols, served", handlers.Protocols(d, behaviour.HTTP), behaviour.HTTP, true},
		{"Protocols, not served", handlers.Protocols(d, behaviour.TFTP), behaviour.HTTP, false},
		{"Observe", observed(d), behaviour.HTTP, true},
		{"Actions", withAction, behaviour.HTTP, true},
		{"SizeCap", handlers.SizeCap(d, 1<<20), behaviour.HTTP, false},
		{"WriteOnly", handlers.WriteOnly(d), behaviour.HTTP, false},
		{"SizeCap under ReadOnly and Observe", observed(handlers.ReadOnly(handlers.SizeCap(d, 1<<20))), behaviour.HTTP, false},
		{"Observe under Protocols and ReadOnly", handlers.Protocols(handlers.ReadOnly(observed(d)), behaviour.HTTP), behaviour.HTTP, true},
	}
	for _, tt := range tests {
		tr := transfer(t, behaviour.Read, "f")
		tr.Protocol = tt.protocol
		// The decorators' Open may refuse (WriteOnly, Protocols): open the
		// Dir itself, as if they had let it through, and ask the chain.
		if err := d.Open(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
		c, ok := behaviour.ContentOf(tt.h, tr)
		if ok != tt.want || (ok && c.File != tr.State.(*os.File)) {
			t.Errorf("%s: ContentOf = %+v, %v; want %v", tt.name, c, ok, tt.want)
		}
		d.Abort(tr, nil)
	}

	// Observe counts what the engine says it sent, for the Outcome.
	outcomes = nil
	h := observed(handlers.ReadOnly(d))
	tr := transfer(t, behaviour.Read, "f")
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	c, ok := behaviour.ContentOf(h, tr)
	if !ok || c.Sent == nil {
		t.Fatalf("ContentOf through Observe = %+v, %v; want a content with Sent", c, ok)
	}
	c.Sent(4)
	c.Sent(2)
	if n, err := h.Read(tr, nil); n != 0 || err != io.EOF {
		t.Fatalf("the ending: %d, %v", n, err)
	}
	if len(outcomes) != 1 || !outcomes[0].OK() || outcomes[0].Bytes != 6 {
		t.Errorf("outcomes %+v, want one success of 6 bytes", outcomes)
	}
}

func TestRegistryPassesTheChosenContent(t *testing.T) {
	m := handlers.NewMemory()
	m.Put("mem/f", []byte("memory"))
	d, root := newDir(t, handlers.DirConfig{})
	writeFile(t, filepath.Join(root, "f"), []byte("dir"))
	reg := &registry.Registry{}
	reg.MustRegister(`mem/.+`, m)
	reg.MustRegister(`.+`, handlers.SizeCap(d, 100))
	tr := transfer(t, behaviour.Read, "mem/f")
	if _, ok := behaviour.ContentOf(reg, tr); ok {
		t.Error("a transfer the registry did not open offers a content")
	}
	if err := reg.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if c, ok := behaviour.ContentOf(reg, tr); !ok || string(c.Bytes) != "memory" {
		t.Errorf("ContentOf through the registry = %q, %v; want the Memory's", c.Bytes, ok)
	}
	capped := transfer(t, behaviour.Read, "f")
	if err := reg.Open(context.Background(), capped); err != nil {
		t.Fatal(err)
	}
	defer reg.Abort(capped, nil)
	if _, ok := behaviour.ContentOf(reg, capped); ok {
		t.Error("the content of a capped route got through the registry")
	}
}
