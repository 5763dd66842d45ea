package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// MemoryConfig configures a [Memory] made by NewMemoryWith. The zero value
// serves what Go code puts in, read-only, within the default limits.
type MemoryConfig struct {
	// Write says which uploads and changes (remove, rename) are accepted,
	// as for a Dir. The zero value, WriteNone, refuses them all with an
	// access violation; NewMemory uses WriteAny.
	Write WritePolicy
	// MaxFileSize is the largest file an upload may leave, in bytes. An
	// upload that announces more (TFTP tsize) is refused at Open, and one
	// that grows past it fails at once, both with disk full. 0 means
	// DefaultMemoryMaxFile; a negative value removes the limit.
	MaxFileSize int64
	// MaxTotal bounds the bytes the store holds, counting committed files
	// and uploads in progress as a disk counts temporary files. An upload
	// that would pass it fails with disk full. 0 means
	// DefaultMemoryMaxTotal; a negative value removes the limit. Files
	// added with Put count too, but Put itself is never refused.
	MaxTotal int64
}

// Defaults of MemoryConfig. They keep one peer from exhausting the memory
// of the process; raise them, or remove them with a negative value, on
// purpose only.
const (
	DefaultMemoryMaxFile  int64 = 256 << 20
	DefaultMemoryMaxTotal int64 = 1 << 30
)

// Memory is a Handler that keeps its files in memory: the Go twin of
// Erlang's tftp_binary, and the test author's store. Go code fills and
// inspects it with Put, Get, Delete and Names while transfers run; peers
// download what it holds and, when the write policy allows, upload files
// that it keeps and serves back.
//
// A download serves a snapshot: the size is known at Open, random access is
// offered (t.State is an io.ReaderAt), so are the snapshot's bytes as its
// whole content (behaviour.ContentSource), and a Put or upload that replaces the
// file meanwhile does not change the bytes a running download sends. A
// missing name is behaviour.ErrNotFound.
//
// An upload is buffered per transfer and committed atomically when its final
// Write returns nil: until then Get, Names and downloads see the old content
// or nothing, and Abort leaves nothing behind. Uploads offer random access
// (io.WriterAt) for SFTP, in a buffer bounded by the limits of MemoryConfig.
// SFTP's exclusive flag refuses an existing name with file exists, and its
// append flag starts from the current content.
//
// Names are flat strings, cleaned as behaviour.CleanName cleans requests;
// "/" separates directories for the SFTP capabilities (behaviour.Stater,
// Lister, Remover and Renamer): a directory exists while a file lives under
// it. Uploads refuse a name that is a directory or lies under a file.
//
// A Memory is safe for concurrent use. The zero value is an empty read-only
// store with the default limits, like NewMemoryWith(MemoryConfig{}).
type Memory struct {
	cfg   MemoryConfig
	mu    sync.RWMutex
	files map[string]memFile
	used  int64 // bytes of the files and of the uploads in progress
}

// memFile is one stored file. data is never changed once stored, so
// downloads can read it without holding the lock.
type memFile struct {
	data  []byte
	mtime time.Time
}

// NewMemory returns an empty store that accepts every upload and change
// (WriteAny) within the default limits.
func NewMemory() *Memory { return &Memory{cfg: MemoryConfig{Write: WriteAny}} }

// NewMemoryWith returns an empty store configured by cfg, or an error when
// cfg is invalid.
func NewMemoryWith(cfg MemoryConfig) (*Memory, error) {
	if cfg.Write > WriteAny {
		return nil, fmt.Errorf("handlers: invalid write policy %d", uint8(cfg.Write))
	}
	return &Memory{cfg: cfg}, nil
}

// memLimit resolves a configured limit: 0 is the default, negative none (-1).
func memLimit(configured, def int64) int64 {
	switch {
	case configured == 0:
		return def
	case configured < 0:
		return -1
	}
	return configured
}

func (m *Memory) maxFile() int64  { return memLimit(m.cfg.MaxFileSize, DefaultMemoryMaxFile) }
func (m *Memory) maxTotal() int64 { return memLimit(m.cfg.MaxTotal, DefaultMemoryMaxTotal) }

// Put stores a copy of data as the file name, replacing any file of that
// name at once, whatever the write policy and limits say: Go code is
// trusted. name is cleaned as behaviour.CleanName cleans requests, so
// "/boot//pxelinux.0" is stored as "boot/pxelinux.0". Put panics when
// CleanName refuses name or cleans it to ".", as such a file could never
// be requested.
func (m *Memory) Put(name string, data []byte) {
	clean, err := behaviour.CleanName(name)
	if err != nil || clean == "." {
		panic(fmt.Sprintf("handlers: Memory.Put: invalid file name %q", name))
	}
	data = append([]byte{}, data...)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store(clean, data, time.Now())
}

// store sets a file and accounts for its size; m.mu must be held.
func (m *Memory) store(name string, data []byte, mtime time.Time) {
	if m.files == nil {
		m.files = make(map[string]memFile)
	}
	m.used += int64(len(data)) - int64(len(m.files[name].data))
	m.files[name] = memFile{data: data, mtime: mtime}
}

// Get returns a copy of the file name and whether it exists. Uploads in
// progress are not visible.
func (m *Memory) Get(name string) ([]byte, bool) {
	clean, err := behaviour.CleanName(name)
	if err != nil {
		return nil, false
	}
	m.mu.RLock()
	f, ok := m.files[clean]
	m.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return append([]byte{}, f.data...), true
}

// Delete removes the file name, if it exists, whatever the write policy
// says. Running downloads of it finish with the content they started with.
func (m *Memory) Delete(name string) {
	clean, err := behaviour.CleanName(name)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used -= int64(len(m.files[clean].data))
	delete(m.files, clean)
}

// Names returns the names of the files, sorted.
func (m *Memory) Names() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Sorted(maps.Keys(m.files))
}

// Len returns the number of files.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.files)
}

// Prepare accepts the suggested options unchanged.
func (m *Memory) Prepare(context.Context, *behaviour.Transfer) error { return nil }

// Open opens a snapshot of t.Name for reading, or starts an upload to it.
// It never changes the options.
func (m *Memory) Open(_ context.Context, t *behaviour.Transfer) error {
	switch t.Access {
	case behaviour.Read:
		return m.openRead(t)
	case behaviour.Write:
		return m.openUpload(t)
	}
	return behaviour.ErrIllegalOperation
}

func (m *Memory) openRead(t *behaviour.Transfer) error {
	m.mu.RLock()
	f, ok := m.files[t.Name]
	m.mu.RUnlock()
	if !ok {
		return behaviour.ErrNotFound
	}
	t.SetSize(int64(len(f.data)))
	t.State = newSnapshot(f.data)
	return nil
}

// snapshot is the state of a read from a Memory or a template: bytes that
// never change, read in turn or at random (io.ReaderAt), or handed whole
// to an engine.
type snapshot struct {
	*bytes.Reader
	data []byte
}

func newSnapshot(data []byte) *snapshot { return &snapshot{Reader: bytes.NewReader(data), data: data} }

// Content offers the snapshot's bytes as the whole content of a read.
func (m *Memory) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	return snapshotContent(t)
}

func snapshotContent(t *behaviour.Transfer) (behaviour.Content, bool) {
	s, ok := t.State.(*snapshot)
	if !ok || s.data == nil {
		return behaviour.Content{}, false
	}
	return behaviour.Content{Bytes: s.data}, true
}

// Read reads the next bytes of the snapshot. An empty p ends a
// random-access read: it answers (0, io.EOF).
func (m *Memory) Read(t *behaviour.Transfer, p []byte) (int, error) { return readSnapshot(t, p) }

// readSnapshot reads the snapshot that the Open of a Memory or a template
// left in t.State.
func readSnapshot(t *behaviour.Transfer, p []byte) (int, error) {
	r, ok := t.State.(*snapshot)
	if !ok {
		return 0, errWrongAccess
	}
	if len(p) == 0 {
		return 0, io.EOF
	}
	return r.Read(p)
}

// Write adds p to the upload; the last call commits it.
func (m *Memory) Write(t *behaviour.Transfer, p []byte, last bool) error {
	u, ok := t.State.(*memUpload)
	if !ok {
		return errWrongAccess
	}
	return u.write(p, last)
}

// Abort discards an upload; a read has nothing to release.
func (m *Memory) Abort(t *behaviour.Transfer, _ error) {
	if u, ok := t.State.(*memUpload); ok {
		u.discard()
	}
}

// Memory offers what its doc says.
var (
	_ behaviour.Handler       = (*Memory)(nil)
	_ behaviour.Stater        = (*Memory)(nil)
	_ behaviour.ContentSource = (*Memory)(nil)
	_ behaviour.Lister        = (*Memory)(nil)
	_ behaviour.Remover       = (*Memory)(nil)
	_ behaviour.Renamer       = (*Memory)(nil)
	_ io.WriterAt             = (*memUpload)(nil)
)
