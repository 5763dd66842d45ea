package behaviour_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/wire"
)

// longName returns a name of exactly n bytes made of 200-byte components,
// so that only its total length can make CleanName refuse it.
func longName(n int) string {
	b := []byte(strings.Repeat(strings.Repeat("a", 199)+"/", n/200+1)[:n])
	b[n-1] = 'z'
	return string(b)
}

func TestCleanName(t *testing.T) {
	const bad = "<refused>"
	deep := strings.Repeat("d/", 256)
	tests := []struct {
		in, want string
	}{
		// Plain names and normalisation (bad-inputs.md item 10).
		{"file", "file"},
		{"dir/file.bin", "dir/file.bin"},
		{`dir\sub\file`, "dir/sub/file"},
		{"a//b///c", "a/b/c"},
		{`a\\b`, "a/b"},
		{"/leading", "leading"},
		{"trailing/", "trailing"},
		{"./a/./b/.", "a/b"},
		{".", "."},
		{"/", "."},
		{`\`, "."},
		{"//", "."},
		{"", bad},
		{"my file.txt", "my file.txt"},
		{"01-aa-bb-cc-dd-ee-ff", "01-aa-bb-cc-dd-ee-ff"},
		{"00:11:22:33:44:55.cfg", "00:11:22:33:44:55.cfg"},
		{"ünïcödé/文件", "ünïcödé/文件"},

		// Length (item 1). A 503-byte name fills a 512-byte RRQ with mode
		// octet; names over 255 bytes pass when no component is that long.
		{strings.Repeat("a", 64<<10), bad},
		{longName(503), longName(503)},
		{longName(300), longName(300)},
		{longName(4096), longName(4096)},
		{longName(4097), bad},
		{strings.Repeat("c", 255), strings.Repeat("c", 255)},
		{strings.Repeat("c", 256), bad},
		{"x/" + strings.Repeat("c", 256) + "/y", bad},
		{deep, strings.TrimSuffix(deep, "/")},
		{deep + "d", bad},

		// Traversal (item 7).
		{"../x", bad},
		{"x/../../y", bad},
		{"x/../y", bad},
		{"/../", bad},
		{"..", bad},
		{`..\..\`, bad},
		{`..\x`, bad},
		{"....//", bad},
		{".../", bad},
		{"a/../", bad},
		{"a/..", bad},
		{"%2e%2e/", "%2e%2e"},
		{"%2e%2e/x", "%2e%2e/x"},
		{"/etc/passwd", "etc/passwd"},
		{`C:\windows`, bad},
		{"c:/windows", bad},
		{"C:", bad},
		{"C:file", bad},
		{"dir/C:", "dir/C:"},
		{`\\?\C:\x`, bad},
		{`\\.\pipe\x`, bad},
		{`\\server\share`, "server/share"},

		// Items 8 and 9 (prefix confinement, symlinks) belong to the
		// handlers that touch a file system; CleanName only keeps names
		// relative, so a sibling's name stays a plain name.
		{"/srv/root2/x", "srv/root2/x"},

		// Control characters, NUL, invalid UTF-8 (items 7, 11).
		{"a\x00b", bad},
		{"a\x00", bad},
		{"a\x01b", bad},
		{"a\tb", bad},
		{"a\nb", bad},
		{"a\rb", bad},
		{"a\x1fb", bad},
		{"a\x7fb", bad},
		{"a\u0085b", bad},
		{"a\u009fb", bad},
		{"a\xffb", bad},
		{"\xc0\xaf", bad},
		{"a\xed\xa0\x80", bad},

		// Windows reserved names, trailing dots and spaces (item 11).
		{"CON", bad},
		{"con", bad},
		{"nul.txt", bad},
		{"NUL.tar.gz", bad},
		{"dir/aux", bad},
		{"prn.log/x", bad},
		{"com1", bad},
		{"COM9.txt", bad},
		{"LPT9.log", bad},
		{"lpt0", bad},
		{"COM¹", bad},
		{"CONIN$", bad},
		{"CON .txt", bad},
		{"COM10", "COM10"},
		{"console", "console"},
		{"connect.cfg", "connect.cfg"},
		{"nullable", "nullable"},
		{"trailing.", bad},
		{"trailing ", bad},
		{"x. ", bad},
		{"dir./x", bad},
		{"dir /x", bad},
		{" leading", " leading"},
		{".hidden", ".hidden"},
	}
	for _, tt := range tests {
		got, err := behaviour.CleanName(tt.in)
		if tt.want == bad {
			if err == nil || !errors.Is(err, behaviour.ErrBadName) || got != "" {
				t.Errorf("CleanName(%.40q) = %.40q, %v; want refusal", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanName(%.40q) = %.40q, %v; want %.40q", tt.in, got, err, tt.want)
		}
	}
}

// TestBadNameKeepsNameSecret checks that the refusal never echoes the name:
// the error is the sentinel itself.
func TestBadNameKeepsNameSecret(t *testing.T) {
	_, err := behaviour.CleanName("../secret-path")
	if err != behaviour.ErrBadName || strings.Contains(err.Error(), "secret") {
		t.Errorf("CleanName error %v, want exactly ErrBadName", err)
	}
	if code := wire.TFTPCode(err); code != behaviour.CodeAccessViolation {
		t.Errorf("code %d, want access violation", code)
	}
}

func TestNamePolicyMaxLen(t *testing.T) {
	p := behaviour.NamePolicy{MaxLen: 8}
	if got, err := p.Clean("12345678"); err != nil || got != "12345678" {
		t.Errorf("Clean of 8 bytes under MaxLen 8 = %q, %v", got, err)
	}
	if _, err := p.Clean("123456789"); !errors.Is(err, behaviour.ErrBadName) {
		t.Errorf("Clean of 9 bytes under MaxLen 8: %v, want ErrBadName", err)
	}
	long := longName(5000)
	if _, err := (behaviour.NamePolicy{MaxLen: 8192}).Clean(long); err != nil {
		t.Errorf("Clean of 5000 bytes under MaxLen 8192: %v", err)
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{
		"a/b", "../x", "x/../../y", "/../", `..\..\`, "....//", ".../", "%2e%2e/",
		"/etc/passwd", `C:\windows`, `\\?\C:\x`, `\\.\pipe`, "a/../", "CON", "nul.txt",
		"x. ", "a\x00b", "\xff", ".", "/", "", "a//b", `a\b`, "COM¹", "dir/C:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := behaviour.CleanName(in)
		if err != nil {
			if err != behaviour.ErrBadName || got != "" {
				t.Fatalf("CleanName(%q) = %q, %v; a refusal is \"\", ErrBadName", in, got, err)
			}
			return
		}
		if !fs.ValidPath(got) {
			t.Fatalf("CleanName(%q) = %q, not a valid fs path", in, got)
		}
		if strings.ContainsRune(got, '\\') || !utf8.ValidString(got) {
			t.Fatalf("CleanName(%q) = %q holds a backslash or invalid UTF-8", in, got)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				t.Fatalf("CleanName(%q) = %q holds control character %U", in, got, r)
			}
		}
		for part := range strings.SplitSeq(got, "/") {
			if part == ".." {
				t.Fatalf("CleanName(%q) = %q has a .. component", in, got)
			}
		}
		again, err := behaviour.CleanName(got)
		if err != nil || again != got {
			t.Fatalf("CleanName(CleanName(%q)) = %q, %v; want %q", in, again, err, got)
		}
	})
}
