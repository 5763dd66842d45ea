package main

import (
	"context"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// stamp names a version by the time its upload started: sortable, free of
// the colons that some file systems refuse, and fine-grained enough that two
// pushes never share a name (WriteCreate would refuse the second).
const stamp = "20060102T150405.000000000Z"

// storedAs is the key under which archive records, in each transfer, the
// name it stored the upload as.
type storedAs struct{}

// archive stores each upload of a route with a "host" capture as
// "<host>/<timestamp>.cfg" in a Dir, which makes it atomic (a temporary file
// renamed into place at the final Write) and never replaces a file
// (WriteCreate), so every earlier version stays. It refuses reads: backups
// hold secrets, and no device needs them back.
//
// It wraps the Dir but has no Unwrap on purpose: SFTP clients must not reach
// the Dir's list, remove and rename capabilities through it.
type archive struct {
	dir *handlers.Dir
	now func() time.Time
}

// Prepare is never called on the server side.
func (a archive) Prepare(context.Context, *behaviour.Transfer) error { return nil }

// Open starts the upload of t under its versioned name. The Dir opens the
// rewritten name, and t.Name is restored afterwards so that logs and hooks
// see what the device asked for.
func (a archive) Open(ctx context.Context, t *behaviour.Transfer) error {
	host := t.Param("host")
	if t.Access != behaviour.Write || host == "" {
		return behaviour.NewError(behaviour.CodeAccessViolation, "backups are write-only")
	}
	stored := host + "/" + a.now().UTC().Format(stamp) + ".cfg"
	requested := t.Name
	t.Name = stored
	err := a.dir.Open(ctx, t)
	t.Name = requested
	if err == nil {
		t.SetValue(storedAs{}, stored)
	}
	return err
}

func (a archive) Read(t *behaviour.Transfer, p []byte) (int, error) { return a.dir.Read(t, p) }

func (a archive) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return a.dir.Write(t, p, last)
}

func (a archive) Abort(t *behaviour.Transfer, err error) { a.dir.Abort(t, err) }

// stored returns the name t was stored as, or "".
func stored(t *behaviour.Transfer) string {
	s, _ := t.Value(storedAs{}).(string)
	return s
}
