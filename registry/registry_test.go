package registry_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/registry"
)

// patternError asserts that err is a *registry.PatternError for pattern,
// made at where, whose reason is reason (when not nil).
func patternError(t *testing.T, err error, pattern, where string, reason error) {
	t.Helper()
	var pe *registry.PatternError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *PatternError", err, err)
	}
	if pe.Pattern != pattern || pe.Where != where {
		t.Errorf("PatternError{Pattern: %q, Where: %q}, want %q at %q", pe.Pattern, pe.Where, pattern, where)
	}
	if reason != nil && !errors.Is(err, reason) {
		t.Errorf("error %v is not %v", err, reason)
	}
	if msg := err.Error(); !strings.Contains(msg, where) || !strings.Contains(msg, pattern) {
		t.Errorf("error %q does not name the pattern %q and the place %q", msg, pattern, where)
	}
}

func TestRegisterRefuses(t *testing.T) {
	h := behaviour.Bytes(nil)
	tests := []struct {
		name, pattern string
		h             behaviour.Handler
		reason        error
	}{
		{"empty", "", h, registry.ErrEmptyPattern},
		{"nil handler", "x", nil, registry.ErrNilHandler},
		{"syntax", "a(b", h, nil},
		{"escapes the anchors", "a)|(b", h, nil},
		{"trailing (?x) comment", "(?x)a # comment", h, registry.ErrAnchor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r registry.Registry
			err, where := r.Register(tt.pattern, tt.h), here()
			patternError(t, err, tt.pattern, where, tt.reason)
			if n := len(r.Routes()); n != 0 {
				t.Errorf("%d routes after a refused registration", n)
			}
		})
	}
}

func TestRegisterRefusesDuplicate(t *testing.T) {
	var r registry.Registry
	err, first := r.Register("a", behaviour.Bytes(nil)), here()
	if err != nil {
		t.Fatal(err)
	}
	err, where := r.Register("a", behaviour.Bytes(nil)), here()
	patternError(t, err, "a", where, registry.ErrDuplicate)
	if !strings.Contains(err.Error(), first) {
		t.Errorf("error %q does not name the first registration %s", err, first)
	}
	err, where = r.Insert(0, "a", behaviour.Bytes(nil)), here()
	patternError(t, err, "a", where, registry.ErrDuplicate)
}

func TestMustRegisterPanics(t *testing.T) {
	var r registry.Registry
	before := here()
	defer func() {
		err, _ := recover().(error)
		patternError(t, err, "(", shift(before, 5), nil)
	}()
	r.MustRegister("(", behaviour.Bytes(nil))
}

func TestRegisterRecordsWhere(t *testing.T) {
	var r registry.Registry
	r.MustRegister("b", behaviour.Bytes(nil))
	first := here()
	err, second := r.Insert(0, "a", behaviour.Bytes(nil)), here()
	if err != nil {
		t.Fatal(err)
	}
	routes := r.Routes()
	if len(routes) != 2 || routes[0].Pattern != "a" || routes[1].Pattern != "b" {
		t.Fatalf("routes %+v, want a then b", routes)
	}
	if routes[0].Where != second {
		t.Errorf("Where %q, want %q", routes[0].Where, second)
	}
	// MustRegister ran on the line before here().
	if want := shift(first, -1); routes[1].Where != want {
		t.Errorf("Where %q, want %q", routes[1].Where, want)
	}
}

// shift turns "file:N" into "file:N+d".
func shift(where string, d int) string {
	i := strings.LastIndexByte(where, ':')
	n, _ := strconv.Atoi(where[i+1:])
	return where[:i+1] + strconv.Itoa(n+d)
}

func TestInsertRefusesBadIndex(t *testing.T) {
	var r registry.Registry
	r.MustRegister("a", behaviour.Bytes(nil))
	for _, i := range []int{-1, 2, 100} {
		err, where := r.Insert(i, "b", behaviour.Bytes(nil)), here()
		patternError(t, err, "b", where, registry.ErrIndex)
	}
	if err := r.Insert(1, "b", behaviour.Bytes(nil)); err != nil {
		t.Errorf("Insert at the end: %v", err)
	}
}

func TestReplaceAndUnregisterUnknown(t *testing.T) {
	var r registry.Registry
	r.MustRegister("a", behaviour.Bytes(nil))
	err, where := r.Replace("b", behaviour.Bytes(nil)), here()
	patternError(t, err, "b", where, registry.ErrUnknownPattern)
	err, where = r.Unregister("b"), here()
	patternError(t, err, "b", where, registry.ErrUnknownPattern)
	err, where = r.Replace("a", nil), here()
	patternError(t, err, "a", where, registry.ErrNilHandler)
	if got := r.Routes(); len(got) != 1 || got[0].Pattern != "a" {
		t.Errorf("routes %+v after refused changes, want only a", got)
	}
}

func TestReplaceKeepsPlace(t *testing.T) {
	var r registry.Registry
	r.MustRegister("a", text("old a"))
	r.MustRegister("[a-z]", text("catch-all"))
	if err := r.Replace("a", text("new a")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, &r, "a"); got != "new a" {
		t.Errorf("read a = %q, want the replacement", got)
	}
	if err := r.Unregister("a"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, &r, "a"); got != "catch-all" {
		t.Errorf("read a after Unregister = %q, want the catch-all", got)
	}
}

func TestRegisterRefusesCycles(t *testing.T) {
	var a, b, c registry.Registry
	err, where := a.Register("x", &a), here()
	patternError(t, err, "x", where, registry.ErrCycle)

	b.MustRegister("y", &a)
	c.MustRegister("z", wrap(&b))
	err, where = a.Register("x", &c), here()
	patternError(t, err, "x", where, registry.ErrCycle)
	err, where = a.Register("x", wrap(wrap(&c))), here()
	patternError(t, err, "x", where, registry.ErrCycle)

	// Sharing one registry between two routes is no cycle.
	var shared registry.Registry
	a.MustRegister("p", &shared)
	a.MustRegister("q", wrap(&shared))
}

func TestSetRoutes(t *testing.T) {
	var r registry.Registry
	r.MustRegister("old", text("old"))
	before := here()
	err := r.SetRoutes([]registry.Route{
		{Pattern: "a", Handler: text("a"), Where: "routes.yaml:3"},
		{Pattern: ".*", Handler: text("any")},
	})
	if err != nil {
		t.Fatal(err)
	}
	routes := r.Routes()
	if where := shift(before, 1); len(routes) != 2 || routes[0].Where != "routes.yaml:3" || routes[1].Where != where {
		t.Fatalf("routes %+v, want a from routes.yaml:3 then .* from %s", routes, where)
	}
	if got := read(t, &r, "old"); got != "any" {
		t.Errorf("read old = %q, want the new catch-all", got)
	}

	err = r.SetRoutes([]registry.Route{
		{Pattern: "b", Handler: text("b")},
		{Pattern: "c", Handler: nil, Where: "routes.yaml:9"},
	})
	patternError(t, err, "c", "routes.yaml:9", registry.ErrNilHandler)
	err = r.SetRoutes([]registry.Route{
		{Pattern: "b", Handler: text("b"), Where: "routes.yaml:1"},
		{Pattern: "b", Handler: text("b"), Where: "routes.yaml:2"},
	})
	patternError(t, err, "b", "routes.yaml:2", registry.ErrDuplicate)
	if got := r.Routes(); len(got) != 2 || got[0].Pattern != "a" {
		t.Errorf("routes %+v after refused SetRoutes, want them unchanged", got)
	}
}

func TestRoutesIsACopy(t *testing.T) {
	var r registry.Registry
	r.MustRegister("a", text("a"))
	routes := r.Routes()
	routes[0].Pattern = "b"
	if got := r.Routes()[0].Pattern; got != "a" {
		t.Errorf("changing the result of Routes changed the registry: %q", got)
	}
}
