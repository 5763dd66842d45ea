// Command s3bench compares a download from an s3 route of filemux serve
// (a real versitygw behind it) with the same from a Dir route, and a cold
// download with curl fetching the object straight from versitygw, on
// loopback, in one run with alternating rounds (issue 19). bench/s3.sh
// builds filemux and runs it; see there for the command.
//
// One filemux serve --config process serves four HTTP routes: dir/ (a Dir
// route, sendfile), warm/ (an s3 route whose cache holds the object),
// cold/ (an s3 route with a cache, fetching a key it has not seen: every
// round downloads a new copy of the object, so the cache misses and fills
// while it serves) and nocache/ (an s3 route with the cache off: a HEAD and
// a GET at the store for every download). Each round downloads the file
// once from each, in an order rotating every round, and once with curl
// --aws-sigv4 straight from versitygw. Every download is curl's, timed by
// curl itself (-w %{time_starttransfer} %{time_total}).
//
// It reports the medians of throughput and first-byte latency, the median
// of the rounds' ratios with their spread (min..max), and checks the
// target of issue 19: warm at least 0.9x dir.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/filemux/filemux/internal/peers"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
		os.Exit(1)
	}
}

// measure is one download.
type measure struct{ mbps, ttfb float64 } // MB/s, milliseconds

var targets = []string{"dir", "s3-warm", "s3-cold", "s3-nocache", "versitygw"}

func run() error {
	rounds := flag.Int("rounds", 7, "rounds (the median is reported)")
	sizeMiB := flag.Int("size", 64, "MiB of the file")
	bin := flag.String("filemux", "", "path of the filemux binary (bench/s3.sh builds it)")
	flag.Parse()
	if *bin == "" {
		return fmt.Errorf("give -filemux (bench/s3.sh does)")
	}
	vgw, err := peers.Lookup(peers.ProgVersitygw)
	if err != nil {
		return fmt.Errorf("versitygw is missing (run .ci/run, or set FILEMUX_VERSITYGW): %v", err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		return err
	}
	size := int64(*sizeMiB) << 20
	dir, err := os.MkdirTemp("", "s3bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		return err
	}
	sum := sha256.Sum256(data)

	// versitygw, posix backend, bucket "bench".
	access, secret := randomHex(6), randomHex(20)
	root := filepath.Join(dir, "s3")
	if err := os.MkdirAll(filepath.Join(root, "bench"), 0o755); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	endpoint := "127.0.0.1:" + strconv.Itoa(port)
	gw := exec.Command(vgw, "--port", endpoint, "posix", root)
	gw.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
	gw.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := gw.Start(); err != nil {
		return err
	}
	defer func() { _ = syscall.Kill(-gw.Process.Pid, syscall.SIGKILL); _ = gw.Wait() }()
	if err := waitTCP(endpoint, 20*time.Second); err != nil {
		return fmt.Errorf("versitygw: %v", err)
	}
	store, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1"})
	if err != nil {
		return err
	}
	put := func(key string) error {
		_, err := store.PutObject(context.Background(), "bench", key, bytes.NewReader(data), size, minio.PutObjectOptions{})
		return err
	}
	for _, k := range []string{"warm/image.bin", "nocache/image.bin"} {
		if err := put(k); err != nil {
			return err
		}
	}
	for i := 0; i <= *rounds; i++ {
		if err := put(fmt.Sprintf("cold/image-%d.bin", i)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "files", "dir"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "files", "dir", "image.bin"), data, 0o644); err != nil {
		return err
	}

	// filemux serve --config with the four routes.
	s3 := func(name string, cache int64) string {
		return fmt.Sprintf(`  - name: %[1]s
    match: '%[1]s/.*'
    s3: {endpoint: "http://%[2]s", bucket: bench, region: us-east-1, access_key_file: id, secret_key_file: secret, cache: {size: %[3]d, ttl: 1h}}
`, name, endpoint, cache)
	}
	config := "http: {listen: [\"127.0.0.1:0\"]}\nroutes:\n  - name: dir\n    match: 'dir/.*'\n    dir: {root: files}\n" +
		s3("warm", 2*size) + s3("cold", 2*size) + s3("nocache", 0)
	for name, content := range map[string]string{"filemux.yaml": config, "id": access + "\n", "secret": secret + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	fm := exec.Command(*bin, "serve", "--config", filepath.Join(dir, "filemux.yaml"))
	fm.Dir = dir
	fm.Stderr = io.Discard
	out, err := fm.StdoutPipe()
	if err != nil {
		return err
	}
	if err := fm.Start(); err != nil {
		return err
	}
	defer func() { _ = fm.Process.Kill(); _ = fm.Wait() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "filemux: serving HTTP on "); ok {
				addr <- a
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(20 * time.Second):
		return fmt.Errorf("filemux serve printed no HTTP address")
	}
	empty := sha256.Sum256(nil)
	direct := []string{"--aws-sigv4", "aws:amz:us-east-1:s3", "--user", access + ":" + secret,
		"-H", "x-amz-content-sha256: " + hex.EncodeToString(empty[:])}
	url := func(t string, round int) (string, []string) {
		switch t {
		case "dir":
			return base + "/dir/image.bin", nil
		case "s3-warm":
			return base + "/warm/image.bin", nil
		case "s3-cold":
			return base + fmt.Sprintf("/cold/image-%d.bin", round), nil
		case "s3-nocache":
			return base + "/nocache/image.bin", nil
		}
		return "http://" + endpoint + "/bench/nocache/image.bin", direct
	}
	// Check every target's content once, which also warms warm/; the
	// cold route's check uses the last key, which no round fetches.
	for _, t := range targets {
		u, args := url(t, 0)
		if t == "s3-cold" {
			u = base + fmt.Sprintf("/cold/image-%d.bin", *rounds)
		}
		got, err := curlSum(u, args)
		if err != nil || got != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("%s: sha256 %s, want %x (%v)", t, got, sum, err)
		}
	}

	load0 := loadAvg()
	start := time.Now()
	res := map[string][]measure{}
	for r := 0; r < *rounds; r++ {
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			u, args := url(t, r)
			m, err := curlTime(u, args, size)
			if err != nil {
				return fmt.Errorf("round %d, %s: %v", r, t, err)
			}
			res[t] = append(res[t], m)
		}
	}
	fmt.Printf("%d MiB over HTTP on loopback, %d rounds in %v, load average %s -> %s\n\n", size>>20, *rounds, time.Since(start).Round(time.Millisecond), load0, loadAvg())
	fmt.Println("| download | MB/s (median) | MB/s min..max | first byte ms (median) | first byte min..max |")
	fmt.Println("|---|---|---|---|---|")
	for _, t := range targets {
		mb, tt := pick(res[t], func(m measure) float64 { return m.mbps }), pick(res[t], func(m measure) float64 { return m.ttfb })
		fmt.Printf("| %s | %.0f | %.0f..%.0f | %.2f | %.2f..%.2f |\n", t, median(mb), mb[0], mb[len(mb)-1], median(tt), tt[0], tt[len(tt)-1])
	}
	fmt.Println()
	ratio := func(a, b string, val func(measure) float64) []float64 {
		var rs []float64
		for i := range res[a] {
			rs = append(rs, val(res[a][i])/val(res[b][i]))
		}
		sort.Float64s(rs)
		return rs
	}
	mbps := func(m measure) float64 { return m.mbps }
	ttfb := func(m measure) float64 { return m.ttfb }
	warm := ratio("s3-warm", "dir", mbps)
	fmt.Printf("| ratio (median of the rounds') | value | min..max |\n|---|---|---|\n")
	for _, r := range []struct {
		name string
		rs   []float64
	}{
		{"s3-warm / dir, throughput", warm},
		{"s3-cold / versitygw, throughput", ratio("s3-cold", "versitygw", mbps)},
		{"s3-nocache / versitygw, throughput", ratio("s3-nocache", "versitygw", mbps)},
		{"s3-cold / versitygw, first byte", ratio("s3-cold", "versitygw", ttfb)},
		{"s3-nocache / versitygw, first byte", ratio("s3-nocache", "versitygw", ttfb)},
	} {
		fmt.Printf("| %s | %.2f | %.2f..%.2f |\n", r.name, median(r.rs), r.rs[0], r.rs[len(r.rs)-1])
	}
	fmt.Println()
	verdict := "MISSED"
	if median(warm) >= 0.9 {
		verdict = "met"
	}
	fmt.Printf("target: s3-warm at least 0.9x dir: %s (%.2fx)\n", verdict, median(warm))
	return nil
}

// curlTime downloads url with curl and returns its throughput and time
// to the first byte, as curl measured them.
func curlTime(url string, args []string, size int64) (measure, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--fail", "-o", "/dev/null",
		"-w", "%{size_download} %{time_starttransfer} %{time_total}", url}, args...)...).Output()
	if err != nil {
		return measure{}, err
	}
	f := strings.Fields(string(out))
	if len(f) != 3 || f[0] != strconv.FormatInt(size, 10) {
		return measure{}, fmt.Errorf("curl said %q", out)
	}
	first, err1 := strconv.ParseFloat(f[1], 64)
	total, err2 := strconv.ParseFloat(f[2], 64)
	if err1 != nil || err2 != nil || total <= 0 {
		return measure{}, fmt.Errorf("curl said %q", out)
	}
	return measure{mbps: float64(size) / total / 1e6, ttfb: first * 1000}, nil
}

// curlSum downloads url with curl and returns the sha256 of the body.
func curlSum(url string, args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--fail", url}, args...)...).Output()
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(out)
	return hex.EncodeToString(s[:]), nil
}

func pick(ms []measure, val func(measure) float64) []float64 {
	vs := make([]float64, len(ms))
	for i, m := range ms {
		vs[i] = val(m)
	}
	sort.Float64s(vs)
	return vs
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitTCP(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
