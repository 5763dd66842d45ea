package behaviourtest_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing/fstest"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
)

func ExampleTestHandler() {
	h := behaviour.FS(fstest.MapFS{"boot/pxelinux.0": {Data: []byte("boot loader")}})
	err := behaviourtest.TestHandler(h, behaviourtest.Spec{
		Reads:        map[string][]byte{"boot/pxelinux.0": []byte("boot loader")},
		RefuseReads:  map[string]behaviour.Code{"boot/missing": behaviour.CodeNotFound},
		RefuseWrites: map[string]behaviour.Code{"boot/pxelinux.0": behaviour.CodeAccessViolation},
	})
	fmt.Println(err)
	// Output: <nil>
}

// A handler that serves other content than expected: one violation per
// transfer.
func ExampleTestHandler_violations() {
	h := behaviour.Bytes([]byte("hello"))
	err := behaviourtest.TestHandler(h, behaviourtest.Spec{
		Reads:      map[string][]byte{"greeting": []byte("hello\n")},
		ChunkSizes: []int{512},
	})
	fmt.Println(err)
	// Output:
	// read "greeting": content: read 5 bytes, want 6; first difference at offset 5 (chunk 1468, random access)
	// read "greeting": content: read 5 bytes, want 6; first difference at offset 5 (chunk 512)
}

func ExampleRead() {
	h := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		return strings.NewReader("hostname " + t.Name + "\n"), nil
	})
	b, err := behaviourtest.Read(context.Background(), h, `/configs\\switch-1`)
	fmt.Printf("%q %v\n", b, err)
	// Output: "hostname configs/switch-1\n" <nil>
}

func ExampleWrite() {
	var got string
	h := behaviour.WriteFunc(func(_ context.Context, t *behaviour.Transfer, r io.Reader) error {
		b, err := io.ReadAll(r)
		got = t.Name + ": " + string(b)
		return err
	})
	err := behaviourtest.Write(context.Background(), h, "backup/router-7.cfg", []byte("interface eth0"), behaviourtest.ChunkSize(4))
	fmt.Println(got, err)
	// Output: backup/router-7.cfg: interface eth0 <nil>
}

// lowBlocks serves a greeting and lowers the block size it accepts.
type lowBlocks struct{ behaviour.Base }

func (lowBlocks) Open(_ context.Context, t *behaviour.Transfer) error {
	t.Options.Lower("blksize", 512)
	t.State = strings.NewReader("hi")
	return nil
}

func (lowBlocks) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return t.State.(io.Reader).Read(p)
}

func ExampleRun() {
	t, _ := behaviourtest.NewTransfer(behaviour.Read, "greeting",
		behaviourtest.Suggest(behaviour.Option{Name: "blksize", Value: "1468"}))
	b, err := behaviourtest.Run(context.Background(), lowBlocks{}, t, nil)
	fmt.Printf("%q %v, accepted %s\n", b, err, t.Options.String())
	// Output: "hi" <nil>, accepted blksize=512
}

func ExampleNewTransfer() {
	t, err := behaviourtest.NewTransfer(behaviour.Write, `\uploads\\a.bin`,
		behaviourtest.Protocol(behaviour.SFTP), behaviourtest.User("alice"))
	fmt.Println(t.Protocol, t.Access, t.Name, t.User, t.Peer.Addr(), err)
	_, err = behaviourtest.NewTransfer(behaviour.Read, "../etc/passwd")
	fmt.Println(err)
	// Output:
	// sftp write uploads/a.bin alice 127.0.0.1 <nil>
	// illegal file name
}
