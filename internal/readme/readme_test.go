package readme

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"golang.org/x/crypto/ssh"
)

// repoRoot is where README.md lives, seen from this package's directory.
const repoRoot = "../.."

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// codeBlocks returns the bodies of README's fenced blocks of language lang.
func codeBlocks(text, lang string) []string {
	re := regexp.MustCompile("(?s)```" + regexp.QuoteMeta(lang) + "\n(.*?)```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestGoSnippetIsVerbatim: each snippet file's functions, joined, are one
// of README's go blocks, so README's Go compiles.
func TestGoSnippetIsVerbatim(t *testing.T) {
	blocks := codeBlocks(readme(t), "go")
	for _, file := range []string{"snippet_test.go", "snippet_run_test.go"} {
		want := snippetFuncs(t, file)
		if !slices.Contains(blocks, want) {
			t.Errorf("README has no ```go block equal to the functions of %s:\n%s\nREADME's go blocks: %q", file, want, blocks)
		}
	}
}

// snippetFuncs returns the functions of file, verbatim, joined by blank
// lines.
func snippetFuncs(t *testing.T, file string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var funcs []string
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			funcs = append(funcs, string(src[fset.Position(fd.Pos()).Offset:fset.Position(fd.End()).Offset]))
		}
	}
	return strings.Join(funcs, "\n\n") + "\n"
}

func TestGoSnippetServes(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	image := bytes.Repeat([]byte("firmware"), 1000)
	srv := daemontest.NewTFTP(t, routes(root, image))
	c := client.TFTP{Addr: srv.Addr().String()}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for name, want := range map[string][]byte{
		"r1-confg":     []byte("hostname r1\n"),
		"firmware/img": image,
		"hello.txt":    []byte("hello\n"),
	} {
		got, _, err := c.ReadBytes(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes %.40q, want %d bytes %.40q", name, len(got), got, len(want), want)
		}
	}
}

// buildFilemux builds cmd/filemux once for the tests that need its help.
func buildFilemux(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "filemux")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/filemux")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/filemux: %v\n%s", err, out)
	}
	return bin
}

// run runs bin and returns its combined output, whatever its exit status:
// -h and help answer with a status of their own choosing.
func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// foreignFlags are README's long flags that belong to other programs.
var foreignFlags = map[string]string{
	"--map-file":         "tftp-hpa",
	"--now":              "systemctl",
	"--pcre":             "atftpd",
	"--tftp-single-port": "dnsmasq",
}

func TestFlagsAndExitStatuses(t *testing.T) {
	bin := buildFilemux(t)
	help := run(t, repoRoot, bin, "help")
	known := map[string]bool{}
	flagLine := regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	for _, args := range [][]string{
		{"serve", "-h"}, {"get", "-h"}, {"put", "-h"}, {"check", "-h"}, {"match", "-h"},
		{"get", "-h", "sftp://"}, {"put", "-h", "sftp://"},
		{"get", "-h", "http://"}, {"put", "-h", "http://"}, {"reload", "-h"},
	} {
		out := run(t, repoRoot, bin, args...)
		for _, m := range flagLine.FindAllStringSubmatch(out, -1) {
			known["--"+m[1]] = true
		}
	}
	if !known["--writable"] || !known["--sha256"] {
		t.Fatalf("the help output no longer lists flags as this test expects: %v", known)
	}
	text := readme(t)
	for _, f := range regexp.MustCompile(`--[a-z][a-z0-9-]*`).FindAllString(text, -1) {
		if !known[f] && foreignFlags[f] == "" {
			t.Errorf("README names %s, which no filemux command has", f)
		}
	}

	status := regexp.MustCompile(`(?m)^\s+(\d+)\s+(.+)$`)
	i := strings.Index(help, "Exit status")
	if i < 0 {
		t.Fatalf("filemux help has no exit statuses:\n%s", help)
	}
	rows := status.FindAllStringSubmatch(help[i:], -1)
	if len(rows) < 10 {
		t.Fatalf("filemux help lists %d exit statuses:\n%s", len(rows), help)
	}
	for _, m := range rows {
		row := "| " + m[1] + " | " + strings.TrimSpace(m[2]) + " |"
		if !strings.Contains(text, row) {
			t.Errorf("README's exit status table lacks %q", row)
		}
	}
}

// heredoc matches the files README's tour writes with cat > FILE <<'EOF'.
var heredoc = regexp.MustCompile(`(?s)cat > (\S+) <<'EOF'\n(.*?)\nEOF\n`)

func TestTourConfiguration(t *testing.T) {
	bin := buildFilemux(t)
	dir := t.TempDir()
	files := heredoc.FindAllStringSubmatch(readme(t), -1)
	if len(files) < 3 {
		t.Fatalf("README's tour writes %d files, want the template, the inventory and filemux.yaml", len(files))
	}
	for _, m := range files {
		p := filepath.Join(dir, m[1])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(m[2]+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeAuthorizedKey(t, filepath.Join(dir, "authorized_keys"))
	// The tour writes tokens with echo, from a random token.
	if err := os.WriteFile(filepath.Join(dir, "tokens"), []byte("me:0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	check := exec.Command(bin, "check", "--config", "filemux.yaml")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("filemux check of README's filemux.yaml: %v\n%s", err, out)
	}
	match := exec.Command(bin, "match", "--config", "filemux.yaml", "r1-confg", "backup/r1.cfg", "hello.txt")
	match.Dir = dir
	out, err := match.CombinedOutput()
	if err != nil {
		t.Fatalf("filemux match: %v\n%s", err, out)
	}
	for _, want := range []string{"capture:   host=r1", "handler:   template", "access:    write", "(write: none)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("filemux match output lacks %q:\n%s", want, out)
		}
	}
}

// writeAuthorizedKey stands in for the tour's ssh-keygen, which need not be
// installed for check to read an authorized_keys file.
func writeAuthorizedKey(t *testing.T, path string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, ssh.MarshalAuthorizedKey(k), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRelativeLinks(t *testing.T) {
	for name, text := range pages(t) {
		links := regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(text, -1)
		if name == "README.md" && len(links) == 0 {
			t.Fatal("README has no links")
		}
		for _, m := range links {
			l := m[1]
			if strings.Contains(l, "://") || strings.HasPrefix(l, "#") {
				continue
			}
			target := filepath.Join(repoRoot, filepath.Dir(name), strings.SplitN(l, "#", 2)[0])
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s links to %s: %v", name, l, err)
			}
		}
	}
}

// pages returns README.md and the pages of docs/ by their path from the
// repository's root.
func pages(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"README.md": readme(t)}
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	for _, p := range docs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Join("docs", filepath.Base(p))] = string(b)
	}
	return out
}

// TestCitedTestsExist keeps the security section and the comparison table
// honest: every test README or a page of docs/ cites as evidence must exist.
func TestCitedTestsExist(t *testing.T) {
	var cited [][]string
	for name, text := range pages(t) {
		found := regexp.MustCompile("`(Test[A-Z][A-Za-z0-9_]*)`").FindAllStringSubmatch(text, -1)
		if len(found) == 0 && (name == "README.md" || name == filepath.Join("docs", "comparison.md")) {
			t.Errorf("%s cites no tests", name)
		}
		cited = append(cited, found...)
	}
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]+)\(`)
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != repoRoot {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(b, -1) {
			defined[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cited {
		if !defined[m[1]] {
			t.Errorf("the docs cite %s, which no test file defines", m[1])
		}
	}
}
