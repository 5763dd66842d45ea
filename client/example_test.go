package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// exampleServer starts filemux's daemon on loopback serving an in-memory
// store that holds boot.cfg, and returns its address and a stop function.
func exampleServer() (string, *handlers.Memory, func()) {
	store := handlers.NewMemory()
	store.Put("boot.cfg", []byte("hostname router1\n"))
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	d := &daemon.TFTP{Handler: store}
	go d.Serve(pc)
	return pc.LocalAddr().String(), store, func() { d.Close() }
}

func ExampleTFTP_ReadBytes() {
	addr, _, stop := exampleServer()
	defer stop()

	c := &client.TFTP{Addr: addr, BlockSize: 1468, TSize: true}
	data, res, err := c.ReadBytes(context.Background(), "boot.cfg")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q, size %d, blksize %d\n", data, res.Size, res.BlockSize)
	// Output: "hostname router1\n", size 17, blksize 1468
}

func ExampleTFTP_ReadFile() {
	addr, _, stop := exampleServer()
	defer stop()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	c := &client.TFTP{Addr: addr}
	local := filepath.Join(dir, "boot.cfg")
	if _, err := c.ReadFile(context.Background(), "boot.cfg", local); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(local)
	fmt.Printf("%s", b)

	// A failed download leaves nothing at the local path.
	_, err := c.ReadFile(context.Background(), "missing.cfg", filepath.Join(dir, "missing.cfg"))
	var se *client.ServerError
	if errors.As(err, &se) {
		fmt.Println("server answered code", int(se.Code))
	}
	_, statErr := os.Stat(filepath.Join(dir, "missing.cfg"))
	fmt.Println("left behind:", statErr == nil)
	// Output:
	// hostname router1
	// server answered code 1
	// left behind: false
}

func ExampleTFTP_ReadTo() {
	addr, _, stop := exampleServer()
	defer stop()

	c := &client.TFTP{Addr: addr}
	if _, err := c.ReadTo(context.Background(), "boot.cfg", os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output: hostname router1
}

func ExampleTFTP_ReadHandler() {
	addr, _, stop := exampleServer()
	defer stop()

	// The local side is a registry too: the LOCAL name picks the handler,
	// as Erlang's client-side callbacks do.
	backups := handlers.NewMemory()
	var local registry.Registry
	local.MustRegister(`backups/.*`, backups)

	c := &client.TFTP{Addr: addr}
	if _, err := c.ReadHandler(context.Background(), "boot.cfg", "backups/router1.cfg", &local); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := backups.Get("backups/router1.cfg")
	fmt.Printf("%s", b)
	// Output: hostname router1
}

func ExampleTFTP_WriteBytes() {
	addr, store, stop := exampleServer()
	defer stop()

	c := &client.TFTP{Addr: addr, TSize: true}
	res, err := c.WriteBytes(context.Background(), "running.cfg", []byte("interface eth0\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("running.cfg")
	fmt.Printf("sent %d bytes: %q\n", res.Bytes, b)
	// Output: sent 15 bytes: "interface eth0\n"
}

func ExampleTFTP_WriteFile() {
	addr, store, stop := exampleServer()
	defer stop()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, "switch.cfg")
	_ = os.WriteFile(local, []byte("vlan 10\n"), 0o644)

	c := &client.TFTP{Addr: addr}
	if _, err := c.WriteFile(context.Background(), "switch.cfg", local); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("switch.cfg")
	fmt.Printf("%s", b)
	// Output: vlan 10
}

func ExampleTFTP_WriteFrom() {
	addr, store, stop := exampleServer()
	defer stop()

	c := &client.TFTP{Addr: addr, Mode: behaviour.Netascii}
	if _, err := c.WriteFrom(context.Background(), "notes.txt", strings.NewReader("line 1\nline 2\n")); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("notes.txt")
	fmt.Printf("%q\n", b)
	// Output: "line 1\nline 2\n"
}

func ExampleTFTP_WriteHandler() {
	addr, store, stop := exampleServer()
	defer stop()

	// Any Handler can produce the upload; here an in-memory one.
	local := handlers.NewMemory()
	local.Put("generated/router2.cfg", []byte("hostname router2\n"))

	c := &client.TFTP{Addr: addr, TSize: true}
	if _, err := c.WriteHandler(context.Background(), "router2.cfg", "generated/router2.cfg", local); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := store.Get("router2.cfg")
	fmt.Printf("%s", b)
	// Output: hostname router2
}

func ExampleParseChecksum() {
	addr, _, stop := exampleServer()
	defer stop()

	sum := sha256.Sum256([]byte("hostname router1\n"))
	c := &client.TFTP{Addr: addr}
	c.Verify, _ = client.ParseChecksum(client.SHA256, fmt.Sprintf("%x", sum))
	if _, _, err := c.ReadBytes(context.Background(), "boot.cfg"); err == nil {
		fmt.Println("verified")
	}
	c.Verify, _ = client.ParseChecksum(client.SHA256, fmt.Sprintf("%x", sha256.Sum256(nil)))
	_, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Println(errors.Is(err, client.ErrIntegrity))
	// Output:
	// verified
	// true
}

func ExampleTFTP_Validate() {
	c := &client.TFTP{Addr: "192.0.2.1", BlockSize: 4}
	fmt.Println(c.Validate())
	// Output: client: TFTP.BlockSize 4 is outside 8..65464
}

func ExampleTFTP_progress() {
	addr, store, stop := exampleServer()
	defer stop()
	store.Put("firmware.bin", bytes.Repeat([]byte{0xff}, 3000))

	var last client.Progress
	c := &client.TFTP{Addr: addr, TSize: true, Progress: func(p client.Progress) { last = p }}
	if _, _, err := c.ReadBytes(context.Background(), "firmware.bin"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d bytes\n", last.Bytes, last.Total)
	// Output: 3000 of 3000 bytes
}
