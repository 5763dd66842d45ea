package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// scenario is one workload, run against every target in each round.
type scenario struct {
	name  string
	storm bool
	do    func(t target) measure
}

// measure is one run of a scenario against one target.
type measure struct {
	mbps     float64 // 10^6 bytes per second
	wall     time.Duration
	cpu      time.Duration // the server's, during the run
	failures int
	err      error
}

// result is a scenario's runs on one target, one per round.
type result struct {
	target string
	runs   []measure
}

// outcome is a scenario with its results, for the report.
type outcome struct {
	sc      scenario
	results []result
}

func scenarios(o options) []scenario {
	return []scenario{
		{name: fmt.Sprintf("GET %d MiB, curl", o.size>>20), do: func(t target) measure {
			return curlGet(t.url(bigName), o.size)
		}},
		{name: fmt.Sprintf("storm, %d Go clients x %d KiB", o.storm, o.stormSize>>10), storm: true, do: func(t target) measure {
			return goStorm(t.url(smallName), o.storm, o.stormSize)
		}},
		{name: fmt.Sprintf("storm, curl --parallel %d x %d KiB", o.storm, o.stormSize>>10), storm: true, do: func(t target) measure {
			return curlStorm(t.url(smallName), o.storm, o.stormSize)
		}},
	}
}

// runScenario runs the rounds, every target once per round, rotating the
// order each round so that none always goes first.
func runScenario(sc scenario, targets []target, rounds int, logf func(string, ...any)) []result {
	results := make([]result, len(targets))
	for i, t := range targets {
		results[i].target = t.name
	}
	for round := range rounds {
		for j := range targets {
			i := (j + round) % len(targets)
			t := targets[i]
			before := t.server.cpu()
			m := sc.do(t)
			m.cpu = t.server.cpu() - before
			logf("  round %d %-40s %8.1f MB/s  wall %7.3fs  cpu %5.2fs  failures %d %v",
				round+1, t.name, m.mbps, m.wall.Seconds(), m.cpu.Seconds(), m.failures, errText(m.err))
			results[i].runs = append(results[i].runs, m)
		}
	}
	return results
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf("(%v)", err)
}

// curlGet downloads url to /dev/null with curl, timed by curl.
func curlGet(url string, size int64) measure {
	start := time.Now()
	out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}", url).Output()
	m := measure{wall: time.Since(start)}
	if err != nil {
		m.err, m.failures = fmt.Errorf("curl: %v", err), 1
		return m
	}
	var code int
	var got int64
	var secs float64
	if _, err := fmt.Sscan(string(out), &code, &got, &secs); err != nil || code != 200 || got != size || secs <= 0 {
		m.err, m.failures = fmt.Errorf("curl: %q", out), 1
		return m
	}
	m.wall = time.Duration(secs * float64(time.Second))
	m.mbps = float64(size) / secs / 1e6
	return m
}

// goStorm starts n GETs of url at once, each on a connection of its own,
// and waits for all; a GET fails unless it reads the whole size with 200.
func goStorm(url string, n int, size int64) measure {
	tr := &http.Transport{DisableKeepAlives: true, DisableCompression: true, MaxIdleConnsPerHost: -1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures int
	var first error
	gate := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			err := getAll(client, url, size)
			if err != nil {
				mu.Lock()
				failures++
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	wall := time.Since(start)
	m := measure{wall: wall, failures: failures, mbps: float64(int64(n-failures)*size) / wall.Seconds() / 1e6}
	if first != nil {
		m.err = fmt.Errorf("first failure: %v", first)
	}
	return m
}

func getAll(client *http.Client, url string, size int64) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	switch {
	case err != nil:
		return err
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case n != size:
		return fmt.Errorf("%d bytes, want %d", n, size)
	}
	return nil
}

// curlStorm runs one curl that fetches url n times at once (--parallel
// --parallel-immediate: a connection each, opened at once), and counts the
// transfers that did not bring the whole size with 200.
func curlStorm(url string, n int, size int64) measure {
	var cfg bytes.Buffer
	for range n {
		fmt.Fprintf(&cfg, "url = %q\noutput = \"/dev/null\"\n", url)
	}
	dir, err := os.MkdirTemp("", "httpbench-curl-")
	if err != nil {
		return measure{err: err, failures: n}
	}
	defer os.RemoveAll(dir)
	cfile := filepath.Join(dir, "urls")
	if err := os.WriteFile(cfile, cfg.Bytes(), 0o644); err != nil {
		return measure{err: err, failures: n}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "curl", "-sS", "--parallel", "--parallel-immediate", "--parallel-max", strconv.Itoa(n),
		"-H", "Connection: close", "-w", "%{http_code} %{size_download}\n", "-K", cfile)
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	ok := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	want := fmt.Sprintf("200 %d", size)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == want {
			ok++
		}
	}
	m := measure{wall: wall, failures: n - ok, mbps: float64(int64(ok)*size) / wall.Seconds() / 1e6}
	if err != nil {
		m.err = fmt.Errorf("curl: %v", err)
	}
	return m
}

// fetchSum downloads url and returns its SHA-256.
func fetchSum(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
