package drive

import (
	"errors"
	"fmt"

	"github.com/filemux/filemux/behaviour"
)

// MaxZeroReads is how many (0, nil) answers of Read in a row a transfer
// tolerates before it calls the handler stuck. It is the limit bufio uses
// for an io.Reader that makes no progress: a handler with nothing yet
// returns it a few times at most, and a stuck one is caught within a
// hundred calls, which every engine does in well under a TFTP timeout.
const MaxZeroReads = 100

// The causes of the failures the driver makes up. The errors it returns
// wrap them in a *behaviour.Error with the undefined code and the peer
// message "internal error"; compare with errors.Is.
var (
	// ErrPanicked: a handler call panicked.
	ErrPanicked = errors.New("panicked")
	// ErrBadCount: Read, ReadAt or WriteAt returned a count outside
	// 0..len(p).
	ErrBadCount = errors.New("handler returned a byte count outside 0..len(p)")
	// ErrNoProgress: Read returned (0, nil) MaxZeroReads times in a row.
	ErrNoProgress = errors.New("handler Read made no progress")
	// ErrEnded: a call came after the ending or after a failure.
	ErrEnded = errors.New("handler called after its transfer ended")
	// ErrBadEnding: Read(t, nil), the ending of a random-access read, was
	// answered without io.EOF.
	ErrBadEnding = errors.New("handler answered the ending Read(t, nil) without io.EOF")
)

// internal is the failure the peer sees as an internal error.
func internal(cause error) error {
	return &behaviour.Error{Code: behaviour.CodeUndefined, Message: "internal error", Err: cause}
}

func panicked(call string, r any) error {
	return internal(fmt.Errorf("handler %s %w: %v", call, ErrPanicked, r))
}

// CountError is the cause of a failure for a count out of range: what the
// handler's call returned for a buffer of Len bytes. It matches
// ErrBadCount.
type CountError struct {
	Call   string
	N, Len int
}

// Error says what the handler returned.
func (e *CountError) Error() string {
	return fmt.Sprintf("handler %s returned a count of %d for a buffer of %d bytes", e.Call, e.N, e.Len)
}

// Is reports whether target is ErrBadCount.
func (e *CountError) Is(target error) bool { return target == ErrBadCount }

func badCount(call string, n, size int) error {
	return internal(&CountError{Call: call, N: n, Len: size})
}
