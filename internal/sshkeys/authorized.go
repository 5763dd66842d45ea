package sshkeys

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// maxAuthorizedFile bounds the size of an authorized_keys file.
const maxAuthorizedFile = 16 << 20

// Entry is one key of an authorized_keys file.
type Entry struct {
	Key     ssh.PublicKey
	Comment string
	// From holds the patterns of the from= option, empty when the key may
	// log in from anywhere. See [Entry.Allows].
	From []string
	// Line is the line number in the file, for logs.
	Line int
}

// harmless are the options filemux honours by construction: it never
// offers a terminal, forwarding, X11, agents or user rc files.
var harmless = map[string]bool{
	"restrict":            true,
	"no-pty":              true,
	"no-port-forwarding":  true,
	"no-agent-forwarding": true,
	"no-x11-forwarding":   true,
	"no-user-rc":          true,
}

// ParseAuthorized parses the content of an authorized_keys file. Blank
// lines and comments are skipped; any other line that does not parse, and
// any option filemux cannot honour (command=, environment=, permitopen=,
// cert-authority, principals=, expiry-time= and the like), is an error
// naming the line, so that no restriction is silently dropped. from= is
// kept in Entry.From and enforced by Allows.
func ParseAuthorized(data []byte) ([]Entry, error) {
	var entries []Entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		e, err := parseEntry(line)
		if err != nil {
			return nil, fmt.Errorf("sshkeys: authorized keys line %d: %w", n, err)
		}
		e.Line = n
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sshkeys: authorized keys: %w", err)
	}
	return entries, nil
}

func parseEntry(line []byte) (Entry, error) {
	key, comment, options, rest, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		return Entry{}, err
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return Entry{}, fmt.Errorf("trailing data")
	}
	e := Entry{Key: key, Comment: comment}
	for _, opt := range options {
		name, value, hasValue := strings.Cut(opt, "=")
		name = strings.ToLower(name)
		switch {
		case name == "from" && hasValue:
			from, err := parseFrom(value)
			if err != nil {
				return Entry{}, err
			}
			e.From = append(e.From, from...)
		case harmless[name] && !hasValue:
		default:
			return Entry{}, fmt.Errorf("option %q is not supported", name)
		}
	}
	return e, nil
}

func parseFrom(value string) ([]string, error) {
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return nil, fmt.Errorf("from= needs a quoted list of patterns")
	}
	var patterns []string
	for p := range strings.SplitSeq(value[1:len(value)-1], ",") {
		p = strings.TrimSpace(p)
		body := strings.TrimPrefix(p, "!")
		if body == "" {
			return nil, fmt.Errorf("from= holds an empty pattern")
		}
		if strings.Contains(body, "/") {
			if _, err := netip.ParsePrefix(body); err != nil {
				return nil, fmt.Errorf("from= pattern %q: %w", p, err)
			}
		}
		patterns = append(patterns, p)
	}
	return patterns, nil
}

// Allows reports whether the key may log in from addr: always when From is
// empty; otherwise, as OpenSSH does, when no negated pattern and at least
// one plain pattern matches. Patterns are addresses with the wildcards * and
// ?, or CIDR prefixes; host names never match, since filemux does no DNS.
func (e Entry) Allows(addr netip.Addr) bool {
	if len(e.From) == 0 {
		return true
	}
	addr = addr.Unmap()
	allowed := false
	for _, p := range e.From {
		body, negated := strings.CutPrefix(p, "!")
		if !matchAddr(body, addr) {
			continue
		}
		if negated {
			return false
		}
		allowed = true
	}
	return allowed
}

func matchAddr(pattern string, addr netip.Addr) bool {
	if strings.Contains(pattern, "/") {
		prefix, err := netip.ParsePrefix(pattern)
		return err == nil && prefix.Contains(addr)
	}
	return wildcard(strings.ToLower(pattern), addr.String())
}

// wildcard matches s against a pattern of literal characters, * (any run)
// and ? (one character), the pattern language of OpenSSH's match_pattern.
func wildcard(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcard(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
		}
		pattern, s = pattern[1:], s[1:]
	}
	return s == ""
}

// LoadAuthorized reads and parses an authorized_keys file; see ParseAuthorized.
func LoadAuthorized(path string) ([]Entry, error) {
	data, err := readBounded(path, maxAuthorizedFile)
	if err != nil {
		return nil, err
	}
	return ParseAuthorized(data)
}

// KeySet answers whether a public key is authorized, and from where.
// The zero value holds no key.
type KeySet struct {
	byKey map[string][]Entry
}

// NewKeySet returns a set of the given entries.
func NewKeySet(entries ...Entry) *KeySet {
	s := &KeySet{byKey: make(map[string][]Entry, len(entries))}
	s.Add(entries...)
	return s
}

// Add adds entries to the set. A key listed twice (with different from=
// restrictions) is allowed when either entry allows it.
func (s *KeySet) Add(entries ...Entry) {
	if s.byKey == nil {
		s.byKey = make(map[string][]Entry, len(entries))
	}
	for _, e := range entries {
		k := string(e.Key.Marshal())
		s.byKey[k] = append(s.byKey[k], e)
	}
}

// Len returns the number of distinct keys.
func (s *KeySet) Len() int { return len(s.byKey) }

// Allows reports whether key is in the set and may log in from addr. Keys
// compare by their wire encoding, so a certificate never matches the plain
// key it certifies.
func (s *KeySet) Allows(key ssh.PublicKey, addr netip.Addr) bool {
	for _, e := range s.byKey[string(key.Marshal())] {
		if e.Allows(addr) {
			return true
		}
	}
	return false
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("sshkeys: %s is larger than %d bytes", path, limit)
	}
	return data, nil
}
