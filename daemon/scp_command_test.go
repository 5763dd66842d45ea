package daemon

import (
	"errors"
	"reflect"
	"testing"
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
