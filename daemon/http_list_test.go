package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// httpHostileNames are file names a listing must escape, in HTML and in
// its links.
var httpHostileNames = []string{
	`<script>alert(1)&x.txt`,
	`a "quoted" 'name'.txt`,
	`with space.txt`,
	`100%.txt`,
	`javascript:alert(2)`,
}

// httpListServer serves a Dir holding pub/ (listed: the hostile names and
// a subdirectory), priv/ (a directory the route does not list) and
// top.txt; Listings allows the root and pub/.
func httpListServer(t *testing.T, opts ...daemontest.HTTPOption) (*daemontest.HTTPServer, *httpRecorder) {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"pub/sub", "priv"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range httpHostileNames {
		write(filepath.Join("pub", n), "data of "+n)
	}
	write("pub/sub/inner.txt", "inner")
	write("priv/secret.txt", "secret")
	write("top.txt", "top")
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "pub", "with space.txt"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	dir, err := handlers.NewDir(root, handlers.DirConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &httpRecorder{}
	all := append([]daemontest.HTTPOption{rec.options, func(d *daemon.HTTP) {
		d.Listings = func(name string) bool { return name == "." || name == "pub" || strings.HasPrefix(name, "pub/") }
	}}, opts...)
	return daemontest.NewHTTP(t, dir, all...), rec
}

func TestCurlHTTPListing(t *testing.T) {
	s, rec := httpListServer(t)
	local := t.TempDir()

	res := httpCurl(t, local, "-f", s.URL("pub/"))
	if res.code != 0 {
		t.Fatalf("curl GET pub/: %v", res)
	}
	page := res.stdout
	for _, want := range []string{
		`&lt;script&gt;alert(1)&amp;x.txt`,
		`href="./%3Cscript%3Ealert%281%29&amp;x.txt"`,
		`a &#34;quoted&#34; &#39;name&#39;.txt`,
		`href="./with%20space.txt"`,
		`href="./100%25.txt"`,
		`href="./javascript:alert%282%29"`,
		`href="./sub/">sub/</a>`,
		`href="../"`,
		`<td>22</td><td>2024-05-06 07:08:09Z</td>`, // "data of with space.txt"
		`<title>Index of /pub/</title>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("listing lacks %s:\n%s", want, page)
		}
	}
	for _, bad := range []string{"<script>", `"quoted"`, "100%.txt\""} {
		if strings.Contains(page, bad) {
			t.Errorf("listing holds unescaped %s", bad)
		}
	}
	// Sorted by name, bytewise.
	last := -1
	for _, n := range []string{"100%25", "&lt;script", "a &#34;quoted", "javascript", "sub/", "with space"} {
		i := strings.Index(page, n)
		if i < last {
			t.Errorf("%s out of order:\n%s", n, page)
		}
		last = i
	}
	// Each link resolves to its file, as curl and a browser resolve it.
	for _, n := range httpHostileNames {
		href := strings.TrimPrefix(httpEscapeLikePage(n), "./")
		res := httpCurl(t, local, "-f", s.URL("pub/"+href))
		if res.code != 0 || res.stdout != "data of "+n {
			t.Errorf("GET of the link to %q: %v", n, res)
		}
	}

	// Without the slash: redirected, as FileServer does; curl -L follows.
	res = httpCurl(t, local, "-i", s.URL("pub"))
	if !strings.Contains(res.stdout, "301 Moved Permanently") || !strings.Contains(res.stdout, "Location: /pub/\r\n") {
		t.Errorf("GET pub: %v", res)
	}
	res = httpCurl(t, local, "-f", "-L", s.URL("pub/sub?x=1"))
	if res.code != 0 || !strings.Contains(res.stdout, `href="./inner.txt"`) {
		t.Errorf("GET -L pub/sub: %v", res)
	}

	// JSON, by query or by Accept.
	for _, args := range [][]string{{s.URL("pub/?format=json")}, {"-H", "Accept: application/json", s.URL("pub/")}} {
		res = httpCurl(t, local, append([]string{"-f", "-i"}, args...)...)
		head, body, _ := strings.Cut(res.stdout, "\r\n\r\n")
		if res.code != 0 || !strings.Contains(head, "Content-Type: application/json; charset=utf-8") {
			t.Fatalf("JSON listing %v: %v", args, res)
		}
		var entries []struct {
			Name  string     `json:"name"`
			Type  string     `json:"type"`
			Size  *int64     `json:"size"`
			MTime *time.Time `json:"mtime"`
		}
		if err := json.Unmarshal([]byte(body), &entries); err != nil {
			t.Fatalf("JSON listing: %v\n%s", err, body)
		}
		if len(entries) != len(httpHostileNames)+1 {
			t.Fatalf("JSON listing: %d entries, want %d: %s", len(entries), len(httpHostileNames)+1, body)
		}
		for i, e := range entries {
			if i > 0 && entries[i-1].Name >= e.Name {
				t.Errorf("JSON listing not sorted: %s", body)
			}
			switch e.Name {
			case "sub":
				if e.Type != "dir" || e.Size != nil {
					t.Errorf("sub: %+v", e)
				}
			case "with space.txt":
				if e.Type != "file" || e.Size == nil || *e.Size != 22 || e.MTime == nil || !e.MTime.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) {
					t.Errorf("with space.txt: %+v", e)
				}
			}
		}
	}

	// HEAD: the listing's header, no body.
	res = httpCurl(t, local, "-f", "-I", s.URL("pub/"))
	if res.code != 0 || !strings.Contains(res.stdout, "Content-Type: text/html; charset=utf-8") || !strings.Contains(res.stdout, "Content-Length: ") {
		t.Errorf("HEAD pub/: %v", res)
	}

	// The root lists; names are cleaned first ("//" and "." go, ".." is refused).
	res = httpCurl(t, local, "-f", s.URL(""))
	if res.code != 0 || !strings.Contains(res.stdout, `href="./pub/"`) || !strings.Contains(res.stdout, `href="./top.txt"`) || strings.Contains(res.stdout, `href="../"`) {
		t.Errorf("GET /: %v", res)
	}
	res = httpCurl(t, local, "-f", "--path-as-is", s.URL("pub//./sub/"))
	if res.code != 0 || !strings.Contains(res.stdout, `inner.txt`) {
		t.Errorf("GET pub//./sub/: %v", res)
	}
	res = httpCurl(t, local, "-o", "/dev/null", "-w", "%{http_code}", "--path-as-is", s.URL("pub/../priv/"))
	if res.stdout != "403" {
		t.Errorf("GET pub/../priv/: %v", res)
	}

	// A listing is a read transfer, reported with its bytes.
	if st := rec.last(t, 1); st.Name != "pub" || st.Outcome != daemon.OutcomeSuccess || st.Bytes != int64(len(page)) {
		t.Errorf("first listing reported as %+v, want pub, success, %d bytes", st, len(page))
	}
}

// httpEscapeLikePage is the link the listing gives a name.
func httpEscapeLikePage(name string) string {
	return "./" + strings.NewReplacer("%", "%25", " ", "%20", "<", "%3C", ">", "%3E", "(", "%28", ")", "%29",
		`"`, "%22", "'", "%27").Replace(name)
}

func TestCurlHTTPListingRefused(t *testing.T) {
	s, _ := httpListServer(t)
	local := t.TempDir()
	status := func(name string, args ...string) (string, string) {
		t.Helper()
		res := httpCurl(t, local, append([]string{"-w", "\n%{http_code}", s.URL(name)}, args...)...)
		body, code, _ := strings.Cut(res.stdout, "\n")
		if i := strings.LastIndex(res.stdout, "\n"); i >= 0 {
			body, code = res.stdout[:i], res.stdout[i+1:]
		}
		return code, body
	}
	// The route's handler lists, but Listings says no: 404 with the body of
	// a missing file, with or without the slash, GET or HEAD, HTML or JSON.
	missingCode, missingBody := status("no-such-dir/")
	if missingCode != "404" {
		t.Fatalf("GET no-such-dir/: %s %q", missingCode, missingBody)
	}
	for _, name := range []string{"priv/", "priv", "priv/?format=json", "top.txt/"} {
		if code, body := status(name); code != "404" || body != missingBody {
			t.Errorf("GET %s: %s %q, want 404 %q", name, code, body, missingBody)
		}
	}
	if code, _ := status("priv/", "-I"); code != "404" {
		t.Errorf("HEAD priv/: %s", code)
	}
	// Files in an unlisted directory are still served.
	if code, body := status("priv/secret.txt"); code != "200" || body != "secret" {
		t.Errorf("GET priv/secret.txt: %s %q", code, body)
	}
}

func TestCurlHTTPListingNowhere(t *testing.T) {
	// Listings nil: no listing anywhere, the same Dir.
	s, _ := httpListServer(t, func(d *daemon.HTTP) { d.Listings = nil })
	local := t.TempDir()
	for _, name := range []string{"", "pub/", "pub", "pub/sub"} {
		res := httpCurl(t, local, "-o", "/dev/null", "-w", "%{http_code}", s.URL(name))
		if res.stdout != "404" {
			t.Errorf("GET /%s: %v, want 404", name, res)
		}
	}
	res := httpCurl(t, local, "-f", s.URL("pub/sub/inner.txt"))
	if res.code != 0 || res.stdout != "inner" {
		t.Errorf("GET a file: %v", res)
	}
}

func TestHTTPListingNeedsALister(t *testing.T) {
	// Listings allows everything, but the handler cannot list: 404.
	s := daemontest.NewHTTP(t, httpSequential([]byte("x"), 1), func(d *daemon.HTTP) {
		d.Listings = func(string) bool { return true }
	})
	for _, name := range []string{"", "dir/"} {
		if resp, _ := httpGet(t, s, "GET", name); resp.StatusCode != 404 {
			t.Errorf("GET /%s: %s, want 404", name, resp.Status)
		}
	}
	if resp, body := httpGet(t, s, "GET", "file"); resp.StatusCode != 200 || string(body) != "x" {
		t.Errorf("GET file: %s %q", resp.Status, body)
	}
}

func TestHTTPListingOnRequest(t *testing.T) {
	// OnRequest is asked before a listing, and may refuse it.
	s, _ := httpListServer(t, func(d *daemon.HTTP) {
		d.OnRequest = func(st daemon.Stats) error {
			if st.Name == "pub" {
				return behaviour.ErrAccessViolation
			}
			return nil
		}
	})
	if resp, _ := httpGet(t, s, "GET", "pub/"); resp.StatusCode != 403 {
		t.Errorf("GET pub/ refused by OnRequest: %s, want 403", resp.Status)
	}
	if resp, _ := httpGet(t, s, "GET", "pub/sub/"); resp.StatusCode != 200 {
		t.Errorf("GET pub/sub/: %s", resp.Status)
	}
}

func TestHTTPListingThroughRegistry(t *testing.T) {
	// Two routes: a Memory (a Lister) whose listing the config allows, and
	// a handler without Lister; Listings is what the config feeds per route.
	mem := handlers.NewMemory()
	mem.Put("files/a.txt", []byte("a"))
	mem.Put("files/deep/b.txt", []byte("bb"))
	reg := &registry.Registry{}
	if err := reg.Register(`files(/.*)?`, mem); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(`boot(/.*)?`, httpSequential([]byte("x"), 1)); err != nil {
		t.Fatal(err)
	}
	s := daemontest.NewHTTP(t, reg, func(d *daemon.HTTP) {
		d.Listings = func(name string) bool { return name == "files" || strings.HasPrefix(name, "files/") || name == "boot" }
	})
	resp, body := httpGet(t, s, "GET", "files/", "Accept", "application/json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"a.txt"`) || !strings.Contains(string(body), `"name":"deep","type":"dir"`) {
		t.Errorf("GET files/: %s %s", resp.Status, body)
	}
	if resp, body := httpGet(t, s, "GET", "files/deep/"); resp.StatusCode != 200 || !strings.Contains(string(body), `href="./b.txt"`) {
		t.Errorf("GET files/deep/: %s %s", resp.Status, body)
	}
	resp, _ = httpGet(t, s, "HEAD", "files/deep?q=1")
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/files/deep/" {
		t.Errorf("HEAD files/deep (redirected): %s at %s", resp.Status, resp.Request.URL)
	}
	for _, name := range []string{"boot/", "", "elsewhere/"} {
		if resp, _ := httpGet(t, s, "GET", name); resp.StatusCode != 404 {
			t.Errorf("GET /%s: %s, want 404", name, resp.Status)
		}
	}
}
