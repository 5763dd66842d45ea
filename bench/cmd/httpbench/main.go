// Command httpbench compares filemux's HTTP daemon with nginx (Debian's
// nginx-light, sendfile on) and Go's http.FileServer on loopback, in one run
// with alternating rounds. bench/http.sh builds and runs it; see there for
// the command.
//
// The servers run side by side for the whole run, serving one directory of
// random files: filemux (bench/cmd/httpserve) from its Dir route and from a
// Memory route holding copies of the same files, once as it is and once
// with -content=false (the handlers' whole contents hidden, so that the
// daemon reads them 32 KiB at a time through ReadAt, as before it had the
// capability), nginx and http.FileServer. Each round runs the workload once
// against each of them in turn, the order rotating every round. A big GET
// is timed by curl itself (-w %{time_total}); the storms, 500 concurrent
// GETs of 1 MiB each on a connection of its own, by their wall time, from a
// Go client in this process and from one curl with --parallel. Server CPU
// is user + system time from /proc/PID/stat of the server's processes
// (nginx's master and workers), before and after each run.
//
// It reports the medians, the median of the rounds' ratios against nginx
// and http.FileServer (the runs of a round follow each other, so that the
// machine's drift touches both sides alike) with their spread, and checks
// the targets of issue 18.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/filemux/filemux/internal/peers"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		os.Exit(1)
	}
}

type options struct {
	rounds    int
	size      int64
	storm     int
	stormSize int64
	only      string
	quiet     bool
}

func run() error {
	var o options
	flag.IntVar(&o.rounds, "rounds", 5, "rounds of every scenario (the median is reported)")
	sizeMiB := flag.Int("size", 1024, "MiB of the big file")
	flag.IntVar(&o.storm, "storm", 500, "concurrent GETs of each storm")
	stormKiB := flag.Int("storm-size", 1024, "KiB of the file each storm GET fetches")
	httpserve := flag.String("httpserve", "", "path of the httpserve binary (bench/cmd/httpserve)")
	flag.StringVar(&o.only, "only", "", "run only the scenarios whose name contains this text")
	flag.BoolVar(&o.quiet, "q", false, "print only the tables")
	servers := flag.String("servers", "", "comma-separated servers to run (default: all)")
	flag.Parse()
	if *httpserve == "" {
		return fmt.Errorf("give -httpserve (bench/http.sh does)")
	}
	for _, p := range []string{peers.ProgNginx, "curl"} {
		if _, err := peers.Lookup(p); err != nil {
			return fmt.Errorf("%s is missing (run .ci/run): %v", p, err)
		}
	}
	o.size, o.stormSize = int64(*sizeMiB)<<20, int64(*stormKiB)<<10
	logf := func(format string, args ...any) {
		if !o.quiet {
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		}
	}

	dir, err := os.MkdirTemp("", "httpbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "root")
	logf("writing %d MiB and %d KiB of random bytes under %s", o.size>>20, o.stormSize>>10, root)
	sums, err := writeFiles(root, map[string]int64{bigName: o.size, smallName: o.stormSize})
	if err != nil {
		return err
	}

	load0 := loadAvg()
	start := time.Now()
	srvs, err := startServers(dir, root, *httpserve, *servers, logf)
	defer func() {
		for _, s := range srvs {
			s.close()
		}
	}()
	if err != nil {
		return err
	}
	targets := targetsOf(srvs)
	logf("checking every target's content (sha256) and warming the caches")
	for _, t := range targets {
		for name, sum := range sums {
			if got, err := fetchSum(t.url(name)); err != nil || got != sum {
				return fmt.Errorf("%s: %s: sha256 %s, want %s (%v)", t.name, name, got, sum, err)
			}
		}
	}
	var outs []outcome
	for _, sc := range scenarios(o) {
		if !strings.Contains(sc.name, o.only) {
			continue
		}
		logf("%s", sc.name)
		outs = append(outs, outcome{sc: sc, results: runScenario(sc, targets, o.rounds, logf)})
	}
	report(os.Stdout, outs, targets, o, time.Since(start), load0, loadAvg(), srvs)
	return nil
}

// The served files.
const (
	bigName   = "big.bin"
	smallName = "small.bin"
)

// writeFiles writes random files under root and returns their SHA-256.
func writeFiles(root string, files map[string]int64) (map[string]string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(filepath.Dir(root), 0o755); err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for name, n := range files {
		data := peers.RandomBytes(int(n))
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			return nil, err
		}
		sums[name] = peers.SHA256(data)
	}
	return sums, nil
}

// loadAvg returns the first three fields of /proc/loadavg.
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
