package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/template"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The patterns of the names machines ask for, in the order the registry
// tries them. A MAC address is written as iPXE's ${net0/mac:hexhyp} writes
// it, the key of hosts.yaml.
const (
	bootScript = `boot\.ipxe`
	hostScript = `mac-(?<mac>[0-9a-f]{2}(-[0-9a-f]{2}){5})\.ipxe`
	ztpConfig  = `ztp/(?<mac>[0-9a-f]{2}(-[0-9a-f]{2}){5})\.cfg`
	bootFiles  = `boot/[^/]+`
	uploads    = `configs/(?<host>[a-z0-9][a-z0-9-]{0,62})\.cfg`
)

// maxConfigSize bounds an uploaded config.
const maxConfigSize = 1 << 20

// loadHosts reads hosts.yaml, the inventory keyed by MAC address.
func loadHosts(fsys fs.FS) (*handlers.Inventory, error) {
	b, err := fs.ReadFile(fsys, "hosts.yaml")
	if err != nil {
		return nil, err
	}
	inv, err := handlers.ReadInventory(bytes.NewReader(b), handlers.InventoryYAML, "")
	if err != nil {
		return nil, fmt.Errorf("hosts.yaml: %w", err)
	}
	return inv, nil
}

// routes builds the one registry both daemons serve. server is the HTTP
// server's URL as machines reach it, "http://host:port". The returned
// function closes the directories.
func routes(fsys fs.FS, hosts *handlers.Inventory, root, server string) (*registry.Registry, func(), error) {
	funcs := template.FuncMap{"server": func() string { return server }}
	perHost, err := render(fsys, "host.ipxe.tmpl", hosts, funcs)
	if err != nil {
		return nil, nil, err
	}
	ztp, err := render(fsys, "ztp.cfg.tmpl", hosts, funcs)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, "configs"), 0o755); err != nil {
		return nil, nil, err
	}
	boot, err := handlers.NewDir(root, handlers.DirConfig{}) // read-only
	if err != nil {
		return nil, nil, err
	}
	configs, err := handlers.NewDir(root, handlers.DirConfig{Write: handlers.WriteAny, MaxSize: maxConfigSize})
	if err != nil {
		boot.Close()
		return nil, nil, err
	}
	closeDirs := func() { boot.Close(); configs.Close() }

	var r registry.Registry
	for _, rt := range []registry.Route{
		// The same for every machine: iPXE expands ${net0/mac:hexhyp}
		// itself, and chains to HTTP for everything after.
		{Pattern: bootScript, Handler: behaviour.Bytes([]byte("#!ipxe\n" +
			"chain " + server + "/mac-${net0/mac:hexhyp}.ipxe || echo no boot script for ${net0/mac} on " + server + "\n"))},
		{Pattern: hostScript, Handler: perHost},
		{Pattern: ztpConfig, Handler: ztp},
		{Pattern: bootFiles, Handler: boot},
		// Devices push their configs, never fetch them back: write-only,
		// and each device only its own.
		{Pattern: uploads, Handler: handlers.WriteOnly(ownConfig(configs))},
	} {
		if err := r.Register(rt.Pattern, rt.Handler); err != nil {
			closeDirs()
			return nil, nil, err
		}
	}
	return &r, closeDirs, nil
}

// render returns a template handler for the template file in fsys, keyed
// by the route's "mac" capture.
func render(fsys fs.FS, file string, hosts *handlers.Inventory, funcs template.FuncMap) (behaviour.Handler, error) {
	text, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	h, err := handlers.NewTemplate(handlers.TemplateConfig{Text: string(text), Inventory: hosts, Key: "mac", Funcs: funcs})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return h, nil
}

// ownHandler lets an upload through only when the authenticated user is
// the host the name belongs to.
type ownHandler struct{ behaviour.Handler }

// ownConfig returns a Handler that serves what h serves, but refuses an
// upload of configs/HOST.cfg unless the uploader authenticated as HOST
// (the user of its line in the token file): a device's token writes its
// own config and no other.
func ownConfig(h behaviour.Handler) behaviour.Handler { return ownHandler{h} }

// Open checks the uploader before the file is opened.
func (o ownHandler) Open(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access == behaviour.Write && (t.User == "" || t.User != t.Param("host")) {
		return behaviour.NewError(behaviour.CodeAccessViolation, "a device uploads its own config only")
	}
	return o.Handler.Open(ctx, t)
}

// Unwrap lets capability checks see the handler underneath.
func (o ownHandler) Unwrap() behaviour.Handler { return o.Handler }

// demoRoot makes a folder with a stand-in for every kernel and initrd
// hosts names, so that the program runs without a real boot tree.
func demoRoot(hosts *handlers.Inventory) (string, error) {
	root, err := os.MkdirTemp("", "filemux-netboot-")
	if err != nil {
		return "", err
	}
	if err := os.Mkdir(filepath.Join(root, "boot"), 0o755); err != nil {
		return "", err
	}
	for _, mac := range hosts.Keys() {
		rec, _ := hosts.Lookup(mac)
		for _, field := range []string{"kernel", "initrd"} {
			name, ok := rec[field].(string)
			if !ok || name != filepath.Base(name) {
				return "", fmt.Errorf("hosts.yaml: %s: %s is no file name", mac, field)
			}
			text := fmt.Sprintf("stand-in %s %s: put the real one in %s\n", field, name, filepath.Join("ROOT", "boot", name))
			if err := os.WriteFile(filepath.Join(root, "boot", name), bytes.Repeat([]byte(text), 1000), 0o644); err != nil {
				return "", err
			}
		}
	}
	return root, nil
}
