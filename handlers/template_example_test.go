package handlers_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// How "sw-core-01-confg" becomes that switch's running-config: the route
// `(?<host>[^/]+)-confg` captures host, which selects the switch's record.
func ExampleNewTemplate() {
	inv, err := handlers.ReadInventory(strings.NewReader(`
sw-core-01: {mgmt_ip: 10.0.0.11, vlan: 10}
sw-core-02: {mgmt_ip: 10.0.0.12, vlan: 20}
`), handlers.InventoryYAML, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := handlers.NewTemplate(handlers.TemplateConfig{
		Text: `hostname {{.Params.host}}
!
interface Vlan{{.Data.vlan}}
 ip address {{.Data.mgmt_ip}} 255.255.255.0
!
end
`,
		Inventory: inv,
		Key:       "host",
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The transfer as the registry hands it over, with the route's capture.
	t, _ := behaviourtest.NewTransfer(behaviour.Read, "sw-core-01-confg")
	t.Params = []behaviour.Param{{Name: "host", Value: "sw-core-01"}}
	cfg, err := behaviourtest.Run(context.Background(), h, t, nil)
	size, _ := t.Size()
	fmt.Printf("%s(%d bytes, size known at Open; error %v)\n", cfg, size, err)

	// A switch missing from the inventory gets a clean "file not found".
	t, _ = behaviourtest.NewTransfer(behaviour.Read, "sw-edge-09-confg")
	t.Params = []behaviour.Param{{Name: "host", Value: "sw-edge-09"}}
	_, err = behaviourtest.Run(context.Background(), h, t, nil)
	fmt.Println(behaviour.PeerMessage(err))
	// Output:
	// hostname sw-core-01
	// !
	// interface Vlan10
	//  ip address 10.0.0.11 255.255.255.0
	// !
	// end
	// (81 bytes, size known at Open; error <nil>)
	// file not found
}

// Records selected by the peer's address, from a CSV inventory, served
// through a registry route.
func ExampleNewTemplate_peer() {
	inv, _ := handlers.ReadInventory(strings.NewReader(
		"name,hostname,site\n10.1.0.7,ap-lobby,HQ\n10.1.0.8,ap-cafe,HQ\n"),
		handlers.InventoryCSV, "")
	h, err := handlers.NewTemplate(handlers.TemplateConfig{
		Text:      "hostname={{.Data.hostname}} site={{.Data.site}} file={{.Name}}\n",
		Inventory: inv,
		Key:       handlers.KeyPeer,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var reg registry.Registry
	reg.MustRegister(`ap/provision\.cfg`, h)

	peer := behaviourtest.Peer(netip.MustParseAddrPort("10.1.0.8:49152"))
	cfg, err := behaviourtest.Read(context.Background(), &reg, "ap/provision.cfg", peer)
	fmt.Printf("%s%v\n", cfg, err)
	// Output:
	// hostname=ap-cafe site=HQ file=ap/provision.cfg
	// <nil>
}

// The one-line case: an iPXE script rendered from the request alone.
func ExampleTemplate() {
	h := handlers.Template("#!ipxe\necho {{.Peer.Addr}} asked for {{.Name}}\nchain http://boot.example/{{.Name}}.efi\n")
	script, err := behaviourtest.Read(context.Background(), h, "/ubuntu-24.04")
	fmt.Print(string(script), err)
	// Output:
	// #!ipxe
	// echo 127.0.0.1 asked for ubuntu-24.04
	// chain http://boot.example/ubuntu-24.04.efi
	// <nil>
}
