package handlers

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultInventoryKey is the field that keys the records of a list-shaped
// inventory when no other is named.
const DefaultInventoryKey = "name"

// Inventory is a read-only set of records, each found by a key: the devices
// a template renders files for. It is loaded once, from YAML, JSON or CSV,
// in one of two shapes:
//
//   - a mapping of key to record (YAML or JSON), where each record is a
//     mapping: {"sw-core-01": {"mgmt_ip": "10.0.0.11"}, ...};
//   - a list of records (YAML or JSON), or the rows of a CSV file whose
//     first row names the columns, where each record holds its own key in
//     the key field: [{"host": "sw-core-01", "mgmt_ip": "10.0.0.11"}, ...].
//
// Keys are compared exactly, as strings: numbers and booleans used as keys
// are written out (42, true). Records keep the values as decoded: strings,
// numbers, booleans, lists and nested mappings from YAML and JSON (JSON
// numbers keep their text), strings only from CSV. An empty document is an
// empty inventory, and a null record (YAML "sw-core-01:" alone) an empty
// record. Loading fails on anything else: a record that is not a mapping,
// a missing, empty or composite key, a key used twice, a CSV row of the
// wrong length or a repeated column.
//
// An Inventory is safe for concurrent use. Records are shared: do not
// modify what Lookup returns.
type Inventory struct {
	records map[string]map[string]any
}

// LoadInventory reads the inventory in the file path. format 0 takes the
// format from the extension (.yaml, .yml, .json, .csv). keyField names the
// field that keys list-shaped inventories and CSV rows; "" means
// DefaultInventoryKey. Errors name the file.
func LoadInventory(path string, format InventoryFormat, keyField string) (*Inventory, error) {
	if format == 0 {
		var err error
		if format, err = inventoryFormatOf(path); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("handlers: inventory: %w", err)
	}
	defer f.Close()
	inv, err := decodeInventory(f, format, keyField)
	if err != nil {
		return nil, fmt.Errorf("handlers: inventory %s: %w", path, err)
	}
	return inv, nil
}

// ReadInventory reads an inventory in the given format from r; keyField is
// as for LoadInventory.
func ReadInventory(r io.Reader, format InventoryFormat, keyField string) (*Inventory, error) {
	inv, err := decodeInventory(r, format, keyField)
	if err != nil {
		return nil, fmt.Errorf("handlers: inventory: %w", err)
	}
	return inv, nil
}

func inventoryFormatOf(path string) (InventoryFormat, error) {
	var f InventoryFormat
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if err := f.UnmarshalText([]byte(ext)); err != nil {
		return 0, fmt.Errorf("handlers: inventory %s: cannot tell the format from the extension %q (want .yaml, .yml, .json or .csv)", path, filepath.Ext(path))
	}
	return f, nil
}

// Lookup returns the record of key and whether there is one.
func (inv *Inventory) Lookup(key string) (map[string]any, bool) {
	rec, ok := inv.records[key]
	return rec, ok
}

// Keys returns the keys of the records, sorted.
func (inv *Inventory) Keys() []string { return slices.Sorted(maps.Keys(inv.records)) }

// Len returns the number of records.
func (inv *Inventory) Len() int { return len(inv.records) }
