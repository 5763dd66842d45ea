package handlers_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

const switchConfig = `hostname {{.Params.host}}
interface vlan{{.Data.vlan}}
 ip address {{.Data.mgmt_ip}} 255.255.255.0
`

func wantSwitchConfig(host, ip, vlan string) []byte {
	return []byte("hostname " + host + "\ninterface vlan" + vlan + "\n ip address " + ip + " 255.255.255.0\n")
}

// The template served as a route with a host capture, through the real
// registry, for every inventory shape and format.
func TestTemplateByCapture(t *testing.T) {
	for _, tc := range inventories {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := handlers.ReadInventory(strings.NewReader(tc.text), tc.format, tc.keyField)
			if err != nil {
				t.Fatal(err)
			}
			h, err := handlers.NewTemplate(handlers.TemplateConfig{Text: switchConfig, Inventory: inv, Key: "host"})
			if err != nil {
				t.Fatal(err)
			}
			var reg registry.Registry
			reg.MustRegister(`(?<host>[^/]+)-confg`, h)
			err = behaviourtest.TestHandler(&reg, behaviourtest.Spec{
				Reads: map[string][]byte{
					"sw-core-01-confg":  wantSwitchConfig("sw-core-01", "10.0.0.11", "10"),
					"/sw-core-02-confg": wantSwitchConfig("sw-core-02", "10.0.0.12", "20"),
				},
				RefuseReads: map[string]behaviour.Code{
					"sw-core-03-confg":                  behaviour.CodeNotFound,
					"x/sw-core-01-confg":                behaviour.CodeNotFound, // no route
					"sw-core-01-confg/../../etc/passwd": behaviour.CodeAccessViolation,
				},
				RefuseWrites: map[string]behaviour.Code{"sw-core-01-confg": behaviour.CodeAccessViolation},
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTemplateByPeer(t *testing.T) {
	inv, err := handlers.ReadInventory(strings.NewReader(`
127.0.0.1: {role: loopback}
10.0.0.5: {role: access}
"2001:db8::1": {role: core}
`), handlers.InventoryYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	h, err := handlers.NewTemplate(handlers.TemplateConfig{
		Text:      "{{.Peer.Addr}} is {{.Data.role}} for {{.Name}}\n",
		Inventory: inv,
		Key:       handlers.KeyPeer,
	})
	if err != nil {
		t.Fatal(err)
	}
	// behaviourtest's peer is 127.0.0.1.
	err = behaviourtest.TestHandler(h, behaviourtest.Spec{
		Reads:        map[string][]byte{"boot.cfg": []byte("127.0.0.1 is loopback for boot.cfg\n")},
		RefuseWrites: map[string]behaviour.Code{"boot.cfg": behaviour.CodeAccessViolation},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		peer string
		want string
	}{
		{"10.0.0.5:1234", "10.0.0.5 is access for f\n"},
		{"[::ffff:10.0.0.5]:1234", "10.0.0.5 is access for f\n"},
		{"[2001:db8::1]:69", "2001:db8::1 is core for f\n"},
		{"[2001:db8:0::1%eth0]:69", "2001:db8::1%eth0 is core for f\n"},
	}
	for _, tc := range tests {
		got, err := behaviourtest.Read(context.Background(), h, "f", behaviourtest.Peer(netip.MustParseAddrPort(tc.peer)))
		if err != nil || string(got) != tc.want {
			t.Errorf("peer %s: %q, %v; want %q", tc.peer, got, err, tc.want)
		}
	}
	_, err = behaviourtest.Read(context.Background(), h, "f", behaviourtest.Peer(netip.MustParseAddrPort("10.9.9.9:69")))
	if !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("unknown peer: %v, want not found", err)
	}
}

// The size is known when Open returns, before any Read, and a failed
// render leaves nothing to read.
func TestTemplateRendersAtOpen(t *testing.T) {
	h := handlers.Template("hostname {{.Params.host}}\n")
	tr := withHost(t, behaviour.Read, "sw-core-01")
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if size, known := tr.Size(); !known || size != int64(len("hostname sw-core-01\n")) {
		t.Fatalf("size after Open = %d, %v", size, known)
	}
	ra, ok := behaviour.ReaderAt(h, tr)
	if !ok {
		t.Fatal("no random access")
	}
	p := make([]byte, 10)
	if n, err := ra.ReadAt(p, 9); n != 10 || err != nil || string(p) != "sw-core-01" {
		t.Fatalf("ReadAt = %d, %v, %q", n, err, p)
	}
	got, err := drain(h, tr)
	if err != nil || string(got) != "hostname sw-core-01\n" {
		t.Fatalf("Read = %q, %v", got, err)
	}
}

func TestTemplateMissingKeyIsNotFound(t *testing.T) {
	inv, _ := handlers.ReadInventory(strings.NewReader("sw-core-01: {vlan: 10}"), handlers.InventoryYAML, "")
	h, err := handlers.NewTemplate(handlers.TemplateConfig{Text: switchConfig, Inventory: inv, Key: "host"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{switchConfig, "hostname {{.Params.nosuch}}\n"} {
		h := h
		if text != switchConfig {
			h = handlers.Template(text)
		}
		tr := withHost(t, behaviour.Read, "sw-core-01")
		err := h.Open(context.Background(), tr)
		if !errors.Is(err, behaviour.ErrNotFound) {
			t.Errorf("%q: Open: %v, want not found", text, err)
		}
		if _, known := tr.Size(); known || tr.State != nil {
			t.Errorf("%q: a failed render left a size or state behind", text)
		}
		if msg := behaviour.PeerMessage(err); msg != "file not found" {
			t.Errorf("peer message %q", msg)
		}
	}
}

// Captures are data: a hostile capture renders as text and never names a
// file the handler opens.
func TestTemplateCapturesCannotTraverse(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("root:x:0:0"), 0o600); err != nil {
		t.Fatal(err)
	}
	hostile := "../../../../../../.." + secret
	h := handlers.Template(`{{.Params.host}}|{{.Name}}`)
	tr := withHost(t, behaviour.Read, hostile)
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	got, _ := drain(h, tr)
	if string(got) != hostile+"|"+tr.Name {
		t.Fatalf("rendered %q", got)
	}
	inv, _ := handlers.ReadInventory(strings.NewReader("sw1: {}"), handlers.InventoryYAML, "")
	keyed, _ := handlers.NewTemplate(handlers.TemplateConfig{Text: "{{.Data}}", Inventory: inv, Key: "host"})
	if err := keyed.Open(context.Background(), withHost(t, behaviour.Read, hostile)); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("hostile key: %v, want not found", err)
	}
}

func TestTemplateErrorsStayPrivate(t *testing.T) {
	funcs := template.FuncMap{
		"fail":  func() (string, error) { return "", errors.New("cannot reach /srv/secret/db") },
		"crash": func() string { panic("/srv/secret/db") },
	}
	tests := []struct {
		text    string
		maxSize int64
		want    *behaviour.Error
		peer    string
	}{
		{"head {{fail}}", 0, behaviour.ErrUndefined, "cannot render file"},
		{"head {{crash}}", 0, behaviour.ErrUndefined, "cannot render file"},
		{"{{range 100}}0123456789{{end}}", 500, behaviour.ErrDiskFull, "disk full or allocation exceeded"},
	}
	for _, tc := range tests {
		h, err := handlers.NewTemplate(handlers.TemplateConfig{Text: tc.text, Funcs: funcs, MaxSize: tc.maxSize})
		if err != nil {
			t.Fatal(err)
		}
		_, err = behaviourtest.Read(context.Background(), h, "f")
		if !errors.Is(err, tc.want) || behaviour.PeerMessage(err) != tc.peer {
			t.Errorf("%q: %v (peer sees %q), want %v (%q)", tc.text, err, behaviour.PeerMessage(err), tc.want, tc.peer)
		}
	}
	// Exactly at the limit is allowed.
	h, _ := handlers.NewTemplate(handlers.TemplateConfig{Text: "{{range 50}}0123456789{{end}}", MaxSize: 500})
	if got, err := behaviourtest.Read(context.Background(), h, "f"); err != nil || len(got) != 500 {
		t.Errorf("render of exactly MaxSize: %d bytes, %v", len(got), err)
	}
}

func TestTemplateStopsWithItsContext(t *testing.T) {
	h := handlers.Template("{{range 1000}}line\n{{end}}")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tr := withHost(t, behaviour.Read, "x")
	if err := h.Open(ctx, tr); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context: %v", err)
	}
}

func TestTemplateRefusesWrites(t *testing.T) {
	h := handlers.Template("x")
	ctx := context.Background()
	tr := withHost(t, behaviour.Write, "x")
	if err := h.Prepare(ctx, tr); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Prepare of a write: %v", err)
	}
	if err := h.Open(ctx, tr); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Open of a write: %v", err)
	}
	if err := h.Write(tr, []byte("x"), true); !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Errorf("Write: %v", err)
	}
	if err := h.Prepare(ctx, withHost(t, behaviour.Read, "x")); err != nil {
		t.Errorf("Prepare of a read: %v", err)
	}
}

func TestTemplateStat(t *testing.T) {
	inv, _ := handlers.ReadInventory(strings.NewReader("sw-core-01: {vlan: 10, mgmt_ip: 10.0.0.11}"), handlers.InventoryYAML, "")
	h, _ := handlers.NewTemplate(handlers.TemplateConfig{Text: switchConfig, Inventory: inv, Key: "host"})
	tr := withHost(t, behaviour.Read, "sw-core-01")
	fi, err := behaviour.Stat(context.Background(), h, tr)
	if err != nil {
		t.Fatal(err)
	}
	if want := wantSwitchConfig("sw-core-01", "10.0.0.11", "10"); fi.Size() != int64(len(want)) || fi.Name() != "sw-core-01-confg" || fi.IsDir() {
		t.Fatalf("Stat = %s %d %v", fi.Name(), fi.Size(), fi.Mode())
	}
	if _, err := h.(behaviour.Stater).Stat(context.Background(), withHost(t, behaviour.Read, "nope")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("Stat of a missing record: %v", err)
	}
}

func TestNewTemplateRefuses(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "switch.tmpl")
	if err := os.WriteFile(broken, []byte("hostname {{.Params.host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, _ := handlers.ReadInventory(strings.NewReader("a: {}"), handlers.InventoryYAML, "")
	tests := []struct {
		name string
		cfg  handlers.TemplateConfig
		want string
	}{
		{"parse error names the file", handlers.TemplateConfig{File: broken}, broken + ":1"},
		{"missing file", handlers.TemplateConfig{File: filepath.Join(dir, "none.tmpl")}, "none.tmpl"},
		{"neither text nor file", handlers.TemplateConfig{}, "exactly one"},
		{"both text and file", handlers.TemplateConfig{Text: "x", File: broken}, "exactly one"},
		{"inventory without key", handlers.TemplateConfig{Text: "x", Inventory: inv}, "needs a Key"},
		{"key without inventory", handlers.TemplateConfig{Text: "x", Key: "host"}, "without an Inventory"},
		{"negative size", handlers.TemplateConfig{Text: "x", MaxSize: -1}, "negative"},
		{"unknown function", handlers.TemplateConfig{Text: "{{nosuch}}"}, "not defined"},
	}
	for _, tc := range tests {
		if _, err := handlers.NewTemplate(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	good := filepath.Join(dir, "good.tmpl")
	os.WriteFile(good, []byte("from file {{.Name}}"), 0o644)
	h, err := handlers.NewTemplate(handlers.TemplateConfig{File: good})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := behaviourtest.Read(context.Background(), h, "n"); err != nil || string(got) != "from file n" {
		t.Fatalf("template from a file: %q, %v", got, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Template did not panic on a parse error")
		}
	}()
	handlers.Template("{{")
}

// withHost returns a transfer of name + "-confg" whose route captured
// host = name, as the registry would set it.
func withHost(t *testing.T, access behaviour.Access, host string) *behaviour.Transfer {
	t.Helper()
	tr, err := behaviourtest.NewTransfer(access, "configs/x-confg")
	if err != nil {
		t.Fatal(err)
	}
	tr.Name = host + "-confg"
	tr.Params = []behaviour.Param{{Name: "host", Value: host}}
	return tr
}
