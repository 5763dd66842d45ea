package client_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/peers"
)

// benchSize is the file every client downloads in BenchmarkDownload64MiB.
const benchSize = 64 << 20

// benchShape is one blksize and windowsize a server supports.
type benchShape struct{ blksize, window int }

// benchServers are the servers and the shapes each supports: tftpd-hpa
// has no windowsize, atftpd has RFC 7440.
var benchServers = []struct {
	kind   peers.ServerKind
	shapes []benchShape
}{
	{peers.TFTPDHPA, []benchShape{{512, 1}, {1468, 1}, {8192, 1}, {65464, 1}}},
	{peers.ATFTPD, []benchShape{{512, 1}, {1468, 1}, {1468, 16}, {1468, 64}, {8192, 16}}},
}

// benchClients are the other clients: tftp-hpa's tftp (no options at all,
// so 512-byte blocks only), atftp (blksize, windowsize) and curl (blksize).
var benchClients = []peers.ClientKind{peers.TFTPHPA, peers.ATFTP, peers.Curl}

// BenchmarkDownload64MiB downloads a 64 MiB file from tftpd-hpa and atftpd
// with this client and with tftp-hpa's tftp, atftp and curl, at every shape
// each server supports, into a local file each time. Every iteration of a
// shape is one round: each client downloads once, in an order that turns
// round by round, so that the machine's drift reaches every client alike.
// Each shape reports every client's median time and the median of the
// rounds' ratios of the fastest other client's time to ours (above 1: we
// are faster). Run it with
//
//	go test -run '^$' -bench Download64MiB -benchtime 10x ./client/
func BenchmarkDownload64MiB(b *testing.B) {
	for _, s := range benchServers {
		b.Run(s.kind.String(), func(b *testing.B) {
			root := peers.ServedDir(b)
			peers.RandomFile(b, root, "big.bin", benchSize)
			srv := peers.Serve(b, s.kind, peers.ServerConfig{Root: root})
			for _, sh := range s.shapes {
				b.Run(fmt.Sprintf("blksize=%d/window=%d", sh.blksize, sh.window), func(b *testing.B) {
					benchShapeRun(b, srv, sh)
				})
			}
		})
	}
}

// benchClient is one client of a shape's rounds.
type benchClient struct {
	name     string
	local    string
	download func() error
	times    []time.Duration // one per round; zero after it failed
	failed   error
}

// benchShapeRun runs rounds of downloads by every client that can ask for
// shape sh, then reports the comparison.
func benchShapeRun(b *testing.B, srv *peers.Server, sh benchShape) {
	dir := b.TempDir()
	c := &client.TFTP{Addr: srv.Addr.String(), BlockSize: sh.blksize, WindowSize: sh.window}
	if sh.blksize == 512 && sh.window == 1 {
		c.BlockSize = 0 // RFC 1350 without options, as tftp-hpa's tftp
	}
	ours := &benchClient{name: "filemux", local: filepath.Join(dir, "filemux.bin")}
	ours.download = func() error {
		_, err := c.ReadFile(context.Background(), "big.bin", ours.local)
		return err
	}
	clients := []*benchClient{ours}
	for _, k := range benchClients {
		r := peers.Request{Server: srv.Addr, Remote: "big.bin", BlockSize: sh.blksize, Timeout: time.Minute}
		if sh.window > 1 {
			r.WindowSize = sh.window
		}
		if sh.blksize == 512 && sh.window == 1 {
			r = peers.Request{Server: srv.Addr, Remote: "big.bin", NoOptions: true, Timeout: time.Minute}
		}
		if k.Supports(r) != nil {
			continue
		}
		peers.Need(b, k.Programs()...)
		r.Local = filepath.Join(dir, k.String()+".bin")
		clients = append(clients, &benchClient{name: k.String(), local: r.Local, download: func() error {
			return peers.Download(context.Background(), k, r).Err
		}})
	}
	round := 0
	for b.Loop() {
		for i := range clients {
			bc := clients[(round+i)%len(clients)]
			d, err := benchOnce(b, bc)
			if err != nil && bc == ours {
				b.Fatal(err)
			}
			if err != nil {
				// Another client failing is a finding, not our failure.
				bc.failed = err
			}
			bc.times = append(bc.times, d)
		}
		round++
	}
	report(b, clients)
}

// benchOnce times one download of bc into a new file: the file of its last
// download is removed first, untimed, as the first download of a file
// finds it. Replacing that file would time the eviction of 64 MiB just
// written (a wait for the write-back the file system started when it was
// closed or renamed into place), not the client.
func benchOnce(b *testing.B, bc *benchClient) (time.Duration, error) {
	if bc.failed != nil {
		return 0, bc.failed
	}
	b.StopTimer()
	if err := os.Remove(bc.local); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.Fatal(err)
	}
	b.StartTimer()
	start := time.Now()
	err := bc.download()
	return time.Since(start), err
}

// report logs and reports every client's median time and the median of the
// rounds' ratios of the fastest other client's time to ours.
func report(b *testing.B, clients []*benchClient) {
	ours := clients[0]
	var parts []string
	var fastest *benchClient
	for _, bc := range clients {
		if bc.failed != nil {
			parts = append(parts, fmt.Sprintf("%s failed: %v", bc.name, bc.failed))
			continue
		}
		m := median(bc.times)
		b.ReportMetric(float64(m.Milliseconds()), bc.name+"-ms")
		parts = append(parts, fmt.Sprintf("%s %d ms (%.1f MiB/s)", bc.name, m.Milliseconds(), float64(benchSize)/(1<<20)/m.Seconds()))
		if bc != ours && (fastest == nil || m < median(fastest.times)) {
			fastest = bc
		}
	}
	out := strings.Join(parts, ", ")
	if fastest != nil {
		ratios := make([]float64, len(ours.times))
		for i := range ours.times {
			ratios[i] = fastest.times[i].Seconds() / ours.times[i].Seconds()
		}
		r := median(ratios)
		b.ReportMetric(r, "ratio")
		out += fmt.Sprintf("; fastest other: %s, median ratio of %d rounds %.2f", fastest.name, len(ratios), r)
	}
	b.ReportMetric(0, "ns/op") // a round is several downloads: its time means nothing
	b.Log(out)
}

// median returns the median of xs (the lower middle one of an even count).
func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
