package handlers

import (
	"context"

	"github.com/filemux/filemux/behaviour"
)

// accessGate is what ReadOnly and WriteOnly share: it opens the transfers
// of one access for h and refuses the others with err, at Prepare and at
// Open.
type accessGate struct {
	h    behaviour.Handler
	only behaviour.Access
	err  *behaviour.Error
}

// Unwrap returns the wrapped handler.
func (g accessGate) Unwrap() behaviour.Handler { return g.h }

func (g accessGate) Prepare(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access != g.only {
		return g.err
	}
	return g.h.Prepare(ctx, t)
}

func (g accessGate) Open(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access != g.only {
		return g.err
	}
	return g.h.Open(ctx, t)
}

func (g accessGate) Abort(t *behaviour.Transfer, err error) { g.h.Abort(t, err) }

// Remove, Rename and Rmdir refuse on both sides: ReadOnly changes nothing,
// and WriteOnly keeps what was uploaded.
func (g accessGate) Remove(context.Context, *behaviour.Transfer) error         { return g.err }
func (g accessGate) Rename(context.Context, *behaviour.Transfer, string) error { return g.err }
func (g accessGate) Rmdir(context.Context, *behaviour.Transfer) error          { return g.err }
