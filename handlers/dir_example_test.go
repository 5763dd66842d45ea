package handlers_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
)

// A Dir driven by hand, as an engine drives it: Open, Read or Write, one
// ending.
func ExampleNewDir() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello, device\n"), 0o644)

	d, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	ctx := context.Background()

	// Download hello.txt.
	rd := &behaviour.Transfer{Protocol: behaviour.TFTP, Access: behaviour.Read, Name: "hello.txt"}
	if err := d.Open(ctx, rd); err != nil {
		fmt.Println(err)
		return
	}
	size, _ := rd.Size()
	buf := make([]byte, 512)
	n, err := d.Read(rd, buf) // a short file: the data, then io.EOF
	for err == nil {
		var more int
		more, err = d.Read(rd, buf[n:])
		n += more
	}
	fmt.Printf("read %d of %d bytes: %q (%v)\n", n, size, buf[:n], err == io.EOF)

	// Upload r1-confg in two pieces; the last Write commits it.
	wr := &behaviour.Transfer{Protocol: behaviour.TFTP, Access: behaviour.Write, Name: "r1-confg",
		Flags: behaviour.FlagCreate | behaviour.FlagTruncate}
	if err := d.Open(ctx, wr); err != nil {
		fmt.Println(err)
		return
	}
	d.Write(wr, []byte("hostname "), false)
	_, err = os.Stat(filepath.Join(root, "r1-confg"))
	fmt.Println("visible before the commit:", err == nil)
	fmt.Println("commit:", d.Write(wr, []byte("r1\n"), true))
	data, _ := os.ReadFile(filepath.Join(root, "r1-confg"))
	fmt.Printf("%q\n", data)

	// Names never leave the root.
	out := &behaviour.Transfer{Access: behaviour.Read, Name: "../etc/passwd"}
	fmt.Println(behaviour.PeerMessage(d.Open(ctx, out)))
	// Output:
	// read 14 of 14 bytes: "hello, device\n" (true)
	// visible before the commit: false
	// commit: <nil>
	// "hostname r1\n"
	// illegal file name
}

// The zero DirConfig serves read-only; behaviourtest drives transfers in
// one call.
func ExampleMustDir() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	os.WriteFile(filepath.Join(root, "pxelinux.0"), []byte("bootloader"), 0o644)

	d := handlers.MustDir(root)
	defer d.Close()
	ctx := context.Background()
	data, err := behaviourtest.Read(ctx, d, "pxelinux.0")
	fmt.Printf("%s %v\n", data, err)
	err = behaviourtest.Write(ctx, d, "pxelinux.0", []byte("evil"))
	fmt.Println(behaviour.Classify(err).Code, behaviour.PeerMessage(err))
	// Output:
	// bootloader <nil>
	// access violation writes not allowed
}

// The SFTP capabilities of a Dir, reached through behaviour's helpers as
// the SSH server reaches them.
func ExampleDir_Rename() {
	root, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(root)
	os.WriteFile(filepath.Join(root, "a.cfg"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(root, "b.cfg"), []byte("b"), 0o644)
	d, _ := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny})
	defer d.Close()
	ctx := context.Background()

	t := &behaviour.Transfer{Protocol: behaviour.SFTP, Access: behaviour.Write, Name: "a.cfg"}
	fmt.Println(behaviour.PeerMessage(behaviour.Rename(ctx, d, t, "b.cfg")))
	fmt.Println(behaviour.Rename(ctx, d, t, "c.cfg"))
	infos, _ := behaviour.List(ctx, d, &behaviour.Transfer{Name: "."})
	for _, fi := range infos {
		fmt.Println(fi.Name(), fi.Size())
	}
	// Unordered output:
	// file already exists
	// <nil>
	// b.cfg 1
	// c.cfg 1
}

func ExampleWritePolicy_UnmarshalText() {
	var p handlers.WritePolicy // as a YAML or JSON decoder fills it
	err := p.UnmarshalText([]byte("create"))
	fmt.Println(p, err, p == handlers.WriteCreate)
	// Output: create <nil> true
}
