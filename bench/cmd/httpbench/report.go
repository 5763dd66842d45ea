package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The targets of issue 18, checked against the measures of the same run.
const (
	dirVsNginx    = 0.9
	memoryVsNginx = 1.0
)

const (
	nginxName       = "nginx"
	nginxNoPushName = "nginx tcp_nopush off"
	fileServerName  = "http.FileServer"
	dirName         = "filemux Dir"
	memoryName      = "filemux Memory"
)

func (o outcome) byTarget(name string) (result, bool) {
	for _, r := range o.results {
		if r.target == name {
			return r, true
		}
	}
	return result{}, false
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

// ratios returns the rounds' ratios val(a's run) / val(b's run), sorted;
// a failed run has no value.
func ratios(a, b result, val func(measure) float64) []float64 {
	var rs []float64
	for i := range min(len(a.runs), len(b.runs)) {
		x, y := a.runs[i], b.runs[i]
		if x.failures > 0 || y.failures > 0 || x.err != nil || y.err != nil || val(x) <= 0 || val(y) <= 0 {
			continue
		}
		rs = append(rs, val(x)/val(y))
	}
	slices.Sort(rs)
	return rs
}

// medianOf is the median of sorted rs (the lower middle for an even
// count); ok is false for none.
func medianOf(rs []float64) (float64, bool) {
	if len(rs) == 0 {
		return 0, false
	}
	return rs[(len(rs)-1)/2], true
}

func rate(m measure) float64  { return m.mbps }
func speed(m measure) float64 { return 1 / m.wall.Seconds() }
func cpuOf(m measure) float64 { return m.cpu.Seconds() }

// ratioCell is the median of the rounds' ratios with their range.
func ratioCell(rs []float64) string {
	m, ok := medianOf(rs)
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2fx (%.2f-%.2f)", m, rs[0], rs[len(rs)-1])
}

func report(w io.Writer, outs []outcome, targets []target, o options, took time.Duration, load0, load1 string, srvs []*server) {
	fmt.Fprintf(w, "\nHTTP over loopback, %d rounds per scenario, servers alternating within each round (took %v)\n",
		o.rounds, took.Round(time.Second))
	fmt.Fprintf(w, "load average before %s, after %s\n", load0, load1)
	fmt.Fprintln(w, "ratios: median of the rounds' ratios (range); speed is MB/s for a GET, 1/wall for a storm; CPU is the server's user+system")
	for _, out := range outs {
		fmt.Fprintf(w, "\n%s\n", out.sc.name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\tMB/s\twall s\tCPU s\tfailures\tspeed vs nginx\tvs nginx nopush off\tvs FileServer\tCPU vs nginx\t")
		ng, _ := out.byTarget(nginxName)
		np, _ := out.byTarget(nginxNoPushName)
		fs, _ := out.byTarget(fileServerName)
		val := rate
		if out.sc.storm {
			val = speed
		}
		for _, t := range targets {
			r, _ := out.byTarget(t.name)
			mbps, cpu, wall, failures := r.median()
			row := []string{t.name, fmt.Sprintf("%.1f", mbps), fmt.Sprintf("%.3f", wall.Seconds()),
				fmt.Sprintf("%.3f", cpu.Seconds()), fmt.Sprint(failures),
				ratioCell(ratios(r, ng, val)), ratioCell(ratios(r, np, val)), ratioCell(ratios(r, fs, val)),
				ratioCell(ratios(r, ng, cpuOf))}
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\ntargets (against each nginx):")
	for _, out := range outs {
		for _, peer := range []string{nginxName, nginxNoPushName} {
			ng, ok := out.byTarget(peer)
			if !ok {
				continue
			}
			for _, c := range []struct {
				name string
				want float64
			}{{dirName, dirVsNginx}, {memoryName, memoryVsNginx}} {
				r, ok := out.byTarget(c.name)
				if !ok {
					continue
				}
				if !out.sc.storm {
					m, ok := medianOf(ratios(r, ng, rate))
					verdict(w, ok && m >= c.want, "%s: %s %.2fx %s's MB/s, want >= %.1fx", out.sc.name, c.name, m, peer, c.want)
					continue
				}
				_, _, _, failures := r.median()
				m, ok := medianOf(ratios(r, ng, speed))
				verdict(w, failures == 0 && ok && m >= 1, "%s: %s %d failures, %.2fx %s's speed (1/wall), want 0 and >= 1.0x",
					out.sc.name, c.name, failures, m, peer)
			}
		}
	}
	fmt.Fprintln(w, "\nserver CPU measured by:")
	for _, s := range srvs {
		fmt.Fprintf(w, "  %s: %s\n", s.name, s.method())
	}
}

func verdict(w io.Writer, ok bool, format string, args ...any) {
	mark := "MET   "
	if !ok {
		mark = "MISSED"
	}
	fmt.Fprintf(w, "  %s %s\n", mark, fmt.Sprintf(format, args...))
}
