package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/wire"
	"github.com/filemux/filemux/registry"
)

func newHTTP(t *testing.T, cfg handlers.HTTPConfig) *handlers.HTTP {
	t.Helper()
	h, err := handlers.NewHTTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// openRead opens a read of name through h and returns the transfer.
func openRead(t *testing.T, h behaviour.Handler, name string) (*behaviour.Transfer, error) {
	t.Helper()
	tr, err := behaviourtest.NewTransfer(behaviour.Read, name)
	if err != nil {
		t.Fatal(err)
	}
	tr.SetContext(context.Background())
	return tr, h.Open(context.Background(), tr)
}

func TestHTTPReadSizeAndHeaders(t *testing.T) {
	o := newOrigin(t)
	kernel := bytes.Repeat([]byte("vmlinuz!"), 4096)
	o.put("/boot/pxe-7/vmlinuz", kernel)
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/boot/{{.Params.host}}/{{.Params.file}}"})
	var reg registry.Registry
	reg.MustRegister(`boot/(?<host>[^/]+)/(?<file>.+)`, h)

	peer := netip.MustParseAddrPort("192.0.2.7:3456")
	tr, _ := behaviourtest.NewTransfer(behaviour.Read, "boot/pxe-7/vmlinuz", behaviourtest.Peer(peer))
	got, err := behaviourtest.Run(context.Background(), &reg, tr, nil)
	if err != nil || !bytes.Equal(got, kernel) {
		t.Fatalf("read: %v, %d bytes, want %d", err, len(got), len(kernel))
	}
	if size, ok := tr.Size(); !ok || size != int64(len(kernel)) {
		t.Errorf("size %d, %v; want %d from Content-Length", size, ok, len(kernel))
	}
	hd := o.lastHeader()
	want := map[string]string{
		"X-Filemux-Peer": "192.0.2.7:3456", "X-Filemux-Param-Host": "pxe-7", "X-Filemux-Param-File": "vmlinuz",
		"X-Filemux-Name": "boot/pxe-7/vmlinuz", "X-Filemux-Protocol": "tftp",
	}
	for k, v := range want {
		if hd.Get(k) != v {
			t.Errorf("origin saw %s = %q, want %q", k, hd.Get(k), v)
		}
	}
	if n := o.heads.Load(); n != 0 {
		t.Errorf("%d HEAD requests for a response with a Content-Length", n)
	}
}

func TestHTTPSizeFromHead(t *testing.T) {
	o := newOrigin(t)
	o.chunked = true
	body := bytes.Repeat([]byte("initrd"), 50000)
	o.put("/initrd", body)
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}"})
	tr, err := openRead(t, h, "initrd")
	if err != nil {
		t.Fatal(err)
	}
	h.Abort(tr, errors.New("done looking"))
	if size, ok := tr.Size(); !ok || size != int64(len(body)) {
		t.Errorf("size %d, %v; want %d from the HEAD", size, ok, len(body))
	}
	if o.heads.Load() != 1 {
		t.Errorf("%d HEAD requests, want 1 for a response without Content-Length", o.heads.Load())
	}
	got, err := behaviourtest.Read(context.Background(), h, "initrd")
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("chunked read: %v, %d bytes", err, len(got))
	}
}

func TestHTTPBodyShorterThanHead(t *testing.T) {
	o := newOrigin(t)
	o.chunked = true
	o.put("/f", []byte("0123456789"))
	o.headLen = "20"
	for _, cache := range []int64{0, 1 << 20} {
		h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", CacheSize: cache})
		_, err := behaviourtest.Read(context.Background(), h, "f")
		if !errors.Is(err, behaviour.ErrUndefined) || behaviour.PeerMessage(err) != "origin error" {
			t.Errorf("cache %d: a body shorter than its HEAD size: %v, want an origin error", cache, err)
		}
	}
}

func TestHTTPErrorMapping(t *testing.T) {
	o := newOrigin(t)
	tests := []struct {
		status int
		code   behaviour.Code
	}{
		{http.StatusNotFound, behaviour.CodeNotFound},
		{http.StatusGone, behaviour.CodeNotFound},
		{http.StatusUnauthorized, behaviour.CodeAccessViolation},
		{http.StatusForbidden, behaviour.CodeAccessViolation},
		{http.StatusRequestEntityTooLarge, behaviour.CodeDiskFull},
		{http.StatusInternalServerError, behaviour.CodeUndefined},
		{http.StatusBadGateway, behaviour.CodeUndefined},
		{http.StatusTeapot, behaviour.CodeUndefined},
	}
	for _, cache := range []int64{0, 1 << 20} {
		h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/secret/{{.Name}}", CacheSize: cache})
		for _, tt := range tests {
			o.status = tt.status
			_, rerr := behaviourtest.Read(context.Background(), h, "f")
			werr := behaviourtest.Write(context.Background(), h, "f", []byte("data"))
			for op, err := range map[string]error{"read": rerr, "write": werr} {
				if wire.TFTPCode(err) != tt.code {
					t.Errorf("cache %d: %s answered %d: %v, want code %d", cache, op, tt.status, err, tt.code)
				}
				if msg := behaviour.PeerMessage(err); strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "secret") {
					t.Errorf("%s answered %d: the peer sees %q", op, tt.status, msg)
				}
				if !strings.Contains(err.Error(), "/secret/f") {
					t.Errorf("%s answered %d: the cause %q does not name the URL for the logs", op, tt.status, err)
				}
			}
		}
	}
	o.status = 0
	o.Close()
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/secret/{{.Name}}"})
	_, err := behaviourtest.Read(context.Background(), h, "f")
	if !errors.Is(err, behaviour.ErrUndefined) || behaviour.PeerMessage(err) != "origin error" {
		t.Errorf("origin down: %v, want an undefined origin error", err)
	}
}

func TestHTTPTimeout(t *testing.T) {
	o := newOrigin(t)
	o.put("/slow", []byte("late"))
	o.delay = 500 * time.Millisecond
	for _, cache := range []int64{0, 1 << 20} {
		h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", Timeout: 100 * time.Millisecond, CacheSize: cache})
		start := time.Now()
		_, err := behaviourtest.Read(context.Background(), h, "slow")
		if behaviour.PeerMessage(err) != "timed out" || time.Since(start) > time.Second {
			t.Errorf("cache %d: slow origin: %v after %v, want a timeout after 100ms", cache, err, time.Since(start))
		}
		start = time.Now()
		err = behaviourtest.Write(context.Background(), h, "slow", []byte("x"))
		if behaviour.PeerMessage(err) != "timed out" || time.Since(start) > time.Second {
			t.Errorf("cache %d: slow origin upload: %v after %v, want a timeout after 100ms", cache, err, time.Since(start))
		}
	}
}

func TestHTTPStalledBody(t *testing.T) {
	o := newOrigin(t)
	o.put("/stall", bytes.Repeat([]byte("x"), 10000))
	o.hold = make(chan struct{})
	defer close(o.hold)
	for _, cache := range []int64{0, 1 << 20} {
		h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", Timeout: 100 * time.Millisecond, CacheSize: cache})
		_, err := behaviourtest.Read(context.Background(), h, "stall")
		if behaviour.PeerMessage(err) != "timed out" {
			t.Errorf("cache %d: a body that stops: %v, want a timeout", cache, err)
		}
	}
}

func TestHTTPPut(t *testing.T) {
	o := newOrigin(t)
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/backup/{{.Params.host}}.cfg"})
	var reg registry.Registry
	reg.MustRegister(`(?<host>[a-z0-9-]+)-confg`, h)
	cfg := bytes.Repeat([]byte("interface Gi0/1\n"), 3000)
	err := behaviourtest.Write(context.Background(), &reg, "sw-1-confg", cfg, behaviourtest.ChunkSize(512),
		behaviourtest.Suggest(behaviour.Option{Name: "tsize", Value: "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := o.get("/backup/sw-1.cfg"); !ok || !bytes.Equal(got, cfg) {
		t.Fatalf("origin stored %d bytes, want %d", len(got), len(cfg))
	}
	if n := o.lastLength(); n != int64(len(cfg)) {
		t.Errorf("the PUT announced Content-Length %d, want the upload's tsize %d", n, len(cfg))
	}
	if hd := o.lastHeader(); hd.Get("X-Filemux-Param-Host") != "sw-1" {
		t.Errorf("PUT carried X-Filemux-Param-Host %q", hd.Get("X-Filemux-Param-Host"))
	}
}

func TestHTTPPutAbortStoresNothing(t *testing.T) {
	o := newOrigin(t)
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}"})
	tr, _ := behaviourtest.NewTransfer(behaviour.Write, "half")
	tr.SetContext(context.Background())
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if err := h.Write(tr, bytes.Repeat([]byte("y"), 4096), false); err != nil {
		t.Fatal(err)
	}
	h.Abort(tr, errors.New("peer went away"))
	deadline := time.Now().Add(time.Second)
	for o.puts.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if _, ok := o.get("/half"); ok {
		t.Error("the origin stored an aborted upload")
	}
}

// TestHTTPPutEarlyAnswer: an origin that answers while the upload is
// still arriving has not taken all of it, whatever it says.
func TestHTTPPutEarlyAnswer(t *testing.T) {
	o := newOrigin(t)
	o.early = true
	answered := make(chan struct{}, 1)
	o.answered = answered
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}"})
	tr, _ := behaviourtest.NewTransfer(behaviour.Write, "big")
	tr.SetContext(context.Background())
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	// More than the transport buffers, so that the request goes out.
	if err := h.Write(tr, bytes.Repeat([]byte("z"), 64<<10), false); err != nil {
		t.Fatal(err)
	}
	<-answered
	time.Sleep(100 * time.Millisecond) // the answer reaches the handler
	err := h.Write(tr, bytes.Repeat([]byte("z"), 1468), false)
	if err == nil {
		err = h.Write(tr, nil, true)
	} else {
		h.Abort(tr, err)
	}
	if err == nil {
		t.Error("an origin that answered before taking the upload committed it")
	}
}

func TestHTTPURLEscaping(t *testing.T) {
	o := newOrigin(t)
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/files/{{.Name}}"})
	for _, name := range []string{"a?b=c", "x#frag", "sp ace/%41", "@evil.example/x"} {
		_, _ = behaviourtest.Read(context.Background(), h, name)
		parts := strings.SplitN(o.lastPath(), "|", 3)
		raw, decoded, query := parts[0], parts[1], parts[2]
		if query != "" || decoded != "/files/"+name {
			t.Errorf("name %q reached the origin as raw %q path %q query %q", name, raw, decoded, query)
		}
	}
}

func TestHTTPConfigRefused(t *testing.T) {
	for _, cfg := range []handlers.HTTPConfig{
		{},
		{URL: "ftp://x/{{.Name}}"},
		{URL: "{{.Params.scheme}}://x/{{.Name}}"},
		{URL: "http://x/{{.Name"},
		{URL: "http://x/", Timeout: -1},
		{URL: "http://x/", CacheSize: -1},
		{URL: "http://x/", CacheTTL: -1},
	} {
		if _, err := handlers.NewHTTP(cfg); err == nil {
			t.Errorf("NewHTTP(%+v) accepted", cfg)
		}
	}
}

func TestHTTPMissingCapture(t *testing.T) {
	h := newHTTP(t, handlers.HTTPConfig{URL: "http://127.0.0.1:1/{{.Params.host}}"})
	_, err := behaviourtest.Read(context.Background(), h, "x")
	if !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("a URL naming a missing capture: %v, want not found", err)
	}
}

func TestHTTPConformance(t *testing.T) {
	for _, cache := range []int64{0, 1 << 20} {
		o := newOrigin(t)
		files := map[string][]byte{"a": []byte("alpha"), "dir/b": bytes.Repeat([]byte("b"), 70000), "empty": {}}
		for name, b := range files {
			o.put("/"+name, b)
		}
		h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", CacheSize: cache})
		err := behaviourtest.TestHandler(h, behaviourtest.Spec{
			Reads:            files,
			RefuseReads:      map[string]behaviour.Code{"missing": behaviour.CodeNotFound},
			Writes:           []string{"up1", "up/2"},
			IgnoreGoroutines: cache > 0,
		})
		if err != nil {
			t.Errorf("cache %d: %v", cache, err)
		}
	}
}

// TestHTTPSingleFlight is the PXE morning: 200 clients ask for the same
// kernel at once, and the origin serves it once.
func TestHTTPSingleFlight(t *testing.T) {
	o := newOrigin(t)
	kernel := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	o.put("/vmlinuz", kernel)
	o.delay = 100 * time.Millisecond
	o.hold = make(chan struct{})
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", CacheSize: 8 << 20, CacheTTL: time.Hour})

	const clients = 200
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			got, err := behaviourtest.Read(context.Background(), h, "vmlinuz", behaviourtest.ChunkSize(1468))
			if err == nil && !bytes.Equal(got, kernel) {
				err = errors.New("wrong content")
			}
			errs <- err
		})
	}
	time.Sleep(300 * time.Millisecond) // readers now wait in the middle of the body
	close(o.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := o.gets.Load(); n != 1 {
		t.Errorf("%d concurrent reads cost the origin %d GETs, want 1", clients, n)
	}
	if _, err := behaviourtest.Read(context.Background(), h, "vmlinuz"); err != nil || o.gets.Load() != 1 {
		t.Errorf("a later read: %v, %d GETs in all, want it served from the cache", err, o.gets.Load())
	}
}

func TestHTTPCacheTTL(t *testing.T) {
	o := newOrigin(t)
	o.put("/f", []byte("v1"))
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", CacheSize: 1 << 20, CacheTTL: 50 * time.Millisecond})
	read := func() string {
		b, err := behaviourtest.Read(context.Background(), h, "f")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	read()
	o.put("/f", []byte("v2"))
	if got := read(); got != "v1" || o.gets.Load() != 1 {
		t.Errorf("within the TTL: %q after %d GETs, want the cached v1 after 1", got, o.gets.Load())
	}
	time.Sleep(80 * time.Millisecond)
	if got := read(); got != "v2" || o.gets.Load() != 2 {
		t.Errorf("after the TTL: %q after %d GETs, want v2 after 2", got, o.gets.Load())
	}
}

func TestHTTPCacheBoundedInBytes(t *testing.T) {
	o := newOrigin(t)
	for _, name := range []string{"a", "b", "c"} {
		o.put("/"+name, bytes.Repeat([]byte(name), 60))
	}
	o.put("/big", bytes.Repeat([]byte("B"), 200))
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", CacheSize: 130, CacheTTL: time.Hour})
	read := func(name string) {
		b, err := behaviourtest.Read(context.Background(), h, name)
		if err != nil || len(b) == 0 || b[0] != name[0] && name != "big" {
			t.Fatalf("read %s: %v %q", name, err, b)
		}
	}
	read("a")
	read("b")
	read("a") // a is now the most recent, b the least
	read("c") // 180 bytes > 130: b goes
	before := o.gets.Load()
	read("a")
	read("c")
	if o.gets.Load() != before {
		t.Errorf("a and c were evicted: %d more GETs", o.gets.Load()-before)
	}
	read("b")
	if o.gets.Load() != before+1 {
		t.Errorf("b, the least recently used, was kept")
	}
	for range 2 {
		read("big") // larger than the cache: streamed, never cached
	}
	if got, err := behaviourtest.Read(context.Background(), h, "big"); err != nil || len(got) != 200 {
		t.Errorf("an uncacheable file: %v, %d bytes", err, len(got))
	}
}

func TestHTTPCacheDoesNotKeepErrors(t *testing.T) {
	o := newOrigin(t)
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}", CacheSize: 1 << 20, CacheTTL: time.Hour})
	if _, err := behaviourtest.Read(context.Background(), h, "late"); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
	o.put("/late", []byte("here now"))
	if b, err := behaviourtest.Read(context.Background(), h, "late"); err != nil || string(b) != "here now" {
		t.Errorf("after the file appeared: %q, %v", b, err)
	}
}

func TestHTTPStat(t *testing.T) {
	o := newOrigin(t)
	o.put("/dir/f.bin", make([]byte, 1234))
	h := newHTTP(t, handlers.HTTPConfig{URL: o.URL + "/{{.Name}}"})
	tr, _ := behaviourtest.NewTransfer(behaviour.Read, "dir/f.bin")
	fi, err := behaviour.Stat(context.Background(), h, tr)
	if err != nil || fi.Size() != 1234 || fi.Name() != "f.bin" || fi.IsDir() {
		t.Errorf("Stat: %v, %+v", err, fi)
	}
	tr, _ = behaviourtest.NewTransfer(behaviour.Read, "nope")
	if _, err := behaviour.Stat(context.Background(), h, tr); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("Stat of a missing file: %v", err)
	}
}
