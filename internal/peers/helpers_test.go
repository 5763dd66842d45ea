package peers

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRandomBytesDiffer(t *testing.T) {
	a, b := RandomBytes(4096), RandomBytes(4096)
	if len(a) != 4096 || bytes.Equal(a, b) {
		t.Fatalf("two calls gave equal or short data (%d bytes)", len(a))
	}
	if bytes.Count(a, []byte{0}) > 200 {
		t.Fatal("the data is mostly zero")
	}
}

func TestRandomFileAndSHA256File(t *testing.T) {
	dir := t.TempDir()
	path, sum := RandomFile(t, dir, "f.bin", 1000)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 1000 || SHA256(b) != sum || SHA256File(path) != sum {
		t.Fatalf("file of %d bytes, sums %s %s, want %s", len(b), SHA256(b), SHA256File(path), sum)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", fi.Mode().Perm())
	}
	if got := SHA256File(filepath.Join(dir, "missing")); !strings.HasPrefix(got, "missing: ") {
		t.Fatalf("SHA256File of a missing file = %q", got)
	}
}

func TestFreeUDPPort(t *testing.T) {
	port, err := FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("port %d is not free: %v", port, err)
	}
	pc.Close()
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("no-such-program-filemux"); err == nil {
		t.Fatal("a missing program was found")
	}
	sh, err := Lookup("sh")
	if err != nil || !filepath.IsAbs(sh) {
		t.Fatalf("Lookup(sh) = %q, %v", sh, err)
	}
	t.Setenv("FILEMUX_ATFTPD", filepath.Join(t.TempDir(), "nothing"))
	if _, err := Lookup(ProgATFTPD); err == nil {
		t.Fatal("FILEMUX_ATFTPD naming a missing file was accepted")
	}
	t.Setenv("FILEMUX_ATFTPD", sh)
	if got, err := Lookup(ProgATFTPD); err != nil || got != sh {
		t.Fatalf("FILEMUX_ATFTPD ignored: %q, %v", got, err)
	}
}

func TestStrict(t *testing.T) {
	t.Setenv("CI", "true")
	if !Strict() {
		t.Fatal("CI=true is not strict")
	}
	t.Setenv("CI", "1")
	if Strict() {
		t.Fatal("CI=1 is strict")
	}
}

func TestStatStateGroup(t *testing.T) {
	state, pgrp, ok := statStateGroup("42 (a (weird) name) S 1 4242 4242 0 -1")
	if !ok || state != "S" || pgrp != 4242 {
		t.Fatalf("got %q %d %v", state, pgrp, ok)
	}
	if _, _, ok := statStateGroup("garbage"); ok {
		t.Fatal("garbage parsed")
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	w := newTailBuffer(10)
	for _, s := range []string{"0123456789", "abcdef"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.String(); got != "[...]6789abcdef" {
		t.Fatalf("got %q", got)
	}
}

func TestCodeExtractors(t *testing.T) {
	cases := []struct {
		name string
		got  int
		want int
	}{
		{"curl 68", curlCode("", 68), 1},
		{"curl 70", curlCode("", 70), 3},
		{"curl 7", curlCode("", 7), -1},
		{"erlang atom", erlangCode(`{error,{client_open,enoent,"File not found"}}`, 1), 1},
		{"erlang number", erlangCode(`{error,{client_open,42,"x"}}`, 1), 42},
		{"erlang ok", erlangCode(`{ok,12}`, 0), -1},
		{"busybox", matchCode(busyboxCodeRE)("tftp: server error: (3) Disk full", 1), 3},
		{"pin", matchCode(pinCode)("code: 2, message: Access violation", 0), 2},
		{"pin sender", matchCode(pinCode)("sending block 3: code=3, error: full", 0), 3},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
}

// recordTB records what Need does instead of stopping the test.
type recordTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordTB) Helper()                        {}
func (r *recordTB) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *recordTB) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestNeedSkipsOrFails(t *testing.T) {
	t.Setenv("CI", "")
	r := &recordTB{TB: t}
	Need(r, "sh", "no-such-program-filemux")
	if r.skipped == "" || r.failed != "" || !strings.Contains(r.skipped, "no-such-program-filemux") {
		t.Fatalf("without CI: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recordTB{TB: t}
	Need(r, "no-such-program-filemux")
	if r.failed == "" || r.skipped != "" {
		t.Fatalf("with CI=true: skipped %q, failed %q", r.skipped, r.failed)
	}
	r = &recordTB{TB: t}
	Need(r, "sh")
	if r.failed != "" || r.skipped != "" {
		t.Fatalf("present program: skipped %q, failed %q", r.skipped, r.failed)
	}
}
