package handlers

import (
	"context"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/filemux/filemux/behaviour"
)

// openRead learns the object's size and version, for the transfer's size
// and for the GETs that follow.
func (h *S3) openRead(ctx context.Context, t *behaviour.Transfer, key string) error {
	if h.cache != nil {
		return h.openCached(ctx, t, key)
	}
	info, err := h.stat(ctx, key)
	if err != nil {
		return err
	}
	return h.openInfo(t, key, info)
}

// openInfo opens a read of the version info describes.
func (h *S3) openInfo(t *behaviour.Transfer, key string, info minio.ObjectInfo) error {
	t.SetSize(info.Size)
	rctx, cancel := context.WithCancel(t.Context())
	t.State = &s3Reader{h: h, key: key, etag: info.ETag, size: info.Size, ctx: rctx, cancel: cancel}
	return nil
}

func (h *S3) stat(ctx context.Context, key string) (minio.ObjectInfo, error) {
	rctx, cancel := h.requestContext(ctx)
	defer cancel()
	info, err := h.core.StatObject(rctx, h.bucket, key, minio.StatObjectOptions{})
	return info, storeError(rctx, err)
}

// s3Reader is the state of a read: the sequential stream of Read, opened
// at the first Read, and the read-ahead window of ReadAt.
type s3Reader struct {
	h      *S3
	key    string
	etag   string
	size   int64
	ctx    context.Context // cancelled at the ending
	cancel context.CancelFunc

	body io.ReadCloser // Read's GET
	got  int64

	ahead struct {
		sync.Mutex
		done    bool // the reader is closed
		w       *readWindow
		outside pendingRead // the last read outside the window
	}
}

// get opens a GET of the bytes from off to end (exclusive) of the version
// Open saw.
func (r *s3Reader) get(off, end int64) (io.ReadCloser, error) {
	return r.getContext(r.ctx, off, end)
}

func (r *s3Reader) getContext(ctx context.Context, off, end int64) (io.ReadCloser, error) {
	opts := minio.GetObjectOptions{}
	_ = opts.SetMatchETag(r.etag)
	if off > 0 || end < r.size {
		if err := opts.SetRange(off, end-1); err != nil {
			return nil, errStore.With(err)
		}
	}
	body, _, _, err := r.h.core.GetObject(ctx, r.h.bucket, r.key, opts)
	if err != nil {
		return nil, storeError(ctx, err)
	}
	return body, nil
}

func (r *s3Reader) read(p []byte) (int, error) {
	if r.body == nil && r.got > 0 || len(p) == 0 || r.got >= r.size {
		r.close()
		return 0, io.EOF
	}
	if r.body == nil {
		body, err := r.get(0, r.size)
		if err != nil {
			return 0, err
		}
		r.body = body
	}
	n, err := r.body.Read(p[:min(int64(len(p)), r.size-r.got)])
	r.got += int64(n)
	switch {
	case err == io.EOF && r.got < r.size:
		return n, errStoreShort
	case err != nil && err != io.EOF:
		return n, storeError(r.ctx, err)
	case r.got == r.size:
		r.close()
		return n, io.EOF
	}
	return n, nil
}

// ReadAt reads len(p) bytes at off: from the read-ahead window when off
// lies in it or just past what it fetched, else with a ranged GET of its
// own. Calls may run at once.
func (r *s3Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errNegativeOffset
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	var n int
	var err error
	w := r.window(off, want)
	if w != nil {
		n, err = w.readAt(p[:want], off)
	}
	if w == nil || err == errWindowMoved {
		n, err = r.rangedRead(p[:want], off)
	}
	if err == nil && int64(n) < int64(len(p)) {
		err = io.EOF
	}
	return n, err
}

// window returns the read-ahead window that serves a read of n bytes at
// off: the window starts at the first read, and moves when two reads in a
// row outside it follow each other (a seek, then reads in sequence);
// other reads outside it get nil and a GET of their own.
func (r *s3Reader) window(off, n int64) *readWindow {
	r.ahead.Lock()
	defer r.ahead.Unlock()
	w := r.ahead.w
	if w != nil && w.serves(off) {
		return w
	}
	if w != nil && off != r.ahead.outside.end {
		r.ahead.outside = pendingRead{end: off + n}
		return nil
	}
	if r.ahead.done || r.ctx.Err() != nil {
		return nil
	}
	if w != nil {
		w.close()
	}
	r.ahead.w = newReadWindow(r, off)
	return r.ahead.w
}

func (r *s3Reader) rangedRead(p []byte, off int64) (int, error) {
	body, err := r.get(off, off+int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer body.Close()
	n, err := io.ReadFull(body, p)
	if err != nil {
		return n, storeError(r.ctx, err)
	}
	return n, nil
}

// close ends the reader's requests and waits for its read-ahead to stop.
func (r *s3Reader) close() {
	r.cancel()
	if r.body != nil {
		_ = r.body.Close()
		r.body = nil
	}
	r.ahead.Lock()
	r.ahead.done = true
	w := r.ahead.w
	r.ahead.w = nil
	r.ahead.Unlock()
	if w != nil {
		w.close()
	}
}

// Stat describes t.Name: an object, or a directory when keys lie under
// it (or it is the prefix itself).
func (h *S3) Stat(ctx context.Context, t *behaviour.Transfer) (fs.FileInfo, error) {
	key, err := h.key(t.Name)
	if err != nil {
		return nil, err
	}
	if t.Name == "." {
		return h.dirInfo("."), nil
	}
	if e := h.cache.fresh(key); e != nil {
		return h.fileInfo(path.Base(t.Name), e.data.size, e.data.modTime), nil
	}
	info, err := h.stat(ctx, key)
	if err == nil {
		return h.fileInfo(path.Base(t.Name), info.Size, info.LastModified), nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	if ok, derr := h.hasKeysUnder(ctx, key+"/"); derr != nil || !ok {
		return nil, cmpOrError(derr, err)
	}
	return h.dirInfo(path.Base(t.Name)), nil
}

func isNotFound(err error) bool {
	be := behaviour.Classify(err)
	return be != nil && be.Code == behaviour.CodeNotFound
}

func cmpOrError(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (h *S3) fileInfo(name string, size int64, mod time.Time) behaviour.FileInfo {
	mode := fs.FileMode(0o444)
	if h.policy != WriteNone {
		mode = 0o644
	}
	return behaviour.FileInfo{FileName: name, FileSize: size, FileMode: mode, FileModTime: mod}
}

func (h *S3) dirInfo(name string) behaviour.FileInfo {
	mode := fs.ModeDir | 0o555
	if h.policy != WriteNone {
		mode = fs.ModeDir | 0o755
	}
	return behaviour.FileInfo{FileName: strings.TrimSuffix(name, "/"), FileMode: mode}
}
