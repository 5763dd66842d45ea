package behaviour_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/filemux/filemux/behaviour"
)

// store is a tiny writable handler offering every file operation, to show
// the capability helpers reaching it.
type store struct {
	behaviour.Base
	mu    sync.Mutex
	files map[string]string
	dirs  map[string]bool
}

func (s *store) Remove(_ context.Context, t *behaviour.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.files[t.Name]; !ok {
		return behaviour.ErrNotFound
	}
	delete(s.files, t.Name)
	return nil
}

func (s *store) Rename(_ context.Context, t *behaviour.Transfer, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[to] = s.files[t.Name]
	delete(s.files, t.Name)
	return nil
}

func (s *store) Mkdir(_ context.Context, t *behaviour.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirs[t.Name] = true
	return nil
}

func (s *store) Rmdir(_ context.Context, t *behaviour.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.dirs, t.Name)
	return nil
}

func (s *store) names() string {
	var n []string
	for k := range s.files {
		n = append(n, k)
	}
	for k := range s.dirs {
		n = append(n, k+"/")
	}
	sort.Strings(n)
	return strings.Join(n, " ")
}

// looking is a decorator that declares no capability: the helpers that
// only look see through it with Unwrap, those that change something do not.
type looking struct{ behaviour.Handler }

func (w looking) Unwrap() behaviour.Handler { return w.Handler }

// wrapped is a decorator that lets changes through too: it embeds
// PassMutations.
type wrapped struct {
	looking
	behaviour.PassMutations
}

func ExampleRemove() {
	s := &store{files: map[string]string{"a.cfg": "x", "b.cfg": "y"}, dirs: map[string]bool{}}
	h := wrapped{looking{s}, behaviour.PassMutations{Next: s}}
	err := behaviour.Remove(context.Background(), h, &behaviour.Transfer{Name: "a.cfg"})
	fmt.Println(err, s.names())
	// Output: <nil> b.cfg
}

func ExamplePassMutations() {
	s := &store{files: map[string]string{"a.cfg": "x", "b.cfg": "y"}, dirs: map[string]bool{}}
	ctx := context.Background()
	// A decorator that does not declare Remove hides it: it fails closed.
	hidden := behaviour.Remove(ctx, looking{s}, &behaviour.Transfer{Name: "a.cfg"})
	// One that embeds PassMutations declares every change and hands it on.
	passed := behaviour.Remove(ctx, wrapped{looking{s}, behaviour.PassMutations{Next: s}}, &behaviour.Transfer{Name: "b.cfg"})
	fmt.Println(hidden, passed, s.names())
	// Output: operation not supported <nil> a.cfg
}

func ExampleRename() {
	s := &store{files: map[string]string{"a.cfg": "x"}, dirs: map[string]bool{}}
	err := behaviour.Rename(context.Background(), s, &behaviour.Transfer{Name: "a.cfg"}, "old/a.cfg")
	fmt.Println(err, s.names())
	// Output: <nil> old/a.cfg
}

func ExampleMkdir() {
	s := &store{files: map[string]string{}, dirs: map[string]bool{}}
	err := behaviour.Mkdir(context.Background(), s, &behaviour.Transfer{Name: "backup"})
	fmt.Println(err, s.names())
	// A handler without the capability answers ErrUnsupported.
	fmt.Println(behaviour.Mkdir(context.Background(), behaviour.Bytes(nil), &behaviour.Transfer{Name: "x"}))
	// Output:
	// <nil> backup/
	// operation not supported
}

func ExampleRmdir() {
	s := &store{files: map[string]string{}, dirs: map[string]bool{"backup": true}}
	err := behaviour.Rmdir(context.Background(), s, &behaviour.Transfer{Name: "backup"})
	fmt.Println(err, s.names() == "")
	// Output: <nil> true
}

func ExampleList() {
	h := behaviour.FS(fstest.MapFS{
		"boot/pxelinux.0": {Data: []byte("12345")},
		"boot/vmlinuz":    {Data: []byte("123")},
	})
	infos, err := behaviour.List(context.Background(), h, &behaviour.Transfer{Name: "boot"})
	for _, fi := range infos {
		fmt.Println(fi.Name(), fi.Size())
	}
	fmt.Println(err)
	// Output:
	// pxelinux.0 5
	// vmlinuz 3
	// <nil>
}

// sparse keeps an upload in a buffer that accepts writes at any offset.
type sparse struct {
	behaviour.Base
	got chan string
}

type sparseState struct{ buf []byte }

func (s *sparseState) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(s.buf) {
		s.buf = append(s.buf, make([]byte, end-len(s.buf))...)
	}
	return copy(s.buf[off:], p), nil
}

func (h sparse) Open(_ context.Context, t *behaviour.Transfer) error {
	t.State = &sparseState{}
	return nil
}

func (h sparse) Write(t *behaviour.Transfer, p []byte, last bool) error {
	st := t.State.(*sparseState)
	if _, err := st.WriteAt(p, int64(len(st.buf))); err != nil {
		return err
	}
	if last {
		h.got <- string(st.buf)
	}
	return nil
}

func ExampleWriterAt() {
	h := sparse{got: make(chan string, 1)}
	t := &behaviour.Transfer{Access: behaviour.Write, Name: "up.bin"}
	_ = h.Open(context.Background(), t)
	w, ok := behaviour.WriterAt(h, t)
	// An SFTP client's writes arrive out of order...
	_, _ = w.WriteAt([]byte("world"), 6)
	_, _ = w.WriteAt([]byte("hello "), 0)
	// ...and the engine commits with an empty final Write.
	fmt.Println(ok, h.Write(t, nil, true), <-h.got)
	// Output: true <nil> hello world
}

var (
	_ fs.FileInfo = behaviour.FileInfo{}
	_ io.WriterAt = (*sparseState)(nil)
)
