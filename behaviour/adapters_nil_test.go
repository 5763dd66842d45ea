package behaviour_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/filemux/filemux/behaviour"
)

func TestReadFuncNilReaderRefused(t *testing.T) {
	h := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return nil, nil })
	tr := &behaviour.Transfer{Access: behaviour.Read, Name: "x"}
	err := h.Open(context.Background(), tr)
	if !errors.Is(err, behaviour.ErrUndefined) || behaviour.PeerMessage(err) != "internal error" {
		t.Fatalf("Open with a nil reader = %v, want an undefined error with a generic message", err)
	}
}
