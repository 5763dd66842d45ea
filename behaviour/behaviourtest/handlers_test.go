package behaviourtest_test

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/filemux/filemux/behaviour"
)

// store is a well-behaved handler over a map, built from the adapters: reads
// serve the map through ReadFunc, writes go through WriteFunc and land in
// the map only when the upload commits.
type store struct {
	mu    sync.Mutex
	files map[string][]byte
	read  behaviour.ReadFunc
	write behaviour.WriteFunc
}

func newStore(files map[string][]byte) *store {
	s := &store{files: make(map[string][]byte)}
	for name, b := range files {
		s.files[name] = b
	}
	s.read = func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		b, ok := s.files[t.Name]
		if !ok {
			return nil, behaviour.ErrNotFound
		}
		return bytes.NewReader(b), nil
	}
	s.write = func(_ context.Context, t *behaviour.Transfer, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.files[t.Name] = b
		s.mu.Unlock()
		return nil
	}
	return s
}

func (s *store) pick(t *behaviour.Transfer) behaviour.Handler {
	if t.Access == behaviour.Write {
		return s.write
	}
	return s.read
}

func (s *store) Prepare(ctx context.Context, t *behaviour.Transfer) error { return nil }
func (s *store) Open(ctx context.Context, t *behaviour.Transfer) error {
	return s.pick(t).Open(ctx, t)
}
func (s *store) Read(t *behaviour.Transfer, p []byte) (int, error) { return s.pick(t).Read(t, p) }
func (s *store) Write(t *behaviour.Transfer, p []byte, last bool) error {
	return s.pick(t).Write(t, p, last)
}
func (s *store) Abort(t *behaviour.Transfer, err error) { s.pick(t).Abort(t, err) }

// blobs is a well-behaved handler written from scratch on behaviour.Base,
// with random access both ways: reads get a *bytes.Reader in t.State,
// writes a *upload that is an io.WriterAt.
type blobs struct {
	behaviour.Base
	mu    sync.Mutex
	files map[string][]byte
}

// upload is the state of one write: bytes gathered until the commit.
type upload struct {
	mu  sync.Mutex
	buf []byte
}

func (u *upload) WriteAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if end := int(off) + len(p); end > len(u.buf) {
		u.buf = append(u.buf, make([]byte, end-len(u.buf))...)
	}
	return copy(u.buf[off:], p), nil
}

func (h *blobs) Open(_ context.Context, t *behaviour.Transfer) error {
	if t.Access == behaviour.Write {
		t.State = &upload{}
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.files[t.Name]
	if !ok {
		return behaviour.ErrNotFound
	}
	t.SetSize(int64(len(b)))
	t.State = bytes.NewReader(b)
	return nil
}

func (h *blobs) Read(t *behaviour.Transfer, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, io.EOF // the ending of a random-access read
	}
	return t.State.(*bytes.Reader).Read(p)
}

func (h *blobs) Write(t *behaviour.Transfer, p []byte, last bool) error {
	u := t.State.(*upload)
	u.mu.Lock()
	u.buf = append(u.buf, p...)
	u.mu.Unlock()
	if last {
		h.mu.Lock()
		h.files[t.Name] = u.buf
		h.mu.Unlock()
	}
	return nil
}
