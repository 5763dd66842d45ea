package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/filemux/filemux/behaviour"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
)

// exampleSFTP starts filemux's SSH server on loopback serving an in-memory
// store that holds boot.cfg, and returns a client that logs in with the
// server's test key and trusts its known_hosts file, the store and a stop
// function.
func exampleSFTP() (*client.SFTP, *handlers.Memory, func()) {
	store := handlers.NewMemory()
	store.Put("boot.cfg", []byte("hostname router1\n"))
	t := &exampleTB{}
	srv := daemontest.NewSSH(t, store)
	c := &client.SFTP{SSH: client.SSH{
		Addr:           srv.Addr().String(),
		User:           "admin",
		IdentityFile:   srv.KeyFile,
		KnownHostsFile: srv.KnownHostsFile,
	}}
	return c, store, t.cleanup
}

func ExampleSFTP_ReadFile() {
	c, _, stop := exampleSFTP()
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

	// A failed download leaves nothing at the local path.
	_, err := c.ReadFile(context.Background(), "missing.cfg", filepath.Join(dir, "missing.cfg"))
	fmt.Println("not found:", errors.Is(err, behaviour.ErrNotFound))
	_, statErr := os.Stat(filepath.Join(dir, "missing.cfg"))
	fmt.Println("left behind:", statErr == nil)
	// Output:
	// hostname router1
	// not found: true
	// left behind: false
}

func ExampleSFTP_ReadBytes() {
	c, _, stop := exampleSFTP()
	defer stop()

	c.Concurrency, c.ChunkSize = 16, 8192 // requests in flight, bytes each
	data, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Printf("%q %v\n", data, err)
	// Output: "hostname router1\n" <nil>
}

func ExampleSFTP_ReadTo() {
	c, _, stop := exampleSFTP()
	defer stop()

	var buf strings.Builder
	res, err := c.ReadTo(context.Background(), "boot.cfg", &buf)
	fmt.Println(res.Bytes, err, strings.TrimSpace(buf.String()))
	// Output: 17 <nil> hostname router1
}

func ExampleSFTP_WriteBytes() {
	c, store, stop := exampleSFTP()
	defer stop()

	if _, err := c.WriteBytes(context.Background(), "running.cfg", []byte("hostname router2\n")); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("running.cfg")
	fmt.Printf("%s", b)
	// Output: hostname router2
}

func ExampleSFTP_WriteFrom() {
	c, store, stop := exampleSFTP()
	defer stop()

	var last client.Progress
	c.Progress = func(p client.Progress) { last = p }
	if _, err := c.WriteFrom(context.Background(), "firmware.bin", bytes.NewReader(make([]byte, 100000))); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("firmware.bin")
	fmt.Println(len(b), last.Bytes, last.Total)
	// Output: 100000 100000 100000
}

func ExampleSFTP_WriteFile() {
	c, store, stop := exampleSFTP()
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

// A host missing from the known_hosts file is refused, unless the caller
// accepts new keys: then the key is added to the file and trusted from then
// on. A changed key is always refused (ErrHostKeyMismatch).
func ExampleSSH_acceptNewHostKey() {
	c, _, stop := exampleSFTP()
	defer stop()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	c.KnownHostsFile = filepath.Join(dir, "known_hosts")

	_, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	var se *client.Error
	fmt.Println(errors.As(err, &se), se.Class)

	c.AcceptNewHostKey = true
	_, _, err = c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Println(err)
	b, _ := os.ReadFile(c.KnownHostsFile)
	fmt.Println(strings.Count(string(b), "ssh-ed25519"))
	// Output:
	// true host key unknown
	// <nil>
	// 1
}

// exampleTB is the testing.TB of an Example: cleanups run at its end and
// failures panic.
type exampleTB struct {
	testing.TB
	cleanups []func()
	dirs     []string
}

func (t *exampleTB) Helper()                   {}
func (t *exampleTB) Cleanup(f func())          { t.cleanups = append(t.cleanups, f) }
func (t *exampleTB) Errorf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (t *exampleTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func (t *exampleTB) TempDir() string {
	dir, err := os.MkdirTemp("", "client-example")
	if err != nil {
		panic(err)
	}
	t.dirs = append(t.dirs, dir)
	return dir
}

func (t *exampleTB) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	for _, d := range t.dirs {
		os.RemoveAll(d)
	}
}
