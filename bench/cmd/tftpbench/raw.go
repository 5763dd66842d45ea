package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// rawConfig is one raw UDP measurement: datagram payload and window.
type rawConfig struct {
	name         string
	size, window int
}

var rawConfigs = []rawConfig{
	{"raw UDP ping-pong, 1468 B", 1468, 1},
	{"raw UDP ping-pong, 65464 B", 65464, 1},
	{"raw UDP window 16, 1468 B", 1468, 16},
	{"raw UDP window 64, 1468 B", 1468, 64},
}

var rawRate = regexp.MustCompile(`^([0-9.]+) MB/s`)

// runRaw measures every raw configuration for the given rounds,
// alternating them, with one echoing receiver process; it returns the
// median MB/s of each.
func (b *bench) runRaw(bin string, bytes int) (map[string]float64, error) {
	echo := exec.Command(bin, "-echo")
	echo.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := echo.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := echo.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = echo.Process.Kill(); _ = echo.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("rawudp receiver: %v", err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	rates := map[string][]float64{}
	for round := range b.rounds {
		for _, c := range rawConfigs {
			rate, err := rawSend(bin, addr, c, bytes)
			if err != nil {
				return nil, err
			}
			b.log("  round %d %-28s %8.1f MB/s", round+1, c.name, rate)
			rates[c.name] = append(rates[c.name], rate)
		}
	}
	med := map[string]float64{}
	for name, r := range rates {
		slices.Sort(r)
		med[name] = r[len(r)/2]
	}
	return med, nil
}

func rawSend(bin, addr string, c rawConfig, bytes int) (float64, error) {
	out, err := exec.Command(bin, "-send", addr, "-size", strconv.Itoa(c.size),
		"-window", strconv.Itoa(c.window), "-bytes", strconv.Itoa(bytes)).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("rawudp %s: %v: %s", c.name, err, out)
	}
	m := rawRate.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("rawudp %s: unexpected output %q", c.name, out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
