package config_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/registry"
)

// TestMatchIsAnchored: a route's match must match the whole name, as a
// registry pattern does.
func TestMatchIsAnchored(t *testing.T) {
	path := setup(t, `tftp: {listen: [":69"]}
routes:
  - {name: anchored, match: 'exact', memory: {}}
  - {name: prefix, match: 'boot/.*', memory: {}}
  - {name: anywhere, match: '.*confg.*', memory: {}}
`, nil)
	_, set, _ := serve(t, path, config.BuildOptions{})
	for name, want := range map[string]string{
		"exact": "anchored", "boot/pxelinux.0": "prefix", "x/boot/y": "", "r1-confg": "anywhere",
		"a/confg/b": "anywhere", "exactly": "", "boot": "", "x/exact": "",
	} {
		e, err := set.Explain(name)
		got := e.Route
		if errors.Is(err, registry.ErrNoRoute) {
			got = ""
		}
		if got != want {
			t.Errorf("%s: route %q (%v), want %q", name, got, err, want)
		}
	}
}

func TestTFTPDaemons(t *testing.T) {
	path := setup(t, `tftp:
  listen: ["127.0.0.1:0", "127.0.0.1:0"]
  max_blksize: 1468
  timeout: 500ms
  retries: off
  ports: single
  max_size: 1K
  refuse_writes: true
  max_unconfirmed: 50
  trusted_networks: [10.20.0.0/16, 192.0.2.7, "2001:db8::1/48"]
  unproven_max_blksize: 512
routes:
  - match: '.*'
    memory: {files: {hello: "hello world\n"}}
`, nil)
	f, _, reg := serve(t, path, config.BuildOptions{})
	ds := f.TFTPDaemons(reg, nil)
	if len(ds) != 2 {
		t.Fatalf("%d daemons for 2 addresses", len(ds))
	}
	d := ds[0]
	if d.MaxBlockSize != 1468 || d.Timeout != 500*time.Millisecond || d.Retries >= 0 || d.Ports != daemon.PortsSingle ||
		d.MaxSize != 1024 || !d.RefuseWrites || d.Handler != reg {
		t.Errorf("daemon settings: %+v", d)
	}
	trusted := fmt.Sprint(d.TrustedNetworks)
	if d.MaxUnconfirmed != 50 || d.UnprovenMaxBlockSize != 512 || trusted != "[10.20.0.0/16 192.0.2.7/32 2001:db8::/48]" {
		t.Errorf("daemon's hostile-load settings: %d, %d, %s", d.MaxUnconfirmed, d.UnprovenMaxBlockSize, trusted)
	}
	done := make(chan error, 1)
	go func() { done <- d.ListenAndServe() }()
	defer func() {
		d.Close()
		if err := <-done; !errors.Is(err, daemon.ErrServerClosed) {
			t.Errorf("daemon stopped with %v", err)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !d.Addr().IsValid() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	c := &client.TFTP{Addr: d.Addr().String()}
	b, _, err := c.ReadBytes(context.Background(), "hello")
	if err != nil || string(b) != "hello world\n" {
		t.Errorf("read through the daemon: %q, %v", b, err)
	}
	if _, err := c.WriteBytes(context.Background(), "x", []byte("y")); err == nil {
		t.Error("refuse_writes let an upload through")
	}
}
