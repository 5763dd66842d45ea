package config_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/registry"
)

func ExampleParse() {
	_, err := config.Parse("filemux.yaml", "", []byte(`
tftp:
  listen: ["0.0.0.0:69"]
  max_blksize: 100000
routes:
  - match: '(?<host>[a-z0-9-]+)-confg'
    template: {text: "hostname {{.Params.hostname}}\n"}
  - match: 'boot/.*'
    http: {url: "http://artifacts.internal/{{.Name}}", timeuot: 1s}
`))
	fmt.Println(err)
	// Output:
	// filemux.yaml:4:3: tftp.max_blksize: 100000 is outside 8..65464
	// filemux.yaml:7:16: routes[0].template.text: .Params.hostname is not a named group of match (its groups: host)
	// filemux.yaml:9:56: routes[1].http.timeuot: unknown key (did you mean timeout?)
}

func ExampleFile_Build() {
	f, err := config.Parse("filemux.yaml", "", []byte(`
tftp: {listen: ["127.0.0.1:6969"]}
routes:
  - match: '(?<host>[a-z0-9-]+)-confg'
    template:
      text: "hostname {{.Params.host}}\n"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := f.Build(config.BuildOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Retire()
	var reg registry.Registry
	if err := reg.SetRoutes(set.Routes()); err != nil {
		fmt.Println(err)
		return
	}
	b, err := behaviourtest.Read(context.Background(), &reg, "sw-core-01-confg")
	fmt.Printf("%q %v\n", b, err)
	// Output:
	// "hostname sw-core-01\n" <nil>
}

func ExampleRouteSet_Explain() {
	f, err := config.Parse("filemux.yaml", "", []byte(`
tftp: {listen: ["127.0.0.1:6969"]}
routes:
  - match: '(?<host>[a-z0-9-]+)-confg'
    template: {text: "hostname {{.Params.host}}\n"}
  - name: boot
    match: 'boot/(?<file>.+)'
    protocols: [tftp]
    http: {url: "http://artifacts.internal/pxe/{{.Params.file}}"}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := f.Build(config.BuildOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Retire()
	for _, name := range []string{"/boot//ipxe.efi", "r1-confg", "motd"} {
		e, err := set.Explain(name)
		if err != nil {
			fmt.Printf("%s: %v\n", name, err)
			continue
		}
		fmt.Printf("%s: route %d (%s at %s) %v %s\n", e.Name, e.Index, e.Route, e.Where, e.Params, e.Handler)
		if e.URL != "" {
			fmt.Println("  origin:", e.URL)
		}
	}
	// Output:
	// boot/ipxe.efi: route 1 (boot at filemux.yaml:7) [{file ipxe.efi}] http http://artifacts.internal/pxe/{{.Params.file}} (cache 64MiB for 1m)
	//   origin: http://artifacts.internal/pxe/ipxe.efi
	// r1-confg: route 0 ((?<host>[a-z0-9-]+)-confg at filemux.yaml:4) [{host r1}] template (inline)
	// motd: registry: no route matches (2 routes tried)
}

func ExampleLoad() {
	dir, err := os.MkdirTemp("", "filemux-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "filemux.yaml")
	err = os.WriteFile(path, []byte(`tftp:
  listen: ["0.0.0.0:69"]
  max_blksize: 1468
routes:
  - match: 'boot/.*'
    dir: {root: /srv/tftp}
`), 0o600)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := config.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.TFTP.Listen, f.TFTP.MaxBlockSize, f.TFTP.Timeout, f.Routes[0].Dir.Root, f.Routes[0].Dir.Write)
	// Output:
	// [0.0.0.0:69] 1468 1s /srv/tftp none
}

func ExampleFile_TFTPDaemons() {
	f, err := config.Parse("filemux.yaml", "", []byte(`
tftp:
  listen: ["0.0.0.0:69", "[::]:69"]
  ports: 50000-50100
  retries: off
routes: [{match: '.*', memory: {}}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := f.Build(config.BuildOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Retire()
	var reg registry.Registry
	if err := reg.SetRoutes(set.Routes()); err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range f.TFTPDaemons(&reg, nil) {
		fmt.Println(d.ListenAddr, d.Ports, d.Retries < 0)
	}
	// Output:
	// 0.0.0.0:69 50000-50100 true
	// [::]:69 50000-50100 true
}

// The http section makes one daemon.HTTP per address; which names may be
// uploaded without a login, and which directories listed, come from the
// routes the registry dispatches them to.
func ExampleFile_HTTPDaemons() {
	f, err := config.Parse("filemux.yaml", "", []byte(`
http:
  listen: ["0.0.0.0:80"]
  idle_timeout: off
routes:
  - {match: 'ztp/logs/.*', access: write, anonymous_uploads: true, memory: {write: create}}
  - {match: 'pub(/.*)?', listing: true, memory: {}}
  - {match: '.*', memory: {write: any}}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	set, err := f.Build(config.BuildOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Retire()
	var reg registry.Registry
	if err := reg.SetRoutes(set.Routes()); err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range f.HTTPDaemons(&reg, nil) {
		d.AnonymousUploads, d.Listings = config.AnonymousUploads(&reg), config.Listings(&reg)
		fmt.Println(d.ListenAddr, d.IdleTimeout < 0, d.TLSCertFile == "")
		fmt.Println(d.AnonymousUploads("ztp/logs/SN1.log"), d.AnonymousUploads("other.cfg"))
		fmt.Println(d.Listings("pub"), d.Listings("."))
	}
	// Output:
	// 0.0.0.0:80 true true
	// true false
	// true false
}
