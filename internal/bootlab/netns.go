package bootlab

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tap is the name of the tap device inside every Netns.
const Tap = "tap0"

// Netns is a network namespace of the test's own holding a tap device for a
// QEMU guest, with the host side at ServerIP. Nothing in it reaches the
// outside: it has no other interface.
type Netns struct {
	// Name is the namespace's name, for ip netns exec and Config.Netns.
	Name string
	// ServerIP is the address of the tap device, where the servers under
	// test listen and dnsmasq answers.
	ServerIP string
	// Prefix is the first three octets of the subnet, as "10.231.0".
	Prefix string

	mu      sync.Mutex
	dnsmasq *exec.Cmd
	dhcpLog bytes.Buffer
}

var netnsSeq atomic.Int64

// netnsDir is where ip netns keeps its namespaces.
const netnsDir = "/var/run/netns"

// netnsName matches the names NewNetns gives, capturing the PID of the
// test process that made the namespace.
var netnsName = regexp.MustCompile(`^filemux-boot-([0-9]+)-[0-9]+$`)

var sweepOnce sync.Once

// sweepStaleNetns deletes the namespaces NewNetns made in test processes
// that no longer run: a run killed outright (SIGKILL, a CI timeout) cannot
// run its cleanups, and its filemux-boot-PID-N namespaces stay. Only names
// of that shape are looked at, and only those whose PID is not a live
// process are deleted, so that the namespaces of a test run still going
// (and everything else) are left alone. It returns the names deleted.
// NewNetns calls it once per process, before its first namespace. A run
// in another PID namespace that shares /var/run/netns would look dead:
// boot tests are not meant to run that way.
func sweepStaleNetns() ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bootlab: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var deleted []string
	var errs []error
	for _, name := range staleNetns(names, os.Getpid(), alive) {
		if err := ip("netns", "del", name); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, name)
	}
	return deleted, errors.Join(errs...)
}

// staleNetns returns the names of NewNetns's shape whose PID is neither
// self nor alive.
func staleNetns(names []string, self int, alive func(pid int) bool) []string {
	var stale []string
	for _, name := range names {
		m := netnsName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid <= 0 || pid == self || alive(pid) {
			continue
		}
		stale = append(stale, name)
	}
	return stale
}

// alive reports whether a process with the PID exists; one of another
// user (EPERM) counts as alive.
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// NewNetns creates a namespace with lo and a tap device up, the tap at
// PREFIX.1/24, and deletes it when the test ends, after stopping the dnsmasq
// StartDHCP started. It needs root.
func NewNetns(t testing.TB, prefix string) *Netns {
	t.Helper()
	sweepOnce.Do(func() {
		deleted, err := sweepStaleNetns()
		if len(deleted) > 0 {
			t.Logf("bootlab: deleted the namespaces of test runs that no longer run: %v", deleted)
		}
		if err != nil {
			t.Logf("bootlab: sweeping stale namespaces: %v", err)
		}
	})
	n := &Netns{
		Name:     fmt.Sprintf("filemux-boot-%d-%d", os.Getpid(), netnsSeq.Add(1)),
		ServerIP: prefix + ".1",
		Prefix:   prefix,
	}
	if err := ip("netns", "add", n.Name); err != nil {
		t.Fatalf("bootlab: %v", err)
	}
	t.Cleanup(n.close)
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"tuntap", "add", "dev", Tap, "mode", "tap"},
		{"addr", "add", n.ServerIP + "/24", "dev", Tap},
		{"link", "set", Tap, "up"},
	} {
		if err := ip(append([]string{"netns", "exec", n.Name, "ip"}, args...)...); err != nil {
			t.Fatalf("bootlab: %v", err)
		}
	}
	return n
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %v: %v: %s", args, err, out)
	}
	return nil
}

// StartDHCP starts dnsmasq in the namespace as a DHCP server only (no DNS,
// --port=0) on the tap device, leasing PREFIX.50 to PREFIX.60, with the
// extra options appended (such as --dhcp-boot=...). Its log is in DHCPLog.
func (n *Netns) StartDHCP(t testing.TB, extra ...string) {
	t.Helper()
	args := append([]string{"netns", "exec", n.Name, "dnsmasq",
		"--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--user=root",
		"--interface=" + Tap, "--bind-interfaces", "--log-facility=-", "--log-dhcp",
		"--dhcp-range=" + n.Prefix + ".50," + n.Prefix + ".60,1h",
		"--dhcp-leasefile=" + t.TempDir() + "/leases", "--pid-file="}, extra...)
	cmd := exec.Command("ip", args...)
	cmd.Stdout = (*dhcpWriter)(n)
	cmd.Stderr = (*dhcpWriter)(n)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("bootlab: dnsmasq: %v", err)
	}
	n.mu.Lock()
	n.dnsmasq = cmd
	n.mu.Unlock()
	// dnsmasq exits at once on a bad option or a busy socket.
	time.Sleep(300 * time.Millisecond)
	if cmd.ProcessState != nil || syscall.Kill(cmd.Process.Pid, 0) != nil {
		t.Fatalf("bootlab: dnsmasq did not start: %s", n.DHCPLog())
	}
}

type dhcpWriter Netns

func (w *dhcpWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dhcpLog.Write(p)
}

// DHCPLog returns what dnsmasq logged so far.
func (n *Netns) DHCPLog() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dhcpLog.String()
}

func (n *Netns) close() {
	n.mu.Lock()
	cmd := n.dnsmasq
	n.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	_ = ip("netns", "del", n.Name)
}

// ListenPacket opens a UDP socket on addr inside the namespace, for a
// daemon of the test's process to serve there.
func (n *Netns) ListenPacket(addr string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := n.inside(func() (err error) { pc, err = net.ListenPacket("udp4", addr); return err })
	return pc, err
}

// Listen opens a TCP listener on addr inside the namespace.
func (n *Netns) Listen(addr string) (net.Listener, error) {
	var l net.Listener
	err := n.inside(func() (err error) { l, err = net.Listen("tcp4", addr); return err })
	return l, err
}

// inside runs f on an OS thread switched into the namespace. A socket keeps
// the namespace it was made in. The thread stays locked and is discarded
// when the goroutine ends, so no other goroutine ever runs in the namespace.
func (n *Netns) inside(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		fd, err := unix.Open("/var/run/netns/"+n.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("bootlab: %w", err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("bootlab: setns: %w", err)
			return
		}
		errc <- f()
	}()
	return <-errc
}
