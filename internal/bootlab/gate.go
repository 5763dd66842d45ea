package bootlab

import (
	"os"
	"testing"

	"github.com/filemux/filemux/internal/peers"
)

// EnvBootTests is the environment variable that enables the boot tests; .ci/run
// sets it to 1 in its boot step, and the ordinary test step leaves it unset.
const EnvBootTests = "FILEMUX_BOOT_TESTS"

// Firmware and images from Debian's packages.
const (
	// OVMFCode is OVMF's code image (package ovmf), without Secure Boot.
	OVMFCode = "/usr/share/OVMF/OVMF_CODE.fd"
	// OVMFVars is the template of OVMF's variable store; a Machine gets a
	// copy, since OVMF writes it.
	OVMFVars = "/usr/share/OVMF/OVMF_VARS.fd"
	// SNPOnlyEFI is iPXE's EFI build (package ipxe).
	SNPOnlyEFI = "/usr/lib/ipxe/snponly.efi"
	// IPXEROM is the iPXE option ROM QEMU loads for an e1000 (package
	// ipxe-qemu).
	IPXEROM = "/usr/lib/ipxe/qemu/efi-e1000.rom"
)

// NeedBoot skips the test unless EnvBootTests is 1, then needs the programs
// (peers.Need) and files: a missing one skips the test on a workstation and
// fails it under CI=true.
func NeedBoot(t testing.TB, programs []string, files ...string) {
	t.Helper()
	if os.Getenv(EnvBootTests) != "1" {
		t.Skipf("bootlab: a heavy boot test; set %s=1 to run it (.ci/run's boot step does)", EnvBootTests)
	}
	peers.Need(t, programs...)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			if peers.Strict() {
				t.Fatalf("bootlab: %s is required with CI=true: %v (.ci/run installs it)", f, err)
			}
			t.Skipf("bootlab: skipping, %v (run .ci/run to install the boot firmware)", err)
		}
	}
}
