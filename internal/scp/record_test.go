package scp

import (
	"bufio"
	"io"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	for line, want := range map[string]Record{
		"C0644 1234 running-config":  {Kind: File, Mode: 0o644, Size: 1234, Name: "running-config"},
		"C644 0 a b":                 {Kind: File, Mode: 0o644, Size: 0, Name: "a b"},
		"C7777 5 x":                  {Kind: File, Mode: 0o777, Size: 5, Name: "x"},
		"D0755 0 dir":                {Kind: Dir, Mode: 0o755, Name: "dir"},
		"E":                          {Kind: End},
		"T1700000000 0 1700000001 0": {Kind: Times, Mtime: time.Unix(1700000000, 0)},
		"\x01scp: x: warning":        {Kind: Warning, Message: "scp: x: warning"},
		"\x02scp: fatal":             {Kind: Fatal, Message: "scp: fatal"},
	} {
		got, err := Parse(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", line, got, err, want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for line, want := range map[string]error{
		"":                            ErrProtocol,
		"X0644 1 a":                   ErrProtocol,
		"E extra":                     ErrProtocol,
		"C0644 1 ../etc/passwd":       ErrName,
		"C0644 1 ..":                  ErrName,
		"C0644 1 .":                   ErrName,
		"C0644 1 ":                    ErrName,
		"C0644 1 a/b":                 ErrName,
		"C0644 1 a\\b":                ErrName,
		"C0644 1 a\x1b[2Jb":           ErrName,
		"C0644 1 a\u009b2Jb":          ErrName,
		"C0644 1 a\u0085b":            ErrName,
		"C0644 1 \xff":                ErrName,
		"C10644 1 a":                  ErrMode,
		"C0844 1 a":                   ErrMode,
		"C64 1 a":                     ErrMode,
		"C+644 1 a":                   ErrMode,
		"C0644":                       ErrMode,
		"C0644 -1 a":                  ErrSize,
		"C0644 +1 a":                  ErrSize,
		"C0644 1e3 a":                 ErrSize,
		"C0644 9999999999999999999 a": ErrSize,
		"C0644 1125899906842625 a":    ErrSize, // MaxSize+1
		"C0644 12":                    ErrSize,
		"T1 0 1":                      ErrTimes,
		"T1 1000000 1 0":              ErrTimes,
		"T-1 0 1 0":                   ErrTimes,
	} {
		if _, err := Parse(line); err != want {
			t.Errorf("Parse(%q) = %v, want %v", line, err, want)
		}
	}
	if rec, err := Parse("C0644 1125899906842624 a"); err != nil || rec.Size != MaxSize {
		t.Errorf("a size of MaxSize: %+v, %v", rec, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"C0644 12 name", "D0755 0 d", "E", "T1 0 2 0", "\x01scp: w", "C0644 1 a\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		// Through the line reader as a peer would send it.
		got, err := ReadLine(bufio.NewReader(strings.NewReader(line + "\n")))
		if err != nil {
			if first, _, _ := strings.Cut(line, "\n"); len(first) <= MaxLine {
				t.Fatalf("ReadLine(%q): %v", line, err)
			}
			return
		}
		if !strings.HasPrefix(line, got) || strings.Contains(got, "\n") {
			t.Fatalf("ReadLine(%q) = %q", line, got)
		}
		rec, err := Parse(got)
		if err != nil || (rec.Kind != File && rec.Kind != Dir) {
			return
		}
		if !ValidName(rec.Name) || strings.ContainsFunc(rec.Name, IsControl) || rec.Size < 0 || rec.Size > MaxSize || rec.Mode&^fs.ModePerm != 0 {
			t.Fatalf("%q accepted as %+v", got, rec)
		}
		back, err := Parse(strings.TrimSuffix(rec.Line(), "\n"))
		if err != nil || back.Kind != rec.Kind || back.Name != rec.Name || (rec.Kind == File && back.Size != rec.Size) {
			t.Fatalf("%q does not survive formatting: %+v, %v", got, back, err)
		}
	})
}

func TestReadLine(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("first\nsecond"))
	if line, err := ReadLine(r); line != "first" || err != nil {
		t.Errorf("first line %q, %v", line, err)
	}
	if _, err := ReadLine(r); err != io.ErrUnexpectedEOF {
		t.Errorf("a line cut by the end of input: %v", err)
	}
	if _, err := ReadLine(r); err != io.EOF {
		t.Errorf("the end of input at a line's start: %v", err)
	}
	long := bufio.NewReader(strings.NewReader(strings.Repeat("x", MaxLine+10) + "\n"))
	if _, err := ReadLine(long); err != ErrLine {
		t.Errorf("an over-long line: %v", err)
	}
	exact := bufio.NewReader(strings.NewReader(strings.Repeat("x", MaxLine) + "\n"))
	if line, err := ReadLine(exact); len(line) != MaxLine || err != nil {
		t.Errorf("a line of MaxLine bytes: %d, %v", len(line), err)
	}
}

func TestReadAck(t *testing.T) {
	for in, want := range map[string]error{
		"\x00":         nil,
		"\x01scp: w\n": &Reply{Text: "scp: w"},
		"\x02scp: f\n": &Reply{Fatal: true, Text: "scp: f"},
		"":             io.EOF,
		"\x01":         io.ErrUnexpectedEOF,
		"\x02scp: cut": io.ErrUnexpectedEOF,
		"C0644 1 x\n":  ErrProtocol,
		"\x01" + strings.Repeat("x", MaxLine+1) + "\n": ErrLine,
	} {
		err := ReadAck(bufio.NewReader(strings.NewReader(in)))
		if !reflect.DeepEqual(err, want) {
			t.Errorf("ReadAck(%q) = %#v, want %#v", in, err, want)
		}
	}
}

func TestWrite(t *testing.T) {
	var b strings.Builder
	if err := WriteAck(&b); err != nil {
		t.Fatal(err)
	}
	_ = WriteError(&b, Warning, "a\nb: No such file or directory")
	_ = WriteError(&b, Fatal, "x\u009b2J")
	if got, want := b.String(), "\x00\x01scp: a?b: No such file or directory\n\x02scp: x?2J\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		rec  Record
		want string
	}{
		{Record{Kind: File, Size: 7, Name: "x"}, "C0644 7 x\n"},
		{Record{Kind: File, Mode: 0o600 | fs.ModeSetuid, Size: 7, Name: "x"}, "C0600 7 x\n"},
		{Record{Kind: Dir, Mode: fs.ModeDir, Name: "d"}, "D0755 0 d\n"},
		{Record{Kind: Times, Mtime: time.Unix(42, 5)}, "T42 0 42 0\n"},
		{Record{Kind: Times, Mtime: time.Unix(-5, 0)}, "T0 0 0 0\n"},
		{Record{Kind: End}, "E\n"},
	} {
		if got := tc.rec.Line(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.rec, got, tc.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb\x00c":  "a?b?c",
		"a\u009b2Jb": "a?2Jb",
		"\xffok\x7f": "?ok?",
		"grüße, 日本":  "grüße, 日本",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("é", 200) // 400 bytes; the cut falls inside a rune
	if got := PrintableName(long); len(got) != MaxName || !strings.HasSuffix(got, "?") || !utf8.ValidString(got) {
		t.Errorf("PrintableName of 400 bytes: %d bytes %q", len(got), got)
	}
}
