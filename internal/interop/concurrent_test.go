package interop

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestConcurrentClients runs different real clients at once, downloads and
// uploads mixed, and checks every file: transfers must not see each other's
// data or slow each other into timeouts.
func TestConcurrentClients(t *testing.T) {
	s := serveDir(t, handlers.DirConfig{Write: handlers.WriteAny}, maxWindow(64))
	_, sum := peers.RandomFile(t, s.root, "shared.bin", 1<<20)
	kinds := []clientCase{
		{"curl", peers.Curl, peers.Request{BlockSize: 1468}, 1468, ""},
		{"atftp", peers.ATFTP, peers.Request{BlockSize: 1468, WindowSize: 16}, 1468, ""},
		{"busybox", peers.Busybox, peers.Request{BlockSize: 1468}, 1468, ""},
		{"pin", peers.PinClient, peers.Request{BlockSize: 1468}, 1468, ""},
	}
	for _, c := range kinds {
		peers.Need(t, c.client.Programs()...)
	}
	const each = 6 // per client kind and direction: 48 transfers at once
	var wg sync.WaitGroup
	errs := make(chan error, 2*each*len(kinds))
	for _, c := range kinds {
		for i := range each {
			// Files and directories are made here: t.Fatal must not run
			// in the transfers' goroutines.
			got := filepath.Join(t.TempDir(), "got.bin")
			up, upSum := peers.RandomFile(t, t.TempDir(), "up.bin", 256<<10+i)
			wg.Add(2)
			go func() { defer wg.Done(); errs <- concurrentGet(t, s, c, got, sum) }()
			go func() { defer wg.Done(); errs <- concurrentPut(t, s, c, i, up, upSum) }()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func concurrentGet(t *testing.T, s served, c clientCase, local, sum string) error {
	r := c.req
	r.Server, r.Remote, r.Local = s.addr(), "shared.bin", local
	if res := peers.Download(t.Context(), c.client, r); res.Err != nil {
		return fmt.Errorf("%s download: %v", c.name, res.Err)
	}
	if got := peers.SHA256File(r.Local); got != sum {
		return fmt.Errorf("%s download: sha256 %s, want %s", c.name, got, sum)
	}
	return nil
}

func concurrentPut(t *testing.T, s served, c clientCase, i int, local, sum string) error {
	r := c.req
	r.Server, r.Remote, r.Local = s.addr(), fmt.Sprintf("c-%s-%d.bin", c.name, i), local
	if res := peers.Upload(t.Context(), c.client, r); res.Err != nil {
		return fmt.Errorf("%s upload %d: %v", c.name, i, res.Err)
	}
	if got := waitSHA256(s.path(r.Remote), sum); got != sum {
		return fmt.Errorf("%s upload %d: stored sha256 %s, want %s", c.name, i, got, sum)
	}
	return nil
}
