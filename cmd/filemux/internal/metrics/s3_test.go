package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/cmd/filemux/internal/metrics"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestS3Series: an s3 handler's requests at a real versitygw and its
// cache appear as filemux_s3_* series of the route.
func TestS3Series(t *testing.T) {
	v := peers.ServeVersitygw(t)
	h, err := handlers.NewS3(handlers.S3Config{Endpoint: v.URL, Bucket: v.Bucket, Region: "us-east-1", Instance: "m",
		AccessKeyID: v.AccessKey, SecretAccessKey: handlers.S3Secret(v.Secret), CacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	tr := &behaviour.Transfer{Protocol: behaviour.TFTP, Access: behaviour.Read, Name: "missing"}
	if err := h.Open(context.Background(), tr); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("Open: %v, want not found", err)
	}
	m := metrics.New(metrics.Options{})
	m.WatchS3(func() map[string]handlers.S3Stats { return map[string]handlers.S3Stats{"images": h.Stats()} })
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	got := scrape(t, admin.URL+"/metrics")
	for series, want := range map[string]float64{
		`filemux_s3_requests_total{op="HeadObject",outcome="not_found",route="images"}`: 1,
		`filemux_s3_cache_misses_total{route="images"}`:                                 0,
		`filemux_s3_cache_bytes{route="images"}`:                                        0,
	} {
		if n, ok := got[series]; !ok || n != want {
			t.Errorf("%s = %v (present %v), want %v", series, n, ok, want)
		}
	}
}
