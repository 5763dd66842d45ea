package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"text/template"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// The patterns of the names devices ask for, in the order the registry
// tries them. The first that matches a name wins, so the fixed names come
// before the hostname pattern that would match them too.
const (
	networkConfg = `network-confg`
	routerConfg  = `router-confg`
	macConfig    = `configs/(?<mac>[0-9A-Fa-f.:-]{11,17})\.cfg`
	hostConfg    = `(?<host>[A-Za-z0-9][A-Za-z0-9.-]{0,62})-confg`
	onieGeneric  = `onie-installer`
)

// oniePatterns are ONIE's default installer names after "onie-installer-",
// most precise first. Each captures the whole suffix as platform, the key of
// platforms.yaml, and its parts by name. Vendors hold no "-" or "_", machines
// no "-", and arches no "-" (but "_", as in x86_64), so "x86_64" alone also
// matches the <vendor>_<machine> pattern: since the key is the whole suffix,
// the lookup finds the x86_64 record either way.
var oniePatterns = []string{
	`onie-installer-(?<platform>(?<arch>[^-/]+)-(?<vendor>[^-_/]+)_(?<machine>[^-/]+)-r(?<rev>[0-9]+))`,
	`onie-installer-(?<platform>(?<arch>[^-/]+)-(?<vendor>[^-_/]+)_(?<machine>[^-/]+))`,
	`onie-installer-(?<platform>(?<vendor>[^-_/]+)_(?<machine>[^-/]+))`,
	`onie-installer-(?<platform>(?<arch>[^-/]+))`,
}

// routes builds the registry that answers every name of both waterfalls
// from the files in fsys (see the provisioning folder).
func routes(fsys fs.FS) (*registry.Registry, error) {
	devices, err := loadDevices(fsys)
	if err != nil {
		return nil, err
	}
	platforms, err := load(fsys, "platforms.yaml", "")
	if err != nil {
		return nil, err
	}
	var r registry.Registry
	add := func(pattern, file string, inv *handlers.Inventory, key string) (behaviour.Handler, error) {
		h, err := render(fsys, file, inv, key, devices.funcs())
		if err == nil {
			err = r.Register(pattern, h)
		}
		return h, err
	}
	if _, err := add(networkConfg, "network-confg.tmpl", nil, ""); err != nil {
		return nil, err
	}
	// router-confg: the device's own config when its address is known,
	// the default otherwise. Nothing is ever "not found" here: it is
	// AutoInstall's last try.
	byPeer, err := render(fsys, "device-confg.tmpl", devices.byIP, handlers.KeyPeer, nil)
	if err != nil {
		return nil, err
	}
	unknown, err := render(fsys, "router-confg.tmpl", nil, "", nil)
	if err != nil {
		return nil, err
	}
	if err := r.Register(routerConfg, firstFound(byPeer, unknown)); err != nil {
		return nil, err
	}
	byMAC, err := render(fsys, "device-confg.tmpl", devices.byMAC, "mac", nil)
	if err != nil {
		return nil, err
	}
	if err := r.Register(macConfig, canonicalMAC(byMAC)); err != nil {
		return nil, err
	}
	if _, err := add(hostConfg, "device-confg.tmpl", devices.byHost, "host"); err != nil {
		return nil, err
	}
	installer, err := render(fsys, "onie-installer.tmpl", platforms, "platform", nil)
	if err != nil {
		return nil, err
	}
	for _, p := range oniePatterns {
		if err := r.Register(p, installer); err != nil {
			return nil, err
		}
	}
	if _, err := add(onieGeneric, "onie-fallback.tmpl", nil, ""); err != nil {
		return nil, err
	}
	return &r, nil
}

// render returns a template handler for the template file in fsys.
func render(fsys fs.FS, file string, inv *handlers.Inventory, key string, funcs template.FuncMap) (behaviour.Handler, error) {
	text, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	h, err := handlers.NewTemplate(handlers.TemplateConfig{Text: string(text), Inventory: inv, Key: key, Funcs: funcs})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return h, nil
}

// load reads an inventory file from fsys.
func load(fsys fs.FS, file, key string) (*handlers.Inventory, error) {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	inv, err := handlers.ReadInventory(bytes.NewReader(b), handlers.InventoryYAML, key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return inv, nil
}
