package behaviour

import (
	"strings"
	"unicode/utf8"
)

// DefaultMaxNameLen is the longest file name CleanName accepts, in bytes.
const DefaultMaxNameLen = 4096

const (
	maxComponentLen = 255 // NAME_MAX
	maxDepth        = 256
)

// ErrBadName is the error of a file name CleanName refuses: an access
// violation whose text never repeats the name.
var ErrBadName = &Error{Code: CodeAccessViolation, Message: "illegal file name"}

// NamePolicy holds the limits of CleanName. The zero value is the default.
type NamePolicy struct {
	// MaxLen is the longest name accepted, in bytes; 0 means DefaultMaxNameLen.
	MaxLen int
}

// CleanName normalises a requested file name with the default policy; see
// [NamePolicy.Clean].
func CleanName(name string) (string, error) { return NamePolicy{}.Clean(name) }

// Clean normalises a requested file name once, before dispatch and before
// any permission check, into a relative, slash-separated name that satisfies
// fs.ValidPath: backslashes become slashes, leading, trailing and repeated
// slashes and "." components go, and the empty result is ".".
//
// It refuses, with ErrBadName, names that are empty or longer than the limit;
// that hold NUL or other control characters or invalid UTF-8; that have a ".."
// component or a component longer than 255 bytes; and the names Windows
// would read differently: drive letters ("C:"), device paths ("\\?\",
// "\\.\"), reserved device names ("CON", "nul.txt", "COM1") and components
// ending in a dot or a space ("...", "x. ").
func (p NamePolicy) Clean(name string) (string, error) {
	limit := p.MaxLen
	if limit <= 0 {
		limit = DefaultMaxNameLen
	}
	if name == "" || len(name) > limit || !utf8.ValidString(name) {
		return "", ErrBadName
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return "", ErrBadName
		}
	}
	slashed := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(slashed, "//?/") || strings.HasPrefix(slashed, "//./") {
		return "", ErrBadName
	}
	parts := make([]string, 0, strings.Count(slashed, "/")+1)
	for part := range strings.SplitSeq(slashed, "/") {
		switch {
		case part == "" || part == ".":
			continue
		case !validComponent(part, len(parts) == 0):
			return "", ErrBadName
		}
		parts = append(parts, part)
	}
	if len(parts) > maxDepth {
		return "", ErrBadName
	}
	if len(parts) == 0 {
		return ".", nil
	}
	return strings.Join(parts, "/"), nil
}

func validComponent(part string, first bool) bool {
	if len(part) > maxComponentLen || part == ".." {
		return false
	}
	if last := part[len(part)-1]; last == '.' || last == ' ' {
		return false
	}
	if first && len(part) >= 2 && part[1] == ':' && isASCIILetter(part[0]) {
		return false
	}
	return !reservedDevice(part)
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// reservedDevice reports names Windows maps to devices whatever their
// extension: CON, PRN, AUX, NUL, COM0-9, LPT0-9 (and the superscript digits).
func reservedDevice(part string) bool {
	base, _, _ := strings.Cut(part, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) < 4 || (base[:3] != "COM" && base[:3] != "LPT") {
		return false
	}
	suffix := base[3:]
	return (len(suffix) == 1 && suffix[0] >= '0' && suffix[0] <= '9') ||
		suffix == "¹" || suffix == "²" || suffix == "³"
}
