package behaviour_test

import (
	"io"
	"os"
	"testing"

	"github.com/filemux/filemux/behaviour"
)

// ownContent is a handler that offers its bytes as its whole content.
type ownContent struct {
	behaviour.Base
	data []byte
}

func (o ownContent) Content(*behaviour.Transfer) (behaviour.Content, bool) {
	return behaviour.Content{Bytes: o.data}, o.data != nil
}

// meter is a decorator that wraps random reads, as one that counts or
// changes bytes must, and says nothing of contents.
type meter struct{ wrapper }

func (m meter) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	return behaviour.ReaderAt(m.Next, t)
}

// passContent is a decorator that wraps random reads and lets contents
// through, counting them.
type passContent struct {
	meter
	sent *int64
}

func (p passContent) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	c, ok := behaviour.ContentOf(p.Next, t)
	if ok {
		c.Sent = func(n int64) { *p.sent += n }
	}
	return c, ok
}

func TestContentOf(t *testing.T) {
	own := ownContent{data: []byte("abc")}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sent int64
	tests := []struct {
		name string
		h    behaviour.Handler
		want bool
	}{
		{"the handler offers it", own, true},
		{"the handler has none", ownContent{}, false},
		{"through wrappers", wrap(wrap(own)), true},
		{"through a decorator that declares nothing", looker{own}, true},
		{"a random-reading decorator hides it", wrap(meter{wrap(own)}), false},
		{"a random-reading decorator that lets it through", passContent{meter{wrap(own)}, &sent}, true},
		{"a handler without it, whatever t.State holds", behaviour.Base{}, false},
		{"a wrapper of one without it", wrap(behaviour.Base{}), false},
		{"a wrapper of nothing", wrapper{}, false},
	}
	for _, tt := range tests {
		c, ok := behaviour.ContentOf(tt.h, &behaviour.Transfer{State: f})
		if ok != tt.want || (ok && string(c.Bytes) != "abc") {
			t.Errorf("%s: ContentOf = %q, %v; want %v", tt.name, c.Bytes, ok, tt.want)
		}
	}
	c, _ := behaviour.ContentOf(passContent{meter{wrap(own)}, &sent}, &behaviour.Transfer{})
	c.Sent(2)
	c.Sent(1)
	if sent != 3 {
		t.Errorf("the decorator counted %d bytes sent, want 3", sent)
	}
}
