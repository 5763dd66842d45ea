package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// exampleHTTP starts net/http's file server on loopback serving boot.cfg,
// which also takes PUT from admin:secret into uploads.
func exampleHTTP(uploads map[string][]byte) *httptest.Server {
	files := http.FileServerFS(fstest.MapFS{"boot.cfg": {Data: []byte("hostname router1\n")}})
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			files.ServeHTTP(w, r)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		uploads[r.URL.Path] = b
		w.WriteHeader(http.StatusCreated)
	}))
}

func ExampleHTTP_ReadFile() {
	srv := exampleHTTP(nil)
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	c := &client.HTTP{URL: srv.URL}

	local := filepath.Join(dir, "boot.cfg")
	if _, err := c.ReadFile(context.Background(), "boot.cfg", local); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(local)
	fmt.Printf("%s", b)

	// A 404 is behaviour.ErrNotFound, as on TFTP, SFTP and SCP, and
	// leaves nothing at the local path.
	_, err := c.ReadFile(context.Background(), "missing.cfg", filepath.Join(dir, "missing.cfg"))
	fmt.Println("not found:", errors.Is(err, behaviour.ErrNotFound))
	_, statErr := os.Stat(filepath.Join(dir, "missing.cfg"))
	fmt.Println("left behind:", statErr == nil)
	// Output:
	// hostname router1
	// not found: true
	// left behind: false
}

func ExampleHTTP_ReadBytes() {
	srv := exampleHTTP(nil)
	defer srv.Close()
	sum, _ := client.ParseChecksum(client.SHA256, "4b1e1d5a2ff0e0e8ae4d6fb5a6a2a3e37d6a2d9e4f5c0d9d1b4a0c2e3f4a5b6c")
	c := &client.HTTP{URL: srv.URL, Verify: sum}
	_, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Println("integrity:", errors.Is(err, client.ErrIntegrity))

	c.Verify = client.Checksum{}
	b, res, _ := c.ReadBytes(context.Background(), "boot.cfg")
	fmt.Printf("%q, %d bytes over %v\n", b, res.Bytes, res.Protocol)
	// Output:
	// integrity: true
	// "hostname router1\n", 17 bytes over http
}

func ExampleHTTP_ReadRange() {
	srv := exampleHTTP(nil)
	defer srv.Close()
	var buf bytes.Buffer
	c := &client.HTTP{URL: srv.URL}
	if _, err := c.ReadRange(context.Background(), "boot.cfg", 9, 16, &buf); err != nil {
		fmt.Println(err)
	}
	fmt.Println(buf.String())
	// Output: router1
}

func ExampleHTTP_ResumeReadFile() {
	srv := exampleHTTP(nil)
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, "boot.cfg")
	os.WriteFile(local, []byte("hostname"), 0o644) // a download that stopped

	res, err := (&client.HTTP{URL: srv.URL}).ResumeReadFile(context.Background(), "boot.cfg", local)
	b, _ := os.ReadFile(local)
	fmt.Printf("%d new bytes, %q, %v\n", res.Bytes, b, err)
	// Output: 9 new bytes, "hostname router1\n", <nil>
}

func ExampleHTTP_Stat() {
	srv := exampleHTTP(nil)
	defer srv.Close()
	c := &client.HTTP{URL: srv.URL}
	fi, err := c.Stat(context.Background(), "boot.cfg")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fi.Name(), fi.Size(), fi.Mode())
	_, err = c.Stat(context.Background(), "missing.cfg")
	fmt.Println("not found:", errors.Is(err, behaviour.ErrNotFound))
	// Output:
	// boot.cfg 17 -r--r--r--
	// not found: true
}

func ExampleHTTP_WriteBytes() {
	uploads := map[string][]byte{}
	srv := exampleHTTP(uploads)
	defer srv.Close()
	ctx := context.Background()

	_, err := (&client.HTTP{URL: srv.URL}).WriteBytes(ctx, "cfg/router1", []byte("saved"))
	fmt.Println("without a login:", errors.Is(err, behaviour.ErrAccessViolation))

	c := &client.HTTP{URL: srv.URL, User: "admin", Password: "secret"}
	if _, err := c.WriteBytes(ctx, "cfg/router1", []byte("saved")); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%s\n", uploads["/cfg/router1"])
	// Output:
	// without a login: true
	// saved
}

func ExampleHTTP_ReadHandler() {
	srv := exampleHTTP(nil)
	defer srv.Close()
	backups := handlers.NewMemory()
	var local registry.Registry
	local.MustRegister(`backups/.*`, backups)

	c := &client.HTTP{URL: srv.URL}
	res, err := c.ReadHandler(context.Background(), "boot.cfg", "backups/router1.cfg", &local)
	b, _ := backups.Get("backups/router1.cfg")
	fmt.Printf("%d %v %s", res.Bytes, err, b)
	// Output: 17 <nil> hostname router1
}

func ExampleHTTP_WriteHandler() {
	uploads := map[string][]byte{}
	srv := exampleHTTP(uploads)
	defer srv.Close()
	templates := handlers.NewMemory()
	templates.Put("templates/switch.cfg", []byte("hostname switch9\n"))

	c := &client.HTTP{URL: srv.URL, User: "admin", Password: "secret"}
	_, err := c.WriteHandler(context.Background(), "switch9.cfg", "templates/switch.cfg", templates)
	fmt.Printf("%v %s", err, uploads["/switch9.cfg"])
	// Output: <nil> hostname switch9
}
