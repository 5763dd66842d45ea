package handlers_test

import (
	"context"
	"fmt"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

// A test serves a firmware image from memory and collects the config a
// device uploads, with Put and Get on the Go side.
func ExampleNewMemory() {
	ctx := context.Background()
	m := handlers.NewMemory()
	m.Put("/firmware/fw-1.2.bin", []byte("\x7fELF firmware"))

	// The device downloads the image...
	fw, err := behaviourtest.Read(ctx, m, "firmware/fw-1.2.bin")
	fmt.Printf("download: %q %v\n", fw, err)

	// ...and uploads its running-config, kept once the final Write commits.
	err = behaviourtest.Write(ctx, m, "backup/r1-confg", []byte("hostname r1\n"))
	fmt.Println("upload:", err)

	cfg, ok := m.Get("backup/r1-confg")
	fmt.Printf("Get: %q %v\n", cfg, ok)
	fmt.Println("Names:", m.Names(), "Len:", m.Len())

	m.Delete("firmware/fw-1.2.bin")
	_, err = behaviourtest.Read(ctx, m, "firmware/fw-1.2.bin")
	fmt.Println("after Delete:", behaviour.PeerMessage(err))
	// Output:
	// download: "\x7fELF firmware" <nil>
	// upload: <nil>
	// Get: "hostname r1\n" true
	// Names: [backup/r1-confg firmware/fw-1.2.bin] Len: 2
	// after Delete: file not found
}

// A store for collecting configs: new files only, at most 1 MiB each.
func ExampleNewMemoryWith() {
	ctx := context.Background()
	m, err := handlers.NewMemoryWith(handlers.MemoryConfig{
		Write:       handlers.WriteCreate,
		MaxFileSize: 1 << 20,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(behaviourtest.Write(ctx, m, "sw1-confg", []byte("hostname sw1\n")))
	err = behaviourtest.Write(ctx, m, "sw1-confg", []byte("hostname evil\n"))
	fmt.Println(behaviour.PeerMessage(err))
	err = behaviourtest.Write(ctx, m, "huge", make([]byte, 2<<20))
	fmt.Println(behaviour.PeerMessage(err))
	// Output:
	// <nil>
	// file already exists
	// disk full or allocation exceeded
}

// SFTP clients see "/" in names as directories.
func ExampleMemory_List() {
	ctx := context.Background()
	m := handlers.NewMemory()
	m.Put("pxelinux.0", []byte("loader"))
	m.Put("pxelinux.cfg/default", []byte("menu"))
	m.Put("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", []byte("host menu"))
	infos, _ := behaviour.List(ctx, m, &behaviour.Transfer{Name: "."})
	for _, fi := range infos {
		fmt.Println(fi.Mode(), fi.Size(), fi.Name())
	}
	// Output:
	// -rw-r--r-- 6 pxelinux.0
	// drwxr-xr-x 0 pxelinux.cfg
}
