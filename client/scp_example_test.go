package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/filemux/filemux/behaviour"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// exampleSCP starts filemux's SSH server on loopback serving an in-memory
// store that holds boot.cfg, and returns an SCP client that logs in with
// the server's test key and trusts its known_hosts file, the store and a
// stop function.
func exampleSCP() (*client.SCP, *handlers.Memory, func()) {
	store := handlers.NewMemory()
	store.Put("boot.cfg", []byte("hostname router1\n"))
	t := &exampleTB{}
	srv := daemontest.NewSSH(t, store)
	c := &client.SCP{SSH: client.SSH{
		Addr:           srv.Addr().String(),
		User:           "admin",
		IdentityFile:   srv.KeyFile,
		KnownHostsFile: srv.KnownHostsFile,
	}}
	return c, store, t.cleanup
}

func ExampleSCP_ReadFile() {
	c, _, stop := exampleSCP()
	defer stop()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	local := filepath.Join(dir, "boot.cfg")
	if _, err := c.ReadFile(context.Background(), "boot.cfg", local); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(local)
	fmt.Printf("%s", b)

	// A failed download leaves nothing at the local path; the error
	// carries the server's own line.
	_, err := c.ReadFile(context.Background(), "missing.cfg", filepath.Join(dir, "missing.cfg"))
	var se *client.Error
	fmt.Println("not found:", errors.As(err, &se) && errors.Is(err, behaviour.ErrNotFound), se.Message)
	_, statErr := os.Stat(filepath.Join(dir, "missing.cfg"))
	fmt.Println("left behind:", statErr == nil)
	// Output:
	// hostname router1
	// not found: true scp: missing.cfg: No such file or directory
	// left behind: false
}

func ExampleSCP_ReadBytes() {
	c, _, stop := exampleSCP()
	defer stop()

	c.MaxSize = 1 << 20 // refuse anything the server announces as larger
	data, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Printf("%q %v\n", data, err)
	// Output: "hostname router1\n" <nil>
}

func ExampleSCP_ReadTo() {
	c, _, stop := exampleSCP()
	defer stop()

	var buf strings.Builder
	res, err := c.ReadTo(context.Background(), "boot.cfg", &buf)
	fmt.Println(res.Bytes, err, strings.TrimSpace(buf.String()))
	// Output: 17 <nil> hostname router1
}

func ExampleSCP_WriteBytes() {
	c, store, stop := exampleSCP()
	defer stop()

	if _, err := c.WriteBytes(context.Background(), "running.cfg", []byte("hostname router2\n")); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("running.cfg")
	fmt.Printf("%s", b)
	// Output: hostname router2
}

// SCP announces the size before the data: a reader that does not tell it
// is spooled first, in memory and then in a temporary file, up to
// SpoolLimit.
func ExampleSCP_WriteFrom() {
	c, store, stop := exampleSCP()
	defer stop()

	var last client.Progress
	c.Progress = func(p client.Progress) { last = p }
	c.SpoolLimit = 10 << 20
	pipe := io.MultiReader(bytes.NewReader(make([]byte, 100000))) // hides its size
	if _, err := c.WriteFrom(context.Background(), "firmware.bin", pipe); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("firmware.bin")
	fmt.Println(len(b), last.Bytes, last.Total)
	// Output: 100000 100000 100000
}

func ExampleSCP_WriteFile() {
	c, store, stop := exampleSCP()
	defer stop()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, "switch.cfg")
	_ = os.WriteFile(local, []byte("hostname switch1\n"), 0o644)

	if _, err := c.WriteFile(context.Background(), "switch.cfg", local); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("switch.cfg")
	fmt.Printf("%s", b)
	// Output: hostname switch1
}
