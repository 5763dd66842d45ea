package registry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/internal/wire"
)

// here returns "file:line" of its caller, to compare with the Where of a
// registration made on the same line.
func here() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", file, line)
}

// newTransfer builds the transfer an engine would hand over for name.
func newTransfer(tb testing.TB, access behaviour.Access, name string) *behaviour.Transfer {
	tb.Helper()
	t, err := behaviourtest.NewTransfer(access, name)
	if err != nil {
		tb.Fatalf("NewTransfer(%q): %v", name, err)
	}
	return t
}

// open opens name for reading through h and fails the test on error.
func open(tb testing.TB, h behaviour.Handler, name string) *behaviour.Transfer {
	tb.Helper()
	t := newTransfer(tb, behaviour.Read, name)
	if err := h.Open(context.Background(), t); err != nil {
		tb.Fatalf("Open(%q): %v", name, err)
	}
	return t
}

// readRest reads an open transfer to its end, as an engine does.
func readRest(tb testing.TB, h behaviour.Handler, t *behaviour.Transfer) string {
	tb.Helper()
	var out []byte
	buf := make([]byte, 3)
	for range 1 << 16 {
		n, err := h.Read(t, buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return string(out)
		}
		if err != nil {
			tb.Fatalf("Read(%q): %v", t.Name, err)
		}
	}
	tb.Fatalf("Read(%q) never reached io.EOF", t.Name)
	return ""
}

// read reads the whole file name through h with the conformance driver.
func read(tb testing.TB, h behaviour.Handler, name string) string {
	tb.Helper()
	b, err := behaviourtest.Read(context.Background(), h, name)
	if err != nil {
		tb.Fatalf("read %q: %v", name, err)
	}
	return string(b)
}

// code returns the protocol code of err, failing when err is nil.
func code(tb testing.TB, err error) behaviour.Code {
	tb.Helper()
	if err == nil {
		tb.Fatal("got no error")
	}
	return wire.TFTPCode(err)
}

// text is a read-only handler whose content is rendered from the transfer,
// so tests see which route served a read and with which captures.
func text(format string, params ...string) behaviour.Handler {
	return behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		args := make([]any, len(params))
		for i, p := range params {
			args[i] = t.Param(p)
		}
		return strings.NewReader(fmt.Sprintf(format, args...)), nil
	})
}
