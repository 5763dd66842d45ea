package config_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/wire"
	"github.com/filemux/filemux/registry"
)

// issueExample is the configuration of the issue, with paths relative to
// the file and the origin filled in by the test.
const issueExample = `tftp:
  listen: ["0.0.0.0:69", "[::]:69"]
  max_blksize: 1468
  max_windowsize: 64
sftp:
  listen: ["0.0.0.0:2222"]
  host_key: keys/ssh_host_ed25519_key
  authorized_keys: authorized_keys
metrics:
  listen: "127.0.0.1:9469"
routes:
  - match: '(?<host>[a-z0-9-]+)-confg'
    template: {file: templates/ios.tmpl, data: inventory.yaml, key: host}
  - match: 'backup/(?<host>[^/]+)/.*'
    access: write
    dir: {root: backup, write: create}
  - match: 'boot/.*'
    http: {url: "ORIGIN/boot/{{.Name}}"}
`

const iosTemplate = `hostname {{.Params.host}}
interface Vlan{{.Data.vlan}}
 ip address {{.Data.mgmt_ip}} 255.255.255.0
`

// setup writes a configuration and the files it names into a new
// directory and returns the configuration's path.
func setup(t *testing.T, yaml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "backup"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "filemux.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serve builds the routes of the configuration at path into a registry.
func serve(t *testing.T, path string, opts config.BuildOptions) (*config.File, *config.RouteSet, *registry.Registry) {
	t.Helper()
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Retire)
	reg := &registry.Registry{}
	if err := reg.SetRoutes(set.Routes()); err != nil {
		t.Fatal(err)
	}
	return f, set, reg
}

func issueFiles() map[string]string {
	return map[string]string{
		"templates/ios.tmpl": iosTemplate,
		"inventory.yaml":     "sw-core-01: {vlan: 10, mgmt_ip: 10.0.0.11}\nsw-core-02: {vlan: 20, mgmt_ip: 10.0.0.12}\n",
		"authorized_keys":    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGvmz8lDT6sDWbDXHwMlBUgYc/RwfV9Es2HEWGTWHkLS ops@example\n",
	}
}

func TestIssueExample(t *testing.T) {
	var originReqs []string
	var mu sync.Mutex
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		originReqs = append(originReqs, r.URL.Path)
		mu.Unlock()
		fmt.Fprintf(w, "artifact %s", r.URL.Path)
	}))
	defer origin.Close()
	path := setup(t, strings.Replace(issueExample, "ORIGIN", origin.URL, 1), issueFiles())
	f, set, reg := serve(t, path, config.BuildOptions{})

	if f.TFTP.MaxBlockSize != 1468 || f.TFTP.MaxWindowSize != 64 || len(f.TFTP.Listen) != 2 || f.Metrics.Listen != "127.0.0.1:9469" {
		t.Errorf("tftp and metrics sections: %+v %+v", f.TFTP, f.Metrics)
	}
	if f.TFTP.Timeout != config.Duration(time.Second) || f.TFTP.Retries != 5 {
		t.Errorf("tftp defaults: timeout %v retries %d", f.TFTP.Timeout, f.TFTP.Retries)
	}
	routes := reg.Routes()
	if len(routes) != 3 || routes[0].Where != path+":12" || routes[2].Where != path+":17" {
		t.Errorf("routes: %+v", routes)
	}

	cfg, err := behaviourtest.Read(context.Background(), reg, "sw-core-02-confg")
	want := "hostname sw-core-02\ninterface Vlan20\n ip address 10.0.0.12 255.255.255.0\n"
	if err != nil || string(cfg) != want {
		t.Errorf("template by hostname: %q, %v", cfg, err)
	}
	if _, err := behaviourtest.Read(context.Background(), reg, "sw-edge-99-confg"); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("a device missing from the inventory: %v, want not found", err)
	}

	upload := []byte("running-config of r1\n")
	// The whole name is looked up under the root, which has no make_parents.
	if err := os.MkdirAll(filepath.Join(filepath.Dir(path), "backup/backup/r1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := behaviourtest.Write(context.Background(), reg, "backup/r1/2024.cfg", upload); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(filepath.Dir(path), "backup/backup/r1/2024.cfg")); err != nil || !bytes.Equal(got, upload) {
		t.Errorf("stored upload: %q, %v", got, err)
	}
	if _, err := behaviourtest.Read(context.Background(), reg, "backup/r1/2024.cfg"); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("reading from a write route: %v, want an access violation", err)
	}

	b, err := behaviourtest.Read(context.Background(), reg, "boot/vmlinuz")
	if err != nil || string(b) != "artifact /boot/boot/vmlinuz" {
		t.Errorf("http route: %q, %v", b, err)
	}
	if name := set.Name(routes[2].Pattern); name != `boot/.*` {
		t.Errorf("the name of an unnamed route is %q, want its match", name)
	}
}

// TestDirRouteUploads checks that a write route stores uploads in its
// directory and refuses what its policy refuses.
func TestDirRouteUploads(t *testing.T) {
	path := setup(t, `tftp: {listen: [":69"]}
routes:
  - name: backups
    match: '.*?backup/(?<host>[^/]+)/.+'
    access: write
    dir: {root: ., write: create, make_parents: true, file_mode: 0640}
`, nil)
	_, set, reg := serve(t, path, config.BuildOptions{})
	if err := behaviourtest.Write(context.Background(), reg, "backup/r1/running.cfg", []byte("hostname r1\n")); err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(filepath.Dir(path), "backup/r1/running.cfg")
	got, err := os.ReadFile(stored)
	if err != nil || string(got) != "hostname r1\n" {
		t.Fatalf("stored upload: %q, %v", got, err)
	}
	if fi, err := os.Stat(stored); err != nil || fi.Mode().Perm()&^0o640 != 0 {
		t.Errorf("mode of the upload: %v, %v; want at most 0640", fi.Mode(), err)
	}
	if err := behaviourtest.Write(context.Background(), reg, "backup/r1/running.cfg", []byte("again")); !errors.Is(err, behaviour.ErrFileExists) {
		t.Errorf("replacing under write: create: %v, want file exists", err)
	}
	if name := set.Name(reg.Routes()[0].Pattern); name != "backups" {
		t.Errorf("route name %q", name)
	}
}

func TestFilters(t *testing.T) {
	path := setup(t, `tftp: {listen: [":69"]}
routes:
  - match: '.*ro/.*'
    access: read
    memory: {write: any, files: {ro/a: alpha}}
  - match: '.*wo/.*'
    access: write
    memory: {write: any, files: {wo/a: alpha}}
  - match: '.*ssh/.*'
    protocols: [sftp, scp]
    memory: {write: any, files: {ssh/a: alpha}}
`, nil)
	_, _, reg := serve(t, path, config.BuildOptions{})
	ctx := context.Background()
	sftp := behaviourtest.Protocol(behaviour.SFTP)
	read := func(name string, opts ...behaviourtest.Option) error {
		_, err := behaviourtest.Read(ctx, reg, name, opts...)
		return err
	}
	write := func(name string, opts ...behaviourtest.Option) error {
		return behaviourtest.Write(ctx, reg, name, []byte("x"), opts...)
	}
	tests := []struct {
		what string
		err  error
		want behaviour.Code
	}{
		{"read of a read route", read("ro/a"), 0},
		{"write to a read route", write("ro/b"), behaviour.CodeAccessViolation},
		{"write to a write route", write("wo/b"), 0},
		{"read of a write route", read("wo/a"), behaviour.CodeAccessViolation},
		{"sftp read of an ssh route", read("ssh/a", sftp), 0},
		{"tftp read of an ssh route", read("ssh/a"), behaviour.CodeNotFound},
		{"tftp write to an ssh route", write("ssh/b"), behaviour.CodeAccessViolation},
		{"sftp write to an ssh route", write("ssh/c", sftp), 0},
	}
	for _, tt := range tests {
		if got := wire.TFTPCode(tt.err); (tt.err == nil) != (tt.want == 0) || (tt.err != nil && got != tt.want) {
			t.Errorf("%s: %v, want code %d", tt.what, tt.err, tt.want)
		}
	}
	caps := []struct {
		what string
		err  error
	}{
		{"tftp stat of an ssh route", statErr(reg, "ssh/a", behaviour.TFTP)},
		{"tftp remove on an ssh route", capErr(reg, "ssh/a", behaviour.TFTP, behaviour.Remove)},
		{"remove on a read route", capErr(reg, "ro/a", behaviour.SFTP, behaviour.Remove)},
		{"remove on a write route", capErr(reg, "wo/a", behaviour.SFTP, behaviour.Remove)},
		{"rename on a write route", capErr(reg, "wo/a", behaviour.SFTP, func(ctx context.Context, h behaviour.Handler, t *behaviour.Transfer) error {
			return behaviour.Rename(ctx, h, t, "wo/b")
		})},
	}
	for _, c := range caps {
		if c.err == nil || errors.Is(c.err, behaviour.ErrUnsupported) {
			t.Errorf("%s: %v, want a refusal", c.what, c.err)
		}
	}
	if err := statErr(reg, "ssh/a", behaviour.SFTP); err != nil {
		t.Errorf("sftp stat of an ssh route: %v", err)
	}
	if err := capErr(reg, "ssh/a", behaviour.SFTP, behaviour.Remove); err != nil {
		t.Errorf("sftp remove on an ssh route: %v", err)
	}
}

func statErr(h behaviour.Handler, name string, p behaviour.Protocol) error {
	t, _ := behaviourtest.NewTransfer(behaviour.Read, name, behaviourtest.Protocol(p))
	_, err := behaviour.Stat(context.Background(), h, t)
	return err
}

func capErr(h behaviour.Handler, name string, p behaviour.Protocol, op func(context.Context, behaviour.Handler, *behaviour.Transfer) error) error {
	t, _ := behaviourtest.NewTransfer(behaviour.Write, name, behaviourtest.Protocol(p))
	return op(context.Background(), h, t)
}

func TestTemplateByPeer(t *testing.T) {
	path := setup(t, `tftp: {listen: [":69"]}
routes:
  - match: '.*ztp/config.*'
    template:
      text: "hostname {{.Data.hostname}} for {{.Peer.Addr}}\n"
      data: devices.csv
      key: peer
      key_field: ip
`, map[string]string{"devices.csv": "ip,hostname\n192.0.2.7,edge-7\n"})
	_, _, reg := serve(t, path, config.BuildOptions{})
	peer := behaviourtest.Peer(netip.MustParseAddrPort("192.0.2.7:1234"))
	b, err := behaviourtest.Read(context.Background(), reg, "ztp/config", peer)
	if err != nil || string(b) != "hostname edge-7 for 192.0.2.7\n" {
		t.Errorf("template by peer: %q, %v", b, err)
	}
	other := behaviourtest.Peer(netip.MustParseAddrPort("192.0.2.8:1234"))
	if _, err := behaviourtest.Read(context.Background(), reg, "ztp/config", other); !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("an unknown peer: %v, want not found", err)
	}
}

func TestBuildErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name, yaml string
		files      map[string]string
		want       []string
	}{
		{"missing root", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    dir: {root: nowhere}\n", nil,
			[]string{"filemux.yaml:4:11: routes[0].dir.root: serving directory: open"}},
		{"missing template", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    template: {file: none.tmpl}\n", nil,
			[]string{"filemux.yaml:4:16: routes[0].template.file: "}},
		{"template file names a missing capture", "tftp: {listen: [':69']}\nroutes:\n  - match: '(?<host>.+)'\n    template: {file: t.tmpl}\n",
			map[string]string{"t.tmpl": "{{.Params.hostname}}"},
			[]string{"filemux.yaml:4:16: routes[0].template.file: .Params.hostname is not a named group of match (its groups: host)"}},
		{"bad inventory", "tftp: {listen: [':69']}\nroutes:\n  - match: '(?<h>.+)'\n    template: {text: x, data: inv.yaml, key: h}\n",
			map[string]string{"inv.yaml": "- just a list of strings\n"},
			[]string{"filemux.yaml:4:25: routes[0].template.data: inventory "}},
		{"bad url", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    http: {url: 'ftp://x/'}\n", nil,
			[]string{`filemux.yaml:4:12: routes[0].http.url: URL "ftp://x/" does not start with http:// or https://`}},
		{"program not found", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    memory: {}\n    actions:\n      - run: [/nonexistent/archive]\n", nil,
			[]string{"filemux.yaml:6:9: routes[0].actions[0]: exec: \"/nonexistent/archive\""}},
		{"bad memory file", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    memory: {files: {'../x': y}}\n", nil,
			[]string{`filemux.yaml:4:22: routes[0].memory.files.../x: "../x" is not a file name a client could ask for`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.Load(setup(t, tt.yaml, tt.files))
			if err != nil {
				t.Fatal(err)
			}
			set, err := f.Build(config.BuildOptions{})
			if set != nil {
				t.Error("Build returned routes with its error")
			}
			for i := range tt.want {
				tt.want[i] = filepath.Dir(f.Name()) + "/" + tt.want[i]
			}
			checkErrors(t, err, tt.want)
		})
	}
}

// TestActionFiresOncePerUpload posts the event of each upload to a local
// endpoint and counts them.
func TestActionFiresOncePerUpload(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e handlers.ActionEvent
		_ = json.NewDecoder(r.Body).Decode(&e)
		mu.Lock()
		got[e.Outcome+" "+e.Params["host"]]++
		mu.Unlock()
	}))
	defer hook.Close()
	path := setup(t, fmt.Sprintf(`tftp: {listen: [":69"]}
routes:
  - match: '.*?(?<host>[a-z0-9-]+)-confg.*'
    access: write
    dir: {root: backup, write: create}
    actions:
      - {on: success, post: "%s/ok"}
      - {on: failure, post: "%s/fail"}
`, hook.URL, hook.URL), nil)
	actions := &handlers.Actions{}
	_, _, reg := serve(t, path, config.BuildOptions{Actions: actions})
	for i := range 5 {
		if err := behaviourtest.Write(context.Background(), reg, fmt.Sprintf("r%d-confg", i), bytes.Repeat([]byte("x"), 2000)); err != nil {
			t.Fatal(err)
		}
	}
	_ = behaviourtest.Write(context.Background(), reg, "r0-confg", []byte("replace"))
	_, _ = behaviourtest.Read(context.Background(), reg, "r1-confg") // refused by the route's access: no transfer
	actions.Wait()
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"success r0": 1, "success r1": 1, "success r2": 1, "success r3": 1, "success r4": 1, "failure r0": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestRetireWaitsForTransfers reloads away a route set while an upload
// through it runs: the upload still commits, and the directory is closed
// afterwards.
func TestRetireWaitsForTransfers(t *testing.T) {
	path := setup(t, `tftp: {listen: [":69"]}
routes:
  - match: '.*'
    dir: {root: backup, write: any}
`, nil)
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.Build(config.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := set.Routes()[0].Handler
	tr, _ := behaviourtest.NewTransfer(behaviour.Write, "late.cfg")
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	set.Retire()
	if err := h.Write(tr, []byte("still here"), true); err != nil {
		t.Fatalf("the running upload failed after Retire: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "backup/late.cfg")); err != nil || string(b) != "still here" {
		t.Errorf("committed %q, %v", b, err)
	}
	if _, err := behaviourtest.Read(context.Background(), h, "late.cfg"); err == nil {
		t.Error("the retired set still serves once its last transfer ended: its directory is open")
	}
}

func TestExplain(t *testing.T) {
	path := setup(t, strings.Replace(issueExample, "ORIGIN", "http://artifacts.internal", 1), issueFiles())
	_, set, _ := serve(t, path, config.BuildOptions{})
	e, err := set.Explain("/backup//r1/a.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "backup/r1/a.cfg" || e.Index != 1 || e.Where != path+":14" || e.Access != config.AccessWrite ||
		len(e.Params) != 1 || e.Params[0] != (behaviour.Param{Name: "host", Value: "r1"}) || !strings.HasPrefix(e.Handler, "dir ") {
		t.Errorf("explanation: %+v", e)
	}
	e, err = set.Explain("boot/x y")
	if err != nil || e.URL != "http://artifacts.internal/boot/boot/x%20y" || !strings.HasPrefix(e.Handler, "http ") {
		t.Errorf("http explanation: %+v, %v", e, err)
	}
	if _, err := set.Explain("nothing"); !errors.Is(err, registry.ErrNoRoute) {
		t.Errorf("a name no route matches: %v", err)
	}
	if _, err := set.Explain("../etc"); !errors.Is(err, behaviour.ErrBadName) {
		t.Errorf("a name engines refuse: %v", err)
	}
}
