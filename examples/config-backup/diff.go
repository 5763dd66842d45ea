package main

import (
	"fmt"
	"strings"
)

// op says what a line of an edit script does.
type op byte

const (
	keep   op = ' '
	remove op = '-'
	insert op = '+'
)

// edit is one line of an edit script.
type edit struct {
	op   op
	line string
}

// diffLines returns the shortest edit script that turns a into b (Myers'
// O(ND) algorithm), or false when it would take more than maxEdits inserted
// and removed lines: a device whose config was replaced wholesale gets a
// summary rather than seconds of CPU in the upload's completion hook.
func diffLines(a, b []string, maxEdits int) ([]edit, bool) {
	n, m := len(a), len(b)
	limit := min(n+m, maxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3) // v[off+k]: furthest x on diagonal k
	var trace [][]int
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			x := v[off+k-1] + 1 // a step right: remove a[x]
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // a step down: insert b[y]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, a, b, off), true
			}
		}
	}
	return nil, false
}

// backtrack walks the saved frontiers back from the end of both texts and
// returns the edit script in order.
func backtrack(trace [][]int, a, b []string, off int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for d := len(trace) - 1; d >= 0; d-- {
		v, k := trace[d], x-y
		prevK := k - 1
		if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
			prevK = k + 1
		}
		prevX := v[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, edit{keep, a[x]})
		}
		if d == 0 {
			break
		}
		if x == prevX {
			rev = append(rev, edit{insert, b[y-1]})
		} else {
			rev = append(rev, edit{remove, a[x-1]})
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// unified formats an edit script as the hunks of a unified diff, with
// context lines of context around each change.
func unified(script []edit, context int) string {
	var sb strings.Builder
	for _, h := range hunks(script, context) {
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", span(h.aStart, h.aLen), span(h.bStart, h.bLen))
		for _, e := range script[h.from:h.to] {
			sb.WriteByte(byte(e.op))
			sb.WriteString(e.line)
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// hunk is a run of the script: changes with their context.
type hunk struct {
	from, to     int // script indices
	aStart, aLen int // 1-based first line and count in the old text
	bStart, bLen int // and in the new one
}

// hunks groups the changes of script: changes less than two contexts apart
// share a hunk.
func hunks(script []edit, context int) []hunk {
	var hs []hunk
	aLine, bLine := 1, 1
	for i := 0; i < len(script); {
		if script[i].op == keep {
			aLine, bLine, i = aLine+1, bLine+1, i+1
			continue
		}
		from := max(0, i-context) // the lines before i are unchanged
		h := hunk{from: from, aStart: aLine - (i - from), bStart: bLine - (i - from)}
		for i < len(script) && (script[i].op != keep || nextChange(script, i) <= 2*context) {
			if script[i].op != insert {
				aLine++
			}
			if script[i].op != remove {
				bLine++
			}
			i++
		}
		h.to = min(len(script), i+context)
		h.aLen, h.bLen = count(script[h.from:h.to])
		hs = append(hs, h)
	}
	return hs
}

// nextChange returns how many unchanged lines follow index i before the
// next change, or more than any context when none follows.
func nextChange(script []edit, i int) int {
	n := 0
	for ; i < len(script); i++ {
		if script[i].op != keep {
			return n
		}
		n++
	}
	return len(script) + 1
}

// count returns how many lines of the old and new texts the edits cover.
func count(script []edit) (a, b int) {
	for _, e := range script {
		if e.op != insert {
			a++
		}
		if e.op != remove {
			b++
		}
	}
	return a, b
}

// span formats a hunk range as diff does: "start,len", with start the line
// before the hunk when it is empty.
func span(start, n int) string {
	if n == 0 {
		start--
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// lines splits a text into lines without their line ends (\n or \r\n).
func lines(text string) []string {
	text = strings.TrimSuffix(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}
