package daemon

import (
	"bufio"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseSCPCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		want scpCommand
	}{
		{"scp -t /uploads", scpCommand{sink: true, paths: []string{"/uploads"}}},
		{"scp -v -r -p -d -t -- '/a dir'", scpCommand{sink: true, recursive: true, preserve: true, targetDir: true, paths: []string{"/a dir"}}},
		{"scp -pf 'running config'", scpCommand{source: true, preserve: true, paths: []string{"running config"}}},
		{`scp -qt "C:\\tmp\\x \"y\""`, scpCommand{sink: true, paths: []string{`C:\tmp\x "y"`}}},
		{"scp -t -d DIR", scpCommand{sink: true, targetDir: true, paths: []string{"DIR"}}},
		{"/usr/bin/scp -rf a b\\ c", scpCommand{source: true, recursive: true, paths: []string{"a", "b c"}}},
		{"scp -l 100 -t x", scpCommand{sink: true, paths: []string{"x"}}},
		{"scp -l100 -Ot x", scpCommand{sink: true, paths: []string{"x"}}},
		{"scp -t -- -rf", scpCommand{sink: true, paths: []string{"-rf"}}},
		{"scp -f 'a;rm -rf /' '$(reboot)' `x`", scpCommand{source: true, paths: []string{"a;rm -rf /", "$(reboot)", "`x`"}}},
		{"scp -t ''x''", scpCommand{sink: true, paths: []string{"x"}}},
	} {
		got, err := parseSCPCommand(tc.line)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseSCPCommand(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
}

func TestParseSCPCommandRefuses(t *testing.T) {
	for line, want := range map[string]error{
		"":                   errSCPNotSCP,
		"ls -l":              errSCPNotSCP,
		"sh -c 'scp -t x'":   errSCPNotSCP,
		"scpx -t x":          errSCPNotSCP,
		"scp x":              errSCPDirection,
		"scp -t -f x":        errSCPDirection,
		"scp -t":             errSCPOperands,
		"scp -t a b":         errSCPOperands,
		"scp -f":             errSCPOperands,
		"scp -t ''":          errSCPOperands,
		"scp -t 'unfinished": errSCPQuote,
		`scp -t "unfinished`: errSCPQuote,
		`scp -t "a\"`:        errSCPQuote,
		"scp -l":             errSCPDirection,
		"scp -tl":            errSCPOperands,
		"scp -t x\\":         nil, // a trailing backslash is kept, as by a shell
		"scp\t-t\n'x y'\n":   nil,
	} {
		_, err := parseSCPCommand(line)
		if !errors.Is(err, want) {
			t.Errorf("parseSCPCommand(%q) = %v, want %v", line, err, want)
		}
	}
}

func FuzzParseSCPCommand(f *testing.F) {
	for _, s := range []string{"scp -t /x", "scp -pf 'a b'", `scp -qt "p\"q"`, "scp -rvf -- a b", "scp -l 5 -t x\\ y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := parseSCPCommand(line)
		if err != nil {
			return
		}
		if cmd.sink == cmd.source || len(cmd.paths) == 0 || (cmd.sink && len(cmd.paths) != 1) {
			t.Fatalf("%q parsed into an invalid command %+v", line, cmd)
		}
		for _, p := range cmd.paths {
			if p == "" {
				t.Fatalf("%q gave an empty path", line)
			}
		}
	})
}

func TestParseSCPRecord(t *testing.T) {
	for line, want := range map[string]scpRecord{
		"C0644 1234 running-config":  {kind: 'C', mode: 0o644, size: 1234, name: "running-config"},
		"C644 0 a b":                 {kind: 'C', mode: 0o644, size: 0, name: "a b"},
		"C7777 5 x":                  {kind: 'C', mode: 0o777, size: 5, name: "x"},
		"D0755 0 dir":                {kind: 'D', mode: 0o755, name: "dir"},
		"E":                          {kind: 'E'},
		"T1700000000 0 1700000001 0": {kind: 'T', mtime: time.Unix(1700000000, 0)},
		"\x01scp: x: warning":        {kind: 1, name: "scp: x: warning"},
		"\x02scp: fatal":             {kind: 2, name: "scp: fatal"},
	} {
		got, err := parseSCPRecord(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseSCPRecord(%q) = %+v, %v; want %+v", line, got, err, want)
		}
	}
}

func TestParseSCPRecordRefuses(t *testing.T) {
	for line, want := range map[string]error{
		"":                            errSCPProtocol,
		"X0644 1 a":                   errSCPProtocol,
		"E extra":                     errSCPProtocol,
		"C0644 1 ../etc/passwd":       errSCPName,
		"C0644 1 ..":                  errSCPName,
		"C0644 1 .":                   errSCPName,
		"C0644 1 ":                    errSCPName,
		"C0644 1 a/b":                 errSCPName,
		"C0644 1 a\\b":                errSCPName,
		"C0644 1 a\x1b[2Jb":           errSCPName,
		"C0644 1 \xff":                errSCPName,
		"C10644 1 a":                  errSCPMode,
		"C0844 1 a":                   errSCPMode,
		"C64 1 a":                     errSCPMode,
		"C0644":                       errSCPMode,
		"C0644 -1 a":                  errSCPSize,
		"C0644 1e3 a":                 errSCPSize,
		"C0644 9999999999999999999 a": errSCPSize,
		"C0644 12":                    errSCPSize,
		"T1 0 1":                      errSCPTimes,
		"T1 1000000 1 0":              errSCPTimes,
		"T-1 0 1 0":                   errSCPTimes,
	} {
		if _, err := parseSCPRecord(line); !errors.Is(err, want) {
			t.Errorf("parseSCPRecord(%q) = %v, want %v", line, err, want)
		}
	}
}

func FuzzParseSCPRecord(f *testing.F) {
	for _, s := range []string{"C0644 12 name", "D0755 0 d", "E", "T1 0 2 0", "\x01scp: w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		rec, err := parseSCPRecord(line)
		if err != nil || (rec.kind != 'C' && rec.kind != 'D') {
			return
		}
		if !scpValidName(rec.name) || rec.size < 0 || rec.mode&^fs.ModePerm != 0 {
			t.Fatalf("%q accepted as %+v", line, rec)
		}
		back, err := parseSCPRecord(strings.TrimSuffix(scpFileLine(rec.mode, rec.size, rec.name), "\n"))
		if err != nil || back.name != rec.name || back.size != rec.size {
			t.Fatalf("%q does not survive formatting: %+v, %v", line, back, err)
		}
	})
}

func TestReadSCPLine(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("first\nsecond"))
	if line, err := readSCPLine(r); line != "first" || err != nil {
		t.Errorf("first line %q, %v", line, err)
	}
	if _, err := readSCPLine(r); err == nil {
		t.Errorf("a line cut by the end of input was accepted")
	}
	long := bufio.NewReader(strings.NewReader(strings.Repeat("x", scpMaxLine+10) + "\n"))
	if _, err := readSCPLine(long); !errors.Is(err, errSCPLine) {
		t.Errorf("an over-long line: %v", err)
	}
}

func TestSCPFormat(t *testing.T) {
	if got := scpFileLine(0, 7, "x"); got != "C0644 7 x\n" {
		t.Errorf("a file without permissions: %q", got)
	}
	if got := scpDirLine(fs.ModeDir, "d"); got != "D0755 0 d\n" {
		t.Errorf("a directory without permissions: %q", got)
	}
	if got := scpTimesLine(time.Unix(42, 5)); got != "T42 0 42 0\n" {
		t.Errorf("times: %q", got)
	}
	if got := scpPrintable("a\nb\x00c"); got != "a?b?c" {
		t.Errorf("printable: %q", got)
	}
}
