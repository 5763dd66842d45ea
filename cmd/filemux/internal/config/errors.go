package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem of a configuration file: where it is, which key,
// and what is wrong.
type Error struct {
	// File is the path of the configuration file.
	File string
	// Line and Column locate the key (or the value) at fault; 0 when the
	// problem is the file as a whole.
	Line, Column int
	// Key is the path of the key, such as routes[2].dir.root.
	Key string
	// Msg says what is wrong.
	Msg string
}

// Error returns "file:line:column: key: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	return b.String() + ": " + e.Msg
}

// Errors are all the problems found in a configuration file, in the order
// of the file.
type Errors []*Error

// Error returns one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted returns es in file order, or nil when empty.
func (es Errors) sorted() error {
	if len(es) == 0 {
		return nil
	}
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return es
}

// pos is a place in the file.
type pos struct{ line, column int }

// positions maps key paths (routes[2].dir.root) to where their key, or
// for list items their value, starts.
type positions map[string]pos

// report collects the errors of one file.
type report struct {
	file string
	pos  positions
	errs Errors
	// bad holds the keys whose values did not decode: later checks stay
	// quiet about them and their children, which hold no real value.
	bad map[string]bool
}

// settle marks the keys reported so far as bad.
func (r *report) settle() {
	r.bad = map[string]bool{}
	for _, e := range r.errs {
		r.bad[e.Key] = true
	}
}

func (r *report) isBad(path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if r.bad[p] {
			return true
		}
	}
	return false
}

// at reports a problem with the key at path; a path missing from the file
// (a required key left out) is reported at its nearest present parent.
func (r *report) at(path, format string, args ...any) {
	r.atPos(r.locate(path), path, format, args...)
}

// atPos reports a problem with the key at path, found at p.
func (r *report) atPos(p pos, path, format string, args ...any) {
	if r.isBad(path) {
		return
	}
	r.errs = append(r.errs, &Error{File: r.file, Line: p.line, Column: p.column, Key: path, Msg: fmt.Sprintf(format, args...)})
}

func (r *report) locate(path string) pos {
	for p := path; p != ""; p = parentPath(p) {
		if at, ok := r.pos[p]; ok {
			return at
		}
	}
	return r.pos[""]
}

// where returns "file:line" of path, as registry routes record it.
func (r *report) where(path string) string {
	return fmt.Sprintf("%s:%d", r.file, r.locate(path).line)
}

// parentPath drops the last element of a key path: routes[2].dir.root
// becomes routes[2].dir, routes[2] becomes routes.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }
