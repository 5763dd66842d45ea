package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/client"
)

// start runs the program with files (nil: the embedded ones) on a free
// loopback port until the test ends.
func start(t *testing.T, files fs.FS) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan netip.AddrPort, 1)
	cfg := config{
		Listen: "127.0.0.1:0",
		Files:  files,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
		Grace:  50 * time.Millisecond,
		Ready:  func(a netip.AddrPort) { ready <- a },
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case a := <-ready:
		return a.String()
	case err := <-done:
		done <- err
		t.Fatalf("run ended before listening: %v", err)
	}
	return ""
}

// device is a TFTP client that asks from the address a device would have:
// 127.0.0.2 is in no inventory, 127.0.0.1 is lab-localhost.
func device(addr, from string) *client.TFTP {
	return &client.TFTP{Addr: addr, LocalAddr: from, TSize: true}
}

// waterfall asks for names in order, as a device does, until one is
// served; "file not found" moves on, any other error stops. It returns the
// name that answered and its content.
func waterfall(t *testing.T, c *client.TFTP, names ...string) (string, string) {
	t.Helper()
	for _, name := range names {
		b, _, err := c.ReadBytes(context.Background(), name)
		if err == nil {
			return name, string(b)
		}
		if !isNotFound(err) {
			t.Fatalf("%s: %v, want the file or ERROR 1", name, err)
		}
	}
	t.Fatalf("nothing served of %q", names)
	return "", ""
}

// isNotFound reports whether the server answered ERROR 1.
func isNotFound(err error) bool {
	var se *client.ServerError
	return errors.As(err, &se) && se.Code == behaviour.CodeNotFound
}

// contains fails the test unless text holds every line of want.
func contains(t *testing.T, what, text string, want ...string) {
	t.Helper()
	lines := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		lines[l] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("%s lacks the line %q:\n%s", what, w, text)
		}
	}
}

// hostOf finds the hostname network-confg gives an address, as AutoInstall
// does with its "ip host" lines.
func hostOf(networkConfg, ip string) string {
	sc := bufio.NewScanner(strings.NewReader(networkConfg))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "ip" && f[1] == "host" && f[3] == ip {
			return f[2]
		}
	}
	return ""
}

func TestAutoInstallKnownHost(t *testing.T) {
	c := device(start(t, nil), "127.0.0.2")
	_, network := waterfall(t, c, "network-confg")
	host := hostOf(network, "10.0.0.11")
	if host != "sw-core-01" {
		t.Fatalf("network-confg names 10.0.0.11 %q, want sw-core-01:\n%s", host, network)
	}
	name, cfg := waterfall(t, c, host+"-confg", "router-confg")
	if name != "sw-core-01-confg" {
		t.Fatalf("served %s, want sw-core-01-confg", name)
	}
	contains(t, name, cfg, "hostname sw-core-01", "vlan 10", "vlan 30",
		" ip address 10.0.0.11 255.255.255.0", "ip default-gateway 10.0.0.1", "snmp-server location hq")
}

func TestAutoInstallUnknownHost(t *testing.T) {
	addr := start(t, nil)
	c := device(addr, "127.0.0.2")
	_, _, err := c.ReadBytes(context.Background(), "sw-new-99-confg")
	if !isNotFound(err) {
		t.Fatalf("unknown host: %v, want ERROR 1 so that the device asks for router-confg", err)
	}
	name, cfg := waterfall(t, c, "sw-new-99-confg", "router-confg")
	if name != "router-confg" {
		t.Fatalf("served %s, want router-confg", name)
	}
	contains(t, "router-confg for an unknown address", cfg, "hostname unprovisioned", " ip address dhcp")
	if !strings.Contains(cfg, "(127.0.0.2)") {
		t.Errorf("router-confg does not name the peer 127.0.0.2:\n%s", cfg)
	}

	// The same last try from an address in the inventory gets that
	// device's own config.
	_, cfg = waterfall(t, device(addr, "127.0.0.1"), "router-confg")
	contains(t, "router-confg for 127.0.0.1", cfg, "hostname lab-localhost", "vlan 99")
}

func TestMACInName(t *testing.T) {
	c := device(start(t, nil), "127.0.0.2")
	for _, mac := range []string{"00:1a:2b:3c:4d:07", "00-1A-2B-3C-4D-07", "001a.2b3c.4d07", "001a2b3c4d07", "0:1a:2b:3c:4d:7"} {
		_, cfg := waterfall(t, c, "configs/"+mac+".cfg")
		contains(t, mac, cfg, "hostname sw-access-07", " ip address 10.0.0.17 255.255.255.0")
	}
	for _, name := range []string{"configs/00:1a:2b:3c:4d:99.cfg", "configs/00:1a:2b:3c:4d.cfg", "configs/001a.2b3c.4d0.cfg"} {
		if _, _, err := c.ReadBytes(context.Background(), name); !isNotFound(err) {
			t.Errorf("%s: %v, want ERROR 1", name, err)
		}
	}
}

// onieNames is ONIE's default installer names for a switch, in its order.
func onieNames(arch, vendor, machine, rev string) []string {
	return []string{
		"onie-installer-" + arch + "-" + vendor + "_" + machine + "-r" + rev,
		"onie-installer-" + arch + "-" + vendor + "_" + machine,
		"onie-installer-" + vendor + "_" + machine,
		"onie-installer-" + arch,
		"onie-installer",
	}
}

func TestONIEWaterfall(t *testing.T) {
	c := device(start(t, nil), "127.0.0.2")
	for _, tc := range []struct {
		arch, vendor, machine, rev string
		served                     int // index in the waterfall
		line                       string
	}{
		{"x86_64", "acme", "sw4800", "2", 0, `echo "Installing AcmeOS 7.1 (rev 2 boards need the new PHY firmware)"`},
		{"x86_64", "acme", "sw4800", "1", 1, `wget -O /tmp/nos.bin "http://images.example.net/acmeos-7.1.bin"`},
		{"x86_64", "acme", "sw9000", "0", 2, `echo "Installing AcmeOS 8.0"`},
		{"x86_64", "other", "box_1", "3", 3, `echo "Installing Open NOS (any x86_64 switch)"`},
		{"arm", "other", "box_1", "3", 4, "exit 1"},
	} {
		names := onieNames(tc.arch, tc.vendor, tc.machine, tc.rev)
		name, script := waterfall(t, c, names...)
		if name != names[tc.served] {
			t.Errorf("%s %s_%s r%s: served %s, want %s", tc.arch, tc.vendor, tc.machine, tc.rev, name, names[tc.served])
			continue
		}
		contains(t, name, script, "#!/bin/sh", tc.line)
	}
}

func TestWritesRefused(t *testing.T) {
	c := device(start(t, nil), "127.0.0.2")
	_, err := c.WriteBytes(context.Background(), "sw-core-01-confg", []byte("hostname evil\n"))
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeAccessViolation {
		t.Fatalf("upload: %v, want ERROR 2", err)
	}
}

// need returns the path of an external program, or skips the test (fails it
// when CI=true).
func need(t *testing.T, prog string) string {
	t.Helper()
	path, err := exec.LookPath(prog)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required with CI=true: %v", prog, err)
		}
		t.Skipf("%s is not installed (apt-get install curl): %v", prog, err)
	}
	return path
}

func TestCurl(t *testing.T) {
	curl := need(t, "curl")
	addr := start(t, nil)
	get := func(name string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, curl, "-s", "--interface", "127.0.0.2", "tftp://"+addr+"/"+name)
		cmd.Stdout = &out
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("curl %s: %v", name, err)
		}
		return out.String(), 0
	}
	cfg, code := get("sw-access-07-confg")
	if code != 0 {
		t.Fatalf("curl sw-access-07-confg: exit %d", code)
	}
	contains(t, "curl sw-access-07-confg", cfg, "hostname sw-access-07", "vlan 20")
	script, code := get("onie-installer-x86_64-acme_sw4800-r2")
	if code != 0 || !strings.Contains(script, "acmeos-7.1-r2.bin") {
		t.Errorf("curl ONIE installer: exit %d\n%s", code, script)
	}
	// curl exits 68 on TFTP's "file not found".
	if _, code := get("sw-new-99-confg"); code != 68 {
		t.Errorf("curl unknown host: exit %d, want 68", code)
	}
}

// provisioning returns the embedded files with some replaced.
func provisioning(t *testing.T, replace map[string]string) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(embedded, "provisioning", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		m[strings.TrimPrefix(p, "provisioning/")] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range replace {
		m[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return m
}

func TestInventoryRefused(t *testing.T) {
	for what, devices := range map[string]string{
		"repeated hostname": "- {hostname: a, mac: '00:00:00:00:00:01', ip: 10.0.0.1}\n- {hostname: a, mac: '00:00:00:00:00:02', ip: 10.0.0.2}\n",
		"missing MAC":       "- {hostname: a, ip: 10.0.0.1}\n",
		"MAC not canonical": "- {hostname: a, mac: 00-00-00-00-00-01, ip: 10.0.0.1}\n",
	} {
		err := run(context.Background(), config{Listen: "127.0.0.1:0", Files: provisioning(t, map[string]string{"devices.yaml": devices})})
		if err == nil || !strings.Contains(err.Error(), "devices.yaml") {
			t.Errorf("%s: run returned %v, want an error naming devices.yaml", what, err)
		}
	}
}

func TestCustomFiles(t *testing.T) {
	files := provisioning(t, map[string]string{
		"devices.yaml": "- {hostname: ap-1, mac: '02:00:00:00:00:0a', ip: 192.0.2.10, netmask: 255.255.255.0, gateway: 192.0.2.1, site: lab, vlans: []}\n",
	})
	_, cfg := waterfall(t, device(start(t, files), "127.0.0.2"), "ap-1-confg")
	contains(t, "ap-1-confg", cfg, "hostname ap-1", " ip address 192.0.2.10 255.255.255.0")
}

func TestCanonicalMAC(t *testing.T) {
	for in, want := range map[string]string{
		"00:1A:2b:3c:4d:5e":    "00:1a:2b:3c:4d:5e",
		"00-1a-2b-3c-4d-5e":    "00:1a:2b:3c:4d:5e",
		"001a.2b3c.4d5e":       "00:1a:2b:3c:4d:5e",
		"001A2B3C4D5E":         "00:1a:2b:3c:4d:5e",
		"0:1a:2b:3c:4d:5":      "00:1a:2b:3c:4d:05",
		"00:1a:2b:3c:4d":       "",
		"00:1a:2b:3c:4d:5e:6f": "",
		"001:a:2b:3c:4d:5e":    "",
		"0g:1a:2b:3c:4d:5e":    "",
		"01a.2b3c.4d5ef":       "",
		"001a.2b3c4d5e":        "",
		"0:1a:2:3:4:5:":        "",
		"0:1a:2:3:4:5":         "00:1a:02:03:04:05",
		"00:1a:2b-3c-4d-5e":    "00:1a:2b:3c:4d:5e",
		"+1:1a:2b:3c:4d:5e":    "",
		"":                     "",
	} {
		got, ok := canonical(in)
		if got != want || ok != (want != "") {
			t.Errorf("canonical(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// The routes as a whole keep the Handler contract, the fallback and MAC
// wrappers included. The content comes from one plain read; the kit then
// checks every other way of reading it against that.
func TestContract(t *testing.T) {
	files, err := fs.Sub(embedded, "provisioning")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := routes(files)
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string][]byte{}
	for _, name := range []string{"network-confg", "router-confg", "sw-core-01-confg", "configs/001a.2b3c.4d33.cfg", "onie-installer-x86_64", "onie-installer"} {
		if reads[name], err = behaviourtest.Read(context.Background(), reg, name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	err = behaviourtest.TestHandler(reg, behaviourtest.Spec{
		Reads: reads,
		RefuseReads: map[string]behaviour.Code{
			"sw-new-99-confg":               behaviour.CodeNotFound,
			"configs/00:1a:2b:3c:4d:99.cfg": behaviour.CodeNotFound,
			"configs/not-a-mac-addr.cfg":    behaviour.CodeNotFound,
			"onie-installer-arm":            behaviour.CodeNotFound,
			"pxelinux.0":                    behaviour.CodeNotFound,
		},
		RefuseWrites: map[string]behaviour.Code{
			"sw-core-01-confg": behaviour.CodeAccessViolation,
			"router-confg":     behaviour.CodeAccessViolation,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}
