package scp

import (
	"strings"
	"unicode/utf8"
)

// MaxName bounds a name in a record, as most file systems bound a path
// component.
const MaxName = 255

// ValidName reports whether name is a plain name that lands inside the
// target directory and cannot fool a terminal: not empty, ".", or "..", at
// most [MaxName] bytes of valid UTF-8, without '/', '\\' or control
// characters.
func ValidName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > MaxName || !utf8.ValidString(name) {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return r == '/' || r == '\\' || IsControl(r) })
}

// IsControl reports whether r is a control character: C0, DEL or C1. C1
// counts because terminals act on it too (0x9b starts a CSI sequence).
func IsControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// Printable keeps a peer's text from steering the terminal or log it is
// shown in (CVE-2019-6109): invalid UTF-8 and control characters become
// '?'.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// PrintableName is [Printable] cut to [MaxName] bytes, for echoing a name
// the peer sent in an error line.
func PrintableName(s string) string {
	if len(s) > MaxName {
		s = s[:MaxName]
	}
	return Printable(s)
}
