package behaviour_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

func TestErrorIsByCode(t *testing.T) {
	custom := behaviour.NewError(behaviour.CodeNotFound, "no such config")
	if !errors.Is(custom, behaviour.ErrNotFound) {
		t.Error("an error with the not-found code is not ErrNotFound")
	}
	if errors.Is(custom, behaviour.ErrAccessViolation) {
		t.Error("a not-found error is an access violation")
	}
	wrapped := fmt.Errorf("route a: %w", custom)
	if !errors.Is(wrapped, behaviour.ErrNotFound) {
		t.Error("a wrapped not-found error is not ErrNotFound")
	}
	if errors.Is(custom, errors.New("file not found")) {
		t.Error("Is matched a plain error by text")
	}
	if !errors.Is(behaviour.NewError(42, "custom"), &behaviour.Error{Code: 42}) {
		t.Error("Is does not match a numeric code of its own")
	}
}

func TestErrorWith(t *testing.T) {
	cause := errors.New("open /srv/tftp/secret: no such file")
	e := behaviour.ErrNotFound.With(cause)
	if e == behaviour.ErrNotFound || behaviour.ErrNotFound.Err != nil {
		t.Fatal("With changed the sentinel")
	}
	if !errors.Is(e, behaviour.ErrNotFound) || !errors.Is(e, cause) || e.Unwrap() != cause {
		t.Error("With lost the code or the cause")
	}
	if got := e.PeerMessage(); got != "file not found" {
		t.Errorf("PeerMessage() = %q", got)
	}
	if got := e.Error(); got != "file not found: open /srv/tftp/secret: no such file" {
		t.Errorf("Error() = %q, want the peer message and the cause, for logs", got)
	}
	msg := behaviour.NewError(behaviour.CodeDiskFull, "quota reached").With(cause)
	if msg.PeerMessage() != "quota reached" || msg.Code != behaviour.CodeDiskFull {
		t.Errorf("With lost the message: %q", msg.PeerMessage())
	}
}

func TestClassify(t *testing.T) {
	const secret = "/srv/private/leak"
	custom := behaviour.NewError(behaviour.CodeNoSuchUser, "who are you")
	tests := []struct {
		name string
		err  error
		code behaviour.Code
		peer string
	}{
		{"not exist", fs.ErrNotExist, behaviour.CodeNotFound, "file not found"},
		{"path error", &fs.PathError{Op: "open", Path: secret, Err: syscall.ENOENT}, behaviour.CodeNotFound, "file not found"},
		{"os not exist", fmt.Errorf("x: %w", os.ErrNotExist), behaviour.CodeNotFound, "file not found"},
		{"permission", &fs.PathError{Op: "open", Path: secret, Err: fs.ErrPermission}, behaviour.CodeAccessViolation, "access violation"},
		{"EACCES", syscall.EACCES, behaviour.CodeAccessViolation, "access violation"},
		{"exist", &fs.PathError{Op: "open", Path: secret, Err: fs.ErrExist}, behaviour.CodeFileExists, "file already exists"},
		{"ENOSPC", &fs.PathError{Op: "write", Path: secret, Err: syscall.ENOSPC}, behaviour.CodeDiskFull, "disk full or allocation exceeded"},
		{"EDQUOT", syscall.EDQUOT, behaviour.CodeDiskFull, "disk full or allocation exceeded"},
		{"EFBIG", syscall.EFBIG, behaviour.CodeDiskFull, "disk full or allocation exceeded"},
		{"deadline", fmt.Errorf("%s: %w", secret, context.DeadlineExceeded), behaviour.CodeUndefined, "timed out"},
		{"cancelled", context.Canceled, behaviour.CodeUndefined, "transfer cancelled"},
		{"wrapped *Error", fmt.Errorf("%s: %w", secret, custom), behaviour.CodeNoSuchUser, "who are you"},
		{"*Error over a cause", behaviour.ErrDiskFull.With(errors.New(secret)), behaviour.CodeDiskFull, "disk full or allocation exceeded"},
		{"*Error wins over its cause", behaviour.ErrAccessViolation.With(fs.ErrNotExist), behaviour.CodeAccessViolation, "access violation"},
		{"unknown", errors.New("dial tcp " + secret), behaviour.CodeUndefined, "internal error"},
		{"numeric code", behaviour.NewError(99, ""), 99, "error 99"},
	}
	for _, tt := range tests {
		e := behaviour.Classify(tt.err)
		if e == nil || e.Code != tt.code || e.PeerMessage() != tt.peer {
			t.Errorf("%s: Classify = %+v, want code %d and peer message %q", tt.name, e, tt.code, tt.peer)
			continue
		}
		var inner *behaviour.Error
		if errors.As(tt.err, &inner) {
			if e != inner {
				t.Errorf("%s: Classify = %p, want the *Error it wraps, %p", tt.name, e, inner)
			}
		} else if !errors.Is(e, tt.err) {
			t.Errorf("%s: the classified error lost its cause", tt.name)
		}
		if got := wire.TFTPCode(tt.err); got != tt.code {
			t.Errorf("%s: TFTPCode = %d, want %d", tt.name, got, tt.code)
		}
		if got := behaviour.PeerMessage(tt.err); got != tt.peer || strings.Contains(got, secret) {
			t.Errorf("%s: PeerMessage = %q, want %q", tt.name, got, tt.peer)
		}
	}
	if behaviour.Classify(nil) != nil || behaviour.PeerMessage(nil) != "" || wire.TFTPCode(nil) != behaviour.CodeUndefined {
		t.Error("nil error classified as something")
	}
}

func TestCodeString(t *testing.T) {
	tests := []struct {
		code behaviour.Code
		want string
	}{
		{behaviour.CodeUndefined, "undefined error"},
		{behaviour.CodeNotFound, "file not found"},
		{behaviour.CodeAccessViolation, "access violation"},
		{behaviour.CodeDiskFull, "disk full or allocation exceeded"},
		{behaviour.CodeIllegalOperation, "illegal operation"},
		{behaviour.CodeUnknownTID, "unknown transfer ID"},
		{behaviour.CodeFileExists, "file already exists"},
		{behaviour.CodeNoSuchUser, "no such user"},
		{behaviour.CodeOptionRefused, "option refused"},
		{9, "error 9"},
		{65535, "error 65535"},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.want {
			t.Errorf("Code(%d).String() = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestSentinelCodes(t *testing.T) {
	sentinels := []*behaviour.Error{
		behaviour.ErrUndefined, behaviour.ErrNotFound, behaviour.ErrAccessViolation, behaviour.ErrDiskFull,
		behaviour.ErrIllegalOperation, behaviour.ErrUnknownTID, behaviour.ErrFileExists, behaviour.ErrNoSuchUser,
		behaviour.ErrOptionRefused,
	}
	for i, e := range sentinels {
		if e.Code != behaviour.Code(i) || e.Error() != behaviour.Code(i).String() {
			t.Errorf("sentinel %d: code %d, text %q", i, e.Code, e.Error())
		}
	}
}
