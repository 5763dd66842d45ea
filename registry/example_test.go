package registry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/registry"
)

// The zero Registry is ready to use; engines take a *Registry as their
// behaviour.Handler.
func Example() {
	var r registry.Registry
	r.MustRegister(`motd\.txt`, behaviour.Bytes([]byte("welcome\n")))
	r.MustRegister(`cfg/(?<host>[^/]+)\.cfg`, behaviour.ReadFunc(
		func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
			return strings.NewReader("hostname " + t.Param("host") + "\n"), nil
		}))

	for _, name := range []string{"motd.txt", "cfg/sw1.cfg", "other"} {
		b, err := behaviourtest.Read(context.Background(), &r, name)
		fmt.Printf("%s: %q %v\n", name, b, err)
	}
	// Output:
	// motd.txt: "welcome\n" <nil>
	// cfg/sw1.cfg: "hostname sw1\n" <nil>
	// other: "" file not found: registry: no route matches
}

// MatchTimeout bounds every pattern match; set it before registering.
func ExampleRegistry() {
	r := &registry.Registry{MatchTimeout: 500 * time.Millisecond}
	r.MustRegister(`(a+)+b`, behaviour.Bytes(nil)) // backtracks exponentially
	r.MustRegister(`.*`, behaviour.Bytes([]byte("catch-all")))

	_, err := r.Match(strings.Repeat("a", 40))
	fmt.Println(errors.Is(err, registry.ErrMatchTimeout), behaviour.PeerMessage(err))
	// Output:
	// true internal error
}

// Routes are tried in registration order; the pattern must match the whole
// name.
func ExampleRegistry_Register() {
	var r registry.Registry
	_ = r.Register(`fw/.*\.bin`, behaviour.Bytes([]byte("firmware")))
	_ = r.Register(`.*`, behaviour.Bytes([]byte("catch-all")))

	for _, name := range []string{"fw/v2.bin", "fw/v2.bin.sig"} {
		b, _ := behaviourtest.Read(context.Background(), &r, name)
		fmt.Printf("%s: %s\n", name, b)
	}

	err := r.Register(`fw/(`, behaviour.Bytes(nil))
	var pe *registry.PatternError
	fmt.Println(errors.As(err, &pe), pe.Pattern, strings.HasPrefix(filepath.Base(pe.Where), "example_test.go:"))
	// Output:
	// fw/v2.bin: firmware
	// fw/v2.bin.sig: catch-all
	// true fw/( true
}

// MustRegister suits patterns written in the program: a typo panics at
// start-up instead of failing later.
func ExampleRegistry_MustRegister() {
	var r registry.Registry
	r.MustRegister(`pxelinux\.0`, behaviour.Bytes([]byte("boot loader")))

	defer func() { fmt.Println("panic:", recover() != nil) }()
	r.MustRegister(`pxelinux.cfg/[`, behaviour.Bytes(nil))
	// Output:
	// panic: true
}

// Match tells which route and captures a name gets, as `filemux match` shows.
func ExampleRegistry_Match() {
	var r registry.Registry
	r.MustRegister(`boot/.*`, behaviour.Bytes(nil))
	r.MustRegister(`cfg/(?<host>[^/.]+)\.(?<domain>.+)\.cfg`, behaviour.Bytes(nil))

	m, err := r.Match("cfg/sw1.lab.example.cfg")
	fmt.Println(m.Index, m.Pattern, m.Params, err)
	_, err = r.Match("cfg/sw1.cfg")
	fmt.Println(err)
	// Output:
	// 1 cfg/(?<host>[^/.]+)\.(?<domain>.+)\.cfg [{host sw1} {domain lab.example}] <nil>
	// registry: no route matches (2 routes tried)
}

// Insert puts a new route in front of a catch-all, where Erlang's
// change_config would have appended it out of reach.
func ExampleRegistry_Insert() {
	var r registry.Registry
	r.MustRegister(`.*`, behaviour.Bytes([]byte("catch-all")))
	_ = r.Insert(0, `new\.cfg`, behaviour.Bytes([]byte("new")))

	b, _ := behaviourtest.Read(context.Background(), &r, "new.cfg")
	fmt.Println(string(b))
	// Output:
	// new
}

// Unregister removes a route by its pattern; running transfers finish with
// the handler they started with.
func ExampleRegistry_Unregister() {
	var r registry.Registry
	r.MustRegister(`old\.bin`, behaviour.Bytes([]byte("old")))
	r.MustRegister(`.*`, behaviour.Bytes([]byte("catch-all")))

	_ = r.Unregister(`old\.bin`)
	b, _ := behaviourtest.Read(context.Background(), &r, "old.bin")
	fmt.Println(string(b))
	fmt.Println(r.Unregister(`old\.bin`) != nil)
	// Output:
	// catch-all
	// true
}

// Replace swaps a route's handler in place, while transfers run.
func ExampleRegistry_Replace() {
	var r registry.Registry
	r.MustRegister(`fw\.bin`, behaviour.Bytes([]byte("v1")))
	ctx := context.Background()

	t, _ := behaviourtest.NewTransfer(behaviour.Read, "fw.bin")
	_ = r.Open(ctx, t) // a transfer starts with v1

	_ = r.Replace(`fw\.bin`, behaviour.Bytes([]byte("v2")))
	fresh, _ := behaviourtest.Read(ctx, &r, "fw.bin")

	running := make([]byte, 8)
	n, _ := r.Read(t, running)
	fmt.Printf("running %s, fresh %s\n", running[:n], fresh)
	// Output:
	// running v1, fresh v2
}

// SetRoutes swaps the whole table at once, as a configuration reload does;
// Where can name the configuration line.
func ExampleRegistry_SetRoutes() {
	var r registry.Registry
	err := r.SetRoutes([]registry.Route{
		{Pattern: `boot/.*`, Handler: behaviour.Bytes(nil), Where: "routes.yaml:4"},
		{Pattern: `.*`, Handler: behaviour.Bytes(nil), Where: "routes.yaml:9"},
	})
	for _, rt := range r.Routes() {
		fmt.Println(rt.Where, rt.Pattern)
	}
	fmt.Println(err)
	// Output:
	// routes.yaml:4 boot/.*
	// routes.yaml:9 .*
	// <nil>
}

// Routes lists the table in match order, with where each route came from.
func ExampleRegistry_Routes() {
	var r registry.Registry
	r.MustRegister(`a`, behaviour.Bytes(nil))
	r.MustRegister(`b`, behaviour.Bytes(nil))
	for i, rt := range r.Routes() {
		file, _, _ := strings.Cut(filepath.Base(rt.Where), ":")
		fmt.Println(i, rt.Pattern, file)
	}
	// Output:
	// 0 a example_test.go
	// 1 b example_test.go
}

// An engine drives a transfer with Open, then Read until io.EOF; the
// registry forwards each Read to the handler Open chose.
func ExampleRegistry_Open() {
	var r registry.Registry
	r.MustRegister(`greeting/(?<who>\w+)`, behaviour.ReadFunc(
		func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
			return strings.NewReader("hello, " + t.Param("who")), nil
		}))

	t := &behaviour.Transfer{Access: behaviour.Read, Name: "greeting/world"}
	if err := r.Open(context.Background(), t); err != nil {
		fmt.Println(err)
		return
	}
	var out []byte
	buf := make([]byte, 4)
	for {
		n, err := r.Read(t, buf)
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
	}
	size, _ := t.Size()
	fmt.Printf("%s (%d bytes, pattern %s)\n", out, size, t.Pattern)
	// Output:
	// hello, world (12 bytes, pattern greeting/(?<who>\w+))
}

// Capabilities such as Stat go to the handler of the matching route.
func ExampleRegistry_Stat() {
	var r registry.Registry
	r.MustRegister(`pub/.*`, behaviour.FS(fstest.MapFS{"pub/a.txt": {Data: []byte("hello")}}))
	r.MustRegister(`blob`, behaviour.Bytes(nil))

	fi, err := behaviour.Stat(context.Background(), &r, &behaviour.Transfer{Name: "pub/a.txt"})
	fmt.Println(fi.Name(), fi.Size(), err)
	_, err = behaviour.Stat(context.Background(), &r, &behaviour.Transfer{Name: "blob"})
	fmt.Println(err)
	// Output:
	// a.txt 5 <nil>
	// operation not supported
}
