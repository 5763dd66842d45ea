package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
)

// minimal is the smallest valid configuration, to break one key at a time.
const minimal = `tftp:
  listen: ["127.0.0.1:6969"]
routes:
  - match: '.*'
    memory: {}
`

func TestErrorsNameFileLineAndKey(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // each an error line, in file order
	}{
		{"unknown top-level key", minimal + "metrcs:\n  listen: x\n",
			[]string{"f.yaml:6:1: metrcs: unknown key (did you mean metrics?)"}},
		{"unknown route key", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    dri: {root: /}\n",
			[]string{"f.yaml:3:5: routes[0]: no handler: set one of dir, memory, template, http", "f.yaml:4:5: routes[0].dri: unknown key (did you mean dir?)"}},
		{"unknown key far from any", "tftp: {listen: [':69'], zzzzzzzz: 1}\nroutes: [{match: x, memory: {}}]\n",
			[]string{"f.yaml:1:25: tftp.zzzzzzzz: unknown key (known keys: "}},
		{"not a number", strings.Replace(minimal, "tftp:\n", "tftp:\n  max_blksize: lots\n", 1),
			[]string{`f.yaml:2:3: tftp.max_blksize: want a whole number, not "lots"`}},
		{"out of range", strings.Replace(minimal, "tftp:\n", "tftp:\n  max_blksize: 70000\n", 1),
			[]string{"f.yaml:2:3: tftp.max_blksize: 70000 is outside 8..65464"}},
		{"bad duration", strings.Replace(minimal, "tftp:\n", "tftp:\n  timeout: 3 seconds\n", 1),
			[]string{`f.yaml:2:3: tftp.timeout: "3 seconds" is not a duration`}},
		{"bad port policy", strings.Replace(minimal, "tftp:\n", "tftp:\n  ports: 9-1\n", 1),
			[]string{`f.yaml:2:3: tftp.ports: "9-1" is not random, single or a range LO-HI`}},
		{"bad trusted network", strings.Replace(minimal, "tftp:\n", "tftp:\n  trusted_networks: [10.0.0.0/8, 10.1/16]\n", 1),
			[]string{`f.yaml:2:34: tftp.trusted_networks[1]: "10.1/16" is not a network such as 10.20.0.0/16 or an address`}},
		{"bad listen address", "tftp:\n  listen: ['localhost']\nroutes: [{match: x, memory: {}}]\n",
			[]string{`f.yaml:2:12: tftp.listen[0]: "localhost" is not an address host:port`}},
		{"no listen", "tftp: {}\nroutes: [{match: x, memory: {}}]\n",
			[]string{"f.yaml:1:1: tftp.listen: at least one address is required"}},
		{"nothing to serve", "routes: [{match: x, memory: {}}]\n",
			[]string{"f.yaml:1:1: nothing to serve"}},
		{"no routes", "tftp: {listen: [':69']}\n",
			[]string{"f.yaml:1:1: routes: at least one route is required"}},
		{"bad size", strings.Replace(minimal, "memory: {}", "memory: {max_total: 3 lots}", 1),
			[]string{`f.yaml:5:14: routes[0].memory.max_total: "3 lots" is not a size`}},
		{"bad write policy", strings.Replace(minimal, "memory: {}", "memory: {write: sometimes}", 1),
			[]string{`f.yaml:5:14: routes[0].memory.write: unknown write policy "sometimes" (want none, create, overwrite or any)`}},
		{"bad access", strings.Replace(minimal, "memory: {}", "memory: {}\n    access: upload", 1),
			[]string{`f.yaml:6:5: routes[0].access: unknown value "upload" (want both, read, write)`}},
		{"bad protocol", strings.Replace(minimal, "memory: {}", "memory: {}\n    protocols: [tftp, ftp]", 1),
			[]string{`f.yaml:6:23: routes[0].protocols[1]: unknown protocol "ftp"`}},
		{"missing match", "tftp: {listen: [':69']}\nroutes:\n  - memory: {}\n",
			[]string{"f.yaml:3:5: routes[0].match: required"}},
		{"invalid pattern", strings.Replace(minimal, "'.*'", "'(?<host>[a-z'", 1),
			[]string{"f.yaml:4:5: routes[0].match: invalid pattern: "}},
		{"duplicate pattern", minimal + "  - match: '.*'\n    memory: {}\n",
			[]string{"f.yaml:6:5: routes[1].match: the same pattern as routes[0] (at f.yaml:4): this route would never match"}},
		{"two handlers", strings.Replace(minimal, "memory: {}", "memory: {}\n    dir: {root: /tmp}", 1),
			[]string{"f.yaml:5:5: routes[0].memory: a route has one handler, and dir is set too"}},
		{"template key not a group", "tftp: {listen: [':69']}\nroutes:\n  - match: '(?<host>.+)-confg'\n    template: {text: x, data: inv.yaml, key: hots}\n",
			[]string{`f.yaml:4:41: routes[0].template.key: "hots" is neither peer nor a named group of match (its groups: host)`}},
		{"template data without key", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    template: {text: x, data: inv.yaml}\n",
			[]string{"f.yaml:4:5: routes[0].template.key: required with data"}},
		{"template text names a missing capture", "tftp: {listen: [':69']}\nroutes:\n  - match: '(?<host>.+)'\n    template: {text: 'hostname {{.Params.hostname}}'}\n",
			[]string{"f.yaml:4:16: routes[0].template.text: .Params.hostname is not a named group of match (its groups: host)"}},
		{"write route on a template", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    access: write\n    template: {text: x}\n",
			[]string{"f.yaml:4:5: routes[0].access: write, but a template is read-only"}},
		{"write route on a read-only dir", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    access: write\n    dir: {root: /tmp}\n",
			[]string{"f.yaml:5:5: routes[0].dir.write: none, so every upload of this write route is refused"}},
		{"http url capture", "tftp: {listen: [':69']}\nroutes:\n  - match: 'boot/(?<f>.+)'\n    http: {url: 'http://x/{{.Params.file}}'}\n",
			[]string{"f.yaml:4:12: routes[0].http.url: .Params.file is not a named group of match (its groups: f)"}},
		{"http timeout over the TFTP budget", "tftp: {listen: [':69'], timeout: 1s}\nroutes:\n  - match: x\n    http: {url: 'http://x/', timeout: 2s}\n",
			[]string{"f.yaml:4:30: routes[0].http.timeout: 2s is not shorter than the TFTP daemon's budget for one handler call, 2s"}},
		{"http timeout fine for sftp only", "sftp: {listen: [':2222'], host_key: k, password_file: pw}\nroutes:\n  - match: x\n    http: {url: 'http://x/', timeout: 2s}\n",
			nil},
		{"action with run and post", strings.Replace(minimal, "memory: {}", "memory: {}\n    actions:\n      - {run: [/bin/true], post: 'http://x/'}", 1),
			[]string{"f.yaml:7:9: routes[0].actions[0]: set exactly one of run and post"}},
		{"action trigger", strings.Replace(minimal, "memory: {}", "memory: {}\n    actions:\n      - {on: sometimes, post: 'http://x/'}", 1),
			[]string{`f.yaml:7:10: routes[0].actions[0].on: unknown action trigger "sometimes"`}},
		{"bad max startups", "sftp: {listen: [':2222'], host_key: k, password_file: pw, max_startups: '100:30:10'}\nroutes: [{match: x, memory: {}}]\n",
			[]string{`f.yaml:1:59: sftp.max_startups: "100:30:10" is not start:rate:full`}},
		{"bans with the default window", "sftp: {listen: [':2222'], host_key: k, password_file: pw, ban_window: 0s}\nroutes: [{match: x, memory: {}}]\n",
			nil},
		{"bans off need no window", "sftp: {listen: [':2222'], host_key: k, password_file: pw, ban_threshold: off, ban_window: 0s}\nroutes: [{match: x, memory: {}}]\n",
			nil},
		{"sftp without auth", "sftp: {listen: [':2222'], host_key: k}\nroutes: [{match: x, memory: {}}]\n",
			[]string{"f.yaml:1:1: sftp: no way to log in"}},
		{"key given twice", "tftp: {listen: [':69']}\nroutes:\n  - match: x\n    match: y\n    memory: {}\n",
			[]string{"f.yaml:4:5: routes[0].match: match is given twice"}},
		{"wrong kind", "tftp: [':69']\nroutes: [{match: x, memory: {}}]\n",
			[]string{"f.yaml:1:1: tftp: want a mapping of keys to values, not a list"}},
		{"not YAML", "tftp: {listen: [':69']\nroutes: x\n",
			[]string{"f.yaml:1:1: did not find expected ',' or '}'"}},
		{"empty", "", []string{"f.yaml: the file is empty"}},
		{"pattern that cannot be anchored", "tftp: {listen: [':69']}\nroutes:\n  - match: '(?x)a # comment'\n    memory: {}\n",
			[]string{"f.yaml:3:5: routes[0].match: invalid pattern: it does not stay one expression when anchored to the whole name"}},
		{"several at once", "tftp:\n  listen: [':69']\n  max_blksize: 1\n  retries: -1\nroutes:\n  - match: '('\n    memory: {}\n  - memory: {}\n",
			[]string{"f.yaml:3:3: tftp.max_blksize: 1 is outside 8..65464", `f.yaml:4:3: tftp.retries: "-1" is not a number of 0 or more, or off`,
				"f.yaml:6:5: routes[0].match: invalid pattern", "f.yaml:8:5: routes[1].match: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("ops:$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := config.Parse("f.yaml", dir, []byte(tt.yaml))
			checkErrors(t, err, tt.want)
		})
	}
}

// checkErrors checks that err holds exactly the wanted problems, in
// order, each line starting with its wanted text.
func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected errors:\n%v", err)
		}
		return
	}
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T) is not a config.Errors", err, err)
	}
	if len(errs) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, e := range errs {
		if !strings.HasPrefix(e.Error(), want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s...", i, e, want[i])
		}
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "filemux.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(minimal, "'.*'", "'('", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":4:5: routes[0].match: invalid pattern") {
		t.Errorf("Load: %v", err)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}
