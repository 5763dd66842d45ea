// Command tftpbench compares filemux's TFTP daemon with tftpd-hpa and atftpd
// on loopback, with the same real clients, in one run with alternating
// rounds, and measures a raw UDP baseline beside them. bench/tftp.sh builds
// and runs it; see there for the command.
//
// For each scenario every server is started fresh on the same directory,
// then each round runs the workload against each server in turn (the order
// rotating every round). It reports the median MB/s, the server's CPU time
// per run (user + system, children included, from /proc) and its peak
// resident memory (VmHWM, or the sampled sum over the process group for
// tftpd-hpa, which forks per transfer), with filemux's ratios against each
// peer, and checks the targets of the TFTP issue.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/filemux/filemux/internal/peers"
)

// stormClients is the number of clients of the storm scenario.
var stormClients = 500

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tftpbench:", err)
		os.Exit(1)
	}
}

func run() error {
	rounds := flag.Int("rounds", 3, "rounds of every scenario (the median is reported)")
	sizeMiB := flag.Int("size", 64, "MiB of the file the single clients download")
	flag.IntVar(&stormClients, "storm", 500, "concurrent clients of each storm")
	stormMiB := flag.Int("storm-size", 1, "MiB each storm client downloads")
	tftpserve := flag.String("tftpserve", "", "path of the tftpserve binary (bench/cmd/tftpserve)")
	rawudp := flag.String("rawudp", "", "path of the rawudp binary (bench/rawudp)")
	quiet := flag.Bool("q", false, "print only the tables")
	only := flag.String("only", "", "run only the scenarios whose name contains this text")
	pinCPUs := flag.Bool("pin", false, "run the servers on the last CPU and the clients on the others")
	flag.Parse()
	if *tftpserve == "" || *rawudp == "" {
		return fmt.Errorf("give -tftpserve and -rawudp (bench/tftp.sh does)")
	}
	for _, k := range []peers.ServerKind{peers.TFTPDHPA, peers.ATFTPD} {
		for _, p := range append(k.Programs(), "curl", "atftp", peers.ProgNodeTFTP) {
			if _, err := peers.Lookup(p); err != nil {
				return fmt.Errorf("%s is missing (run .ci/run): %v", p, err)
			}
		}
	}
	b, cleanup, err := newBench(*rounds, *tftpserve, *quiet)
	if err != nil {
		return err
	}
	defer cleanup()
	if *pinCPUs {
		if b.pin, err = newPlacement(); err != nil {
			return err
		}
		if err := pin(os.Getpid(), &b.pin.clients); err != nil {
			return err
		}
	}
	size := *sizeMiB << 20
	if err := b.writeFiles(size, *stormMiB<<20); err != nil {
		return err
	}
	start := time.Now()
	var outs []outcome
	for _, sc := range scenarios(size, *stormMiB<<20) {
		if !strings.Contains(sc.name, *only) {
			continue
		}
		if b.pin != nil {
			sc.name += " [pinned]"
		}
		b.log("%s", sc.name)
		outs = append(outs, outcome{sc: sc, results: b.runScenario(sc)})
	}
	var raw map[string]float64
	if *only == "" || slices.ContainsFunc(outs, func(o outcome) bool { return o.sc.target == "window64" }) {
		b.log("raw UDP baseline")
		if raw, err = b.runRaw(*rawudp, size); err != nil {
			return err
		}
	}
	report(outs, raw, b, time.Since(start))
	return nil
}

func newBench(rounds int, tftpserve string, quiet bool) (*bench, func(), error) {
	root, err := os.MkdirTemp("", "tftpbench-root-")
	if err != nil {
		return nil, nil, err
	}
	scratch, err := os.MkdirTemp("", "tftpbench-client-")
	if err != nil {
		os.RemoveAll(root)
		return nil, nil, err
	}
	b := &bench{
		rounds: rounds, root: root, scratch: scratch,
		specs: specs(tftpserve, max(1000, 2*stormClients)),
		log: func(format string, args ...any) {
			if !quiet {
				fmt.Fprintf(os.Stderr, format+"\n", args...)
			}
		},
	}
	return b, func() { os.RemoveAll(root); os.RemoveAll(scratch) }, nil
}

// scenarios are the workloads, in the order they run and print.
func scenarios(size, stormSize int) []scenario {
	return []scenario{
		clientScenario("curl lock-step, blksize 1468", "lockstep", peers.Curl, peers.Request{BlockSize: 1468}, size),
		clientScenario("curl lock-step, blksize 65464", "lockstep", peers.Curl, peers.Request{BlockSize: 65464}, size),
		clientScenario("atftp blksize 1468, windowsize 16", "window16", peers.ATFTP, peers.Request{BlockSize: 1468, WindowSize: 16}, size),
		clientScenario("atftp blksize 1468, windowsize 64", "window64", peers.ATFTP, peers.Request{BlockSize: 1468, WindowSize: 64}, size),
		clientScenario("node tftp windowSize 64 (blksize 1468)", "", peers.NodeClient, peers.Request{WindowSize: 64}, size),
		stormScenario(stormClients, stormSize),
		processStormScenario(stormClients, stormSize),
	}
}

func report(outs []outcome, raw map[string]float64, b *bench, took time.Duration) {
	names := make([]string, len(b.specs))
	for i, s := range b.specs {
		names[i] = s.name
	}
	w := os.Stdout
	fmt.Fprintf(w, "\nTFTP over loopback, %d rounds per scenario, alternating servers (took %v)\n", b.rounds, took.Round(time.Second))
	if b.pin != nil {
		fmt.Fprintf(w, "[pinned]: %s\n", b.pin.desc)
	}
	fmt.Fprintln(w)
	printThroughput(w, outs, names)
	fmt.Fprintln(w)
	printResources(w, outs, names)
	printMethods(w, outs)
	fmt.Fprintln(w)
	printRaw(w, raw)
	fmt.Fprintln(w)
	printTargets(w, outs, raw)
}
