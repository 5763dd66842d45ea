package handlers_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/filemux/filemux/handlers"
)

// The same two switches in every shape and format an Inventory accepts.
var inventories = []struct {
	name     string
	format   handlers.InventoryFormat
	keyField string
	text     string
}{
	{"yaml map", handlers.InventoryYAML, "", `
sw-core-01:
  mgmt_ip: 10.0.0.11
  vlan: 10
sw-core-02:
  mgmt_ip: 10.0.0.12
  vlan: 20
`},
	{"yaml list", handlers.InventoryYAML, "host", `
- host: sw-core-01
  mgmt_ip: 10.0.0.11
  vlan: 10
- {host: sw-core-02, mgmt_ip: 10.0.0.12, vlan: 20}
`},
	{"json map", handlers.InventoryJSON, "", `{
  "sw-core-01": {"mgmt_ip": "10.0.0.11", "vlan": 10},
  "sw-core-02": {"mgmt_ip": "10.0.0.12", "vlan": 20}
}`},
	{"json list", handlers.InventoryJSON, "host", `[
  {"host": "sw-core-01", "mgmt_ip": "10.0.0.11", "vlan": 10},
  {"host": "sw-core-02", "mgmt_ip": "10.0.0.12", "vlan": 20}
]`},
	{"csv", handlers.InventoryCSV, "host", "\uFEFFhost, mgmt_ip ,vlan\r\nsw-core-01,10.0.0.11,10\r\nsw-core-02,10.0.0.12,20\r\n"},
	{"csv default key", handlers.InventoryCSV, "", "name,mgmt_ip,vlan\nsw-core-01,10.0.0.11,10\nsw-core-02,10.0.0.12,20\n"},
}

func TestReadInventoryShapes(t *testing.T) {
	for _, tc := range inventories {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := handlers.ReadInventory(strings.NewReader(tc.text), tc.format, tc.keyField)
			if err != nil {
				t.Fatal(err)
			}
			if keys := inv.Keys(); !slices.Equal(keys, []string{"sw-core-01", "sw-core-02"}) || inv.Len() != 2 {
				t.Fatalf("Keys = %q, Len = %d", keys, inv.Len())
			}
			rec, ok := inv.Lookup("sw-core-02")
			if !ok || fmt.Sprint(rec["mgmt_ip"], " ", rec["vlan"]) != "10.0.0.12 20" {
				t.Fatalf("Lookup = %v, %v", rec, ok)
			}
			if _, ok := inv.Lookup("sw-core-03"); ok {
				t.Fatal("Lookup found a record that is not there")
			}
		})
	}
}

func TestReadInventoryValues(t *testing.T) {
	inv, err := handlers.ReadInventory(strings.NewReader(`{"r1": {"big": 1000000, "f": 2.50, "nested": {"a": [1, 2]}}}`), handlers.InventoryJSON, "")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := inv.Lookup("r1")
	if got := fmt.Sprint(rec["big"], " ", rec["f"], " ", rec["nested"]); got != "1000000 2.50 map[a:[1 2]]" {
		t.Errorf("JSON values render as %q; numbers must keep their text", got)
	}
	inv, err = handlers.ReadInventory(strings.NewReader("42: {a: 1}\ntrue: {}\nbare:\n"), handlers.InventoryYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	if keys := inv.Keys(); !slices.Equal(keys, []string{"42", "bare", "true"}) {
		t.Errorf("YAML scalar keys = %q", keys)
	}
	if rec, ok := inv.Lookup("bare"); !ok || len(rec) != 0 {
		t.Errorf("null record = %v, %v; want an empty record", rec, ok)
	}
	for _, format := range []handlers.InventoryFormat{handlers.InventoryYAML, handlers.InventoryJSON, handlers.InventoryCSV} {
		inv, err := handlers.ReadInventory(strings.NewReader(""), format, "")
		if err != nil || inv.Len() != 0 {
			t.Errorf("empty %v document: %v, %d records", format, err, inv.Len())
		}
	}
}

func TestReadInventoryRefuses(t *testing.T) {
	tests := []struct {
		name   string
		format handlers.InventoryFormat
		text   string
		want   string // part of the error
	}{
		{"scalar document", handlers.InventoryYAML, "just text", "want a mapping"},
		{"record not a mapping", handlers.InventoryYAML, "r1: 10.0.0.1", `record "r1" is not a mapping`},
		{"list item not a mapping", handlers.InventoryJSON, `[{"name": "a"}, 3]`, "record 2 is not a mapping"},
		{"missing key field", handlers.InventoryYAML, "- {host: a}", `record 1 has no "name" field`},
		{"empty key", handlers.InventoryJSON, `[{"name": ""}]`, "empty key"},
		{"null key", handlers.InventoryJSON, `[{"name": null}]`, "not <nil>"},
		{"composite key", handlers.InventoryYAML, "- name: [a, b]", "must be a string or a number"},
		{"duplicate in list", handlers.InventoryJSON, `[{"name": "a"}, {"name": "a"}]`, `key "a" used twice`},
		{"duplicate in yaml map", handlers.InventoryYAML, "a: {}\na: {}", "already defined"},
		{"duplicate after writing out", handlers.InventoryYAML, "1: {}\n1.0: {}", `key "1" used twice`},
		{"duplicate in json map", handlers.InventoryJSON, `{"a": {}, "b": {}, "a": {}}`, `key "a" used twice`},
		{"broken json map", handlers.InventoryJSON, `{"a": {}, "b" 1}`, "colon"},
		{"csv ragged row", handlers.InventoryCSV, "name,ip\na,1\nb\n", "wrong number of fields"},
		{"csv repeated column", handlers.InventoryCSV, "name,ip,ip\na,1,2\n", `repeated name "ip"`},
		{"csv missing key column", handlers.InventoryCSV, "host,ip\na,1\n", `has no "name" field`},
		{"json trailing data", handlers.InventoryJSON, `{} {}`, "data after"},
		{"bad yaml", handlers.InventoryYAML, "a: [", "yaml"},
		{"unknown format", 0, "{}", "unknown format"},
	}
	for _, tc := range tests {
		_, err := handlers.ReadInventory(strings.NewReader(tc.text), tc.format, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadInventory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, name := range []string{"inv.yaml", "inv.YML", "inv.json", "inv.csv"} {
		text := map[string]string{".yaml": "r1: {}", ".YML": "r1: {}", ".json": `{"r1": {}}`, ".csv": "name\nr1\n"}[filepath.Ext(name)]
		inv, err := handlers.LoadInventory(write(name, text), 0, "")
		if err != nil || inv.Len() != 1 {
			t.Errorf("LoadInventory(%s): %v", name, err)
		}
	}
	txt := write("devices.txt", "r1: {}\nr2: {}\n")
	if _, err := handlers.LoadInventory(txt, 0, ""); err == nil || !strings.Contains(err.Error(), "devices.txt") {
		t.Errorf("unknown extension: %v, want an error naming the file", err)
	}
	if inv, err := handlers.LoadInventory(txt, handlers.InventoryYAML, ""); err != nil || inv.Len() != 2 {
		t.Errorf("explicit format: %v", err)
	}
	bad := write("bad.json", `[{"name": "a"}, {"name": "a"}]`)
	if _, err := handlers.LoadInventory(bad, 0, ""); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("decode error %v does not name the file", err)
	}
	if _, err := handlers.LoadInventory(filepath.Join(dir, "missing.yaml"), 0, ""); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestInventoryFormatText(t *testing.T) {
	for _, f := range []handlers.InventoryFormat{handlers.InventoryYAML, handlers.InventoryJSON, handlers.InventoryCSV} {
		text, err := f.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back handlers.InventoryFormat
		if err := back.UnmarshalText(text); err != nil || back != f || string(text) != f.String() {
			t.Errorf("%v round-trips to %v, %v", f, back, err)
		}
	}
	var f handlers.InventoryFormat
	if f.UnmarshalText([]byte("yml")); f != handlers.InventoryYAML {
		t.Errorf("yml = %v", f)
	}
	if err := f.UnmarshalText([]byte("xml")); err == nil {
		t.Error("xml accepted")
	}
	if _, err := handlers.InventoryFormat(0).MarshalText(); err == nil || handlers.InventoryFormat(9).String() != "InventoryFormat(9)" {
		t.Errorf("invalid formats: %v, %s", err, handlers.InventoryFormat(9))
	}
}

// FuzzReadInventory feeds any document in any format: loading never
// panics, and every key an inventory reports looks up.
func FuzzReadInventory(f *testing.F) {
	for _, tc := range inventories {
		f.Add([]byte(tc.text), uint8(tc.format), tc.keyField)
	}
	f.Add([]byte(`{"a": {}, "a": {}}`), uint8(handlers.InventoryJSON), "")
	f.Add([]byte("1: {}\n1.0: {}"), uint8(handlers.InventoryYAML), "")
	f.Fuzz(func(t *testing.T, doc []byte, format uint8, keyField string) {
		inv, err := handlers.ReadInventory(bytes.NewReader(doc), handlers.InventoryFormat(format%4), keyField)
		if err != nil {
			return
		}
		keys := inv.Keys()
		if len(keys) != inv.Len() {
			t.Fatalf("%d keys, Len %d", len(keys), inv.Len())
		}
		for _, k := range keys {
			if _, ok := inv.Lookup(k); !ok || k == "" {
				t.Fatalf("key %q does not look up", k)
			}
		}
	})
}
