package client_test

import (
	"context"
	"fmt"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The local side of a download is the handler a registry picks by the
// local name, as with the TFTP and SFTP clients; Open learns the size from
// the server's file record.
func ExampleSCP_ReadHandler() {
	c, _, stop := exampleSCP()
	defer stop()
	backups := handlers.NewMemory()
	var local registry.Registry
	local.MustRegister(`backups/.*`, backups)

	res, err := c.ReadHandler(context.Background(), "boot.cfg", "backups/router1.cfg", &local)
	b, _ := backups.Get("backups/router1.cfg")
	fmt.Printf("%d %v %s", res.Bytes, err, b)
	// Output: 17 <nil> hostname router1
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
