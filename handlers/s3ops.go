package handlers

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/filemux/filemux/behaviour"
)

// maxS3List bounds the entries of one listing.
const maxS3List = 1_000_000

// maxS3Copy is the largest object one CopyObject request copies.
const maxS3Copy = 5 << 30

// errListTooLong refuses a listing past maxS3List entries.
var errListTooLong = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "directory too large to list"}

// List lists the directory t.Name: the objects and the common prefixes
// (as directories) right under its key prefix, all pages of them. An
// empty listing is not found, but for the top directory.
func (h *S3) List(ctx context.Context, t *behaviour.Transfer) ([]fs.FileInfo, error) {
	key, err := h.key(t.Name)
	if err != nil {
		return nil, err
	}
	dir := key
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	var infos []fs.FileInfo
	for obj := range h.core.Client.ListObjects(ctx, h.bucket, minio.ListObjectsOptions{Prefix: dir}) {
		if obj.Err != nil {
			return nil, storeError(ctx, obj.Err)
		}
		name := strings.TrimPrefix(obj.Key, dir)
		switch {
		case name == "" || dir == h.prefix && strings.TrimSuffix(name, "/") == markerDir:
			continue // the directory's own marker object, or the upload markers
		case strings.HasSuffix(name, "/"):
			infos = append(infos, h.dirInfo(name))
		default:
			infos = append(infos, h.fileInfo(name, obj.Size, obj.LastModified))
		}
		if len(infos) > maxS3List {
			return nil, errListTooLong
		}
	}
	if len(infos) == 0 && t.Name != "." {
		if _, err := h.stat(ctx, key); err == nil {
			return nil, errNotDir
		}
		return nil, behaviour.ErrNotFound
	}
	return infos, nil
}

// hasKeysUnder reports whether any key starts with dir.
func (h *S3) hasKeysUnder(ctx context.Context, dir string) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing after its first key
	obj, ok := <-h.core.Client.ListObjects(ctx, h.bucket, minio.ListObjectsOptions{Prefix: dir, MaxKeys: 1})
	if ok && obj.Err != nil {
		return false, storeError(ctx, obj.Err)
	}
	return ok, nil
}

// Remove deletes the object t.Name. It needs a write policy that replaces
// files.
func (h *S3) Remove(ctx context.Context, t *behaviour.Transfer) error {
	key, err := h.changeKey(t.Name, h.policy.replaces())
	if err != nil {
		return err
	}
	// S3 deletes a missing key without complaint; a peer expects to hear.
	if _, err := h.stat(ctx, key); err != nil {
		return err
	}
	rctx, cancel := h.requestContext(ctx)
	defer cancel()
	defer h.cache.forget(key)
	return storeError(rctx, h.core.RemoveObject(rctx, h.bucket, key, minio.RemoveObjectOptions{}))
}

// Rename copies t.Name to newName inside the store, then deletes t.Name.
// It needs WriteAny, refuses an existing newName unless t.Flags holds
// FlagReplace, and refuses objects larger than one copy request takes
// (5 GiB). A failure between the copy and the delete leaves both names.
func (h *S3) Rename(ctx context.Context, t *behaviour.Transfer, newName string) error {
	src, err := h.changeKey(t.Name, h.policy == WriteAny)
	if err != nil {
		return err
	}
	dst, err := h.changeKey(newName, true)
	if err != nil {
		return err
	}
	info, err := h.stat(ctx, src)
	if err != nil {
		return err
	}
	if src == dst {
		return nil
	}
	if info.Size > maxS3Copy {
		return errTooBigCopy
	}
	if err := h.checkTarget(ctx, dst, t.Flags&behaviour.FlagReplace != 0); err != nil {
		return err
	}
	rctx, cancel := h.requestContext(ctx)
	defer cancel()
	defer h.cache.forget(src)
	defer h.cache.forget(dst)
	_, err = h.core.CopyObject(rctx, h.bucket, src, h.bucket, dst, nil,
		minio.CopySrcOptions{Bucket: h.bucket, Object: src, MatchETag: info.ETag}, minio.PutObjectOptions{})
	if err != nil {
		return storeError(rctx, err)
	}
	return storeError(rctx, h.core.RemoveObject(rctx, h.bucket, src, minio.RemoveObjectOptions{}))
}

// checkTarget refuses an existing target unless replace.
func (h *S3) checkTarget(ctx context.Context, dst string, replace bool) error {
	_, err := h.stat(ctx, dst)
	switch {
	case err == nil && !replace:
		return errExists
	case err == nil, isNotFound(err):
		return nil
	}
	return err
}

// changeKey is the key of a name a change applies to, when allowed.
func (h *S3) changeKey(name string, allowed bool) (string, error) {
	key, err := h.key(name)
	switch {
	case err != nil:
		return "", err
	case name == ".":
		return "", errServedDir
	case !allowed:
		return "", errWritesOff
	}
	return key, nil
}

// copyAtMost copies at most limit bytes, failing past them.
func copyAtMost(w io.Writer, r io.Reader, limit int64) (int64, error) {
	n, err := io.Copy(w, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = errors.New("handlers: s3: marker too large")
	}
	return n, err
}
