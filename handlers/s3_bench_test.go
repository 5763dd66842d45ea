package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// BenchmarkS3HTTPDownload downloads a 64 MiB image over daemon.HTTP from
// a Dir route, a warm cached S3 route and an uncached S3 route (cold:
// every download is a GET at versitygw), and with curl straight from
// versitygw, alternating the four in each round. It reports each one's
// throughput and time to the first byte, and warm/dir.
func BenchmarkS3HTTPDownload(b *testing.B) {
	peers.Need(b, "curl")
	const size = 64 << 20
	image := pattern(size, 3)
	s := newS3Store(b)
	s.put(b, "image", image)
	root := b.TempDir()
	writeFile(b, root+"/image", image)
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer dir.Close()
	warm := s.handler(b, handlers.S3Config{CacheSize: 2 * size, CacheTTL: time.Hour})
	cold := s.handler(b, handlers.S3Config{})
	servers := []struct {
		name string
		url  string
	}{
		{"dir", daemontest.NewHTTP(b, dir).URL("image")},
		{"s3-warm", daemontest.NewHTTP(b, warm).URL("image")},
		{"s3-cold", daemontest.NewHTTP(b, cold).URL("image")},
	}
	fetch(b, servers[1].url, size) // warms the cache
	total := map[string]time.Duration{}
	first := map[string]time.Duration{}
	rounds := 0
	for b.Loop() {
		rounds++
		for _, srv := range servers {
			d, ttfb := fetch(b, srv.url, size)
			total[srv.name] += d
			first[srv.name] += ttfb
		}
		d, ttfb := curlDirect(b, s, size)
		total["curl-direct"] += d
		first["curl-direct"] += ttfb
	}
	for name, d := range total {
		b.ReportMetric(float64(size)*float64(rounds)/d.Seconds()/1e6, name+"-MB/s")
		b.ReportMetric(float64(first[name].Microseconds())/float64(rounds)/1000, name+"-ttfb-ms")
	}
	b.ReportMetric(total["dir"].Seconds()/total["s3-warm"].Seconds(), "warm/dir")
}

// fetch downloads url, checking its length, and returns how long it took
// in all and to the first byte of the body.
func fetch(b *testing.B, url string, size int) (total, ttfb time.Duration) {
	b.Helper()
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var one [1]byte
	if _, err := io.ReadFull(resp.Body, one[:]); err != nil {
		b.Fatal(err)
	}
	ttfb = time.Since(start)
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n+1 != int64(size) {
		b.Fatalf("GET %s: %d bytes, %v", url, n+1, err)
	}
	return time.Since(start), ttfb
}

// curlDirect fetches the image with curl from versitygw itself (SigV4).
func curlDirect(b *testing.B, s *s3Store, size int) (total, ttfb time.Duration) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	empty := sha256.Sum256(nil)
	out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download} %{time_starttransfer} %{time_total}",
		"--aws-sigv4", "aws:amz:us-east-1:s3", "--user", s.AccessKey+":"+s.Secret,
		"-H", "x-amz-content-sha256: "+hex.EncodeToString(empty[:]), s.URL+"/"+s.Bucket+"/image").Output()
	if err != nil {
		b.Fatalf("curl: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 || f[0] != strconv.Itoa(size) {
		b.Fatalf("curl: %q", out)
	}
	return seconds(b, f[2]), seconds(b, f[1])
}

func seconds(b *testing.B, s string) time.Duration {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(v * float64(time.Second))
}
