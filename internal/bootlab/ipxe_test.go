package bootlab_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/bootlab"
	"github.com/filemux/filemux/registry"
)

// labMAC is the guest's MAC address and labHyphens the same as iPXE's
// ${net0/mac:hexhyp} writes it.
const (
	labMAC     = "52:54:00:12:34:56"
	labHyphens = "52-54-00-12-34-56"
)

// bootRoutes is the netboot setup of issue 18, over TFTP: boot.ipxe chains to
// a script named by the MAC address, rendered from a template keyed by the
// route's capture, which fetches that machine's kernel and prints a marker.
// Local.Port is the daemon's port: in single-port mode every transfer runs on
// the listening port.
func bootRoutes(t *testing.T, kernel []byte) *registry.Registry {
	t.Helper()
	inv, err := handlers.ReadInventory(strings.NewReader(labHyphens+": {host: lab-01}\n"), handlers.InventoryYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	perMAC, err := handlers.NewTemplate(handlers.TemplateConfig{
		Text: "#!ipxe\n" +
			"imgfetch tftp://10.0.2.2:{{.Local.Port}}/kernel-{{.Data.host}}.bin\n" +
			"echo filemux-marker host={{.Data.host}} mac={{.Params.mac}}\n",
		Inventory: inv,
		Key:       "mac",
	})
	if err != nil {
		t.Fatal(err)
	}
	var reg registry.Registry
	reg.MustRegister(`boot\.ipxe`, handlers.Template("#!ipxe\n"+
		"chain tftp://10.0.2.2:{{.Local.Port}}/mac-${net0/mac:hexhyp}.ipxe\n"))
	reg.MustRegister(`mac-(?<mac>[0-9a-f]{2}(-[0-9a-f]{2}){5})\.ipxe`, perMAC)
	reg.MustRegister(`kernel-lab-01\.bin`, behaviour.Bytes(kernel))
	return &reg
}

// TestBootIPXEOverTFTP boots QEMU's iPXE (BIOS) on QEMU's user network, which
// maps 10.0.2.2 to the host's loopback, against filemux's TFTP daemon on
// 127.0.0.1 in single-port mode (the user network is a NAT).
func TestBootIPXEOverTFTP(t *testing.T) {
	bootlab.NeedBoot(t, []string{bootlab.QEMU}, bootlab.IPXEROM)
	kernel := bytes.Repeat([]byte("filemux kernel stand-in\n"), 8192) // 196,608 bytes
	srv := daemontest.NewTFTP(t, bootRoutes(t, kernel), func(d *daemon.TFTP) { d.Ports = daemon.PortsSingle })
	port := srv.Addr().Port()

	m := bootlab.Start(t, bootlab.Config{
		Args: []string{"-accel", "tcg", "-m", "256", "-no-reboot", "-boot", "n", "-nographic",
			"-netdev", "user,id=n0,bootfile=tftp://10.0.2.2:" + itoa(port) + "/boot.ipxe",
			"-device", "e1000,netdev=n0,mac=" + labMAC},
		Limit: 3 * time.Minute,
	})
	for _, want := range []string{
		`mac-` + labHyphens + `\.ipxe\.*\s*ok`,
		`kernel-lab-01\.bin\.*\s*ok`,
		`filemux-marker host=lab-01 mac=` + labHyphens,
	} {
		if _, err := m.WaitFor(regexp.MustCompile(want), 2*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("iPXE fetched boot.ipxe, the MAC-keyed script and the kernel in %v", m.Elapsed().Round(100*time.Millisecond))
}
