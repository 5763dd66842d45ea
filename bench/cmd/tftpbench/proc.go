package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/PID/stat; it
// is 100 on every Linux this runs on.
const clockTicks = 100

// procStat is what the benchmark reads from /proc/PID/stat.
type procStat struct {
	state string
	pgrp  int
	// cpu is user + system time of the process and of its children it
	// has waited for (tftpd-hpa's per-transfer processes).
	cpu time.Duration
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	// Fields after the command: state(3) ppid(4) pgrp(5) ... utime(14)
	// stime(15) cutime(16) cstime(17), numbered from 1 as in proc(5).
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return procStat{}, false
	}
	num := func(k int) int64 { n, _ := strconv.ParseInt(f[k-3], 10, 64); return n }
	ticks := num(14) + num(15) + num(16) + num(17)
	return procStat{
		state: f[0],
		pgrp:  int(num(5)),
		cpu:   time.Duration(ticks) * time.Second / clockTicks,
	}, true
}

// cpuOf returns the CPU time of pid and its reaped children.
func cpuOf(pid int) time.Duration {
	st, _ := readStat(pid)
	return st.cpu
}

// statusKB reads a "Name:   123 kB" line of /proc/PID/status, in KiB.
func statusKB(pid int, name string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// groupMembers returns the live processes of process group pgid.
func groupMembers(pgid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, p := range stats {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok && st.pgrp == pgid && st.state != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}

// groupRSS is the memory of a group of processes now, in KiB: the sum of
// the members' proportional set sizes, so that pages the forked processes
// share count once.
func groupRSS(members []int) int64 {
	var sum int64
	for _, pid := range members {
		sum += pss(pid)
	}
	return sum
}

// pss reads the proportional set size of a process, in KiB.
func pss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return statusKB(pid, "VmRSS")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// waitChildrenGone waits (up to a second) until the group holds only its
// leader, so that the CPU of finished per-transfer processes has been added
// to the leader's children time.
func waitChildrenGone(pgid int) {
	deadline := time.Now().Add(time.Second)
	for len(groupMembers(pgid)) > 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
