package main

import (
	"context"
	"errors"

	"github.com/filemux/filemux/behaviour"
)

// chosen is the key under which firstFound remembers, in each transfer,
// the handler that opened it.
type chosen struct{}

// fallback serves a transfer with the first of its handlers that has the
// file: a "file not found" from one Open sends the transfer to the next.
type fallback []behaviour.Handler

// firstFound returns a Handler that tries hs in order at Open.
func firstFound(hs ...behaviour.Handler) behaviour.Handler { return fallback(hs) }

// Prepare accepts the suggested options: the client side is not this
// example's concern.
func (f fallback) Prepare(context.Context, *behaviour.Transfer) error { return nil }

// Open opens t with the first handler that does not answer "not found",
// and remembers it with t.SetValue, leaving t.State to that handler.
func (f fallback) Open(ctx context.Context, t *behaviour.Transfer) error {
	err := error(behaviour.ErrNotFound)
	for _, h := range f {
		err = h.Open(ctx, t)
		if !errors.Is(err, behaviour.ErrNotFound) {
			if err == nil {
				t.SetValue(chosen{}, h)
			}
			return err
		}
	}
	return err
}

func (f fallback) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return f.handler(t).Read(t, p)
}

func (f fallback) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return f.handler(t).Write(t, p, last)
}

func (f fallback) Abort(t *behaviour.Transfer, err error) { f.handler(t).Abort(t, err) }

// handler returns the handler that opened t.
func (f fallback) handler(t *behaviour.Transfer) behaviour.Handler {
	return t.Value(chosen{}).(behaviour.Handler)
}
