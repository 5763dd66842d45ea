package bootlab_test

import (
	"errors"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/bootlab"
	"github.com/filemux/filemux/internal/peers"
	"github.com/filemux/filemux/registry"
)

// serveHTTP runs filemux's HTTP daemon for the UEFI HTTP boot test; no
// other HTTP server may stand in for it, since the test is there to prove
// filemux's.
var serveHTTP bootlab.HTTPServe = func(l net.Listener, h behaviour.Handler) (func() error, error) {
	d := &daemon.HTTP{Handler: h}
	served := make(chan error, 1)
	go func() { served <- d.Serve(l) }()
	return func() error {
		d.Close()
		if err := <-served; !errors.Is(err, daemon.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}

// TestBootUEFIHTTP boots OVMF on a tap device in a namespace of the test's
// own; dnsmasq answers the HTTPClient vendor class with a URL on filemux's
// HTTP daemon, which serves iPXE's EFI build. PXE clients are offered a
// boot file on a TFTP server that is not there: without a boot file in the
// PXE offer, OVMF printed no URI in 150 s (probed by hand here); with it,
// PXE fails at once (PXE-E99) and the URI line appears 77 s in. OVMF sends HEAD then GET; iPXE starting is
// the proof that the image arrived whole.
func TestBootUEFIHTTP(t *testing.T) {
	bootlab.NeedBoot(t, []string{bootlab.QEMU, "dnsmasq", "ip", peers.ProgRoot},
		bootlab.OVMFCode, bootlab.OVMFVars, bootlab.SNPOnlyEFI)
	image, err := os.ReadFile(bootlab.SNPOnlyEFI)
	if err != nil {
		t.Fatal(err)
	}
	ns := bootlab.NewNetns(t, "10.232.0")
	var reg registry.Registry
	reg.MustRegister(`boot\.efi`, behaviour.Bytes(image))
	l, err := ns.Listen(ns.ServerIP + ":8080")
	if err != nil {
		t.Fatal(err)
	}
	stop, err := serveHTTP(l, &reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("the HTTP daemon stopped: %v", err)
		}
	})
	url := "http://" + ns.ServerIP + ":8080/boot.efi"
	ns.StartDHCP(t,
		"--dhcp-vendorclass=set:efihttp,HTTPClient",
		"--dhcp-option-force=tag:efihttp,60,HTTPClient",
		"--dhcp-boot=tag:efihttp,"+url,
		"--dhcp-boot=tag:!efihttp,boot.efi,,"+ns.ServerIP)

	m := bootlab.Start(t, bootlab.Config{Netns: ns.Name, Args: bootlab.OVMFArgs(t, uefiMAC), Limit: 5 * time.Minute})
	for _, want := range []string{
		`URI: ` + regexp.QuoteMeta(url),
		`iPXE initialising devices\.\.\.\s*ok`,
	} {
		if _, err := m.WaitFor(regexp.MustCompile(want), 4*time.Minute); err != nil {
			t.Fatalf("%v\ndnsmasq:\n%s", err, ns.DHCPLog())
		}
	}
	t.Logf("OVMF fetched %s over HTTP and started iPXE in %v", url, m.Elapsed().Round(100*time.Millisecond))
	if !strings.Contains(ns.DHCPLog(), "HTTPClient") {
		t.Errorf("dnsmasq's log does not show the HTTPClient vendor class:\n%s", ns.DHCPLog())
	}
}
