package bootlab_test

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/bootlab"
	"github.com/filemux/filemux/internal/peers"
	"github.com/filemux/filemux/registry"
)

const uefiMAC = "52:54:00:12:34:57"

// TestBootUEFIPXEOverTFTP boots OVMF on a tap device in a namespace of the
// test's own; dnsmasq hands out boot.efi on filemux's TFTP daemon, which
// serves iPXE's EFI build. The console shows OVMF's download and then iPXE
// starting: the image arrived whole and ran.
func TestBootUEFIPXEOverTFTP(t *testing.T) {
	bootlab.NeedBoot(t, []string{bootlab.QEMU, "dnsmasq", "ip", peers.ProgRoot},
		bootlab.OVMFCode, bootlab.OVMFVars, bootlab.SNPOnlyEFI)
	image, err := os.ReadFile(bootlab.SNPOnlyEFI)
	if err != nil {
		t.Fatal(err)
	}
	ns := bootlab.NewNetns(t, "10.231.0")
	var reg registry.Registry
	reg.MustRegister(`boot\.efi`, behaviour.Bytes(image))

	var mu sync.Mutex
	var done []daemon.Stats
	var logs syncBuffer
	// Single-port: the daemon opens a transfer's own socket from its own
	// goroutines, in the host's namespace, where 10.231.0.1 does not exist.
	// The namespace's subnet is trusted (nothing else reaches it), so that
	// OVMF keeps its window of 4 as on a provisioning VLAN.
	d := &daemon.TFTP{Handler: &reg, Ports: daemon.PortsSingle,
		TrustedNetworks: []netip.Prefix{netip.MustParsePrefix(ns.Prefix + ".0/24")}, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), OnSuccess: func(s daemon.Stats) { mu.Lock(); done = append(done, s); mu.Unlock() }}
	pc, err := ns.ListenPacket(ns.ServerIP + ":69")
	if err != nil {
		t.Fatal(err)
	}
	serveTFTP(t, d, pc)
	ns.StartDHCP(t, "--dhcp-boot=boot.efi,,"+ns.ServerIP)

	m := bootlab.Start(t, bootlab.Config{Netns: ns.Name, Args: bootlab.OVMFArgs(t, uefiMAC), Limit: 4 * time.Minute})
	for _, want := range []string{
		`NBP filesize is ` + itoa(len(image)) + ` Bytes`,
		`NBP file downloaded successfully`,
		`iPXE initialising devices\.\.\.\s*ok`,
	} {
		if _, err := m.WaitFor(regexp.MustCompile(want), 60*time.Second); err != nil {
			t.Fatalf("%v\nfilemux:\n%s", err, logs.String())
		}
	}
	elapsed := m.Elapsed()
	m.Stop()

	mu.Lock()
	defer mu.Unlock()
	var whole *daemon.Stats
	for i := range done {
		if done[i].Bytes == int64(len(image)) {
			whole = &done[i]
		}
	}
	if whole == nil {
		t.Fatalf("no transfer of all %d bytes among %d successful ones", len(image), len(done))
	}
	if w, _ := whole.Accepted.Get("windowsize"); w != "4" {
		t.Errorf("accepted windowsize %q, want OVMF's 4 (options asked %s)", w, whole.Requested.String())
	}
	t.Logf("OVMF fetched %d bytes over TFTP (asked %s, accepted %s) and started iPXE in %v",
		whole.Bytes, whole.Requested.String(), whole.Accepted.String(), elapsed.Round(100*time.Millisecond))
	if !strings.Contains(ns.DHCPLog(), "boot.efi") {
		t.Errorf("dnsmasq's log does not show boot.efi handed out:\n%s", ns.DHCPLog())
	}
}

// serveTFTP serves d on pc until the test ends.
func serveTFTP(t *testing.T, d *daemon.TFTP, pc net.PacketConn) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- d.Serve(pc) }()
	t.Cleanup(func() {
		_ = d.Close()
		if err := <-errc; err != nil && !errors.Is(err, daemon.ErrServerClosed) {
			t.Errorf("the TFTP daemon stopped: %v", err)
		}
	})
}
