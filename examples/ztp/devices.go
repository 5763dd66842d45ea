package main

import (
	"fmt"
	"io/fs"
	"text/template"

	"github.com/filemux/filemux/handlers"
)

// devices is devices.yaml indexed three ways: the same records, found by
// the hostname in a name, the MAC address in a name, or the peer's address.
type devices struct {
	byHost, byMAC, byIP *handlers.Inventory
}

// loadDevices reads devices.yaml once per key. Loading refuses a record
// that lacks a key or repeats one, so every device can be found every way.
func loadDevices(fsys fs.FS) (devices, error) {
	var d devices
	var err error
	if d.byHost, err = load(fsys, "devices.yaml", "hostname"); err != nil {
		return d, err
	}
	if d.byMAC, err = load(fsys, "devices.yaml", "mac"); err != nil {
		return d, err
	}
	if d.byIP, err = load(fsys, "devices.yaml", "ip"); err != nil {
		return d, err
	}
	for _, mac := range d.byMAC.Keys() {
		if c, ok := canonical(mac); !ok || c != mac {
			return d, fmt.Errorf("devices.yaml: MAC address %q: write it as %q", mac, c)
		}
	}
	return d, nil
}

// funcs are the template functions of network-confg: devices lists every
// record, sorted by hostname.
func (d devices) funcs() template.FuncMap {
	return template.FuncMap{"devices": func() []map[string]any {
		var list []map[string]any
		for _, host := range d.byHost.Keys() {
			rec, _ := d.byHost.Lookup(host)
			list = append(list, rec)
		}
		return list
	}}
}
