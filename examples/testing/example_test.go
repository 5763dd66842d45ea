package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/pkg/sftp"
)

// The pattern: a Memory store, a daemon on loopback serving it, the code
// under test pointed at the daemon's address, and assertions on the bytes
// the store received. The daemon stops when the test ends.
func TestBackupPushesTheConfig(t *testing.T) {
	store := handlers.NewMemory() // accepts uploads
	srv := daemontest.NewTFTP(t, store)

	config := []byte("hostname sw1\ninterface Gi0/1\n description uplink\nend\n")
	if err := backup(context.Background(), client.TFTP{Addr: srv.Addr().String()}, "sw1", config); err != nil {
		t.Fatal(err)
	}
	got, ok := store.Get("sw1-confg")
	if !ok || !bytes.Equal(got, config) {
		t.Fatalf("the server holds %q (%v), want %q", got, ok, config)
	}
}

// Downloads: put what the server should serve, then check what the code
// made of it. Options of the daemon (limits, hooks, windows) are set with
// functions that edit it before it starts.
func TestUpgradeChecksTheImage(t *testing.T) {
	image := bytes.Repeat([]byte("firmware "), 100_000) // 900 kB, many windows
	sum := sha256.Sum256(image)
	store := handlers.NewMemory()
	store.Put("fw/acme-7.1.bin", image)
	// Hooks run on the daemon's goroutines: hand what they see over a
	// channel.
	served := make(chan daemon.Stats, 1)
	srv := daemontest.NewTFTP(t, store, func(d *daemon.TFTP) {
		d.OnSuccess = func(s daemon.Stats) { served <- s }
	})
	c := client.TFTP{Addr: srv.Addr().String()}

	got, err := upgrade(context.Background(), c, "fw/acme-7.1.bin", hex.EncodeToString(sum[:]))
	if err != nil || !bytes.Equal(got, image) {
		t.Fatalf("upgrade: %d bytes, %v; want the %d-byte image", len(got), err, len(image))
	}
	// The client returns once it has the last block; the daemon reports
	// success when the final ACK reaches it, a moment later.
	select {
	case s := <-served:
		if s.Name != "fw/acme-7.1.bin" || s.Bytes != int64(len(image)) || !s.Accepted.Has(behaviour.OptWindowSize) {
			t.Errorf("the daemon reported %+v, want the whole image in windows", s)
		}
	case <-time.After(5 * time.Second):
		t.Error("the daemon reported no successful transfer")
	}
}

// Failure paths are as easy: a wrong digest, a missing file, and a handler
// written on the spot to fail the way a full disk does.
func TestUpgradeFailures(t *testing.T) {
	store := handlers.NewMemory()
	store.Put("fw.bin", []byte("image"))
	c := client.TFTP{Addr: daemontest.NewTFTP(t, store).Addr().String()}
	ctx := context.Background()
	wrong := sha256.Sum256([]byte("another image"))

	if _, err := upgrade(ctx, c, "fw.bin", hex.EncodeToString(wrong[:])); !errors.Is(err, client.ErrIntegrity) {
		t.Errorf("wrong digest: %v, want client.ErrIntegrity", err)
	}
	if _, err := upgrade(ctx, c, "missing.bin", hex.EncodeToString(wrong[:])); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("missing image: %v, want file not found", err)
	}

	full := behaviour.WriteFunc(func(ctx context.Context, t *behaviour.Transfer, r io.Reader) error {
		return behaviour.ErrDiskFull
	})
	c.Addr = daemontest.NewTFTP(t, full).Addr().String()
	if err := backup(ctx, c, "sw1", []byte("hostname sw1\n")); !errors.Is(err, behaviour.ErrDiskFull) {
		t.Errorf("backup to a full server: %v, want disk full", err)
	}
}

// SFTP the same way: daemontest.NewSSH makes a host key and a client key,
// and Dial logs in with it.
func TestSFTP(t *testing.T) {
	store := handlers.NewMemory()
	store.Put("configs/sw1.cfg", []byte("hostname sw1\n"))
	srv := daemontest.NewSSH(t, store)
	conn, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()

	got, err := mirror(sc, "/configs/sw1.cfg")
	if err != nil || string(got) != "hostname sw1\n" {
		t.Fatalf("mirror: %q, %v", got, err)
	}
	// And the other way: what an SFTP client uploads lands in the store.
	f, err := sc.Create("/configs/sw2.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("hostname sw2\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Get("configs/sw2.cfg"); string(got) != "hostname sw2\n" {
		t.Errorf("the store holds %q after the SFTP upload", got)
	}
}
