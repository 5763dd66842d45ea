package handlers

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// ReadOnly returns a Handler that serves the reads of h and refuses every
// write with an access violation: write transfers at Prepare and Open, and
// the remove, rename, mkdir, rmdir, chmod, chtimes and random-write
// capabilities, which ReadOnly offers itself as refusals so that the peer
// is told of an access violation rather than an unsupported operation
// (being mutating, they would not reach h through Unwrap anyway; see
// behaviour.Wrapper). Stat, list and random reads pass through.
func ReadOnly(h behaviour.Handler) behaviour.Handler {
	return readOnlyHandler{accessGate{h: h, only: behaviour.Read, err: errReadOnlyDecorator}}
}

type readOnlyHandler struct{ accessGate }

var errReadOnlyDecorator = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "read-only"}

func (r readOnlyHandler) Read(t *behaviour.Transfer, p []byte) (int, error) { return r.h.Read(t, p) }

// Write refuses: Open never lets a write transfer through.
func (r readOnlyHandler) Write(*behaviour.Transfer, []byte, bool) error { return errReadOnlyDecorator }

func (r readOnlyHandler) Mkdir(context.Context, *behaviour.Transfer) error {
	return errReadOnlyDecorator
}

func (r readOnlyHandler) Chmod(context.Context, *behaviour.Transfer, fs.FileMode) error {
	return errReadOnlyDecorator
}

func (r readOnlyHandler) Chtimes(context.Context, *behaviour.Transfer, time.Time, time.Time) error {
	return errReadOnlyDecorator
}

// WriterAt offers no random writer, whatever h offers.
func (r readOnlyHandler) WriterAt(*behaviour.Transfer) (io.WriterAt, bool) { return nil, false }

// ReadOnly refuses every capability that changes something.
var (
	_ behaviour.Remover      = readOnlyHandler{}
	_ behaviour.Renamer      = readOnlyHandler{}
	_ behaviour.DirMaker     = readOnlyHandler{}
	_ behaviour.DirRemover   = readOnlyHandler{}
	_ behaviour.ModeChanger  = readOnlyHandler{}
	_ behaviour.TimesChanger = readOnlyHandler{}
	_ behaviour.RandomWriter = readOnlyHandler{}
	_ behaviour.Wrapper      = readOnlyHandler{}
)
