package client_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// exampleSFTPDir starts filemux's SSH server on loopback serving a fresh
// directory that takes every upload, and returns a client for it, the
// directory and a stop function.
func exampleSFTPDir() (*client.SFTP, string, func()) {
	t := &exampleTB{}
	root := t.TempDir()
	d, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		panic(err)
	}
	t.Cleanup(func() { d.Close() })
	srv := daemontest.NewSSH(t, d)
	c := &client.SFTP{SSH: client.SSH{
		Addr:           srv.Addr().String(),
		User:           "admin",
		IdentityFile:   srv.KeyFile,
		KnownHostsFile: srv.KnownHostsFile,
	}}
	return c, root, t.cleanup
}

// The local side of a download is the handler a registry picks by the
// local name, as with the TFTP client.
func ExampleSFTP_ReadHandler() {
	c, _, stop := exampleSFTP()
	defer stop()
	backups := handlers.NewMemory()
	var local registry.Registry
	local.MustRegister(`backups/.*`, backups)

	res, err := c.ReadHandler(context.Background(), "boot.cfg", "backups/router1.cfg", &local)
	b, _ := backups.Get("backups/router1.cfg")
	fmt.Printf("%d %v %s", res.Bytes, err, b)
	// Output: 17 <nil> hostname router1
}

func ExampleSFTP_WriteHandler() {
	c, store, stop := exampleSFTP()
	defer stop()
	templates := handlers.NewMemory()
	templates.Put("templates/switch.cfg", []byte("hostname switch9\n"))

	_, err := c.WriteHandler(context.Background(), "switch9.cfg", "templates/switch.cfg", templates)
	b, _ := store.Get("switch9.cfg")
	fmt.Printf("%v %s", err, b)
	// Output: <nil> hostname switch9
}

// Bytes 9 up to 16 of the file: its host name.
func ExampleSFTP_ReadRange() {
	c, _, stop := exampleSFTP()
	defer stop()

	var buf strings.Builder
	res, err := c.ReadRange(context.Background(), "boot.cfg", 9, 16, &buf)
	fmt.Println(res.Bytes, err, buf.String())
	// Output: 7 <nil> router1
}

// Resuming an upload that stopped after 4 bytes sends the other 13.
func ExampleSFTP_ResumeFile() {
	c, root, stop := exampleSFTPDir()
	defer stop()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, "boot.cfg")
	_ = os.WriteFile(local, []byte("hostname router1\n"), 0o644)
	_ = os.WriteFile(filepath.Join(root, "boot.cfg"), []byte("host"), 0o644) // the first attempt

	res, err := c.ResumeFile(context.Background(), "boot.cfg", local)
	b, _ := os.ReadFile(filepath.Join(root, "boot.cfg"))
	fmt.Printf("%d %v %s", res.Bytes, err, b)
	// Output: 13 <nil> hostname router1
}

// WriteFromAt overwrites bytes in place on servers that write in place,
// such as OpenSSH's; this example only shows the call.
func ExampleSFTP_WriteFromAt() {
	c, _, stop := exampleSFTP()
	defer stop()

	res, err := c.WriteFromAt(context.Background(), "new.cfg", 0, strings.NewReader("hostname new\n"))
	fmt.Println(res.Bytes, err)
	// Output: 13 <nil>
}

// A script's round of file operations: each runs on a connection of its own.
func ExampleSFTP_List() {
	c, _, stop := exampleSFTPDir()
	defer stop()
	ctx := context.Background()

	_ = c.MkdirAll(ctx, "configs/old")
	_, _ = c.WriteBytes(ctx, "configs/r1.cfg", []byte("hostname r1\n"))
	_, _ = c.WriteBytes(ctx, "configs/r2.cfg", []byte("hostname r2\n"))
	_ = c.Rename(ctx, "configs/r2.cfg", "configs/old/r2.cfg")
	list, err := c.List(ctx, "configs")
	for _, fi := range list {
		fmt.Println(fi.Name(), fi.IsDir())
	}
	fmt.Println(err)
	// Output:
	// old true
	// r1.cfg false
	// <nil>
}

func ExampleSFTP_Stat() {
	c, _, stop := exampleSFTP()
	defer stop()

	fi, err := c.Stat(context.Background(), "boot.cfg")
	fmt.Println(fi.Name(), fi.Size(), fi.Mode().IsRegular(), err)
	_, err = c.Stat(context.Background(), "missing.cfg")
	var se *client.Error
	fmt.Println(errors.As(err, &se), se.Op, se.Class)
	// Output:
	// boot.cfg 17 true <nil>
	// true stat file not found
}

func ExampleSFTP_Remove() {
	c, store, stop := exampleSFTP()
	defer stop()

	err := c.Remove(context.Background(), "boot.cfg")
	fmt.Println(err, store.Len())
	// Output: <nil> 0
}

func ExampleSFTP_Rename() {
	c, store, stop := exampleSFTP()
	defer stop()

	err := c.Rename(context.Background(), "boot.cfg", "boot.cfg.bak")
	fmt.Println(err, store.Names())
	// Output: <nil> [boot.cfg.bak]
}

func ExampleSFTP_Mkdir() {
	c, root, stop := exampleSFTPDir()
	defer stop()

	err := c.Mkdir(context.Background(), "firmware")
	fi, _ := os.Stat(filepath.Join(root, "firmware"))
	fmt.Println(err, fi.IsDir())
	// Output: <nil> true
}

func ExampleSFTP_MkdirAll() {
	c, root, stop := exampleSFTPDir()
	defer stop()

	err := c.MkdirAll(context.Background(), "firmware/v2/images")
	fi, _ := os.Stat(filepath.Join(root, "firmware", "v2", "images"))
	fmt.Println(err, fi.IsDir())
	// Output: <nil> true
}

// Old network devices offer only SHA-1 key exchanges and signatures or CBC
// ciphers; LegacyAlgorithms adds them to what the client offers. The
// modern ones stay first, so a modern server still gets them.
func ExampleSSH_legacyAlgorithms() {
	c, _, stop := exampleSFTP()
	defer stop()

	c.LegacyAlgorithms = true
	data, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Printf("%q %v\n", data, err)
	// Output: "hostname router1\n" <nil>
}

// TransferTimeout bounds a whole transfer; IdleTimeout only the time
// without data.
func ExampleSSH_transferTimeout() {
	c, _, stop := exampleSFTP()
	defer stop()

	c.TransferTimeout, c.IdleTimeout = time.Minute, 10*time.Second
	data, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Printf("%q %v\n", data, err)
	// Output: "hostname router1\n" <nil>
}
