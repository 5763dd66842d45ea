package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pin/tftp/v3"

	"github.com/filemux/filemux/internal/peers"
)

// measure is the outcome of one run against one server.
type measure struct {
	mbps     float64
	wall     time.Duration
	cpu      time.Duration
	failures int
	err      error
}

// scenario is one workload, run against every server.
type scenario struct {
	name string
	// target names the check the issue sets for this scenario, if any.
	target string
	file   string // served file the workload reads
	size   int
	do     func(b *bench, s *server) measure
}

// clientScenario downloads the big file with one real client.
func clientScenario(name, target string, c peers.ClientKind, r peers.Request, size int) scenario {
	return scenario{name: name, target: target, file: "big.bin", size: size, do: func(b *bench, s *server) measure {
		req := r
		req.Server, req.Remote = s.addr, "big.bin"
		req.Local = filepath.Join(b.scratch, "download.bin")
		req.Timeout = 5 * time.Minute
		defer os.Remove(req.Local)
		cpu0 := s.cpu()
		res := peers.Download(context.Background(), c, req)
		waitChildrenGone(s.pid)
		out := measure{wall: res.Elapsed, cpu: s.cpu() - cpu0}
		if res.Err != nil {
			out.err, out.failures = res.Err, 1
			return out
		}
		if got := peers.SHA256File(req.Local); got != b.sums["big.bin"] {
			out.err, out.failures = fmt.Errorf("%s: sha256 %s, want %s", name, got, b.sums["big.bin"]), 1
			return out
		}
		out.mbps = float64(size) / res.Elapsed.Seconds() / 1e6
		return out
	}}
}

// stormScenario has n pin/tftp clients fetch the small file at once, each
// checking what it got; a failure is a client that did not get the whole
// file intact.
func stormScenario(n, size int) scenario {
	name := fmt.Sprintf("storm: %d clients x %d MiB (pin/tftp, blksize 1468)", n, size>>20)
	return scenario{name: name, target: "storm", file: "small.bin", size: size, do: func(b *bench, s *server) measure {
		return runStorm(s, n, size, func() error { return stormFetch(s, b.sums["small.bin"]) })
	}}
}

// processStormScenario has n curl processes fetch the small file at once:
// the storm of independent devices, each a process of its own, where
// stormScenario is n clients sharing one Go runtime. Each download goes
// to curl's standard output and is checked there.
func processStormScenario(n, size int) scenario {
	name := fmt.Sprintf("storm: %d curl processes x %d MiB (blksize 1468)", n, size>>20)
	return scenario{name: name, target: "storm", file: "small.bin", size: size, do: func(b *bench, s *server) measure {
		curl, err := peers.Lookup("curl")
		if err != nil {
			return measure{err: err, failures: n}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		return runStorm(s, n, size, func() error { return curlFetch(ctx, curl, s, b.sums["small.bin"]) })
	}}
}

// runStorm runs fetch n times at once against s and measures the storm.
func runStorm(s *server, n, size int, fetch func() error) measure {
	cpu0 := s.cpu()
	start := time.Now()
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := fetch(); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	waitChildrenGone(s.pid)
	ok := n - int(failed.Load())
	return measure{
		wall: wall, cpu: s.cpu() - cpu0, failures: int(failed.Load()),
		mbps: float64(ok*size) / wall.Seconds() / 1e6,
	}
}

// curlFetch downloads small.bin with one curl process into a hash.
func curlFetch(ctx context.Context, curl string, s *server, want string) error {
	h := sha256.New()
	cmd := exec.CommandContext(ctx, curl, "-sS", "--tftp-blksize", "1468", "-o", "-",
		"tftp://"+s.addr.String()+"/small.bin")
	cmd.Stdout = h
	if err := cmd.Run(); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("sha256 %s, want %s", got, want)
	}
	return nil
}

func stormFetch(s *server, want string) error {
	c, err := tftp.NewClient(s.addr.String())
	if err != nil {
		return err
	}
	c.SetBlockSize(1468)
	c.SetTimeout(time.Second)
	c.SetRetries(5)
	wt, err := c.Receive("small.bin", "octet")
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := wt.WriteTo(h); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("sha256 %s, want %s", got, want)
	}
	return nil
}
