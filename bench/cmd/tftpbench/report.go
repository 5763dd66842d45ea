package main

import (
	"fmt"
	"io"
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

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// printThroughput prints the median MB/s of every server and filemux's
// ratio against each peer.
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
		rates := map[string]float64{}
		for _, name := range servers {
			r, _ := o.byServer(name)
			mbps, _, _, failures := r.median()
			rates[name] = mbps
			cell := fmt.Sprintf("%.1f", mbps)
			if r.err != nil {
				cell = "error"
			} else if failures > 0 {
				cell += fmt.Sprintf(" (%d failed)", failures)
			}
			row = append(row, cell)
		}
		for _, p := range servers[1:] {
			row = append(row, ratio(rates[servers[0]], rates[p]))
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
