// Package bootlab runs real boot firmware (iPXE, OVMF) in QEMU against
// filemux's daemons, for tests.
//
// A Machine is one QEMU process under TCG with its serial console captured;
// a test waits for console lines with a deadline, and the Machine is always
// killed, by its pid, when the test ends. A Netns is a network namespace with
// a tap device and dnsmasq as the DHCP server only, for firmware that must
// not see QEMU's user network (OVMF's PXE, which QEMU's own TFTP answers).
//
// The boot tests are heavy (20 s to a few minutes under TCG): they run only
// when FILEMUX_BOOT_TESTS=1, which .ci/run sets in a step of its own. With
// it set, a missing QEMU, firmware or dnsmasq skips the test on a
// workstation and fails it under CI=true, as internal/peers does.
package bootlab
