package handlers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/filemux/filemux/handlers"
)

// A list of records, each holding its key in the "host" field.
func ExampleReadInventory() {
	inv, err := handlers.ReadInventory(strings.NewReader(`[
  {"host": "r1", "loopback": "192.0.2.1", "asn": 65001},
  {"host": "r2", "loopback": "192.0.2.2", "asn": 65002}
]`), handlers.InventoryJSON, "host")
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, ok := inv.Lookup("r2")
	fmt.Println(inv.Keys(), rec["loopback"], rec["asn"], ok)
	// Output: [r1 r2] 192.0.2.2 65002 true
}

// The format comes from the extension; errors name the file.
func ExampleLoadInventory() {
	dir, _ := os.MkdirTemp("", "filemux-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "switches.csv")
	os.WriteFile(path, []byte("name,mgmt_ip\nsw-core-01,10.0.0.11\nsw-core-01,10.0.0.99\n"), 0o644)

	_, err := handlers.LoadInventory(path, 0, "")
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	// Output: handlers: inventory DIR/switches.csv: record 2: key "sw-core-01" used twice
}
