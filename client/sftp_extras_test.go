package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// sftpTarget is a server the same test runs against: our own or OpenSSH's
// sshd, the local directory it serves and the remote name of a file in it.
type sftpTarget struct {
	name string
	c    *client.SFTP
	root string
	path func(name string) string
}

func sftpTargets(t *testing.T) []sftpTarget {
	t.Helper()
	root, _, c := sftpServer(t, false)
	d := runSSHD(t, sshdSetup{})
	return []sftpTarget{
		{"ours", c, root, func(name string) string { return name }},
		{"openssh", d.client(t), d.dir, func(name string) string { return filepath.Join(d.dir, name) }},
	}
}

func TestSFTPReadRange(t *testing.T) {
	data := randomBytes(1<<20 + 7)
	n := int64(len(data))
	for _, tg := range sftpTargets(t) {
		writeFile(t, tg.root, "r.bin", data)
		for _, r := range [][2]int64{{0, -1}, {0, 0}, {1, 2}, {1000, 300001}, {n - 5, -1}, {n + 10, -1}, {300000, n + 100}, {40000, n}} {
			var buf bytes.Buffer
			got, err := tg.c.ReadRange(context.Background(), tg.path("r.bin"), r[0], r[1], &buf)
			end := n
			if r[1] >= 0 {
				end = min(r[1], n)
			}
			want := data[min(r[0], n):max(end, min(r[0], n))]
			if err != nil || got.Bytes != int64(len(want)) || !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("%s: range %v: %d bytes (%d written), %v; want %d", tg.name, r, got.Bytes, buf.Len(), err, len(want))
			}
		}
		_, err := tg.c.ReadRange(context.Background(), tg.path("r.bin"), 10, 5, io.Discard)
		assertClass(t, err, client.ErrOther)
		_, err = tg.c.ReadRange(context.Background(), tg.path("missing.bin"), 10, 20, io.Discard)
		assertClass(t, err, behaviour.ErrNotFound)
	}
}

// ResumeFile sends what the remote file lacks, against a server that
// writes in place (OpenSSH's) and one that uploads atomically (ours).
func TestSFTPResumeFile(t *testing.T) {
	data := randomBytes(3<<20 + 11)
	local := filepath.Join(t.TempDir(), "fw.bin")
	if err := os.WriteFile(local, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tg := range sftpTargets(t) {
		writeFile(t, tg.root, "part.bin", data[:1<<20+3])
		n, err := tg.c.ResumeFile(context.Background(), tg.path("part.bin"), local)
		if err != nil || n.Bytes != int64(len(data)-(1<<20+3)) {
			t.Fatalf("%s: ResumeFile = %d, %v", tg.name, n.Bytes, err)
		}
		if fileSHA(t, filepath.Join(tg.root, "part.bin")) != sha(data) {
			t.Fatalf("%s: the resumed file differs", tg.name)
		}
		if n, err := tg.c.ResumeFile(context.Background(), tg.path("new.bin"), local); err != nil || n.Bytes != int64(len(data)) {
			t.Fatalf("%s: ResumeFile of a missing file = %d, %v", tg.name, n.Bytes, err)
		}
		if fileSHA(t, filepath.Join(tg.root, "new.bin")) != sha(data) {
			t.Fatalf("%s: the new file differs", tg.name)
		}
		longer := append(bytes.Clone(data), 'x')
		writeFile(t, tg.root, "long.bin", longer)
		_, err = tg.c.ResumeFile(context.Background(), tg.path("long.bin"), local)
		assertClass(t, err, client.ErrOther)
		if fileSHA(t, filepath.Join(tg.root, "long.bin")) != sha(longer) {
			t.Fatalf("%s: a refused resume changed the remote file", tg.name)
		}
	}
}

// WriteFromAt writes in place on a server that does (OpenSSH's).
func TestSFTPWriteFromAt(t *testing.T) {
	d := runSSHD(t, sshdSetup{})
	c := d.client(t)
	writeFile(t, d.dir, "cfg", []byte("abcdefghij"))
	remote := filepath.Join(d.dir, "cfg")
	if n, err := c.WriteFromAt(context.Background(), remote, 3, strings.NewReader("XYZ")); err != nil || n.Bytes != 3 {
		t.Fatalf("WriteFromAt = %d, %v", n.Bytes, err)
	}
	if _, err := c.WriteFromAt(context.Background(), remote, 12, strings.NewReader("!")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(remote); string(b) != "abcXYZghij\x00\x00!" {
		t.Fatalf("the file holds %q", b)
	}
	_, err := c.WriteFromAt(context.Background(), remote, -1, strings.NewReader("x"))
	assertClass(t, err, client.ErrOther)
}

func TestSFTPFileOperations(t *testing.T) {
	ctx := context.Background()
	for _, tg := range sftpTargets(t) {
		c, p := tg.c, tg.path
		if err := c.Mkdir(ctx, p("configs")); err != nil {
			t.Fatalf("%s: Mkdir: %v", tg.name, err)
		}
		if err := c.MkdirAll(ctx, p("deep/er/est")); err != nil {
			t.Fatalf("%s: MkdirAll: %v", tg.name, err)
		}
		if err := c.MkdirAll(ctx, p("deep/er")); err != nil {
			t.Fatalf("%s: MkdirAll of an existing directory: %v", tg.name, err)
		}
		for _, name := range []string{"b.cfg", "a.cfg", "old.cfg"} {
			if _, err := c.WriteBytes(ctx, p("configs/"+name), []byte(name)); err != nil {
				t.Fatalf("%s: %v", tg.name, err)
			}
		}
		fi, err := c.Stat(ctx, p("configs/a.cfg"))
		if err != nil || fi.Size() != 5 || !fi.Mode().IsRegular() {
			t.Fatalf("%s: Stat = %v, %v", tg.name, fi, err)
		}
		if fi, err := c.Stat(ctx, p("deep/er")); err != nil || !fi.IsDir() {
			t.Fatalf("%s: Stat of a directory = %v, %v", tg.name, fi, err)
		}
		if err := c.Rename(ctx, p("configs/old.cfg"), p("configs/new.cfg")); err != nil {
			t.Fatalf("%s: Rename: %v", tg.name, err)
		}
		// posix-rename replaces the target, on OpenSSH and on our daemon.
		err = c.Rename(ctx, p("configs/new.cfg"), p("configs/a.cfg"))
		if b, _ := os.ReadFile(filepath.Join(tg.root, "configs", "a.cfg")); string(b) != "old.cfg" || err != nil {
			t.Fatalf("%s: after Rename over a.cfg (%v) it holds %q", tg.name, err, b)
		}
		if err := c.Remove(ctx, p("configs/b.cfg")); err != nil {
			t.Fatalf("%s: Remove: %v", tg.name, err)
		}
		list, err := c.List(ctx, p("configs"))
		if err != nil || len(list) != 1 || list[0].Name() != "a.cfg" {
			t.Fatalf("%s: List = %v, %v", tg.name, names(list), err)
		}
		if list, err := c.List(ctx, p("deep")); err != nil || len(list) != 1 || !list[0].IsDir() {
			t.Fatalf("%s: List of deep = %v, %v", tg.name, names(list), err)
		}
		if err := c.Remove(ctx, p("deep/er/est")); err != nil {
			t.Fatalf("%s: Remove of an empty directory: %v", tg.name, err)
		}
		_, err = c.Stat(ctx, p("configs/b.cfg"))
		if se := assertClass(t, err, behaviour.ErrNotFound); se.Op != "stat" || !strings.Contains(se.Error(), "sftp stat") {
			t.Fatalf("%s: %v", tg.name, se)
		}
		assertClass(t, c.Remove(ctx, p("configs/b.cfg")), behaviour.ErrNotFound)
		_, err = c.List(ctx, p("nowhere"))
		assertClass(t, err, behaviour.ErrNotFound)
		assertClass(t, c.Rename(ctx, p("nowhere"), p("x")), behaviour.ErrNotFound)
		if err := c.Mkdir(ctx, p("configs")); err == nil {
			t.Fatalf("%s: Mkdir of an existing directory succeeded", tg.name)
		}
	}
}

func names(list []fs.FileInfo) []string {
	var out []string
	for _, fi := range list {
		out = append(out, fi.Name())
	}
	return out
}

// The local side is the handler a registry picks by the LOCAL name, as
// with the TFTP client.
func TestSFTPHandlerViaRegistry(t *testing.T) {
	root, _, c := sftpServer(t, false)
	data := randomBytes(300000)
	writeFile(t, root, "remote.bin", data)
	configs, other := &recorder{Memory: handlers.NewMemory()}, handlers.NewMemory()
	peers := &peerRecorder{recorder: configs}
	var reg registry.Registry
	reg.MustRegister(`configs/.*`, peers)
	reg.MustRegister(`.*`, other)
	if n, err := c.ReadHandler(context.Background(), "remote.bin", "configs/r1.cfg", &reg); err != nil || n.Bytes != int64(len(data)) {
		t.Fatalf("ReadHandler = %d, %v", n.Bytes, err)
	}
	assertRegistryDownload(t, peers, other, c.Addr, data)
	if _, err := c.WriteHandler(context.Background(), "back.bin", "configs/r1.cfg", &reg); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, filepath.Join(root, "back.bin")) != sha(data) {
		t.Fatal("the upload from the registry differs")
	}
	_, err := c.WriteHandler(context.Background(), "x.bin", "nothing/here", &reg)
	assertClass(t, err, client.ErrOther)
	if !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("upload of a missing local name: %v, want behaviour.ErrNotFound", err)
	}
	if _, err := os.Stat(filepath.Join(root, "x.bin")); err == nil {
		t.Fatal("a local side that could not open created the remote file")
	}
	_, err = c.ReadHandler(context.Background(), "remote.bin", "../escape", &reg)
	assertClass(t, err, client.ErrOther)
}

// A download the server fails part way aborts the local handler exactly
// once and commits nothing; a missing remote file never opens it.
func TestSFTPHandlerAbortOnce(t *testing.T) {
	src := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return struct{ io.Reader }{&failingReader{n: 200000}}, nil
	})
	srv := daemontest.NewSSH(t, src)
	c := sshClient(srv.Addr().String(), srv.User, srv.KeyFile, srv.KnownHostsFile)
	rec := &recorder{Memory: handlers.NewMemory()}
	_, err := c.ReadHandler(context.Background(), "big.bin", "local", rec)
	if err == nil || rec.aborts != 1 || rec.Len() != 0 || rec.abortErr == nil {
		t.Fatalf("err %v; Abort called %d times (with %v), %d files committed; want 1 and 0", err, rec.aborts, rec.abortErr, rec.Len())
	}

	_, _, c = sftpServer(t, false)
	rec = &recorder{Memory: handlers.NewMemory()}
	_, err = c.ReadHandler(context.Background(), "missing.bin", "local", rec)
	assertClass(t, err, behaviour.ErrNotFound)
	if rec.sizeKnown || rec.aborts != 0 || rec.Len() != 0 {
		t.Fatalf("a missing remote file reached the local handler: %+v", rec)
	}
}

// A panic in the local handler fails the transfer, aborts it once and does
// not crash the caller; a failing final Write aborts too.
func TestSFTPHandlerPanicsAndCommitFailure(t *testing.T) {
	root, _, c := sftpServer(t, false)
	writeFile(t, root, "f.bin", randomBytes(100000))
	p := &panicky{recorder: recorder{Memory: handlers.NewMemory()}}
	_, err := c.ReadHandler(context.Background(), "f.bin", "local", p)
	if se := assertClass(t, err, client.ErrOther); !strings.Contains(se.Error(), "panicked") || p.aborts != 1 {
		t.Fatalf("err %v, %d aborts", err, p.aborts)
	}
	p = &panicky{recorder: recorder{Memory: handlers.NewMemory()}, failCommit: true}
	_, err = c.ReadHandler(context.Background(), "f.bin", "local", p)
	if assertClass(t, err, client.ErrOther); p.aborts != 1 || p.Len() != 0 {
		t.Fatalf("failing commit: err %v, %d aborts, %d files", err, p.aborts, p.Len())
	}
}

// panicky panics in its first Write, or fails its final Write.
type panicky struct {
	recorder
	failCommit bool
}

func (p *panicky) Write(t *behaviour.Transfer, b []byte, last bool) error {
	if p.failCommit && last {
		return errors.New("commit failed")
	}
	if !p.failCommit {
		panic("boom")
	}
	return p.recorder.Write(t, b, last)
}

func (p *panicky) Abort(t *behaviour.Transfer, err error) { p.recorder.Abort(t, err) }

// peerRecorder records the addresses Open sees.
// assertRegistryDownload checks that a download of data into
// "configs/r1.cfg" through a registry reached peers alone, opened with the
// size and the addresses of the server at addr, and was not aborted.
func assertRegistryDownload(t *testing.T, peers *peerRecorder, other *handlers.Memory, addr string, data []byte) {
	t.Helper()
	configs := peers.recorder
	if got, ok := configs.Get("configs/r1.cfg"); !ok || sha(got) != sha(data) {
		t.Fatalf("the matching handler holds %d bytes (ok %v)", len(got), ok)
	}
	if peers.peer.String() != addr || !peers.local.IsValid() {
		t.Errorf("Open saw peer %v and local %v, want %s", peers.peer, peers.local, addr)
	}
	if other.Len() != 0 || configs.aborts != 0 || !configs.sizeKnown || configs.size != int64(len(data)) {
		t.Fatalf("catch-all %d files, %d aborts, size %d (%v) at Open", other.Len(), configs.aborts, configs.size, configs.sizeKnown)
	}
}

type peerRecorder struct {
	*recorder
	peer, local netip.AddrPort
}

func (p *peerRecorder) Open(ctx context.Context, t *behaviour.Transfer) error {
	p.peer, p.local = t.Peer, t.Local
	return p.recorder.Open(ctx, t)
}
