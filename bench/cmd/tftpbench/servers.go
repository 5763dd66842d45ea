package main

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/filemux/filemux/bench/internal/cgroup"
	"github.com/filemux/filemux/internal/peers"
)

// server is one TFTP server under test, running.
type server struct {
	name string
	addr netip.AddrPort
	pid  int
	stop func() error
	// cg counts the CPU (and, where the memory controller is on, the
	// memory) of the server and everything it forks; nil where the machine
	// has no writable cgroup2, and /proc serves instead.
	cg *cgroup.Cgroup
	// sampler tracks the memory of the process group, for servers that
	// fork per transfer (VmHWM of the leader misses them).
	sampler *rssSampler
}

// track puts the server in a cgroup of its own and, when it forks per
// transfer, samples the memory of its process group.
func (s *server) track(forks bool) {
	if cg, err := cgroup.New("bench", s.name); err == nil {
		if err := cg.Add(s.pid); err == nil {
			s.cg = cg
		} else {
			cg.Remove()
		}
	}
	if forks {
		// The cgroup lists the server's processes; finding a process
		// group's members walks all of /proc.
		members := func() []int { return groupMembers(s.pid) }
		if s.cg != nil {
			members = s.cg.Procs
		}
		s.sampler = sampleRSS(members, 20*time.Millisecond)
	}
}

// cpu returns the CPU time the server has used so far.
func (s *server) cpu() time.Duration {
	if s.cg != nil {
		return s.cg.CPU()
	}
	return cpuOf(s.pid)
}

// methods says how cpu and peakRSS measure this server.
func (s *server) methods() string {
	cpu := "CPU from the cgroup's cpu.stat"
	if s.cg == nil {
		cpu = "CPU from /proc/PID/stat (waited-for children only)"
	}
	switch {
	case s.cg != nil && s.cg.PeakKiB() >= 0:
		return cpu + ", memory from the cgroup's memory.peak"
	case s.sampler != nil:
		return cpu + ", memory sampled (sum of PSS over the process group every 20 ms)"
	}
	return cpu + ", memory from VmHWM"
}

// close stops the server and releases what tracked it.
func (s *server) close() error {
	if s.sampler != nil {
		s.sampler.close()
	}
	err := s.stop()
	if s.cg != nil {
		s.cg.Remove()
	}
	return err
}

// serverSpec says how to start a server for one scenario.
type serverSpec struct {
	name  string
	forks bool
	start func(root string) (*server, error)
}

// specs returns the servers compared: filemux's daemon (the tftpserve
// binary) and the peers, each allowed as many concurrent transfers as the
// storm needs so that the comparison is about speed.
func specs(tftpserve string, maxTransfers int) []serverSpec {
	return []serverSpec{
		{name: "filemux", start: func(root string) (*server, error) {
			return startFilemux(tftpserve, root, maxTransfers)
		}},
		{name: "tftpd-hpa", forks: true, start: func(root string) (*server, error) {
			return startPeer(peers.TFTPDHPA, root)
		}},
		{name: "atftpd", start: func(root string) (*server, error) {
			return startPeer(peers.ATFTPD, root, "--maxthread", fmt.Sprint(maxTransfers), "--verbose=1")
		}},
	}
}

func startPeer(k peers.ServerKind, root string, args ...string) (*server, error) {
	s, err := peers.StartServer(context.Background(), k, peers.ServerConfig{Root: root, Args: args})
	if err != nil {
		return nil, err
	}
	return &server{name: k.String(), addr: s.Addr, pid: s.PID(), stop: s.Close}, nil
}

// startFilemux runs the tftpserve binary in a process group of its own, so
// that its CPU and memory are measured like the peers'.
func startFilemux(bin, root string, maxTransfers int) (*server, error) {
	cmd := exec.Command(bin, "-root", root, "-max-transfers", fmt.Sprint(maxTransfers), "-max-window", "64")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, perr := netip.ParseAddrPort(strings.TrimSpace(strings.TrimPrefix(line, "listening on ")))
	if err != nil || perr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("tftpserve did not start: %q %v %v", line, err, perr)
	}
	stop := func() error {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		return nil
	}
	return &server{name: "filemux", addr: addr, pid: cmd.Process.Pid, stop: stop}, nil
}

// peakRSS returns the server's peak memory in KiB: the cgroup's peak where
// the memory controller is on, else the leader's high-water mark, or the
// sampled peak of the whole group when it forks.
func (s *server) peakRSS() int64 {
	if s.cg != nil {
		if p := s.cg.PeakKiB(); p >= 0 {
			return p
		}
	}
	peak := statusKB(s.pid, "VmHWM")
	if s.sampler != nil {
		peak = max(peak, s.sampler.peak())
	}
	return peak
}

// rssSampler samples the resident memory of a process group.
type rssSampler struct {
	mu   sync.Mutex
	max  int64
	done chan struct{}
	wg   sync.WaitGroup
	// on is set while the server is measured, so that sampling slows no
	// other server's runs. (It used to find the members by walking all of
	// /proc every 20 ms, for the whole scenario: that took enough CPU to
	// cut filemux's curl lock-step rate at blksize 1468 by a sixth.)
	on atomic.Bool
}

func sampleRSS(members func() []int, every time.Duration) *rssSampler {
	r := &rssSampler{done: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if r.on.Load() {
				rss := groupRSS(members())
				r.mu.Lock()
				r.max = max(r.max, rss)
				r.mu.Unlock()
			}
			select {
			case <-r.done:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// measuring samples the server's memory while it is measured only. The
// sampler is nil for servers that do not fork.
func (s *server) measuring(on bool) {
	if s.sampler != nil {
		s.sampler.on.Store(on)
	}
}

func (r *rssSampler) peak() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.max
}

func (r *rssSampler) close() {
	close(r.done)
	r.wg.Wait()
}
