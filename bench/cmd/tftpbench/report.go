package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// outcome is a scenario with its results, for the report.
type outcome struct {
	sc      scenario
	results []result
}

// byServer returns the result of the named server.
func (o outcome) byServer(name string) (result, bool) {
	for _, r := range o.results {
		if r.server == name {
			return r, true
		}
	}
	return result{}, false
}

// roundRatio returns the median over the rounds of val(a's run) / val(b's
// run), the runs of one round having followed each other, so that the
// machine's drift over the rounds touches both alike; ok is false when no
// round has a value for both. A failed run has no value.
func roundRatio(a, b result, val func(measure) float64) (r float64, ok bool) {
	var rs []float64
	for i := range min(len(a.runs), len(b.runs)) {
		x, y := a.runs[i], b.runs[i]
		if x.failures > 0 || y.failures > 0 || x.err != nil || y.err != nil || val(x) <= 0 || val(y) <= 0 {
			continue
		}
		rs = append(rs, val(x)/val(y))
	}
	if len(rs) == 0 {
		return 0, false
	}
	slices.Sort(rs)
	return rs[(len(rs)-1)/2], true
}

func rate(m measure) float64  { return m.mbps }
func speed(m measure) float64 { return 1 / m.wall.Seconds() }

func ratio(r float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

// printThroughput prints the median MB/s of every server and filemux's
// ratio against each peer (the median of the rounds' ratios).
func printThroughput(w io.Writer, outs []outcome, servers []string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"scenario (median MB/s)"}
	head = append(head, servers...)
	for _, p := range servers[1:] {
		head = append(head, "vs "+p)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, o := range outs {
		row := []string{o.sc.name}
		for _, name := range servers {
			r, _ := o.byServer(name)
			mbps, _, _, failures := r.median()
			cell := fmt.Sprintf("%.1f", mbps)
			if r.err != nil {
				cell = "error"
			} else if failures > 0 {
				cell += fmt.Sprintf(" (%d failed)", failures)
			}
			row = append(row, cell)
		}
		ours, _ := o.byServer(servers[0])
		for _, p := range servers[1:] {
			peer, _ := o.byServer(p)
			row = append(row, ratio(roundRatio(ours, peer, rate)))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
}

// printResources prints the median server CPU seconds per run and the
// peak resident memory of every server.
func printResources(w io.Writer, outs []outcome, servers []string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"scenario (server CPU s per run | peak RSS MiB)"}
	for _, s := range servers {
		head = append(head, s+" CPU", s+" RSS")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, o := range outs {
		row := []string{o.sc.name}
		for _, name := range servers {
			r, _ := o.byServer(name)
			_, cpu, _, _ := r.median()
			row = append(row, fmt.Sprintf("%.2f", cpu.Seconds()), fmt.Sprintf("%.1f", float64(r.peakKiB)/1024))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
}

// printMethods says how each server's CPU and memory were measured.
func printMethods(w io.Writer, outs []outcome) {
	seen := map[string]bool{}
	for _, o := range outs {
		for _, r := range o.results {
			if r.methods != "" && !seen[r.server] {
				seen[r.server] = true
				fmt.Fprintf(w, "  %s: %s\n", r.server, r.methods)
			}
		}
	}
}

func printRaw(w io.Writer, raw map[string]float64) {
	if raw == nil {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "raw UDP baseline (median MB/s)\t\t")
	for _, c := range rawConfigs {
		fmt.Fprintf(tw, "%s\t%.1f\t\n", c.name, raw[c.name])
	}
	tw.Flush()
}
