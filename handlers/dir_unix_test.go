//go:build unix

package handlers_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

func TestDirRefusesWhatIsNotARegularFile(t *testing.T) {
	d, root := newDir(t, handlers.DirConfig{Write: handlers.WriteAny})
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	for _, name := range []string{"dir", "fifo", "."} {
		for _, access := range []behaviour.Access{behaviour.Read, behaviour.Write} {
			tr := transfer(t, access, name)
			wantCode(t, access.String()+" "+name, d.Open(context.Background(), tr), behaviour.CodeAccessViolation)
		}
	}
	if fi, err := os.Lstat(filepath.Join(root, "fifo")); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Error("a refused upload replaced the FIFO")
	}
}
