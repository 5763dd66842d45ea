package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/filemux/filemux/internal/peers"
)

// bench holds what every scenario shares.
type bench struct {
	rounds  int
	root    string // served files
	scratch string // client downloads
	sums    map[string]string
	specs   []serverSpec
	log     func(format string, args ...any)
	// pin places servers and clients on CPUs of their own (-pin); nil
	// lets them share every CPU.
	pin *placement
}

// result is a scenario's outcome on one server.
type result struct {
	server  string
	runs    []measure
	peakKiB int64
	idleKiB int64
	methods string // how CPU and memory were measured
	err     error
}

// median returns the median of the runs' rates, CPU and wall times, and
// their total failures.
func (r result) median() (mbps float64, cpu, wall time.Duration, failures int) {
	var rates []float64
	var cpus, walls []time.Duration
	for _, x := range r.runs {
		rates = append(rates, x.mbps)
		cpus = append(cpus, x.cpu)
		walls = append(walls, x.wall)
		failures += x.failures
	}
	if len(rates) == 0 {
		return 0, 0, 0, failures
	}
	slices.Sort(rates)
	slices.Sort(cpus)
	slices.Sort(walls)
	m := len(rates) / 2
	return rates[m], cpus[m], walls[m], failures
}

// writeFiles creates the served files: the big one the clients download
// and the small one the storm fetches.
func (b *bench) writeFiles(bigSize, smallSize int) error {
	b.sums = map[string]string{}
	for name, n := range map[string]int{"big.bin": bigSize, "small.bin": smallSize} {
		data := peers.RandomBytes(n)
		if err := os.WriteFile(filepath.Join(b.root, name), data, 0o644); err != nil {
			return err
		}
		b.sums[name] = peers.SHA256(data)
	}
	return os.Chmod(b.root, 0o777)
}

// runScenario starts every server fresh (so that peak memory belongs to the
// scenario), then runs the rounds, alternating the servers and rotating
// their order each round so that none always goes first.
func (b *bench) runScenario(sc scenario) []result {
	results := make([]result, len(b.specs))
	servers := make([]*server, len(b.specs))
	for i, sp := range b.specs {
		results[i].server = sp.name
		s, err := sp.start(b.root)
		if err != nil {
			results[i].err = err
			continue
		}
		if b.pin != nil {
			if err := pin(s.pid, &b.pin.server); err != nil {
				_ = s.close()
				results[i].err = err
				continue
			}
		}
		s.track(sp.forks)
		results[i].idleKiB = statusKB(s.pid, "VmRSS")
		results[i].methods = s.methods()
		servers[i] = s
	}
	for round := range b.rounds {
		for j := range b.specs {
			i := (j + round) % len(b.specs)
			if servers[i] == nil {
				continue
			}
			servers[i].measuring(true)
			r := sc.do(b, servers[i])
			servers[i].measuring(false)
			b.log("  round %d %-10s %8.1f MB/s  wall %7.3fs  cpu %6.2fs  failures %d %v",
				round+1, b.specs[i].name, r.mbps, r.wall.Seconds(), r.cpu.Seconds(), r.failures, errText(r.err))
			results[i].runs = append(results[i].runs, r)
		}
	}
	for i, s := range servers {
		if s == nil {
			continue
		}
		results[i].peakKiB = s.peakRSS()
		if err := s.close(); err != nil {
			b.log("  stopping %s: %v", s.name, err)
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
