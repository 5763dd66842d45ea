package handlers_test

import (
	"context"
	"fmt"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

// A drop box for the configs devices push: uploads are taken, nothing can
// be downloaded, removed or renamed through it.
func ExampleWriteOnly() {
	ctx := context.Background()
	store := handlers.NewMemory()
	drop := handlers.WriteOnly(store)

	err := behaviourtest.Write(ctx, drop, "r1-confg", []byte("hostname r1\n"))
	fmt.Println("upload:", err)
	_, err = behaviourtest.Read(ctx, drop, "r1-confg")
	fmt.Println("download:", err)
	tr, _ := behaviourtest.NewTransfer(behaviour.Write, "r1-confg")
	fmt.Println("remove:", behaviour.Remove(ctx, drop, tr))
	b, _ := behaviourtest.Read(ctx, store, "r1-confg")
	fmt.Printf("stored: %q\n", b)
	// Output:
	// upload: <nil>
	// download: write-only
	// remove: write-only
	// stored: "hostname r1\n"
}

// Firmware served over SFTP and SCP only: to TFTP clients it does not
// exist.
func ExampleProtocols() {
	ctx := context.Background()
	store := handlers.NewMemory()
	store.Put("fw.bin", []byte("firmware"))
	h := handlers.Protocols(store, behaviour.SFTP, behaviour.SCP)

	b, err := behaviourtest.Read(ctx, h, "fw.bin", behaviourtest.Protocol(behaviour.SFTP))
	fmt.Printf("sftp: %q %v\n", b, err)
	_, err = behaviourtest.Read(ctx, h, "fw.bin", behaviourtest.Protocol(behaviour.TFTP))
	fmt.Println("tftp:", behaviour.Classify(err).Code)
	// Output:
	// sftp: "firmware" <nil>
	// tftp: file not found
}
