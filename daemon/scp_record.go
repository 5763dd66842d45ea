package daemon

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/filemux/filemux/behaviour"
)

// scpMaxLine bounds a record line: a mode, a size and a name of at most
// 255 bytes fit with room to spare.
const scpMaxLine = 1024

// scpRecord is one control record of the SCP protocol.
type scpRecord struct {
	kind  byte        // 'C' file, 'D' directory, 'E' end of directory, 'T' times, 1 warning, 2 fatal
	mode  fs.FileMode // C, D
	size  int64       // C
	name  string      // C, D; the message of 1 and 2
	mtime time.Time   // T
}

// The errors of the SCP protocol. Their text reaches the client after
// "scp: ", so it never holds anything but what the client sent.
var (
	errSCPProtocol = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error"}
	errSCPLine     = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: record too long"}
	errSCPMode     = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: bad mode"}
	errSCPSize     = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: bad size"}
	errSCPName     = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "protocol error: bad file name"}
	errSCPTimes    = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: bad times"}
	errSCPDepth    = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: directories nested too deep"}
)

// readSCPLine reads one line of at most scpMaxLine bytes, without its
// newline. io.EOF means the client ended cleanly before a new line.
func readSCPLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for b.Len() <= scpMaxLine {
		c, err := r.ReadByte()
		switch {
		case err == io.EOF && b.Len() > 0:
			return "", io.ErrUnexpectedEOF
		case err != nil:
			return "", err
		case c == '\n':
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", errSCPLine
}

// parseSCPRecord validates one line from a source.
func parseSCPRecord(line string) (scpRecord, error) {
	if line == "" {
		return scpRecord{}, errSCPProtocol
	}
	rec := scpRecord{kind: line[0]}
	body := line[1:]
	switch rec.kind {
	case 'C', 'D':
		return rec, rec.parseEntry(body)
	case 'E':
		if body != "" {
			return rec, errSCPProtocol
		}
		return rec, nil
	case 'T':
		return rec, rec.parseTimes(body)
	case 1, 2:
		rec.name = body
		return rec, nil
	}
	return rec, errSCPProtocol
}

// parseEntry parses "MODE SIZE NAME" (the mode in three or four octal
// digits, within 07777).
func (rec *scpRecord) parseEntry(body string) error {
	modeText, rest, ok := strings.Cut(body, " ")
	if !ok || len(modeText) < 3 || len(modeText) > 4 {
		return errSCPMode
	}
	mode, err := strconv.ParseUint(modeText, 8, 32)
	if err != nil || mode > 0o7777 {
		return errSCPMode
	}
	sizeText, name, ok := strings.Cut(rest, " ")
	size, valid := behaviour.ParseDecimal(sizeText)
	if !ok || !valid {
		return errSCPSize
	}
	if !scpValidName(name) {
		return errSCPName
	}
	rec.mode, rec.size, rec.name = fs.FileMode(mode)&fs.ModePerm, size, name
	return nil
}

// scpValidName refuses what would reach outside the target directory or
// confuse a client: separators, ".", "..", empty names, control characters
// (CVE-2018-20685, CVE-2019-6111).
func scpValidName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 255 || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// parseTimes parses "MTIME 0 ATIME 0" (seconds and microseconds).
func (rec *scpRecord) parseTimes(body string) error {
	f := strings.Fields(body)
	if len(f) != 4 {
		return errSCPTimes
	}
	var v [4]int64
	for i, s := range f {
		n, ok := behaviour.ParseDecimal(s)
		if !ok || (i%2 == 1 && n > 999999) {
			return errSCPTimes
		}
		v[i] = n
	}
	rec.mtime = time.Unix(v[0], v[1]*1000)
	return nil
}

// scpFileLine formats the C record of a download.
func scpFileLine(mode fs.FileMode, size int64, name string) string {
	return fmt.Sprintf("C%04o %d %s\n", scpMode(mode), size, name)
}

// scpDirLine formats the D record of a download.
func scpDirLine(mode fs.FileMode, name string) string {
	return fmt.Sprintf("D%04o 0 %s\n", scpMode(mode), name)
}

// scpTimesLine formats the T record -p asks for.
func scpTimesLine(mtime time.Time) string {
	s := max(mtime.Unix(), 0)
	return fmt.Sprintf("T%d 0 %d 0\n", s, s)
}

// scpMode returns the permission bits to send: a virtual file without any
// gets 0644, a directory 0755.
func scpMode(mode fs.FileMode) uint32 {
	perm := uint32(mode.Perm())
	switch {
	case perm != 0:
		return perm
	case mode.IsDir():
		return 0o755
	}
	return 0o644
}
