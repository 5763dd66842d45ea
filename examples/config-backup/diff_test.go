package main

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	old := "hostname sw1\n!\ninterface Gi0/1\n description uplink\n switchport mode trunk\n!\ninterface Gi0/2\n shutdown\n!\nsnmp-server community public RO\nend\n"
	cur := "hostname sw1\n!\ninterface Gi0/1\n description uplink to core\n switchport mode trunk\n!\ninterface Gi0/2\n shutdown\n!\nntp server 10.0.0.1\nend\n"
	script, ok := diffLines(lines(old), lines(cur), 100)
	if !ok {
		t.Fatal("diff gave up")
	}
	want := `@@ -3,3 +3,3 @@
 interface Gi0/1
- description uplink
+ description uplink to core
  switchport mode trunk
@@ -9,3 +9,3 @@
 !
-snmp-server community public RO
+ntp server 10.0.0.1
 end
`
	if got := unified(script, 1); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// With more context the two changes share one hunk.
	if got := unified(script, 3); !strings.HasPrefix(got, "@@ -1,11 +1,11 @@\n") || strings.Count(got, "@@ ") != 1 {
		t.Errorf("context 3: got\n%s", got)
	}
}

func TestUnifiedEdges(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "", ""},
		{"x\n", "x\n", ""},
		{"", "a\nb\n", "@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"a\nb\n", "", "@@ -1,2 +0,0 @@\n-a\n-b\n"},
		{"a\n", "a\nb\n", "@@ -1,1 +1,2 @@\n a\n+b\n"},
		{"a\r\nb\r\n", "a\nb\n", ""},
	} {
		script, ok := diffLines(lines(tc.a), lines(tc.b), 100)
		if got := unified(script, 1); !ok || got != tc.want {
			t.Errorf("diff %q %q = %q (%v), want %q", tc.a, tc.b, got, ok, tc.want)
		}
	}
}

func TestDiffGivesUp(t *testing.T) {
	a := strings.Split("a b c d e f", " ")
	b := strings.Split("u v w x y z", " ")
	if _, ok := diffLines(a, b, 11); ok {
		t.Error("12 edits fitted in a budget of 11")
	}
	if _, ok := diffLines(a, b, 12); !ok {
		t.Error("12 edits did not fit in a budget of 12")
	}
}

// lcs is the length of the longest common subsequence, by the textbook
// dynamic program: the oracle for the script's minimality.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// Random texts over a small alphabet: the script must turn a into b and be
// as short as the LCS allows.
func TestDiffMinimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() []string {
		s := make([]string, rng.IntN(12))
		for i := range s {
			s[i] = string(rune('a' + rng.IntN(3)))
		}
		return s
	}
	for range 2000 {
		a, b := text(), text()
		script, ok := diffLines(a, b, len(a)+len(b))
		if !ok {
			t.Fatalf("%q -> %q: gave up", a, b)
		}
		var gotA, gotB []string
		edits := 0
		for _, e := range script {
			if e.op != insert {
				gotA = append(gotA, e.line)
			}
			if e.op != remove {
				gotB = append(gotB, e.line)
			}
			if e.op != keep {
				edits++
			}
		}
		if strings.Join(gotA, "") != strings.Join(a, "") || strings.Join(gotB, "") != strings.Join(b, "") {
			t.Fatalf("%q -> %q: script %v does not connect them", a, b, script)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("%q -> %q: %d edits, want %d", a, b, edits, want)
		}
	}
}
