package behaviour_test

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// modes is a handler that keeps a mode per file name.
type modes struct {
	behaviour.Base
	mode map[string]fs.FileMode
}

func (m *modes) Chmod(_ context.Context, t *behaviour.Transfer, mode fs.FileMode) error {
	if mode&^fs.ModePerm != 0 {
		return behaviour.ErrUnsupported // no setuid, setgid or sticky bits here
	}
	m.mode[t.Name] = mode
	return nil
}

// Chmod reaches the first ModeChanger of the chain; a handler without one
// answers ErrUnsupported, which SFTP clients see as OP_UNSUPPORTED rather
// than a success that changed nothing.
func ExampleChmod() {
	m := &modes{mode: map[string]fs.FileMode{}}
	t := &behaviour.Transfer{Name: "boot.cfg"}
	fmt.Println(behaviour.Chmod(context.Background(), m, t, 0o600), m.mode["boot.cfg"])
	fmt.Println(behaviour.Chmod(context.Background(), m, t, 0o4755))
	fmt.Println(behaviour.Chtimes(context.Background(), m, t, time.Now(), time.Now()))
	// Output:
	// <nil> -rw-------
	// operation not supported
	// operation not supported
}
