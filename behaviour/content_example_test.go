package behaviour_test

import (
	"fmt"
	"io"

	"github.com/filemux/filemux/behaviour"
)

// blob offers its bytes whole, as handlers.Memory does.
type blob struct {
	behaviour.Base
	data []byte
}

func (b blob) Content(*behaviour.Transfer) (behaviour.Content, bool) {
	return behaviour.Content{Bytes: b.data}, true
}

// upper changes the bytes it reads, so it wraps random reads too, and by
// that alone hides the content: an engine must not send the bytes past it.
type upper struct{ looking }

func (u upper) ReaderAt(*behaviour.Transfer) (io.ReaderAt, bool) { return nil, false }

// An engine asks for the whole content of a read; a decorator that only
// looks lets it through, one that handles random reads hides it.
func ExampleContentOf() {
	h := blob{data: []byte("boot.efi bytes")}
	t := &behaviour.Transfer{Name: "boot.efi"}
	if c, ok := behaviour.ContentOf(looking{h}, t); ok {
		fmt.Printf("through a decorator that only looks: %q\n", c.Bytes)
	}
	_, ok := behaviour.ContentOf(upper{looking{h}}, t)
	fmt.Println("through one that wraps random reads:", ok)
	// Output:
	// through a decorator that only looks: "boot.efi bytes"
	// through one that wraps random reads: false
}
