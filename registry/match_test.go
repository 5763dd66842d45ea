package registry_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/registry"
)

func TestFirstMatchWins(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`boot/.*`, text("boot"))
	r.MustRegister(`.*`, text("catch-all"))
	r.MustRegister(`boot/pxelinux\.0`, text("never: after the catch-all"))
	tests := map[string]string{
		"boot/pxelinux.0": "boot",
		"boot/x":          "boot",
		"other":           "catch-all",
	}
	for name, want := range tests {
		if got := read(t, &r, name); got != want {
			t.Errorf("read %q = %q, want %q", name, got, want)
		}
	}
}

// Erlang's change_config appends new callbacks after the catch-all, where
// they never match; Insert puts them in front.
func TestInsertBeforeCatchAll(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`.*`, text("catch-all"))
	r.MustRegister(`new\.cfg`, text("appended"))
	if got := read(t, &r, "new.cfg"); got != "catch-all" {
		t.Fatalf("read new.cfg = %q, want the catch-all before Insert", got)
	}
	if err := r.Insert(0, `newer\.cfg`, text("inserted")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, &r, "newer.cfg"); got != "inserted" {
		t.Errorf("read newer.cfg = %q, want the inserted route", got)
	}
	if got := read(t, &r, "other"); got != "catch-all" {
		t.Errorf("read other = %q, want the catch-all", got)
	}
	if got := patterns(r.Routes()); !slices.Equal(got, []string{`newer\.cfg`, `.*`, `new\.cfg`}) {
		t.Errorf("routes %q", got)
	}
}

func patterns(routes []registry.Route) []string {
	var ps []string
	for _, rt := range routes {
		ps = append(ps, rt.Pattern)
	}
	return ps
}

func TestPatternsAreAnchored(t *testing.T) {
	tests := []struct {
		pattern, name string
		match         bool
	}{
		{`confg`, "confg", true},
		{`confg`, "x-confg-y", false},
		{`confg`, "confg-y", false},
		{`confg`, "x-confg", false},
		{`^confg$`, "confg", true},
		{`^confg$`, "x-confg-y", false},
		{`^confg`, "confgs", false},
		{`confg$`, "aconfg", false},
		{`a|b`, "a", true},
		{`a|b`, "ab", false},
		{`a|ab`, "ab", true}, // leftmost-first would stop at "a"
		{`(?i)CONFG`, "confg", true},
		{`dir/[^/]+`, "dir/a/b", false},
		{`.*\.bin`, "fw/x.bin", true},
		{`\d+`, "١٢", false}, // RE2 mode: \d is ASCII only
		{`(?P<n>x)`, "x", true},
	}
	for _, tt := range tests {
		var r registry.Registry
		r.MustRegister(tt.pattern, text("x"))
		_, err := r.Match(tt.name)
		if got := err == nil; got != tt.match {
			t.Errorf("%q matches %q: %v, want %v (%v)", tt.pattern, tt.name, got, tt.match, err)
		}
	}
}

func TestCaptures(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`(cfg|conf)/(?<host>[^/.]+)(\.(?P<domain>[^/]+))?/(?<file>.+)`,
		text("%s|%s|%s", "host", "domain", "file"))
	tests := []struct {
		name, content string
		params        []behaviour.Param
	}{
		{"cfg/sw1.lab/running.cfg", "sw1|lab|running.cfg",
			[]behaviour.Param{{Name: "host", Value: "sw1"}, {Name: "domain", Value: "lab"}, {Name: "file", Value: "running.cfg"}}},
		{"conf/sw2/startup", "sw2||startup",
			[]behaviour.Param{{Name: "host", Value: "sw2"}, {Name: "domain", Value: ""}, {Name: "file", Value: "startup"}}},
	}
	for _, tt := range tests {
		m, err := r.Match(tt.name)
		if err != nil {
			t.Fatalf("Match(%q): %v", tt.name, err)
		}
		if !slices.Equal(m.Params, tt.params) || m.Index != 0 {
			t.Errorf("Match(%q) = index %d params %+v, want 0 %+v", tt.name, m.Index, m.Params, tt.params)
		}
		tr := open(t, &r, tt.name)
		if tr.Pattern != m.Pattern || !slices.Equal(tr.Params, tt.params) {
			t.Errorf("Open(%q) set Pattern %q Params %+v", tt.name, tr.Pattern, tr.Params)
		}
		if got := readRest(t, &r, tr); got != tt.content {
			t.Errorf("read %q = %q, want %q", tt.name, got, tt.content)
		}
	}
}

func TestMatchReport(t *testing.T) {
	var r registry.Registry
	h := text("x")
	r.MustRegister(`a`, h)
	err, where := r.Register(`(?<rest>b.*)`, h), here()
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Match("bcd")
	if err != nil {
		t.Fatal(err)
	}
	want := []behaviour.Param{{Name: "rest", Value: "bcd"}}
	if m.Index != 1 || m.Pattern != `(?<rest>b.*)` || m.Where != where || m.Handler == nil || !slices.Equal(m.Params, want) {
		t.Errorf("Match = %+v", m)
	}

	m, err = r.Match("zzz-secret-name")
	if !errors.Is(err, registry.ErrNoRoute) || m.Index != -1 {
		t.Fatalf("Match of an unrouted name = %+v, %v; want index -1 and ErrNoRoute", m, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "2 routes") || strings.Contains(msg, "secret") {
		t.Errorf("no-route error %q should count the routes and not repeat the name", msg)
	}
}

// A pattern that backtracks exponentially must not hold the request (or the
// daemon) hostage: the request fails within about the match timeout,
// without falling through to the catch-all, without repeating the name, and
// the next request is served.
func TestMatchTimeout(t *testing.T) {
	r := registry.Registry{MatchTimeout: 200 * time.Millisecond}
	r.MustRegister(`(a+)+$`, text("redos"))
	r.MustRegister(`.*`, text("catch-all"))
	hostile := strings.Repeat("a", 34) + "!"

	start := time.Now()
	tr := newTransfer(t, behaviour.Read, hostile)
	err := r.Open(context.Background(), tr)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("Open of a hostile name succeeded (Pattern %q): the match fell through", tr.Pattern)
	}
	// regexp2 checks its clock every 100ms; allow for a loaded machine.
	if elapsed > 3*time.Second {
		t.Errorf("the match took %v, want about 200ms", elapsed)
	}
	checkTimeoutError(t, err, hostile)

	_, err = r.Match(hostile)
	checkTimeoutError(t, err, hostile)

	if got := read(t, &r, "next"); got != "catch-all" {
		t.Errorf("read after the timeout = %q, want the catch-all", got)
	}
}

func checkTimeoutError(t *testing.T, err error, name string) {
	t.Helper()
	var e *behaviour.Error
	if !errors.As(err, &e) || e.Code != behaviour.CodeUndefined || !errors.Is(err, registry.ErrMatchTimeout) {
		t.Fatalf("error %v (%T): want an undefined *behaviour.Error wrapping ErrMatchTimeout", err, err)
	}
	for _, text := range []string{err.Error(), e.Message, behaviour.PeerMessage(err)} {
		if strings.Contains(text, "aaaa") || strings.Contains(text, name) {
			t.Errorf("error text %q repeats the file name", text)
		}
	}
	if !strings.Contains(err.Error(), "(a+)+$") {
		t.Errorf("error %q should name the pattern for the log", err)
	}
}

func TestDefaultMatchTimeoutApplies(t *testing.T) {
	var r registry.Registry
	r.MustRegister(`(a+)+$`, text("redos"))
	start := time.Now()
	_, err := r.Match(strings.Repeat("a", 34) + "!")
	if !errors.Is(err, registry.ErrMatchTimeout) {
		t.Fatalf("Match = %v, want ErrMatchTimeout", err)
	}
	if elapsed := time.Since(start); elapsed < registry.DefaultMatchTimeout/2 || elapsed > 3*time.Second {
		t.Errorf("timed out after %v, want about %v", elapsed, registry.DefaultMatchTimeout)
	}
}
