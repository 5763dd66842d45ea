package handlers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// serverCode returns the code of the ERROR the server answered; 0 for no
// error.
func serverCode(err error) behaviour.Code {
	var se *client.ServerError
	if errors.As(err, &se) {
		return se.Code
	}
	if err != nil {
		return 0xffff
	}
	return 0
}

func TestProtocolsServesListedAndHidesOthers(t *testing.T) {
	ctx := context.Background()
	mem := handlers.NewMemory()
	mem.Put("a", []byte("alpha"))
	h := handlers.Protocols(mem, behaviour.SFTP, behaviour.SCP)
	sftp := behaviourtest.Protocol(behaviour.SFTP)
	if b, err := behaviourtest.Read(ctx, h, "a", sftp); err != nil || string(b) != "alpha" {
		t.Errorf("sftp read: %q, %v", b, err)
	}
	_, err := behaviourtest.Read(ctx, h, "a")
	wantCode(t, "tftp read", err, behaviour.CodeNotFound)
	wantCode(t, "tftp write", behaviourtest.Write(ctx, h, "b", []byte("x")), behaviour.CodeAccessViolation)
	if err := behaviourtest.Write(ctx, h, "c", []byte("x"), sftp); err != nil {
		t.Errorf("sftp write: %v", err)
	}
	_, err = behaviourtest.Read(ctx, handlers.Protocols(mem), "a", sftp)
	wantCode(t, "read with no protocol listed", err, behaviour.CodeNotFound)
}

// Capability lookups walk Unwrap; Protocols must answer for every one of
// them on the protocols it hides.
func TestProtocolsStopsCapabilities(t *testing.T) {
	ctx := context.Background()
	mem := handlers.NewMemory()
	mem.Put("f", []byte("f"))
	h := handlers.Protocols(mem, behaviour.SFTP)
	w, _ := behaviourtest.NewTransfer(behaviour.Write, "f")
	wantCode(t, "Remove", behaviour.Remove(ctx, h, w), behaviour.CodeAccessViolation)
	wantCode(t, "Rename", behaviour.Rename(ctx, h, w, "g"), behaviour.CodeAccessViolation)
	wantCode(t, "Mkdir", behaviour.Mkdir(ctx, h, w), behaviour.CodeAccessViolation)
	wantCode(t, "Rmdir", behaviour.Rmdir(ctx, h, w), behaviour.CodeAccessViolation)
	wantCode(t, "Chmod", behaviour.Chmod(ctx, h, w, 0o600), behaviour.CodeAccessViolation)
	wantCode(t, "Chtimes", behaviour.Chtimes(ctx, h, w, time.Unix(0, 0), time.Unix(0, 0)), behaviour.CodeAccessViolation)
	_, err := behaviour.Stat(ctx, h, w)
	wantCode(t, "Stat", err, behaviour.CodeNotFound)
	_, err = behaviour.List(ctx, h, w)
	wantCode(t, "List", err, behaviour.CodeNotFound)
	if _, ok := behaviour.WriterAt(h, w); ok {
		t.Error("WriterAt found a random writer on a hidden protocol")
	}
	if _, ok := behaviour.ReaderAt(h, w); ok {
		t.Error("ReaderAt found a random reader on a hidden protocol")
	}
	s, _ := behaviourtest.NewTransfer(behaviour.Write, "f", behaviourtest.Protocol(behaviour.SFTP))
	if err := behaviour.Remove(ctx, h, s); err != nil {
		t.Errorf("sftp remove: %v", err)
	}
}

// Over a real socket, a route limited to SFTP does not exist for TFTP and
// a write-only route takes uploads and refuses downloads.
func TestFiltersOverTFTP(t *testing.T) {
	ctx := context.Background()
	mem := handlers.NewMemory()
	mem.Put("secret", []byte("s"))
	for _, tt := range []struct {
		name      string
		h         behaviour.Handler
		read      behaviour.Code // 0: the read succeeds
		writeFail bool
	}{
		{"sftp only", handlers.Protocols(mem, behaviour.SFTP), behaviour.CodeNotFound, true},
		{"tftp and scp", handlers.Protocols(mem, behaviour.TFTP, behaviour.SCP), 0, false},
		{"write-only", handlers.WriteOnly(mem), behaviour.CodeAccessViolation, false},
	} {
		srv := daemontest.NewTFTP(t, tt.h)
		c := &client.TFTP{Addr: srv.Addr().String(), Retries: 1}
		_, _, err := c.ReadBytes(ctx, "secret")
		if got := serverCode(err); got != tt.read {
			t.Errorf("%s: read: %v, want code %d", tt.name, err, tt.read)
		}
		_, err = c.WriteBytes(ctx, "upload-"+tt.name, []byte("x"))
		if got := serverCode(err); (got == behaviour.CodeAccessViolation) != tt.writeFail || (err != nil) != tt.writeFail {
			t.Errorf("%s: write: %v, want failure %v", tt.name, err, tt.writeFail)
		}
	}
}
