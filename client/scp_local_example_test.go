package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The local side of a download is the handler a registry picks by the
// local name, as with the TFTP and SFTP clients. It is opened only once the
// server announced the file, with its size: a missing remote file leaves
// it untouched.
func ExampleSCP_ReadHandler() {
	c, _, stop := exampleSCP()
	defer stop()
	var local registry.Registry
	backups := handlers.NewMemory()
	local.MustRegister(`backups/.*`, backups)

	ctx := context.Background()
	if _, err := c.ReadHandler(ctx, "boot.cfg", "backups/router1.cfg", &local); err != nil {
		fmt.Println(err)
		return
	}
	_, err := c.ReadHandler(ctx, "missing.cfg", "backups/router2.cfg", &local)
	b, _ := backups.Get("backups/router1.cfg")
	fmt.Printf("%s%d file, not found: %v\n", b, backups.Len(), errors.Is(err, behaviour.ErrNotFound))
	// Output:
	// hostname router1
	// 1 file, not found: true
}

// A handler that sets the size (as behaviour.Bytes and handlers.Memory do)
// is sent as it is read; a registry picks it by the local name.
func ExampleSCP_WriteHandler() {
	c, store, stop := exampleSCP()
	defer stop()
	var local registry.Registry
	local.MustRegister(`templates/switch\.cfg`, behaviour.Bytes([]byte("hostname switch9\n")))

	_, err := c.WriteHandler(context.Background(), "switch9.cfg", "templates/switch.cfg", &local)
	b, _ := store.Get("switch9.cfg")
	fmt.Printf("%v %s", err, b)
	// Output: <nil> hostname switch9
}
