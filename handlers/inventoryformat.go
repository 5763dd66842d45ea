package handlers

import "fmt"

// InventoryFormat is the encoding of an [Inventory].
type InventoryFormat uint8

// The formats an Inventory loads from.
const (
	InventoryYAML InventoryFormat = iota + 1
	InventoryJSON
	InventoryCSV
)

var inventoryFormatText = [...]string{
	InventoryYAML: "yaml",
	InventoryJSON: "json",
	InventoryCSV:  "csv",
}

// String returns "yaml", "json" or "csv".
func (f InventoryFormat) String() string {
	if f > 0 && int(f) < len(inventoryFormatText) {
		return inventoryFormatText[f]
	}
	return fmt.Sprintf("InventoryFormat(%d)", uint8(f))
}

// MarshalText returns the String form, so that configuration files can name
// a format.
func (f InventoryFormat) MarshalText() ([]byte, error) {
	if f == 0 || int(f) >= len(inventoryFormatText) {
		return nil, fmt.Errorf("handlers: invalid inventory format %d", uint8(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText parses the String form; "yml" is taken as "yaml".
func (f *InventoryFormat) UnmarshalText(text []byte) error {
	if string(text) == "yml" {
		text = []byte("yaml")
	}
	for i, s := range inventoryFormatText {
		if i > 0 && string(text) == s {
			*f = InventoryFormat(i)
			return nil
		}
	}
	return fmt.Errorf("handlers: unknown inventory format %q (want yaml, json or csv)", text)
}
