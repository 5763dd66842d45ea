package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scpMaxLine bounds a record or message line from the server: a mode, a
// size and a name of at most 255 bytes fit with room to spare.
const scpMaxLine = 1024

// scpMaxSize refuses sizes no file has (1 PiB), which a hostile server
// could announce to make a client preallocate or wait forever.
const scpMaxSize = 1 << 50

// scpFile is the C record of a file: its permission bits, size and name.
type scpFile struct {
	mode fs.FileMode
	size int64
	name string
}

// scpRemoteError is a warning (\x01) or fatal error (\x02) line the server
// sent, or what it wrote on stderr when it ended without a word. Its class
// comes from the words OpenSSH's scp and filemux's daemon use.
type scpRemoteError struct {
	msg string
}

func (e *scpRemoteError) Error() string { return "server said: " + strconv.Quote(e.msg) }

// Unwrap returns fs.ErrNotExist or fs.ErrPermission when the message says
// so, which [classify] turns into ErrNotFound or ErrPermission. SCP carries
// no codes: the words are strerror's (OpenSSH, Cisco IOS) and filemux's
// daemon's.
func (e *scpRemoteError) Unwrap() error {
	msg := strings.ToLower(e.msg)
	switch {
	case strings.Contains(msg, "no such file or directory"):
		return fs.ErrNotExist
	case containsAny(msg, "permission denied", "operation not permitted", "access violation", "read-only"):
		return fs.ErrPermission
	}
	return nil
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// scpProtocol is a refusal of what the server sent.
func scpProtocol(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, a...))
}

// readLine reads one line of at most scpMaxLine bytes, without its
// newline. A server that ends before a newline has cut the stream.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for b.Len() <= scpMaxLine {
		c, err := r.ReadByte()
		switch {
		case err == io.EOF:
			return "", scpProtocol("the server ended in the middle of a line")
		case err != nil:
			return "", err
		case c == '\n':
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", scpProtocol("line longer than %d bytes", scpMaxLine)
}

// readAck reads the server's answer: nil for \0, an *scpRemoteError for a
// warning or a fatal error.
func readAck(r *bufio.Reader) error {
	c, err := r.ReadByte()
	if err != nil {
		return err
	}
	switch c {
	case 0:
		return nil
	case 1, 2:
		line, err := readLine(r)
		if err != nil {
			return err
		}
		return &scpRemoteError{msg: printable(line)}
	}
	return scpProtocol("answer %q is none of \\0, \\1 and \\2", c)
}

// parseFile parses the body of a C record, "MODE SIZE NAME", and checks
// that NAME is want, the base name asked for: a server must not choose
// where the data lands (CVE-2019-6111).
func parseFile(body, want string) (scpFile, error) {
	modeText, rest, ok := strings.Cut(body, " ")
	mode, err := strconv.ParseUint(modeText, 8, 32)
	if !ok || len(modeText) < 3 || len(modeText) > 4 || err != nil || mode > 0o7777 {
		return scpFile{}, scpProtocol("bad mode in the file record")
	}
	sizeText, name, ok := strings.Cut(rest, " ")
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if !ok || err != nil || sizeText == "" || sizeText[0] < '0' || sizeText[0] > '9' || size > scpMaxSize {
		return scpFile{}, scpProtocol("bad size in the file record")
	}
	if !validName(name) {
		return scpFile{}, scpProtocol("the server sent the file name %q, which is not a plain name", printable(name))
	}
	if name != want {
		return scpFile{}, scpProtocol("the server sent the file name %q, not the %q asked for", printable(name), want)
	}
	return scpFile{mode: fs.FileMode(mode) & fs.ModePerm, size: size, name: name}, nil
}

// validName refuses names that would reach outside the target or fool a
// terminal: separators, ".", "..", empty names, control characters.
func validName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 255 || !utf8.ValidString(name) {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return r == '/' || r == '\\' || isControl(r) })
}

// checkTimes validates the body of a T record, "MTIME 0 ATIME 0". The
// times are not applied: a download gets the time it arrived, as without
// scp -p.
func checkTimes(body string) error {
	f := strings.Fields(body)
	if len(f) != 4 {
		return scpProtocol("bad times record")
	}
	for i, s := range f {
		n, err := strconv.ParseUint(s, 10, 63)
		if err != nil || i%2 == 1 && n > 999999 {
			return scpProtocol("bad times record")
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// printable keeps a server's text from steering the terminal it is printed
// on (CVE-2019-6109): control characters become '?'.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '?'
		}
		return r
	}, s)
}

// scpCommand is the remote command: scp -f (download) or -t (upload) with
// the path quoted for a POSIX shell, so that nothing in it is expanded or
// run. A path starting with '-' follows "--", as OpenSSH does.
func scpCommand(op Op, remote string) string {
	flag := "-t"
	if op == OpRead {
		flag = "-f"
	}
	sep := ""
	if strings.HasPrefix(remote, "-") {
		sep = "-- "
	}
	return "scp " + flag + " " + sep + "'" + strings.ReplaceAll(remote, "'", `'\''`) + "'"
}

// checkRemote refuses remote paths no scp can name: empty ones, control
// characters (a newline would end the command on devices without a
// shell), and paths without a base name.
func checkRemote(remote string) error {
	switch {
	case remote == "":
		return errors.New("client: empty remote path")
	case strings.ContainsFunc(remote, isControl):
		return errors.New("client: control characters in the remote path")
	case strings.HasSuffix(remote, "/") || !validName(baseName(remote)):
		return fmt.Errorf("client: %q names no file", remote)
	}
	return nil
}

// baseName is the last element of a remote path, the name the C record
// carries.
func baseName(remote string) string {
	return remote[strings.LastIndexByte(remote, '/')+1:]
}
