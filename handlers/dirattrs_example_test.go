package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
)

// SFTP chmod reaches a Dir through behaviour.Chmod; a read-only Dir
// refuses it instead of pretending.
func ExampleDir_Chmod() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	os.WriteFile(filepath.Join(root, "startup.cfg"), []byte("hostname sw1\n"), 0o644)
	ctx := context.Background()
	t := &behaviour.Transfer{Protocol: behaviour.SFTP, Access: behaviour.Write, Name: "startup.cfg"}

	d, _ := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	defer d.Close()
	fmt.Println(behaviour.Chmod(ctx, d, t, 0o600))
	fi, _ := os.Stat(filepath.Join(root, "startup.cfg"))
	fmt.Println(fi.Mode())

	ro, _ := handlers.NewDir(root, handlers.DirConfig{})
	defer ro.Close()
	fmt.Println(behaviour.Chmod(ctx, ro, t, 0o644))
	// Output:
	// <nil>
	// -rw-------
	// writes not allowed
}

// SFTP utimes (sftp put -p, scp -p) sets a file's times.
func ExampleDir_Chtimes() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	os.WriteFile(filepath.Join(root, "backup.cfg"), []byte("!\n"), 0o644)
	d, _ := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	defer d.Close()
	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	t := &behaviour.Transfer{Protocol: behaviour.SFTP, Access: behaviour.Write, Name: "backup.cfg"}
	fmt.Println(behaviour.Chtimes(context.Background(), d, t, when, when))
	fi, _ := os.Stat(filepath.Join(root, "backup.cfg"))
	fmt.Println(fi.ModTime().UTC())
	// Output:
	// <nil>
	// 2024-05-01 12:00:00 +0000 UTC
}
