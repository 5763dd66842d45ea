package daemon_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The routes that serve TFTP serve HTTP too: a device's config rendered
// from the name it asks for, with the named capture of its route.
func ExampleHTTP_Serve() {
	reg := &registry.Registry{}
	render := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		return strings.NewReader("hostname " + t.Param("host") + " ! over " + t.Protocol.String() + "\n"), nil
	})
	if err := reg.Register(`configs/(?<host>[a-z0-9-]+)\.cfg`, render); err != nil {
		log.Fatal(err)
	}
	d := &daemon.HTTP{Handler: reg}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go d.Serve(ln)
	defer d.Close()

	for _, name := range []string{"configs/sw-01.cfg", "secret/../../etc/passwd", "nothing"} {
		resp, err := http.Get("http://" + ln.Addr().String() + "/" + name)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s: %d %s", name, resp.StatusCode, body)
	}
	// Output:
	// configs/sw-01.cfg: 200 hostname sw-01 ! over http
	// secret/../../etc/passwd: 403 illegal file name
	// nothing: 404 file not found
}

// Listings lists only the directories it allows; any other directory is
// 404, as if it did not exist.
func ExampleHTTP_listings() {
	mem := handlers.NewMemory()
	mem.Put("pub/readme.txt", []byte("hello"))
	mem.Put("private/key", []byte("secret"))
	d := &daemon.HTTP{Handler: mem, Listings: func(name string) bool { return name == "pub" }}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go d.Serve(ln)
	defer d.Close()

	for _, name := range []string{"pub/?format=json", "private/"} {
		resp, err := http.Get("http://" + ln.Addr().String() + "/" + name)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Drop the mtime, which changes with every run.
		if i := strings.Index(string(body), `,"mtime"`); i >= 0 {
			body = append(body[:i:i], "}]\n"...)
		}
		fmt.Printf("%s: %d %s", name, resp.StatusCode, body)
	}
	// Output:
	// pub/?format=json: 200 [{"name":"readme.txt","type":"file","size":5}]
	// private/: 404 file not found
}
