package main

import (
	"flag"
	"slices"
	"testing"

	"github.com/filemux/filemux/behaviour"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		in, addr, file string
		mode           behaviour.Mode
	}{
		{"tftp://host/file", "host:69", "file", 0},
		{"tftp://10.0.0.1:6969/dir/boot.img", "10.0.0.1:6969", "dir/boot.img", 0},
		{"TFTP://[::1]:70/x;mode=netascii", "[::1]:70", "x", behaviour.Netascii},
		{"tftp://[fe80::1]/x;MODE=octet", "[fe80::1]:69", "x", behaviour.Octet},
		{"tftp://h/a%20b%3Bc", "h:69", "a b;c", 0},
		{"tftp://h//etc/x", "h:69", "/etc/x", 0},
	}
	for _, tc := range cases {
		u, err := parseURL(tc.in)
		if err != nil || u.addr != tc.addr || u.file != tc.file || u.mode != tc.mode {
			t.Errorf("parseURL(%q) = %+v, %v; want %s %q %v", tc.in, u, err, tc.addr, tc.file, tc.mode)
		}
	}
	for _, bad := range []string{"http://h/x", "tftp://h", "tftp://h/", "tftp:///x", "tftp://u@h/x", "tftp://h/x?q=1",
		"tftp://h/x;mode=mail", "tftp://h:99999/x", "://"} {
		if u, err := parseURL(bad); err == nil {
			t.Errorf("parseURL(%q) = %+v, want an error", bad, u)
		}
	}
}

func TestLocalName(t *testing.T) {
	for in, want := range map[string]string{"tftp://h/a/b.bin": "b.bin", "tftp://h/../../etc/passwd": "passwd", `tftp://h/win\dir\f`: "f"} {
		u, _ := parseURL(in)
		if got, err := u.localName(); err != nil || got != want {
			t.Errorf("localName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"tftp://h/dir/", "tftp://h/..", "tftp://h/."} {
		u, _ := parseURL(in)
		if got, err := u.localName(); err == nil {
			t.Errorf("localName(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	n := fs.Int("n", 0, "")
	q := fs.Bool("q", false, "")
	pos, err := parseInterleaved(fs, []string{"a", "-n", "3", "b", "--q", "--", "-c", "d"})
	if err != nil || *n != 3 || !*q || !slices.Equal(pos, []string{"a", "b", "-c", "d"}) {
		t.Fatalf("pos %q, n %d, q %v, err %v", pos, *n, *q, err)
	}
}

func TestFlagValues(t *testing.T) {
	var s seconds
	var b byteSize
	var o optionList
	for _, v := range []string{"2", "0.5", "300ms"} {
		if err := s.Set(v); err != nil {
			t.Errorf("seconds %q: %v", v, err)
		}
	}
	if err := b.Set("3M"); err != nil || b != 3<<20 {
		t.Errorf("3M = %d, %v", b, err)
	}
	for _, bad := range []string{"-1", "1T", "x", "99999999999G"} {
		if err := b.Set(bad); err == nil {
			t.Errorf("size %q accepted", bad)
		}
	}
	if err := s.Set("0"); err == nil {
		t.Error("timeout 0 accepted")
	}
	if err := o.Set("token=a=b"); err != nil || o[0].Value != "a=b" {
		t.Errorf("option: %v %v", o, err)
	}
	if err := o.Set("novalue"); err == nil {
		t.Error("option without = accepted")
	}
}
