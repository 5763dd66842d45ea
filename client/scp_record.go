package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/scp"
)

// scpRemoteError is a warning (\x01) or fatal error (\x02) line the server
// sent, or what it wrote on stderr when it ended without a word. Its class
// comes from the words OpenSSH's scp and filemux's daemon use.
type scpRemoteError struct {
	msg string
}

func (e *scpRemoteError) Error() string { return "server said: " + strconv.Quote(e.msg) }

// Unwrap returns the behaviour sentinel the message names (see
// [messageClass]), or nil. SCP carries no codes, only words.
func (e *scpRemoteError) Unwrap() error {
	if c := messageClass(e.msg); c != nil {
		return c
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

// readLine reads one line from the server, without its newline. The end
// of input before the line is io.EOF, which the session turns into what
// the server's stderr says (see explain): a client that waits for a line
// has never reached a clean end.
func readLine(r *bufio.Reader) (string, error) {
	line, err := scp.ReadLine(r)
	return line, lineError(err)
}

// readAck reads the server's answer: nil for \0, an *scpRemoteError for a
// warning or a fatal error, io.EOF when the server ended before it.
func readAck(r *bufio.Reader) error {
	err := scp.ReadAck(r)
	var reply *scp.Reply
	switch {
	case errors.As(err, &reply):
		return &scpRemoteError{msg: printable(reply.Text)}
	case err == scp.ErrProtocol:
		return scpProtocol("an answer that is none of \\0, \\1 and \\2")
	}
	return lineError(err)
}

// lineError says what was wrong with a line the codec refused.
func lineError(err error) error {
	switch {
	case err == scp.ErrLine:
		return scpProtocol("line longer than %d bytes", scp.MaxLine)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return scpProtocol("the server ended in the middle of a line")
	}
	return err
}

// checkName checks that the name of a C record is want, the base name
// asked for: a server must not choose where the data lands
// (CVE-2019-6111).
func checkName(rec scp.Record, want string) (scp.Record, error) {
	if rec.Name != want {
		return scp.Record{}, scpProtocol("the server sent the file name %q, not the %q asked for", printable(rec.Name), want)
	}
	return rec, nil
}

// recordError says what the client refuses in a record the codec refused.
func recordError(line string, err error) error {
	if err == scp.ErrName {
		return scpProtocol("the server sent the record %q, whose file name is not a plain name", printable(line))
	}
	msg := strings.TrimPrefix(behaviour.PeerMessage(err), "protocol error: ")
	return scpProtocol("the server sent the record %q: %s", printable(line), msg)
}

func printable(s string) string { return scp.Printable(s) }

// scpCommand is the remote command: scp -f (download) or -t (upload) with
// the path quoted for a POSIX shell, so that nothing in it is expanded or
// run. A path starting with '-' follows "--", as OpenSSH does.
func scpCommand(op behaviour.Access, remote string) string {
	flag := "-t"
	if op == behaviour.Read {
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
	case strings.ContainsFunc(remote, scp.IsControl):
		return errors.New("client: control characters in the remote path")
	case strings.HasSuffix(remote, "/") || !scp.ValidName(baseName(remote)):
		return fmt.Errorf("client: %q names no file", remote)
	}
	return nil
}

// baseName is the last element of a remote path, the name the C record
// carries.
func baseName(remote string) string {
	return remote[strings.LastIndexByte(remote, '/')+1:]
}
