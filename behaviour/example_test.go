package behaviour_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
)

// counter is a custom handler: it serves "hits: N" for every name, counting
// the reads that finished. Embedding Base gives it Prepare, and refuses
// writes.
type counter struct {
	behaviour.Base
	mu   sync.Mutex
	hits int
}

func (c *counter) Open(_ context.Context, t *behaviour.Transfer) error {
	if t.Access != behaviour.Read {
		return behaviour.ErrAccessViolation
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Per-transfer state lives in t, never in the handler.
	t.State = strings.NewReader(fmt.Sprintf("hits: %d\n", c.hits))
	return nil
}

func (c *counter) Read(t *behaviour.Transfer, p []byte) (int, error) {
	n, err := t.State.(io.Reader).Read(p)
	if err == io.EOF {
		c.mu.Lock()
		c.hits++
		c.mu.Unlock()
	}
	return n, err
}

func ExampleHandler() {
	h := &counter{}
	for range 2 {
		b, err := behaviourtest.Read(context.Background(), h, "stats")
		fmt.Printf("%q %v\n", b, err)
	}
	err := behaviourtest.Write(context.Background(), h, "stats", []byte("x"))
	fmt.Println(err)
	// Output:
	// "hits: 0\n" <nil>
	// "hits: 1\n" <nil>
	// access violation
}

func ExampleReadFunc() {
	// A running-config rendered from the name the device asked for.
	h := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		host, ok := strings.CutSuffix(t.Name, ".cfg")
		if !ok {
			return nil, behaviour.ErrNotFound
		}
		return strings.NewReader("hostname " + host + "\n"), nil
	})
	b, err := behaviourtest.Read(context.Background(), h, "switch-7.cfg")
	fmt.Printf("%q %v\n", b, err)
	_, err = behaviourtest.Read(context.Background(), h, "switch-7.txt")
	fmt.Println(err)
	// Output:
	// "hostname switch-7\n" <nil>
	// file not found
}

func ExampleWriteFunc() {
	var mu sync.Mutex
	backups := map[string]string{}
	// Collects the configs that devices push; a backup lands only once the
	// whole upload arrived.
	h := behaviour.WriteFunc(func(_ context.Context, t *behaviour.Transfer, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		backups[t.Name] = string(b)
		return nil
	})
	err := behaviourtest.Write(context.Background(), h, "router-1.cfg", []byte("interface eth0\n"))
	fmt.Println(err, len(backups), backups["router-1.cfg"])
	// Output: <nil> 1 interface eth0
}

func ExampleBytes() {
	h := behaviour.Bytes([]byte("firmware v2"))
	b, err := behaviourtest.Read(context.Background(), h, "any/name.bin", behaviourtest.RandomAccess(true))
	fmt.Printf("%s %v\n", b, err)
	// Output: firmware v2 <nil>
}

func ExampleFS() {
	h := behaviour.FS(fstest.MapFS{
		"boot/pxelinux.0": {Data: []byte("loader")},
		"boot/menu.cfg":   {Data: []byte("menu")},
	})
	b, err := behaviourtest.Read(context.Background(), h, `\boot\pxelinux.0`)
	fmt.Printf("%s %v\n", b, err)
	list, _ := behaviour.List(context.Background(), h, &behaviour.Transfer{Name: "boot"})
	for _, fi := range list {
		fmt.Println(fi.Name(), fi.Size())
	}
	_, err = behaviourtest.Read(context.Background(), h, "boot")
	fmt.Println(behaviour.PeerMessage(err))
	// Output:
	// loader <nil>
	// menu.cfg 4
	// pxelinux.0 6
	// not a regular file
}

func ExampleBase() {
	// Base refuses what the embedding type does not override.
	var h behaviour.Handler = behaviour.Base{}
	_, err := behaviourtest.Read(context.Background(), h, "f")
	fmt.Println(err)
	// Output: file is write-only
}

func ExampleCleanName() {
	for _, name := range []string{`\boot\\pxelinux.0`, "/etc/passwd", ".", "../x", "nul.txt", "a\x00b"} {
		clean, err := behaviour.CleanName(name)
		fmt.Printf("%q -> %q %v\n", name, clean, err)
	}
	// Output:
	// "\\boot\\\\pxelinux.0" -> "boot/pxelinux.0" <nil>
	// "/etc/passwd" -> "etc/passwd" <nil>
	// "." -> "." <nil>
	// "../x" -> "" illegal file name
	// "nul.txt" -> "" illegal file name
	// "a\x00b" -> "" illegal file name
}

func ExampleNamePolicy_Clean() {
	p := behaviour.NamePolicy{MaxLen: 16}
	_, err := p.Clean("a-rather-long-name.bin")
	fmt.Println(err)
	// Output: illegal file name
}

func ExampleOptions() {
	// What a peer suggested, as an engine builds it.
	o := behaviour.NewOptions(
		behaviour.Option{Name: "BLKSIZE", Value: "65464"},
		behaviour.Option{Name: "tsize", Value: "0"},
		behaviour.Option{Name: "windowsize", Value: "64"},
	)
	// What a handler may do in Open: lower, drop, set; never add (an
	// engine refuses a transfer whose handler added an option).
	o.Lower(behaviour.OptBlockSize, 1468)
	o.Del(behaviour.OptWindowSize)
	fmt.Println(o.Set(behaviour.OptTSize, "1024"), o.Set(behaviour.OptTimeout, "5"))
	fmt.Println(o.String(), o.Add("TSize", "1"))
	// Output:
	// <nil> option not requested: set of absent option "timeout"
	// blksize=1468 tsize=1024 false
}

func ExampleError() {
	err := &behaviour.Error{Code: behaviour.CodeDiskFull, Message: "quota reached", Err: errors.New("write /srv/u/a: no space left on device")}
	fmt.Println(behaviour.Classify(err).Code, "|", behaviour.PeerMessage(err), "|", err)
	fmt.Println(errors.Is(err, behaviour.ErrDiskFull))
	// Output:
	// disk full or allocation exceeded | quota reached | quota reached: write /srv/u/a: no space left on device
	// true
}

func ExampleError_With() {
	err := behaviour.ErrNotFound.With(errors.New("no row for sw9"))
	fmt.Println(err.PeerMessage(), "|", err)
	// Output: file not found | file not found: no row for sw9
}

func ExampleClassify() {
	for _, err := range []error{
		&fs.PathError{Op: "open", Path: "/srv/secret", Err: fs.ErrNotExist},
		fmt.Errorf("route: %w", behaviour.NewError(behaviour.CodeNoSuchUser, "unknown device")),
		errors.New("dial tcp 10.0.0.5:443: connection refused"),
	} {
		e := behaviour.Classify(err)
		fmt.Printf("%d %q\n", e.Code, e.PeerMessage())
	}
	// Output:
	// 1 "file not found"
	// 7 "unknown device"
	// 0 "internal error"
}

func ExamplePeerMessage() {
	err := fmt.Errorf("open /srv/tftp/private/key: %w", fs.ErrPermission)
	fmt.Println(behaviour.PeerMessage(err))
	// Output: access violation
}

func ExampleTransfer_Param() {
	// The registry fills Params from the named groups of the route's
	// pattern, such as (?<host>[a-z0-9-]+)\.cfg.
	t := &behaviour.Transfer{Name: "sw-7.cfg", Params: []behaviour.Param{{Name: "host", Value: "sw-7"}}}
	fmt.Printf("%q %q\n", t.Param("host"), t.Param("site"))
	// Output: "sw-7" ""
}

func ExampleTransfer_SetValue() {
	type startKey struct{} // unexported key type: no other layer can collide
	var t behaviour.Transfer
	t.SetValue(startKey{}, "12:00")
	fmt.Println(t.Value(startKey{}), t.Value("startKey"))
	// Output: 12:00 <nil>
}

func ExampleTransfer_SetSize() {
	var t behaviour.Transfer
	t.SetSize(1024)
	fmt.Println(t.Size())
	t.SetSize(-1)
	fmt.Println(t.Size())
	// Output:
	// 1024 true
	// 0 false
}

func ExampleStat() {
	h := behaviour.FS(fstest.MapFS{"a.bin": {Data: []byte("12345")}})
	fi, err := behaviour.Stat(context.Background(), h, &behaviour.Transfer{Name: "a.bin"})
	fmt.Println(fi.Name(), fi.Size(), err)
	fmt.Println(behaviour.Remove(context.Background(), h, &behaviour.Transfer{Name: "a.bin"}))
	// Output:
	// a.bin 5 <nil>
	// operation not supported
}

func ExampleReaderAt() {
	h := behaviour.Bytes([]byte("0123456789"))
	t, _ := behaviourtest.NewTransfer(behaviour.Read, "f")
	_ = h.Open(context.Background(), t)
	ra, ok := behaviour.ReaderAt(h, t)
	p := make([]byte, 3)
	n, _ := ra.ReadAt(p, 7)
	fmt.Println(ok, string(p[:n]))
	// The ending of a random-access read.
	fmt.Println(h.Read(t, nil))
	// Output:
	// true 789
	// 0 EOF
}
