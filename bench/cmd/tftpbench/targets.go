package main

import (
	"fmt"
	"io"
)

// The targets of the TFTP issue, checked against the measures of the same
// run.
const (
	lockStepVsHPA    = 1.0
	window16VsATFTPD = 1.0
	window64VsATFTPD = 1.2
	window64VsRaw    = 0.6
)

// printTargets says, for each target, the measure and whether it is met.
func printTargets(w io.Writer, outs []outcome, raw map[string]float64) {
	fmt.Fprintln(w, "targets:")
	for _, o := range outs {
		fm, _ := o.byServer("filemux")
		mbps, _, _, _ := fm.median()
		switch o.sc.target {
		case "lockstep":
			checkRatio(w, o, mbps, "tftpd-hpa", lockStepVsHPA)
		case "window16":
			checkRatio(w, o, mbps, "atftpd", window16VsATFTPD)
		case "window64":
			checkRatio(w, o, mbps, "atftpd", window64VsATFTPD)
			rawRate := raw["raw UDP window 64, 1468 B"]
			verdict(w, mbps >= window64VsRaw*rawRate, "%s: %.1f MB/s is %.0f%% of raw UDP window 64 (%.1f), want >= %.0f%%",
				o.sc.name, mbps, 100*mbps/rawRate, rawRate, 100*window64VsRaw)
		case "storm":
			checkStorm(w, o)
		}
	}
}

// checkRatio wants the median of the rounds' ratios of filemux's rate to
// the peer's at least want.
func checkRatio(w io.Writer, o outcome, mbps float64, peer string, want float64) {
	fm, _ := o.byServer("filemux")
	p, _ := o.byServer(peer)
	peerRate, _, _, _ := p.median()
	r, ok := roundRatio(fm, p, rate)
	verdict(w, ok && r >= want, "%s: filemux %.1f vs %s %.1f MB/s (medians), rounds' ratio %s, want >= %.1fx",
		o.sc.name, mbps, peer, peerRate, ratio(r, ok), want)
}

// checkStorm wants no failure and a wall time no worse than every peer that
// served every client: against each, the median of the rounds' ratios of
// the peer's wall time to filemux's at least 1.
func checkStorm(w io.Writer, o outcome) {
	fm, _ := o.byServer("filemux")
	_, _, wall, failures := fm.median()
	verdict(w, failures == 0, "%s: filemux failures %d, want 0", o.sc.name, failures)
	worst, worstName, ok := 0.0, "", false
	for _, r := range o.results {
		_, _, _, pf := r.median()
		if r.server == "filemux" || pf > 0 || r.err != nil {
			continue
		}
		if x, has := roundRatio(fm, r, speed); has && (!ok || x < worst) {
			worst, worstName, ok = x, r.server, true
		}
	}
	p, _ := o.byServer(worstName)
	_, _, pw, _ := p.median()
	verdict(w, ok && worst >= 1, "%s: filemux wall %.2fs vs %s %.2fs (medians), rounds' ratio of %s's wall to ours %s (the lowest against any peer)",
		o.sc.name, wall.Seconds(), worstName, pw.Seconds(), worstName, ratio(worst, ok))
	n := len(fm.runs)
	if n > 0 {
		clients := stormClients
		perTransfer := float64(fm.peakKiB-fm.idleKiB) / float64(clients)
		fmt.Fprintf(w, "  info  %s: filemux peak RSS %.1f MiB, idle %.1f MiB: about %.0f KiB per concurrent transfer (%d clients)\n",
			o.sc.name, float64(fm.peakKiB)/1024, float64(fm.idleKiB)/1024, perTransfer, clients)
	}
}

func verdict(w io.Writer, ok bool, format string, args ...any) {
	mark := "MISS"
	if ok {
		mark = "met "
	}
	fmt.Fprintf(w, "  %s  %s\n", mark, fmt.Sprintf(format, args...))
}
