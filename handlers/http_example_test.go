package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// A boot server in front of an artifact store: every name under boot/ is
// fetched from the origin once and then served from the cache.
func ExampleNewHTTP() {
	var requests atomic.Int32
	artifacts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/pxe/ipxe.efi" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "iPXE for %s\n", r.Header.Get(handlers.HTTPParamHeader+"file"))
	}))
	defer artifacts.Close()

	h, err := handlers.NewHTTP(handlers.HTTPConfig{
		URL:       artifacts.URL + "/pxe/{{.Params.file}}",
		CacheSize: 64 << 20,
		CacheTTL:  time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var reg registry.Registry
	reg.MustRegister(`boot/(?<file>.+)`, h)

	for range 3 {
		b, err := behaviourtest.Read(context.Background(), &reg, "boot/ipxe.efi")
		fmt.Printf("%q %v\n", b, err)
	}
	_, err = behaviourtest.Read(context.Background(), &reg, "boot/missing.efi")
	fmt.Println(err != nil, requests.Load())
	// Output:
	// "iPXE for ipxe.efi\n" <nil>
	// "iPXE for ipxe.efi\n" <nil>
	// "iPXE for ipxe.efi\n" <nil>
	// true 2
}

// URL shows the origin URL a transfer maps to: the name is escaped, so it
// cannot add a query to the URL.
func ExampleHTTP_URL() {
	h, err := handlers.NewHTTP(handlers.HTTPConfig{URL: "http://artifacts.internal/tftp/{{.Name}}"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"pxelinux.cfg/default", "odd name?x=1"} {
		t, _ := behaviourtest.NewTransfer(behaviour.Read, name)
		u, err := h.URL(t)
		fmt.Println(u, err)
	}
	// Output:
	// http://artifacts.internal/tftp/pxelinux.cfg/default <nil>
	// http://artifacts.internal/tftp/odd%20name%3Fx=1 <nil>
}
