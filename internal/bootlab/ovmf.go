package bootlab

import (
	"os"
	"path/filepath"
	"testing"
)

// OVMFArgs returns QEMU's arguments for OVMF on the namespace's tap device
// with a virtio NIC of the given MAC and no option ROM (OVMF's own network
// stack does PXE and HTTP boot), with a copy of the variable store in a
// temporary directory of the test.
func OVMFArgs(t testing.TB, mac string) []string {
	t.Helper()
	vars, err := os.ReadFile(OVMFVars)
	if err != nil {
		t.Fatalf("bootlab: %v", err)
	}
	copyPath := filepath.Join(t.TempDir(), "OVMF_VARS.fd")
	if err := os.WriteFile(copyPath, vars, 0o644); err != nil {
		t.Fatalf("bootlab: %v", err)
	}
	return []string{"-accel", "tcg", "-m", "512", "-no-reboot", "-nographic",
		"-drive", "if=pflash,format=raw,readonly=on,file=" + OVMFCode,
		"-drive", "if=pflash,format=raw,file=" + copyPath,
		"-netdev", "tap,id=n0,ifname=" + Tap + ",script=no,downscript=no",
		"-device", "virtio-net-pci,netdev=n0,mac=" + mac + ",romfile="}
}
