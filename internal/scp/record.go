package scp

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// MaxSize refuses sizes no file has (1 PiB), which a hostile peer could
// announce to make the other side preallocate or wait forever.
const MaxSize = 1 << 50

// Kind is the first byte of a line from a source: a record or an error.
type Kind byte

// The kinds of line a source sends.
const (
	File    Kind = 'C' // a file: mode, size, name; its data follows
	Dir     Kind = 'D' // a directory entered (scp -r): mode, 0, name
	End     Kind = 'E' // the end of the directory entered last
	Times   Kind = 'T' // the times of the next file or directory (scp -p)
	Warning Kind = 1   // a warning about one file; the session goes on
	Fatal   Kind = 2   // an error that ends the session
)

// Record is one parsed line of a source.
type Record struct {
	Kind Kind
	// Mode holds the permission bits of a File or Dir; the setuid, setgid
	// and sticky bits a peer sends are dropped.
	Mode fs.FileMode
	// Size is the byte count of a File.
	Size int64
	// Name is the plain name of a File or Dir ([ValidName]).
	Name string
	// Mtime is the modification time of Times; the access time is checked
	// but not kept, since neither side applies it.
	Mtime time.Time
	// Message is the text of a Warning or Fatal line, as the peer sent it.
	Message string
}

// The refusals of a line or record. Their text reaches the peer after
// "scp: ", so it never holds anything the peer sent.
var (
	ErrProtocol = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error"}
	ErrLine     = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: record too long"}
	ErrMode     = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: bad mode"}
	ErrSize     = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: bad size"}
	ErrName     = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "protocol error: bad file name"}
	ErrTimes    = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: bad times"}
)

// Parse validates one line from a source, without its newline. It refuses
// an empty line, an unknown kind and an E with anything after it with
// [ErrProtocol], and bad fields with [ErrMode], [ErrSize], [ErrName] or
// [ErrTimes].
func Parse(line string) (Record, error) {
	if line == "" {
		return Record{}, ErrProtocol
	}
	rec := Record{Kind: Kind(line[0])}
	body := line[1:]
	switch rec.Kind {
	case File, Dir:
		return rec, rec.parseEntry(body)
	case End:
		if body != "" {
			return rec, ErrProtocol
		}
		return rec, nil
	case Times:
		return rec, rec.parseTimes(body)
	case Warning, Fatal:
		rec.Message = body
		return rec, nil
	}
	return rec, ErrProtocol
}

// parseEntry parses "MODE SIZE NAME".
func (rec *Record) parseEntry(body string) error {
	modeText, rest, ok := strings.Cut(body, " ")
	mode, valid := parseMode(modeText)
	if !ok || !valid {
		return ErrMode
	}
	sizeText, name, ok := strings.Cut(rest, " ")
	size, valid := parseDecimal(sizeText)
	if !ok || !valid || size > MaxSize {
		return ErrSize
	}
	if !ValidName(name) {
		return ErrName
	}
	rec.Mode, rec.Size, rec.Name = mode, size, name
	return nil
}

// parseMode parses three or four octal digits within 07777.
func parseMode(s string) (fs.FileMode, bool) {
	if len(s) < 3 || len(s) > 4 {
		return 0, false
	}
	mode, err := strconv.ParseUint(s, 8, 32)
	if err != nil || mode > 0o7777 {
		return 0, false
	}
	return fs.FileMode(mode) & fs.ModePerm, true
}

// parseTimes parses "MTIME 0 ATIME 0" (seconds and microseconds).
func (rec *Record) parseTimes(body string) error {
	f := strings.Fields(body)
	if len(f) != 4 {
		return ErrTimes
	}
	var v [4]int64
	for i, s := range f {
		n, ok := parseDecimal(s)
		if !ok || (i%2 == 1 && n > 999999) {
			return ErrTimes
		}
		v[i] = n
	}
	rec.Mtime = time.Unix(v[0], v[1]*1000)
	return nil
}

// parseDecimal parses 1 to 18 decimal digits, which always fit an int64:
// no sign, no spaces, no other base.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v, true
}

// Line formats a File, Dir, End or Times record with its newline. A File
// or Dir without permission bits is sent as 0644 or 0755, since a record
// with mode 0 makes a file its owner cannot read. Times sends Mtime as
// both times, and the epoch for times before it.
func (rec Record) Line() string {
	switch rec.Kind {
	case File:
		return fmt.Sprintf("C%04o %d %s\n", perm(rec.Mode, 0o644), rec.Size, rec.Name)
	case Dir:
		return fmt.Sprintf("D%04o 0 %s\n", perm(rec.Mode, 0o755), rec.Name)
	case Times:
		s := max(rec.Mtime.Unix(), 0)
		return fmt.Sprintf("T%d 0 %d 0\n", s, s)
	}
	return "E\n"
}

func perm(mode, otherwise fs.FileMode) fs.FileMode {
	if p := mode.Perm(); p != 0 {
		return p
	}
	return otherwise
}
