package daemon

import (
	"errors"
	"path"
	"strings"
)

// scpCommand is a parsed legacy scp command line.
type scpCommand struct {
	sink      bool // -t: the client uploads
	source    bool // -f: the client downloads
	recursive bool // -r
	preserve  bool // -p
	targetDir bool // -d: the target must be a directory
	paths     []string
}

// scpArgFlags are the scp options that take an argument: the client side
// ones, which a client might pass on; their argument is skipped.
const scpArgFlags = "lcDFiJoPS"

var (
	errSCPNotSCP    = errors.New("daemon: not an scp command")
	errSCPQuote     = errors.New("daemon: unterminated quote in the scp command")
	errSCPDirection = errors.New("daemon: scp command needs exactly one of -t and -f")
	errSCPOperands  = errors.New("daemon: scp command has the wrong number of paths")
)

// parseSCPCommand parses the command of an exec request the way a shell
// would split it, without running one: OpenSSH's `scp -v -r -p -d -t --
// PATH`, libssh2's `scp -pf 'PATH'`, go-scp's `scp -qt "PATH"`, SSH.NET's
// `scp -t -d DIR`. Flags may be combined; unknown flags are ignored; the
// first operand (or "--") ends the options. -t takes one path, -f one or
// more.
func parseSCPCommand(line string) (scpCommand, error) {
	words, err := scpWords(line)
	if err != nil {
		return scpCommand{}, err
	}
	if len(words) == 0 || path.Base(words[0]) != "scp" {
		return scpCommand{}, errSCPNotSCP
	}
	var cmd scpCommand
	i := 1
	for ; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			i++
			break
		}
		if len(w) < 2 || w[0] != '-' {
			break
		}
		if cmd.flags(w[1:]) && i+1 < len(words) {
			i++ // the argument of a flag such as -l
		}
	}
	cmd.paths = words[i:]
	return cmd, cmd.check()
}

// flags applies one group of flags and reports whether its last flag takes
// the next word as argument.
func (c *scpCommand) flags(group string) (wantsArg bool) {
	for j := 0; j < len(group); j++ {
		switch group[j] {
		case 't':
			c.sink = true
		case 'f':
			c.source = true
		case 'r':
			c.recursive = true
		case 'p':
			c.preserve = true
		case 'd':
			c.targetDir = true
		default:
			if strings.IndexByte(scpArgFlags, group[j]) >= 0 {
				return j == len(group)-1 // else the rest of the group is the argument
			}
		}
	}
	return false
}

func (c *scpCommand) check() error {
	switch {
	case c.sink == c.source:
		return errSCPDirection
	case c.sink && len(c.paths) != 1, len(c.paths) == 0:
		return errSCPOperands
	}
	for _, p := range c.paths {
		if p == "" {
			return errSCPOperands
		}
	}
	return nil
}

// scpWords splits a command line into words as a POSIX shell does,
// quotes and backslashes included, and nothing else: no variables, globs or
// command substitution, so that nothing in a path is ever executed.
func scpWords(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
			continue
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errSCPQuote
			}
			w.WriteString(line[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			n, err := scpDoubleQuoted(line[i+1:], &w)
			if err != nil {
				return nil, err
			}
			i += n + 1
		case c == '\\' && i+1 < len(line):
			i++
			if line[i] != '\n' {
				w.WriteByte(line[i])
			}
		default:
			w.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// scpDoubleQuoted copies the inside of a double-quoted string (s starts
// after the opening quote) to w and returns the index of the closing quote.
// A backslash escapes only $, `, ", \ and newline, as in a shell.
func scpDoubleQuoted(s string, w *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i, nil
		case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
			i++
			if s[i] != '\n' {
				w.WriteByte(s[i])
			}
		default:
			w.WriteByte(c)
		}
	}
	return 0, errSCPQuote
}
