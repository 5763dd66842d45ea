package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/behaviour/behaviourtest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// s3Store is a versitygw of the test with a client of its own, to seed
// and inspect the bucket beside the handler under test.
type s3Store struct {
	*peers.Versitygw
	client *minio.Client
}

func newS3Store(t testing.TB) *s3Store {
	t.Helper()
	v := peers.ServeVersitygw(t)
	c, err := minio.New(strings.TrimPrefix(v.URL, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(v.AccessKey, v.Secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return &s3Store{v, c}
}

// handler returns an S3 handler on the store, with cfg's other fields.
func (s *s3Store) handler(t testing.TB, cfg handlers.S3Config) *handlers.S3 {
	t.Helper()
	cfg.Endpoint, cfg.Bucket = s.URL, s.Bucket
	cfg.AccessKeyID, cfg.SecretAccessKey = s.AccessKey, handlers.S3Secret(s.Secret)
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Instance == "" {
		cfg.Instance = "test"
	}
	h, err := handlers.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (s *s3Store) put(t testing.TB, key string, data []byte) {
	t.Helper()
	_, err := s.client.PutObject(context.Background(), s.Bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func (s *s3Store) get(t *testing.T, key string) ([]byte, error) {
	t.Helper()
	o, err := s.client.GetObject(context.Background(), s.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// keys lists every key in the bucket under prefix.
func (s *s3Store) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	for o := range s.client.ListObjects(context.Background(), s.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// incomplete lists the incomplete multipart uploads in the bucket.
func (s *s3Store) incomplete(t *testing.T) []string {
	t.Helper()
	var ups []string
	for u := range s.client.ListIncompleteUploads(context.Background(), s.Bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		ups = append(ups, u.Key+" "+u.UploadID)
	}
	return ups
}

// clean waits (a bounded time) until the bucket holds no key but those in
// keep and no incomplete upload, or fails the test.
func (s *s3Store) clean(t *testing.T, keep ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		keys, ups := s.keys(t, ""), s.incomplete(t)
		var extra []string
		for _, k := range keys {
			if !contains(keep, k) {
				extra = append(extra, k)
			}
		}
		if len(extra) == 0 && len(ups) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bucket still holds keys %q and incomplete uploads %q", extra, ups)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestS3Conformance runs the conformance kit on an S3 handler over a real
// versitygw: reads with every chunk size and concurrent ReadAt, refusals,
// uploads (one PUT each) read back, and abandoned uploads invisible.
func TestS3Conformance(t *testing.T) {
	s := newS3Store(t)
	small, big := []byte("hello from the bucket\n"), randomBytes(t, 300<<10)
	s.put(t, "boot/small.txt", small)
	s.put(t, "boot/big.bin", big)
	s.put(t, "empty", nil)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteAny})
	err := behaviourtest.TestHandler(h, behaviourtest.Spec{
		Reads: map[string][]byte{"boot/small.txt": small, "boot/big.bin": big, "empty": {}},
		RefuseReads: map[string]behaviour.Code{
			"missing.bin":               behaviour.CodeNotFound,
			".filemux-uploads/test/abc": behaviour.CodeAccessViolation,
		},
		Writes:           []string{"up/one.bin", "up/two.bin"},
		WriteReadBack:    true,
		RefuseWrites:     map[string]behaviour.Code{".filemux-uploads/x": behaviour.CodeAccessViolation},
		IgnoreGoroutines: true, // the HTTP transport's idle connections
	})
	if err != nil {
		t.Fatal(err)
	}
	s.clean(t, "boot/small.txt", "boot/big.bin", "empty", "up/one.bin", "up/two.bin")
}

// TestS3ConformanceMultipart uploads past the part size, so that every
// upload of the kit is a multipart upload, and an abandoned one must leave
// no incomplete upload.
func TestS3ConformanceMultipart(t *testing.T) {
	s := newS3Store(t)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, PartSize: handlers.MinS3PartSize})
	err := behaviourtest.TestHandler(h, behaviourtest.Spec{
		Writes:           []string{"mp/a.bin"},
		WriteReadBack:    true,
		UploadSize:       handlers.MinS3PartSize*2 + 12345,
		ChunkSizes:       []int{65464},
		IgnoreGoroutines: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.clean(t, "mp/a.bin")
}

// TestS3CreateConditional checks that WriteCreate refuses an existing key
// at Open, and that of two uploads of one new key opened together only
// the first commit lands, the second failing with file exists (the
// store's If-None-Match), for single-PUT and multipart uploads alike.
func TestS3CreateConditional(t *testing.T) {
	s := newS3Store(t)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteCreate, PartSize: handlers.MinS3PartSize})
	s.put(t, "exists.cfg", []byte("old"))
	if err := h.Open(context.Background(), writeTransfer("exists.cfg", -1)); !errors.Is(err, behaviour.ErrFileExists) {
		t.Fatalf("Open of an existing key under WriteCreate: %v, want file exists", err)
	}
	keep := []string{"exists.cfg"}
	for _, size := range []int{1000, handlers.MinS3PartSize + 1000} {
		name := fmt.Sprintf("race-%d.bin", size)
		keep = append(keep, name)
		a, b := writeTransfer(name, -1), writeTransfer(name, -1)
		for _, tr := range []*behaviour.Transfer{a, b} {
			if err := h.Open(context.Background(), tr); err != nil {
				t.Fatal(err)
			}
		}
		first, second := randomBytes(t, size), randomBytes(t, size)
		if err := h.Write(a, first, true); err != nil {
			t.Fatalf("first commit: %v", err)
		}
		err := h.Write(b, second, true)
		if !errors.Is(err, behaviour.ErrFileExists) {
			t.Fatalf("second commit of %d bytes: %v, want file exists", size, err)
		}
		if got, _ := s.get(t, name); !bytes.Equal(got, first) {
			t.Fatalf("the object holds %d bytes, not the first upload's", len(got))
		}
	}
	s.clean(t, keep...)
}

func writeTransfer(name string, size int64) *behaviour.Transfer {
	t := &behaviour.Transfer{Protocol: behaviour.TFTP, Access: behaviour.Write, Name: name, RequestedName: name, Mode: behaviour.Octet}
	t.SetSize(size)
	return t
}

func readTransfer(name string) *behaviour.Transfer {
	return &behaviour.Transfer{Protocol: behaviour.SFTP, Access: behaviour.Read, Name: name, RequestedName: name, Mode: behaviour.Octet}
}

// TestS3AbortMultipart aborts uploads at each stage: before its first
// part, with parts sent, and by a cancelled transfer; none leaves an
// object, a marker or an incomplete upload.
func TestS3AbortMultipart(t *testing.T) {
	s := newS3Store(t)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, PartSize: handlers.MinS3PartSize})
	for _, n := range []int{100, handlers.MinS3PartSize + 1, 3*handlers.MinS3PartSize + 7} {
		tr := writeTransfer("abort.bin", -1)
		if err := h.Open(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
		if err := h.Write(tr, randomBytes(t, n), false); err != nil {
			t.Fatal(err)
		}
		if n > handlers.MinS3PartSize && len(s.incomplete(t)) != 1 {
			t.Fatalf("after %d bytes: incomplete uploads %q, want one", n, s.incomplete(t))
		}
		h.Abort(tr, errors.New("peer gone"))
		s.clean(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr := writeTransfer("cancelled.bin", -1)
	tr.SetContext(ctx)
	if err := h.Open(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := h.Write(tr, randomBytes(t, 2*handlers.MinS3PartSize+1), false); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := h.Write(tr, randomBytes(t, handlers.MinS3PartSize), false); err == nil {
		err = h.Write(tr, nil, true)
		if err == nil {
			t.Fatal("an upload whose transfer was cancelled committed")
		}
	}
	h.Abort(tr, context.Canceled)
	s.clean(t)
	st := h.Stats()
	for _, op := range []string{"CreateMultipartUpload", "AbortMultipartUpload"} {
		if n := st.Requests[handlers.S3Request{Op: op, Outcome: "ok"}]; n != 3 {
			t.Errorf("stats: %d %s ok, want 3 (%v)", n, op, st.Requests)
		}
	}
	if n := st.Requests[handlers.S3Request{Op: "CompleteMultipartUpload", Outcome: "ok"}]; n != 0 {
		t.Errorf("stats: %d CompleteMultipartUpload, want none", n)
	}
}

// TestS3ReadErrors checks the refusals a peer sees: not found, and access
// violation for a wrong secret, whose peer message names neither the
// endpoint nor the bucket.
func TestS3ReadErrors(t *testing.T) {
	s := newS3Store(t)
	s.put(t, "f", []byte("x"))
	h := s.handler(t, handlers.S3Config{})
	if err := h.Open(context.Background(), readTransfer("nope")); !errors.Is(err, behaviour.ErrNotFound) {
		t.Fatalf("missing key: %v, want not found", err)
	}
	bad, err := handlers.NewS3(handlers.S3Config{Endpoint: s.URL, Bucket: s.Bucket, Region: "us-east-1",
		AccessKeyID: s.AccessKey, SecretAccessKey: "wrong-secret", Instance: "t"})
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Open(context.Background(), readTransfer("f"))
	if !errors.Is(err, behaviour.ErrAccessViolation) {
		t.Fatalf("wrong secret: %v, want access violation", err)
	}
	msg := behaviour.PeerMessage(err)
	for _, leak := range []string{s.Bucket, "127.0.0.1", s.AccessKey} {
		if strings.Contains(msg, leak) {
			t.Errorf("peer message %q shows %q", msg, leak)
		}
	}
	if strings.Contains(err.Error(), s.Secret) {
		t.Errorf("the error shows the secret: %v", err)
	}
	if strings.Contains(fmtConfig(handlers.S3Config{SecretAccessKey: handlers.S3Secret(s.Secret)}), s.Secret) {
		t.Error("a printed S3Config shows the secret")
	}
}

// TestS3ReadAtSequential reads a file with concurrent ReadAt calls in
// sequence, as SFTP clients do, and checks both the bytes and that the
// read-ahead window served them with few GETs, not one per read.
func TestS3ReadAtSequential(t *testing.T) {
	s := newS3Store(t)
	data := randomBytes(t, 12<<20+333)
	s.put(t, "seq.bin", data)
	h := s.handler(t, handlers.S3Config{})
	tr := readTransfer("seq.bin")
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	ra, ok := behaviour.ReaderAt(h, tr)
	if !ok {
		t.Fatal("no ReaderAt")
	}
	got := make([]byte, len(data))
	const chunk, outstanding = 32 << 10, 16
	sem := make(chan struct{}, outstanding)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for off := 0; off < len(data); off += chunk {
		sem <- struct{}{}
		wg.Add(1)
		go func(off int) {
			defer func() { <-sem; wg.Done() }()
			end := min(off+chunk, len(data))
			n, err := ra.ReadAt(got[off:end], int64(off))
			if err == io.EOF && n == end-off {
				err = nil
			}
			if err != nil {
				mu.Lock()
				firstErr = cmpErr(firstErr, err)
				mu.Unlock()
			}
		}(off)
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	if _, err := h.Read(tr, nil); err != io.EOF {
		t.Fatalf("ending: %v", err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatal("ReadAt returned other bytes")
	}
	gets := len(s.Requests(t, "GetObject"))
	t.Logf("%d reads of %d KiB, %d outstanding: %d GetObject requests", (len(data)+chunk-1)/chunk, chunk>>10, outstanding, gets)
	if gets > 20 {
		t.Errorf("%d GETs for a sequential read; the read-ahead should need a handful", gets)
	}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func fmtConfig(c handlers.S3Config) string { return fmt.Sprintf("%v %+v %#v", c, c, c) }

// TestS3TLSCustomCA reads over HTTPS from a versitygw whose certificate a
// CA of the test's own signed: trusted through CAFile, refused without.
func TestS3TLSCustomCA(t *testing.T) {
	v := peers.ServeVersitygwTLS(t)
	cfg := handlers.S3Config{Endpoint: v.URL, Bucket: v.Bucket, Region: "us-east-1", Write: handlers.WriteAny,
		AccessKeyID: v.AccessKey, SecretAccessKey: handlers.S3Secret(v.Secret), Instance: "tls"}
	untrusted, err := handlers.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.CAFile = v.CAFile
	h, err := handlers.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = behaviourtest.TestHandler(h, behaviourtest.Spec{Writes: []string{"tls.bin"}, WriteReadBack: true,
		ChunkSizes: []int{65464}, IgnoreGoroutines: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := untrusted.Open(context.Background(), readTransfer("tls.bin")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a read without the CA: %v, want a certificate error", err)
	} else if msg := behaviour.PeerMessage(err); strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "certificate") {
		t.Errorf("the peer message %q shows the cause", msg)
	}
}
