package handlers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"text/template"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// DefaultTemplateMaxSize bounds one render when TemplateConfig.MaxSize is 0.
const DefaultTemplateMaxSize int64 = 16 << 20

// KeyPeer is the TemplateConfig.Key that selects records by the peer's IP
// address rather than by a capture.
const KeyPeer = "peer"

// TemplateConfig configures the handler NewTemplate returns. Set Text or
// File; the other fields are optional.
type TemplateConfig struct {
	// Text is the source of the template, a text/template.
	Text string
	// File names a file holding the source, read once by NewTemplate.
	// Parse errors name it.
	File string
	// Inventory holds the records the template renders from; nil means
	// none, and .Data is then nil.
	Inventory *Inventory
	// Records, in place of Inventory, is a source of records that may
	// change while serving, such as the rows of a database query reloaded
	// when they change: each transfer looks its record up at Open. Set at
	// most one of Inventory and Records.
	Records Records
	// Key selects the record of a transfer, and is required with an
	// Inventory or Records: KeyPeer ("peer") looks up the peer's IP address, written
	// as netip.Addr writes it (10.0.0.1, 2001:db8::1; IPv4-mapped IPv6
	// addresses as IPv4, zones dropped); any other value names the route's
	// capture whose value is looked up, as "host" for a route
	// `(?<host>[^/]+)-confg`.
	Key string
	// Funcs are functions the template may call, added before parsing.
	Funcs template.FuncMap
	// MaxSize bounds one render, in bytes; a render that grows past it
	// fails with disk full. 0 means DefaultTemplateMaxSize.
	MaxSize int64
}

// Records finds the records of a template by key. [*Inventory] is one.
// Lookup is called at every Open and Stat, concurrently: it must be safe
// for concurrent use and must not wait on I/O. The record it returns is
// shared; callers do not modify it.
type Records interface {
	Lookup(key string) (map[string]any, bool)
}

// TemplateData is what the template of a transfer is executed with.
type TemplateData struct {
	// Name is the requested file name, cleaned (t.Name).
	Name string
	// Params holds the named captures of the route that matched.
	Params map[string]string
	// Peer and Local are the remote and local addresses, IPv4-mapped IPv6
	// addresses written as IPv4: {{.Peer.Addr}} is the peer's IP address.
	Peer, Local netip.AddrPort
	// Data is the inventory record selected by TemplateConfig.Key, or nil
	// without an inventory.
	Data map[string]any
	// Transfer is the transfer itself, for what the other fields do not
	// carry (protocol, mode, options, user). Templates must only read it.
	Transfer *behaviour.Transfer
}

// templateHandler renders one parsed template per read transfer.
type templateHandler struct {
	tmpl    *template.Template
	inv     Records // nil without records
	key     string
	maxSize int64
	modTime time.Time // what Stat reports: when the template was loaded
}

// Template returns a read-only Handler that renders text, a text/template
// executed with [TemplateData] and no inventory, for every file it is asked
// for. It panics when text does not parse, as template.Must does: it is for
// templates written in the program. Use NewTemplate for the full case.
func Template(text string) behaviour.Handler {
	h, err := NewTemplate(TemplateConfig{Text: text})
	if err != nil {
		panic(err)
	}
	return h
}

// NewTemplate returns a read-only Handler that renders a text/template for
// every read transfer: how "sw-core-01-confg" becomes the running-config of
// that switch. The template is parsed once, here, with the option
// missingkey=error, and executed with [TemplateData] at each Open.
//
// The whole file is rendered into memory at Open, so its size is known
// before the first byte is sent and random access is offered; a failed
// render sends nothing. A transfer whose record is missing from the
// inventory, or whose render uses a key its record or captures lack, is
// refused with behaviour.ErrNotFound. Other execution errors reach the
// peer as an undefined error with a generic text (the cause stays for
// logs), and a render larger than MaxSize as disk full. The handler never
// opens a file by the requested name: captures are only data.
//
// Writes are refused with an access violation. The handler also offers
// behaviour.Stater, which renders the file to report its size.
func NewTemplate(cfg TemplateConfig) (behaviour.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	name, text := "template", cfg.Text
	if cfg.File != "" {
		b, err := os.ReadFile(cfg.File)
		if err != nil {
			return nil, fmt.Errorf("handlers: template: %w", err)
		}
		name, text = cfg.File, string(b)
	}
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(cfg.Funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("handlers: %w", err)
	}
	maxSize := cfg.MaxSize
	if maxSize == 0 {
		maxSize = DefaultTemplateMaxSize
	}
	h := &templateHandler{tmpl: tmpl, inv: cfg.Records, key: cfg.Key, maxSize: maxSize, modTime: time.Now()}
	if cfg.Inventory != nil {
		h.inv = cfg.Inventory
	}
	return h, nil
}

func (c TemplateConfig) validate() error {
	switch {
	case (c.Text == "") == (c.File == ""):
		return errors.New("handlers: template: set exactly one of Text and File")
	case c.Inventory != nil && c.Records != nil:
		return errors.New("handlers: template: set at most one of Inventory and Records")
	case (c.Inventory != nil || c.Records != nil) && c.Key == "":
		return errors.New("handlers: template: an Inventory needs a Key (a capture name or \"peer\")")
	case c.Inventory == nil && c.Records == nil && c.Key != "":
		return fmt.Errorf("handlers: template: Key %q without an Inventory", c.Key)
	case c.MaxSize < 0:
		return fmt.Errorf("handlers: template: negative MaxSize %d", c.MaxSize)
	}
	return nil
}

// Prepare refuses writes and accepts the suggested options unchanged.
func (h *templateHandler) Prepare(_ context.Context, t *behaviour.Transfer) error {
	if t.Access != behaviour.Read {
		return errTemplateReadOnly
	}
	return nil
}

// Open renders the file, sets its size and keeps the bytes for Read.
func (h *templateHandler) Open(ctx context.Context, t *behaviour.Transfer) error {
	if t.Access != behaviour.Read {
		return errTemplateReadOnly
	}
	out, err := h.render(ctx, t)
	if err != nil {
		return err
	}
	t.SetSize(int64(len(out)))
	t.State = newSnapshot(out)
	return nil
}

// Read reads the next bytes of the rendered file. An empty p ends a
// random-access read: it answers (0, io.EOF).
func (h *templateHandler) Read(t *behaviour.Transfer, p []byte) (int, error) {
	return readSnapshot(t, p)
}

// Write refuses: a template is read-only.
func (h *templateHandler) Write(*behaviour.Transfer, []byte, bool) error {
	return errTemplateReadOnly
}

// Abort has nothing to release: the rendered bytes are garbage.
func (h *templateHandler) Abort(*behaviour.Transfer, error) {}

// Stat renders t.Name to report its size, and refuses as Open would.
func (h *templateHandler) Stat(ctx context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	out, err := h.render(ctx, t)
	if err != nil {
		return nil, err
	}
	return behaviour.FileInfo{FileName: path.Base(t.Name), FileSize: int64(len(out)), FileMode: 0o444, FileModTime: h.modTime}, nil
}

var errTemplateReadOnly = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "file is read-only"}

var _ behaviour.Stater = (*templateHandler)(nil)
