package bootlab_test

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/bootlab"
	"github.com/filemux/filemux/registry"
)

// unknownHyphens is a MAC address in no inventory, as iPXE would write it.
const unknownHyphens = "02-00-00-00-00-99"

// chainRoutes registers, in reg, the netboot setup of issue 18 with HTTP
// after TFTP: boot.ipxe (fetched over TFTP) chains to the script named by
// the MAC address on the HTTP daemon at httpBase, rendered from a template
// keyed by the route's capture; that script fetches the machine's kernel
// and initrd over HTTP, tries the script of an unknown MAC (404) and prints
// a marker. Both daemons serve reg.
func chainRoutes(t *testing.T, reg *registry.Registry, httpBase string, kernel, initrd []byte) {
	t.Helper()
	inv, err := handlers.ReadInventory(strings.NewReader(labHyphens+": {host: lab-01, kernel: vmlinuz-lab-01, initrd: initrd-lab-01.img}\n"), handlers.InventoryYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	perMAC, err := handlers.NewTemplate(handlers.TemplateConfig{
		Text: "#!ipxe\n" +
			"imgfetch " + httpBase + "/boot/{{.Data.kernel}}\n" +
			"imgfetch " + httpBase + "/boot/{{.Data.initrd}}\n" +
			"imgstat\n" +
			"imgfetch " + httpBase + "/mac-" + unknownHyphens + ".ipxe || echo filemux-unknown-mac-refused\n" +
			"echo filemux-marker host={{.Data.host}} mac={{.Params.mac}} over={{.Transfer.Protocol}}\n",
		Inventory: inv,
		Key:       "mac",
	})
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(`boot\.ipxe`, handlers.Template("#!ipxe\n"+
		"chain "+httpBase+"/mac-${net0/mac:hexhyp}.ipxe\n"))
	reg.MustRegister(`mac-(?<mac>[0-9a-f]{2}(-[0-9a-f]{2}){5})\.ipxe`, perMAC)
	reg.MustRegister(`boot/vmlinuz-lab-01`, behaviour.Bytes(kernel))
	reg.MustRegister(`boot/initrd-lab-01\.img`, behaviour.Bytes(initrd))
}

// ended is what the test records of a transfer, from the daemons' hooks
// (Stats) and from handlers.Observe (the captures, which Stats lacks).
type ended struct {
	mu       sync.Mutex
	ok, fail []daemon.Stats
	captures map[string]string // name -> its mac capture, per ended transfer
	protos   map[string]behaviour.Protocol
}

func (e *ended) success(s daemon.Stats) { e.mu.Lock(); e.ok = append(e.ok, s); e.mu.Unlock() }
func (e *ended) failure(s daemon.Stats) { e.mu.Lock(); e.fail = append(e.fail, s); e.mu.Unlock() }
func (e *ended) observe(o handlers.Outcome) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.captures[o.Transfer.Name] = o.Transfer.Param("mac")
	e.protos[o.Transfer.Name] = o.Transfer.Protocol
}

// find returns the Stats of the transfer of name in list, or false.
func (e *ended) find(name string, list *[]daemon.Stats) (daemon.Stats, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range *list {
		if s.Name == name {
			return s, true
		}
	}
	return daemon.Stats{}, false
}

// wait returns the Stats of name from list, waiting a little: a hook runs
// after the transfer's ending, which the client may see first.
func (e *ended) wait(t *testing.T, name string, list *[]daemon.Stats) daemon.Stats {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if s, ok := e.find(name, list); ok {
			return s
		}
		if time.Now().After(deadline) {
			e.mu.Lock()
			defer e.mu.Unlock()
			t.Fatalf("no transfer of %s among %d successful and %d failed ones", name, len(e.ok), len(e.fail))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBootIPXEChainsToHTTP boots QEMU's iPXE (BIOS) on QEMU's user network
// against two filemux daemons on 127.0.0.1 serving one registry: the TFTP
// daemon (single-port, the user network is a NAT) hands out boot.ipxe,
// which chains to filemux's HTTP daemon for everything after it: the
// MAC-keyed script and the kernel and initrd it fetches. The console shows
// each HTTP fetch ok, iPXE's own account of the sizes (imgstat) and iPXE's
// error line for the 404 of an unknown MAC; the daemons' hooks show the
// protocol, the capture and all the bytes of each transfer.
func TestBootIPXEChainsToHTTP(t *testing.T) {
	bootlab.NeedBoot(t, []string{bootlab.QEMU}, bootlab.IPXEROM)
	kernel := bytes.Repeat([]byte("filemux kernel over http\n"), 80000) // 2,000,000 bytes
	initrd := bytes.Repeat([]byte("filemux initrd over http\n"), 40000) // 1,000,000 bytes

	e := &ended{captures: map[string]string{}, protos: map[string]behaviour.Protocol{}}
	var reg registry.Registry
	routes := handlers.Observe(&reg, handlers.Hooks{OnEnd: e.observe})
	tftp := daemontest.NewTFTP(t, routes, func(d *daemon.TFTP) {
		d.Ports = daemon.PortsSingle
		d.OnSuccess = e.success
		d.OnFailure = e.failure
	})
	web := daemontest.NewHTTP(t, routes, func(d *daemon.HTTP) {
		d.OnSuccess = e.success
		d.OnFailure = e.failure
	})
	// 10.0.2.2 inside the guest is the host's loopback, where both listen.
	base := "http://10.0.2.2:" + itoa(web.Addr().Port())
	chainRoutes(t, &reg, base, kernel, initrd)

	m := bootlab.Start(t, bootlab.Config{
		Args: []string{"-accel", "tcg", "-m", "256", "-no-reboot", "-boot", "n", "-nographic",
			"-netdev", "user,id=n0,bootfile=tftp://10.0.2.2:" + itoa(tftp.Addr().Port()) + "/boot.ipxe",
			"-device", "e1000,netdev=n0,mac=" + labMAC},
		Limit: 3 * time.Minute,
	})
	q := regexp.QuoteMeta
	for _, want := range []string{
		q(base+"/mac-"+labHyphens+".ipxe") + `\.*\s*ok`,
		q(base+"/boot/vmlinuz-lab-01") + `\.*\s*ok`,
		q(base+"/boot/initrd-lab-01.img") + `\.*\s*ok`,
		// imgstat: iPXE's own count of what it received.
		`vmlinuz-lab-01 : ` + itoa(len(kernel)) + ` bytes`,
		`initrd-lab-01\.img : ` + itoa(len(initrd)) + ` bytes`,
		// The 404 of a MAC in no inventory, as iPXE reports it: its
		// ENOENT for HTTP 404, error 2d0c613b. The console wraps at 80
		// columns, here inside the error's URL.
		q(base+"/mac-"+unknownHyphens+".ipxe") + `\.*\s*No such file or directory \([^)]*2d0c613b\)`,
		`filemux-unknown-mac-refused`,
		`filemux-marker host=lab-01 mac=` + labHyphens + ` over=http`,
	} {
		if _, err := m.WaitFor(regexp.MustCompile(want), 2*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := m.Elapsed()
	m.Stop()

	boot := e.wait(t, "boot.ipxe", &e.ok)
	if boot.Protocol != behaviour.TFTP {
		t.Errorf("boot.ipxe went over %v, want tftp", boot.Protocol)
	}
	script := e.wait(t, "mac-"+labHyphens+".ipxe", &e.ok)
	for name, size := range map[string]int{"boot/vmlinuz-lab-01": len(kernel), "boot/initrd-lab-01.img": len(initrd)} {
		s := e.wait(t, name, &e.ok)
		if s.Protocol != behaviour.HTTP || s.Bytes != int64(size) {
			t.Errorf("%s: %v, %d bytes; want http, %d bytes", name, s.Protocol, s.Bytes, size)
		}
	}
	wantScript := "#!ipxe\n" +
		"imgfetch " + base + "/boot/vmlinuz-lab-01\n" +
		"imgfetch " + base + "/boot/initrd-lab-01.img\n" +
		"imgstat\n" +
		"imgfetch " + base + "/mac-" + unknownHyphens + ".ipxe || echo filemux-unknown-mac-refused\n" +
		"echo filemux-marker host=lab-01 mac=" + labHyphens + " over=http\n"
	if script.Protocol != behaviour.HTTP || script.Bytes != int64(len(wantScript)) {
		t.Errorf("the MAC-keyed script: %v, %d bytes; want http, %d bytes", script.Protocol, script.Bytes, len(wantScript))
	}
	e.mu.Lock()
	mac, proto := e.captures[script.Name], e.protos[script.Name]
	e.mu.Unlock()
	if mac != labHyphens || proto != behaviour.HTTP {
		t.Errorf("the MAC-keyed script's transfer had the capture mac=%q over %v; want %s over http", mac, proto, labHyphens)
	}
	missing := e.wait(t, "mac-"+unknownHyphens+".ipxe", &e.fail)
	if missing.Protocol != behaviour.HTTP || missing.Code != behaviour.CodeNotFound {
		t.Errorf("the unknown MAC's script: %v, code %v; want http, not found", missing.Protocol, missing.Code)
	}
	t.Logf("iPXE fetched boot.ipxe over TFTP, then over HTTP the MAC-keyed script (%d bytes), "+
		"the kernel (%d bytes) and the initrd (%d bytes), and got a 404 for an unknown MAC, in %v",
		script.Bytes, len(kernel), len(initrd), elapsed.Round(100*time.Millisecond))
}
