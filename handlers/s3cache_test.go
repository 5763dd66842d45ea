package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	pin "github.com/pin/tftp/v3"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestS3CacheConformance runs the conformance kit on a cached S3 handler:
// cached reads, and uploads read back at once (the commit drops the
// cached version).
func TestS3CacheConformance(t *testing.T) {
	s := newS3Store(t)
	big := randomBytes(t, 200<<10)
	s.put(t, "big.bin", big)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, CacheSize: 1 << 20})
	err := behaviourtest.TestHandler(h, behaviourtest.Spec{
		Reads:            map[string][]byte{"big.bin": big},
		Writes:           []string{"w.bin"},
		WriteReadBack:    true,
		IgnoreGoroutines: true,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestS3CacheBootStorm downloads one image over TFTP 50 times at once
// from a cached S3 route: versitygw's access log must show one HEAD and
// one GET. Within the TTL a later download asks nothing; after it, one
// HEAD revalidates, and a replaced object is fetched again.
func TestS3CacheBootStorm(t *testing.T) {
	s := newS3Store(t)
	image := randomBytes(t, 256<<10)
	s.put(t, "boot/image.bin", image)
	const ttl = 4 * time.Second
	h := s.handler(t, handlers.S3Config{CacheSize: 8 << 20, CacheTTL: ttl})
	srv := daemontest.NewTFTP(t, h)
	download := func() ([]byte, error) {
		c, err := pin.NewClient(srv.Addr().String())
		if err != nil {
			return nil, err
		}
		c.SetBlockSize(1468)
		c.SetTimeout(3 * time.Second)
		wt, err := c.Receive("boot/image.bin", "octet")
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		_, err = wt.WriteTo(&b)
		return b.Bytes(), err
	}
	const n = 50
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := download()
			if err == nil && sha256.Sum256(got) != sha256.Sum256(image) {
				err = fmt.Errorf("got %d bytes, not the image", len(got))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	heads, gets := len(s.Requests(t, "HeadObject")), len(s.Requests(t, "GetObject"))
	t.Logf("%d concurrent TFTP downloads of %d KiB in %v: %d HeadObject, %d GetObject", n, len(image)>>10, time.Since(start).Round(time.Millisecond), heads, gets)
	if heads != 1 || gets != 1 {
		t.Fatalf("%d HEADs and %d GETs at the store, want 1 and 1", heads, gets)
	}
	st := h.Stats()
	if n := st.Requests[handlers.S3Request{Op: "GetObject", Outcome: "ok"}]; n != 1 || st.CacheMisses != 1 || st.CacheBytes != int64(len(image)) {
		t.Fatalf("the handler's stats: %d GetObject, %d misses, %d bytes cached; want 1, 1, %d", n, st.CacheMisses, st.CacheBytes, len(image))
	}
	if time.Since(start) >= ttl {
		t.Fatalf("the downloads took %v, longer than the %v TTL the rest of the test needs", time.Since(start), ttl)
	}
	if _, err := download(); err != nil {
		t.Fatal(err)
	}
	if heads, gets := len(s.Requests(t, "HeadObject")), len(s.Requests(t, "GetObject")); heads != 1 || gets != 1 {
		t.Fatalf("a download within the TTL made %d HEADs and %d GETs in all, want 1 and 1", heads, gets)
	}
	replaced := randomBytes(t, 100<<10)
	s.put(t, "boot/image.bin", replaced)
	time.Sleep(time.Until(start.Add(ttl + 100*time.Millisecond)))
	got, err := download()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, replaced) {
		t.Fatalf("after the TTL a replaced object served %d bytes, not the new %d", len(got), len(replaced))
	}
	if heads, gets := len(s.Requests(t, "HeadObject")), len(s.Requests(t, "GetObject")); heads != 2 || gets != 2 {
		t.Fatalf("revalidation made %d HEADs and %d GETs in all, want 2 and 2", heads, gets)
	}
	defer func(start time.Time) {
		// Deleted from the store: after the TTL the cache stops serving it.
		if err := s.client.RemoveObject(context.Background(), s.Bucket, "boot/image.bin", minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(start.Add(ttl + 100*time.Millisecond)))
		if _, err := download(); err == nil {
			t.Fatal("a deleted object was still served after the TTL")
		}
		if st := h.Stats(); st.CacheBytes != 0 {
			t.Fatalf("the cache still holds %d bytes of a deleted object", st.CacheBytes)
		}
	}(time.Now())
	st = h.Stats()
	if st.CacheHits < 1 || st.CacheMisses != 2 || st.Requests[handlers.S3Request{Op: "HeadObject", Outcome: "ok"}] != 2 {
		t.Fatalf("the handler's stats after revalidation: %+v", st)
	}
}

// TestS3DiskCache keeps the cache in files of a directory: the kit's
// reads (every chunk size, concurrent ReadAt) pass, 20 concurrent HTTP
// downloads cost one GET, and the directory stays empty (the files are
// unlinked at once).
func TestS3DiskCache(t *testing.T) {
	peers.Need(t, "curl")
	s := newS3Store(t)
	image := randomBytes(t, 3<<20+17)
	s.put(t, "disk.img", image)
	dir := t.TempDir()
	h := s.handler(t, handlers.S3Config{CacheSize: 16 << 20, CacheDir: dir, CacheTTL: time.Minute})
	if err := behaviourtest.TestHandler(h, behaviourtest.Spec{Reads: map[string][]byte{"disk.img": image},
		ChunkSizes: []int{1468, 65464}, IgnoreGoroutines: true}); err != nil {
		t.Fatal(err)
	}
	srv := daemontest.NewHTTP(t, h)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail", srv.URL("disk.img")).Output()
			if err == nil && !bytes.Equal(out, image) {
				err = fmt.Errorf("got %d bytes, not the image", len(out))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if gets := len(s.Requests(t, "GetObject")); gets != 1 {
		t.Errorf("%d GETs at the store, want 1", gets)
	}
	if st := h.Stats(); st.CacheBytes != int64(len(image)) {
		t.Errorf("the cache holds %d bytes, want the image's %d", st.CacheBytes, len(image))
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("the cache directory holds %v (%v), want nothing: the files are unlinked", entries, err)
	}
	if _, err := handlers.NewS3(handlers.S3Config{Endpoint: s.URL, Bucket: s.Bucket, AccessKeyID: "a", SecretAccessKey: "b",
		Instance: "x", CacheSize: 1, CacheDir: dir + "/missing"}); err == nil {
		t.Error("NewS3 took a CacheDir that does not exist")
	}
}

// TestS3CacheOffersContent: a read of an object the cache holds whole in
// memory offers its bytes as the whole content (which the HTTP server
// writes without copying through ReaderAt); a read the cache does not
// hold offers none. Both GETs over HTTP, and a range, carry the object.
func TestS3CacheOffersContent(t *testing.T) {
	s := newS3Store(t)
	data := randomBytes(t, 300<<10)
	s.put(t, "img.bin", data)
	cached := s.handler(t, handlers.S3Config{CacheSize: 8 << 20})
	uncached := s.handler(t, handlers.S3Config{})
	srv := daemontest.NewHTTP(t, cached)
	for i := range 2 {
		resp, err := srv.Client().Get(srv.URL("img.bin"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("GET %d: %d bytes, %v", i+1, len(got), err)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL("img.bin"), nil)
	req.Header.Set("Range", "bytes=1000-1999")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, data[1000:2000]) {
		t.Fatalf("range of the cached object: %d, %d bytes", resp.StatusCode, len(got))
	}
	for _, tc := range []struct {
		name string
		h    *handlers.S3
		want bool
	}{{"cached", cached, true}, {"no cache", uncached, false}} {
		tr := &behaviour.Transfer{Protocol: behaviour.HTTP, Access: behaviour.Read, Name: "img.bin", RequestedName: "img.bin"}
		tr.SetContext(context.Background())
		if err := tc.h.Open(context.Background(), tr); err != nil {
			t.Fatalf("%s: Open: %v", tc.name, err)
		}
		c, ok := behaviour.ContentOf(tc.h, tr)
		if ok != tc.want || (ok && !bytes.Equal(c.Bytes, data)) {
			t.Errorf("%s: ContentOf offered %v (%d bytes), want %v", tc.name, ok, len(c.Bytes), tc.want)
		}
		if _, err := tc.h.Read(tr, nil); err != io.EOF {
			t.Errorf("%s: the ending: %v", tc.name, err)
		}
	}
}
