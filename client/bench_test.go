package client_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
// each server supports, into a local file each time. Each shape logs the
// time of every client and the ratio of the fastest other client's time to
// ours (above 1: we are faster). Run it with
//
//	go test -run '^$' -bench Download64MiB -benchtime 3x ./client/
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

// benchShapeRun measures every client that can ask for shape sh, then logs
// the comparison.
func benchShapeRun(b *testing.B, srv *peers.Server, sh benchShape) {
	times := map[string]time.Duration{}
	b.Run("filemux", func(b *testing.B) {
		c := &client.Client{Addr: srv.Addr.String(), BlockSize: sh.blksize, WindowSize: sh.window}
		if sh.blksize == 512 && sh.window == 1 {
			c.BlockSize = 0 // RFC 1350 without options, as tftp-hpa's tftp
		}
		local := filepath.Join(b.TempDir(), "big.bin")
		d, err := benchLoop(b, local, func() error {
			_, err := c.ReadFile(context.Background(), "big.bin", local)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		times["filemux"] = d
	})
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
		b.Run(k.String(), func(b *testing.B) {
			peers.Need(b, k.Programs()...)
			r.Local = filepath.Join(b.TempDir(), "big.bin")
			d, err := benchLoop(b, r.Local, func() error { return peers.Download(context.Background(), k, r).Err })
			if err != nil {
				// Another client failing is a finding, not our failure.
				b.Skipf("%v failed: %v", k, err)
			}
			times[k.String()] = d
		})
	}
	b.Log(compare(times))
}

// benchLoop runs download b.N times and returns the mean time of one
// download, or the first error. Every download writes a new file: local is
// removed before each, untimed, as the first download of a file finds it.
// Replacing the file of the previous download would time the eviction of
// 64 MiB just written (a wait for the write-back the file system started
// when that file was closed or renamed into place), not the client.
func benchLoop(b *testing.B, local string, download func() error) (time.Duration, error) {
	b.SetBytes(benchSize)
	var total time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		if err := os.Remove(local); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		b.StartTimer()
		start := time.Now()
		if err := download(); err != nil {
			return 0, err
		}
		total += time.Since(start)
		n++
	}
	return total / time.Duration(max(n, 1)), nil
}

// compare formats the times and the ratio of the fastest other client's
// time to ours.
func compare(times map[string]time.Duration) string {
	ours, ok := times["filemux"]
	if !ok {
		return "filemux did not run"
	}
	names := make([]string, 0, len(times))
	for name := range times {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return times[names[i]] < times[names[j]] })
	var parts []string
	fastest := ""
	for _, name := range names {
		mbs := float64(benchSize) / (1 << 20) / times[name].Seconds()
		parts = append(parts, fmt.Sprintf("%s %.0f ms (%.1f MiB/s)", name, float64(times[name].Milliseconds()), mbs))
		if name != "filemux" && fastest == "" {
			fastest = name
		}
	}
	out := strings.Join(parts, ", ")
	if fastest != "" {
		out += fmt.Sprintf("; fastest other: %s, ratio %.2f", fastest, times[fastest].Seconds()/ours.Seconds())
	}
	return out
}
