package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/filemux/filemux/behaviour"
)

// s3Upload is the state of a write: the bytes of the part being filled
// and, once the upload outgrew one part, the multipart upload its full
// parts are sent to, one at a time, by a goroutine of its own, while the
// next part fills.
type s3Upload struct {
	h      *S3
	key    string
	create bool // commit only if no object has the key
	ctx    context.Context
	cancel context.CancelFunc
	buf    []byte
	size   int64
	ended  bool

	uploadID string
	marker   string // the key of the upload's marker object
	parts    chan s3Part
	queued   int           // parts handed to the sender
	sent     chan struct{} // closed when the sender has ended
	mu       sync.Mutex
	done     []minio.CompletePart
	err      error // the first failed part
}

type s3Part struct {
	n    int
	data []byte
}

// openUpload checks the write policy against the object, then starts an
// upload that sends nothing before its first full part.
func (h *S3) openUpload(ctx context.Context, t *behaviour.Transfer, key string) error {
	if h.policy == WriteNone {
		return errWritesOff
	}
	if size, ok := t.Size(); ok && h.maxSize > 0 && size > h.maxSize {
		return behaviour.ErrDiskFull
	}
	if err := h.allowUpload(ctx, key); err != nil {
		return err
	}
	uctx, cancel := context.WithCancel(t.Context())
	t.State = &s3Upload{h: h, key: key, create: h.policy == WriteCreate, ctx: uctx, cancel: cancel}
	return nil
}

// allowUpload refuses early what the commit would refuse: an existing
// object under WriteCreate (which the conditional commit still checks),
// a missing one under WriteOverwrite.
func (h *S3) allowUpload(ctx context.Context, key string) error {
	if h.policy == WriteAny {
		return nil
	}
	_, err := h.stat(ctx, key)
	switch {
	case err == nil && h.policy == WriteCreate:
		return errExists
	case err == nil:
		return nil
	case isNotFound(err) && h.policy == WriteOverwrite:
		return errNoCreate
	case isNotFound(err):
		return nil
	}
	return err
}

func (u *s3Upload) write(p []byte, last bool) error {
	if u.ended {
		return errEnded
	}
	u.size += int64(len(p))
	if u.h.maxSize > 0 && u.size > u.h.maxSize {
		return behaviour.ErrDiskFull
	}
	for len(p) > 0 {
		room := u.h.partSize - int64(len(u.buf))
		take := min(int64(len(p)), room)
		u.buf = append(u.buf, p[:take]...)
		p = p[take:]
		// A full part is sent only when more follows: the last part of a
		// multipart upload may be smaller, but one part is a plain PUT.
		if int64(len(u.buf)) == u.h.partSize && (len(p) > 0 || !last) {
			if err := u.sendPart(); err != nil {
				return err
			}
		}
	}
	if !last {
		return nil
	}
	u.ended = true
	err := u.commit()
	if err != nil {
		u.discard()
	}
	u.h.cache.forget(u.key)
	u.cancel()
	return err
}

// sendPart hands the full buffer to the sender, starting the multipart
// upload first when it is the first part.
func (u *s3Upload) sendPart() error {
	if u.uploadID == "" {
		if err := u.start(); err != nil {
			return err
		}
	}
	if err := u.failed(); err != nil {
		return err
	}
	u.queued++
	part := s3Part{n: u.queued, data: u.buf}
	u.buf = make([]byte, 0, u.h.partSize)
	select {
	case u.parts <- part:
		return nil
	case <-u.ctx.Done():
		return storeError(u.ctx, u.ctx.Err())
	}
}

// start creates the multipart upload and its marker. The marker comes
// first, naming the key only, and then the upload's id: an instance
// killed between the two leaves a marker that AbortStale still follows
// (abortUnnamed), so no upload of it is ever left unnamed.
func (u *s3Upload) start() error {
	marker := u.h.markerPrefix() + randomToken()
	if err := u.h.call(u.ctx, func(ctx context.Context) error { return u.h.putMarker(ctx, marker, u.key+"\n") }); err != nil {
		return err
	}
	u.marker = marker
	var id string
	err := u.h.call(u.ctx, func(ctx context.Context) (err error) {
		id, err = u.h.core.NewMultipartUpload(ctx, u.h.bucket, u.key, minio.PutObjectOptions{})
		return err
	})
	if err != nil {
		// The store may have created the upload and its answer been lost
		// (a timeout): abort what it holds of this key from around now,
		// and keep the marker for AbortStale when even that fails.
		if u.h.call(context.WithoutCancel(u.ctx), func(ctx context.Context) error {
			_, err := u.h.abortUnnamed(ctx, u.key, time.Now())
			return err
		}) == nil {
			u.removeMarker()
		}
		return err
	}
	u.uploadID = id
	if err := u.h.call(u.ctx, func(ctx context.Context) error { return u.h.putMarker(ctx, marker, u.key+"\n"+id+"\n") }); err != nil {
		u.abort(err) // aborts the upload and removes the marker
		return err
	}
	u.parts = make(chan s3Part, 1)
	u.sent = make(chan struct{})
	go u.sender()
	return nil
}

// sender uploads the parts in order; after a failure it drops the rest.
func (u *s3Upload) sender() {
	defer close(u.sent)
	for p := range u.parts {
		if u.failed() != nil {
			continue
		}
		info, err := u.h.core.PutObjectPart(u.ctx, u.h.bucket, u.key, u.uploadID, p.n,
			bytes.NewReader(p.data), int64(len(p.data)), minio.PutObjectPartOptions{})
		u.mu.Lock()
		if err != nil {
			u.err = storeError(u.ctx, err)
		} else {
			u.done = append(u.done, minio.CompletePart{PartNumber: p.n, ETag: info.ETag})
		}
		u.mu.Unlock()
	}
}

func (u *s3Upload) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// commit makes the object: one PUT for an upload that fits in a part,
// else the last part and the completion of the multipart upload. Under
// WriteCreate both are conditional on the key being free.
func (u *s3Upload) commit() error {
	opts := minio.PutObjectOptions{}
	if u.create {
		opts.SetMatchETagExcept("*")
	}
	if u.uploadID == "" {
		_, err := u.h.core.PutObject(u.ctx, u.h.bucket, u.key, bytes.NewReader(u.buf), int64(len(u.buf)), "", "", opts)
		return u.commitError(err)
	}
	if len(u.buf) > 0 {
		if err := u.sendPart(); err != nil {
			return err
		}
	}
	close(u.parts)
	<-u.sent
	if err := u.failed(); err != nil {
		return err
	}
	_, err := u.h.core.CompleteMultipartUpload(u.ctx, u.h.bucket, u.key, u.uploadID, u.done, opts)
	if err != nil {
		return u.commitError(err)
	}
	u.uploadID = ""
	u.removeMarker()
	return nil
}

// commitError maps a failed commit: a failed If-None-Match is an existing
// file.
func (u *s3Upload) commitError(err error) error {
	if err != nil && u.create && isCode(err, "PreconditionFailed") {
		return errExists.With(err)
	}
	return storeError(u.ctx, err)
}

// abort discards the upload, once, whatever the reason.
func (u *s3Upload) abort(error) {
	if !u.ended {
		u.ended = true
		u.discard()
	}
	u.cancel()
}

// discard aborts the multipart upload, if one was started, and removes
// its marker. It runs under a context of its own: the transfer's may be
// what ended it.
func (u *s3Upload) discard() {
	u.buf = nil
	if u.uploadID == "" {
		return
	}
	u.cancel()
	if u.parts != nil {
		select {
		case <-u.sent:
		default:
			close(u.parts)
			<-u.sent
		}
	}
	// The abort is what keeps an incomplete upload from staying in the
	// bucket: a store busy with the part just cancelled may refuse or
	// miss it, so it is tried again, a few times, each under its own
	// timeout. When all fail, the marker stays, for AbortStale.
	for attempt := range abortAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		ctx, cancel := u.h.requestContext(context.WithoutCancel(u.ctx))
		err := u.h.core.AbortMultipartUpload(ctx, u.h.bucket, u.key, u.uploadID)
		cancel()
		if (err == nil || isCode(err, "NoSuchUpload")) && !u.h.uploadListed(u.ctx, u.key, u.uploadID) {
			u.uploadID = ""
			u.removeMarker()
			return
		}
	}
}

// uploadListed reports whether the store still lists the multipart upload
// id of key, or cannot say: a part request the store was still serving
// when the upload was aborted can bring it back.
func (h *S3) uploadListed(ctx context.Context, key, id string) bool {
	listed := true
	_ = h.call(context.WithoutCancel(ctx), func(rctx context.Context) error {
		res, err := h.core.ListMultipartUploads(rctx, h.bucket, key, "", "", "", 1000)
		if err != nil {
			return err
		}
		listed = slices.ContainsFunc(res.Uploads, func(up minio.ObjectMultipartInfo) bool { return up.UploadID == id })
		return nil
	})
	return listed
}

// abortAttempts is how often discard tries to abort a multipart upload.
const abortAttempts = 4

func (u *s3Upload) removeMarker() {
	if u.marker == "" {
		return
	}
	ctx, cancel := u.h.requestContext(context.WithoutCancel(u.ctx))
	defer cancel()
	if u.h.core.RemoveObject(ctx, u.h.bucket, u.marker, minio.RemoveObjectOptions{}) == nil {
		u.marker = ""
	}
}

// markerPrefix is where this instance's markers live.
func (h *S3) markerPrefix() string { return h.prefix + markerDir + "/" + h.instance + "/" }

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AbortStale aborts the multipart uploads that an earlier run of this
// instance (S3Config.Instance) left incomplete, as a crash does, and
// removes their markers; it leaves other instances' uploads alone. Call
// it at start, before serving: an upload this run has in progress would
// be aborted too. It returns how many uploads it aborted.
func (h *S3) AbortStale(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for obj := range h.core.Client.ListObjects(ctx, h.bucket, minio.ListObjectsOptions{Prefix: h.markerPrefix(), Recursive: true}) {
		if obj.Err != nil {
			return n, storeError(ctx, obj.Err)
		}
		aborted, err := h.abortMarked(ctx, obj.Key)
		if err != nil {
			errs = append(errs, err)
		}
		if aborted {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// abortMarked aborts the upload a marker names and removes the marker.
func (h *S3) abortMarked(ctx context.Context, marker string) (bool, error) {
	rctx, cancel := h.requestContext(ctx)
	defer cancel()
	body, info, _, err := h.core.GetObject(rctx, h.bucket, marker, minio.GetObjectOptions{})
	if err != nil {
		return false, storeError(rctx, err)
	}
	var b strings.Builder
	_, err = copyAtMost(&b, body, 4096)
	body.Close()
	if err != nil {
		return false, storeError(rctx, err)
	}
	key, id, _ := strings.Cut(strings.TrimSpace(b.String()), "\n")
	aborted := false
	switch {
	case key != "" && id != "":
		err = h.core.AbortMultipartUpload(rctx, h.bucket, key, id)
		switch {
		case err == nil:
			aborted = true
		case !isCode(err, "NoSuchUpload"):
			return false, storeError(rctx, err)
		}
	case key != "":
		if aborted, err = h.abortUnnamed(rctx, key, info.LastModified); err != nil {
			return false, storeError(rctx, err)
		}
	}
	return aborted, storeError(rctx, h.core.RemoveObject(rctx, h.bucket, marker, minio.RemoveObjectOptions{}))
}

// putMarker writes a marker object.
func (h *S3) putMarker(ctx context.Context, marker, body string) error {
	_, err := h.core.PutObject(ctx, h.bucket, marker, strings.NewReader(body), int64(len(body)), "", "", minio.PutObjectOptions{})
	return err
}

// unnamedWindow is how close to its marker's time an upload of the
// marker's key must have started to be taken for the one the marker was
// written for: an instance killed between the marker and the upload's id
// created the upload within a request's time of the marker.
const unnamedWindow = 30 * time.Second

// abortUnnamed aborts the incomplete uploads of key that started within
// unnamedWindow of written, the time of a marker that names no upload:
// the instance was killed after it created the upload and before it wrote
// the id into the marker.
func (h *S3) abortUnnamed(ctx context.Context, key string, written time.Time) (bool, error) {
	res, err := h.core.ListMultipartUploads(ctx, h.bucket, key, "", "", "", 1000)
	if err != nil {
		return false, err
	}
	aborted := false
	for _, up := range res.Uploads {
		if up.Key != key || up.Initiated.Before(written.Add(-unnamedWindow)) || up.Initiated.After(written.Add(unnamedWindow)) {
			continue
		}
		switch err := h.core.AbortMultipartUpload(ctx, h.bucket, key, up.UploadID); {
		case err == nil:
			aborted = true
		case !isCode(err, "NoSuchUpload"):
			return aborted, err
		}
	}
	return aborted, nil
}

// errS3NoConditional is the refusal of write create on a store that does
// not honour If-None-Match: * (CheckConditional).
var errS3NoConditional = errors.New("handlers: s3: the store does not honour If-None-Match: *, so write create cannot refuse an overwrite: use write any or overwrite, or a store that does")

// CheckConditional checks that the store refuses a conditional write
// (If-None-Match: *) over an existing key, which write create relies on:
// it writes a probe object under this instance's marker prefix twice and
// removes it. It returns nil for a handler without write create, and an
// error when the store took the second write or could not be asked.
// filemux serve calls it at start and refuses to start on an error.
func (h *S3) CheckConditional(ctx context.Context) error {
	if h.policy != WriteCreate {
		return nil
	}
	probe := h.markerPrefix() + "probe-" + randomToken()
	defer func() {
		dctx, cancel := h.requestContext(context.Background())
		defer cancel()
		_ = h.core.RemoveObject(dctx, h.bucket, probe, minio.RemoveObjectOptions{})
	}()
	put := func() (refused bool, err error) {
		err = h.call(ctx, func(rctx context.Context) error {
			opts := minio.PutObjectOptions{}
			opts.SetMatchETagExcept("*")
			_, err := h.core.PutObject(rctx, h.bucket, probe, strings.NewReader("probe\n"), 6, "", "", opts)
			refused = isCode(err, "PreconditionFailed")
			if refused {
				return nil
			}
			return err
		})
		return refused, err
	}
	if _, err := put(); err != nil {
		return err
	}
	switch refused, err := put(); {
	case err != nil:
		return err
	case !refused:
		return errS3NoConditional
	}
	return nil
}

// call runs one store request under its own timeout, its error made
// peer-safe by storeError.
func (h *S3) call(ctx context.Context, f func(context.Context) error) error {
	rctx, cancel := h.requestContext(ctx)
	defer cancel()
	return storeError(rctx, f(rctx))
}
