package drive_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
)

// whole is a handler that offers its content whole and logs what it is
// told, in order.
type whole struct {
	fake
	content behaviour.Content
	panicky bool
	broken  bool // Read with bytes fails
	log     []string
}

func (w *whole) Content(*behaviour.Transfer) (behaviour.Content, bool) {
	c := w.content
	c.Sent = func(n int64) {
		if w.panicky {
			panic("sent")
		}
		w.log = append(w.log, "Sent "+strings.Repeat("x", int(n)))
	}
	return c, true
}

func (w *whole) Read(_ *behaviour.Transfer, p []byte) (int, error) {
	if p != nil && w.broken {
		return 0, errors.New("broken")
	}
	w.log = append(w.log, "Read nil")
	return 0, io.EOF
}

func (w *whole) Abort(*behaviour.Transfer, error) { w.log = append(w.log, "Abort") }

func openWhole(t *testing.T, w *whole, size int64) *drive.Driver {
	t.Helper()
	tr := &behaviour.Transfer{}
	tr.SetSize(size)
	d := drive.New(w, tr, drive.Config{})
	if err := d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestContentSentIsToldBeforeTheEnding(t *testing.T) {
	for _, abort := range []bool{false, true} {
		w := &whole{content: behaviour.Content{Bytes: []byte("abcd")}}
		d := openWhole(t, w, 4)
		c, ok := d.Content()
		if !ok || string(c.Bytes()) != "abcd" || c.File() != nil {
			t.Fatalf("Content = %v; want the bytes", ok)
		}
		c.Sent(1)
		c.Sent(2)
		want := "Sent xxx,Read nil"
		if abort {
			d.Abort(errors.New("gone"))
			d.Abort(errors.New("again"))
			want = "Sent xxx,Abort"
		} else if err := d.EndRead(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(w.log, ","); got != want {
			t.Errorf("abort=%v: the handler heard %q, want %q", abort, got, want)
		}
		if _, ok := d.Content(); ok {
			t.Errorf("abort=%v: a content after the ending", abort)
		}
	}
}

func TestContentRules(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name    string
		content behaviour.Content
		size    int64
		want    bool
	}{
		{"a file", behaviour.Content{File: f}, 10, true},
		{"a file of an unknown size", behaviour.Content{File: f}, -1, false},
		{"bytes of the size", behaviour.Content{Bytes: []byte("abc")}, 3, true},
		{"bytes of another size", behaviour.Content{Bytes: []byte("abc")}, 4, false},
		{"bytes of an unknown size", behaviour.Content{Bytes: []byte("abc")}, -1, false},
		{"neither", behaviour.Content{}, 3, false},
		{"both", behaviour.Content{File: f, Bytes: []byte("abc")}, 3, false},
	} {
		d := openWhole(t, &whole{content: tc.content}, tc.size)
		if _, ok := d.Content(); ok != tc.want {
			t.Errorf("%s: Content offered %v, want %v", tc.name, ok, tc.want)
		}
	}
	// No content once a call failed.
	w := &whole{content: behaviour.Content{Bytes: []byte("abc")}, broken: true}
	d := openWhole(t, w, 3)
	if _, err := d.Read(make([]byte, 1)); err == nil {
		t.Fatal("the failing Read succeeded")
	}
	if _, ok := d.Content(); ok {
		t.Error("a content after a failure")
	}
}

func TestContentPanics(t *testing.T) {
	var panics []string
	cfg := drive.Config{Panic: func(call string, _ any, _ []byte) { panics = append(panics, call) }}
	w := &whole{content: behaviour.Content{Bytes: []byte("abc")}, panicky: true}
	tr := &behaviour.Transfer{}
	tr.SetSize(3)
	d := drive.New(w, tr, cfg)
	if err := d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := d.Content()
	c.Sent(3)
	assertInternal(t, d.EndRead(), drive.ErrPanicked)
	if !d.Abort(errors.New("the ending failed")) || strings.Join(w.log, ",") != "Abort" {
		t.Errorf("after Sent panicked: the handler heard %q, want only Abort", w.log)
	}
	if len(panics) != 1 || panics[0] != "Sent" {
		t.Errorf("panics reported: %q", panics)
	}
	// A panic while looking the content up offers none.
	d = drive.New(&panicContent{}, &behaviour.Transfer{}, cfg)
	if err := d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Content(); ok {
		t.Error("a content from a lookup that panicked")
	}
}

type panicContent struct{ fake }

func (*panicContent) Content(*behaviour.Transfer) (behaviour.Content, bool) { panic("lookup") }
