package handlers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/filemux/filemux/behaviour"
)

// Defaults of S3Config.
const (
	// DefaultS3Timeout bounds each store request that carries no file
	// data (stat, list, create, abort, copy, delete). Like
	// DefaultHTTPTimeout it is shorter than the TFTP daemon's budget for
	// one handler call at its default timeout (twice one second), so that
	// a silent store reaches the peer as the handler's clean error.
	DefaultS3Timeout = 1500 * time.Millisecond
	// DefaultS3PartSize is the part size of multipart uploads: an upload
	// of up to this size is one PUT, a larger one a multipart upload of
	// parts this large (at most 10,000 of them, so 80 GiB).
	DefaultS3PartSize = 8 << 20
	// MinS3PartSize is the smallest part S3 accepts (but for the last).
	MinS3PartSize = 5 << 20
	// DefaultS3ReadAhead is how far ahead of the reads a random-access
	// read fetches once it reads in sequence.
	DefaultS3ReadAhead = 4 << 20
)

// S3Config configures the handler NewS3 returns. Endpoint and Bucket are
// required; the zero value of every other field is a usable default.
type S3Config struct {
	// Endpoint is the URL of the store, scheme and host only:
	// "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:7070".
	Endpoint string
	// Bucket is the bucket the files live in.
	Bucket string
	// Prefix is prepended to every file name to make its key; "boot"
	// serves the keys under "boot/". Empty serves the whole bucket.
	Prefix string
	// Region is the bucket's region; empty asks the store once.
	Region string
	// Credentials: AccessKeyID and SecretAccessKey when set, else the
	// contents of AccessKeyFile and SecretKeyFile (surrounding white
	// space trimmed), else the environment's AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. The secret never
	// appears in errors or logs ([S3Secret] prints redacted).
	AccessKeyID string
	// SecretAccessKey goes with AccessKeyID.
	SecretAccessKey S3Secret
	// AccessKeyFile names a file holding the access key id.
	AccessKeyFile string
	// SecretKeyFile names a file holding the secret key; it goes with
	// AccessKeyFile.
	SecretKeyFile string
	// CAFile is a PEM file of certificate authorities trusted for an
	// https Endpoint besides the system's.
	CAFile string
	// Transport sends the requests; nil means one of the handler's own
	// (with CAFile). It cannot be set together with CAFile.
	Transport http.RoundTripper
	// Write says which uploads and changes are accepted, as for a [Dir];
	// the default, WriteNone, serves the bucket read-only. WriteCreate
	// commits with a conditional write (If-None-Match: *), so that of two
	// uploads of one new name only one lands.
	Write WritePolicy
	// Instance names this filemux among the writers of the bucket; its
	// incomplete uploads are marked with it so that AbortStale finds them
	// after a crash and leaves other instances' alone. It must be stable
	// across restarts and unique among the instances that run at once
	// (letters, digits, '.', '_' and '-'). Empty means the host name.
	Instance string
	// PartSize is the size of the parts of a multipart upload; 0 means
	// DefaultS3PartSize, and less than MinS3PartSize is refused.
	PartSize int64
	// MaxSize is the largest upload in bytes, refused with disk full at
	// Open when announced and as soon as it grows past; 0 means no limit.
	MaxSize int64
	// ReadAhead is how far a sequential random-access read (SFTP) fetches
	// ahead; 0 means DefaultS3ReadAhead.
	ReadAhead int64
	// Timeout bounds each request without file data; 0 means
	// DefaultS3Timeout. Data requests, and the completion of a multipart
	// upload (the store joins the parts then), run under the transfer's
	// context.
	Timeout time.Duration
	// CacheSize bounds the objects kept in memory, in bytes; 0 turns the
	// cache off. Objects larger than CacheSize are read from the store.
	CacheSize int64
	// CacheDir, when set, keeps the cached objects in files under it
	// instead of memory, CacheSize bounding their bytes on disk. The files
	// are unlinked as soon as they are created, so that nothing is left
	// after a crash and no other program sees them; the space of an
	// evicted object returns once its last read ended.
	CacheDir string
	// CacheTTL is how long a cached object is served before a read asks
	// the store (one HEAD) whether its ETag changed; 0 means
	// DefaultS3CacheTTL.
	CacheTTL time.Duration
}

// S3Secret is a secret key: it formats as "[redacted]", so that a
// configuration printed or logged never shows it.
type S3Secret string

// String returns "[redacted]" for a set secret, "" for an empty one.
func (s S3Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString returns the redacted form too, for %#v.
func (s S3Secret) GoString() string { return `"` + s.String() + `"` }

// MarshalText writes the redacted form, so that encoding a configuration
// never writes the secret.
func (s S3Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// S3 is a Handler whose files are the objects of an S3 bucket, on any
// S3-compatible store (AWS, MinIO, Ceph RGW, versitygw): file NAME is the
// object Prefix/NAME.
//
// A read asks for the object's size, ETag and modification time at Open
// (HEAD), which give TFTP its tsize and HTTP its Content-Length and
// validators, then streams a GET of that version (If-Match the ETag, so a
// replaced object fails the read rather than mixing two versions). Random
// access (SFTP, HTTP ranges) uses ranged GETs of its own per transfer,
// never one shared connection, with a read-ahead window once the reads
// come in sequence. With a cache (S3Config.CacheSize), objects are kept
// in memory by key and ETag: concurrent reads of one key share one HEAD
// and one GET and read its body as it arrives, later ones read memory
// until CacheTTL passes, and then one HEAD revalidates the ETag.
//
// An upload, when the write policy allows it, goes straight to its key and
// is visible only when its final Write returns nil: up to PartSize it is
// one PUT at the commit; past that a multipart upload whose parts are sent
// while the data arrives, completed at the commit. Abort, and every
// failure, aborts the multipart upload, so that neither an object nor an
// incomplete upload is left. Each multipart upload is recorded by a small
// marker object under Prefix/.filemux-uploads/INSTANCE/ while it runs;
// [S3.AbortStale], called at start, aborts the uploads a crashed run of
// the same instance left. Peers can neither read nor write those names.
//
// S3 also offers behaviour.Stater, Lister (a "directory" is a key prefix
// ending in a slash; pages of 1,000 keys are followed), Remover and
// Renamer (a server-side copy then a delete, refused for objects past the
// 5 GiB a single copy allows). Store answers map to protocol errors: no
// such key is not found, access denied (or a bad key or signature) an
// access violation, a failed If-None-Match file exists; anything else is
// an undefined error whose peer message never names the endpoint, bucket
// or key (the cause, for logs, does, but never the credentials).
//
// It is safe for concurrent use.
type S3 struct {
	core      *minio.Core
	bucket    string
	prefix    string // "" or ending in "/"
	instance  string
	policy    WritePolicy
	partSize  int64
	maxSize   int64
	readAhead int64
	timeout   time.Duration
	cache     *s3Cache // nil without one
	cacheDir  string
	counter   *requestCounter
}

var instanceName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// NewS3 returns an S3 handler configured by cfg, or an error when cfg is
// invalid or its credentials or CA file cannot be read. It sends no
// request: a store that is down fails the transfers, not the start.
func NewS3(cfg S3Config) (*S3, error) {
	u, err := parseS3Endpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	creds, err := cfg.credentials()
	if err != nil {
		return nil, err
	}
	tr, err := cfg.transport()
	if err != nil {
		return nil, err
	}
	counter := &requestCounter{next: tr, bucket: cfg.Bucket, counts: make(map[S3Request]int64)}
	core, err := minio.NewCore(u.Host, &minio.Options{Creds: creds, Secure: u.Scheme == "https", Region: cfg.Region, Transport: counter})
	if err != nil {
		return nil, fmt.Errorf("handlers: s3: %w", err)
	}
	instance := cfg.Instance
	if instance == "" {
		if instance, err = os.Hostname(); err != nil || !instanceName.MatchString(instance) {
			return nil, fmt.Errorf("handlers: s3: no Instance, and the host name %q cannot be one", instance)
		}
	}
	h := &S3{
		core: core, counter: counter, bucket: cfg.Bucket, prefix: cleanPrefix(cfg.Prefix), instance: instance,
		policy: cfg.Write, partSize: int64OrDefault(cfg.PartSize, DefaultS3PartSize), maxSize: cfg.MaxSize,
		readAhead: int64OrDefault(cfg.ReadAhead, DefaultS3ReadAhead), timeout: cmpOrDuration(cfg.Timeout, DefaultS3Timeout),
	}
	if cfg.CacheSize > 0 {
		h.cache = newS3Cache(cfg.CacheSize, cmpOrDuration(cfg.CacheTTL, DefaultS3CacheTTL))
		h.cacheDir = cfg.CacheDir
	}
	return h, nil
}

func parseS3Endpoint(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		return nil, errors.New("handlers: s3: Endpoint is required")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("handlers: s3: Endpoint %q is not an http:// or https:// URL of a host alone", endpoint)
	}
	return u, nil
}

func (c S3Config) validate() error {
	switch {
	case c.Bucket == "":
		return errors.New("handlers: s3: Bucket is required")
	case c.Write > WriteAny:
		return fmt.Errorf("handlers: s3: invalid write policy %d", uint8(c.Write))
	case c.Instance != "" && !instanceName.MatchString(c.Instance):
		return fmt.Errorf("handlers: s3: Instance %q: use 1 to 64 letters, digits, '.', '_' or '-'", c.Instance)
	case c.PartSize != 0 && c.PartSize < MinS3PartSize:
		return fmt.Errorf("handlers: s3: PartSize %d is below the %d bytes S3 accepts", c.PartSize, MinS3PartSize)
	case c.MaxSize < 0, c.ReadAhead < 0, c.Timeout < 0, c.CacheSize < 0, c.CacheTTL < 0:
		return errors.New("handlers: s3: negative MaxSize, ReadAhead, Timeout, CacheSize or CacheTTL")
	case c.Transport != nil && c.CAFile != "":
		return errors.New("handlers: s3: set CAFile or Transport, not both")
	case c.CacheDir != "" && c.CacheSize == 0:
		return errors.New("handlers: s3: CacheDir without a CacheSize to bound it")
	}
	if c.CacheDir != "" {
		if fi, err := os.Stat(c.CacheDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("handlers: s3: CacheDir %s is not a directory", c.CacheDir)
		}
	}
	return nil
}

// credentials picks the first source that is set, in the order the
// S3Config doc gives.
func (c S3Config) credentials() (*credentials.Credentials, error) {
	switch {
	case c.AccessKeyID != "" || c.SecretAccessKey != "":
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return nil, errors.New("handlers: s3: AccessKeyID and SecretAccessKey go together")
		}
		return credentials.NewStaticV4(c.AccessKeyID, string(c.SecretAccessKey), ""), nil
	case c.AccessKeyFile != "" || c.SecretKeyFile != "":
		id, err := readSecretFile(c.AccessKeyFile)
		if err != nil {
			return nil, err
		}
		secret, err := readSecretFile(c.SecretKeyFile)
		if err != nil {
			return nil, err
		}
		return credentials.NewStaticV4(id, secret, ""), nil
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, errors.New("handlers: s3: no credentials: set AccessKeyID and SecretAccessKey, AccessKeyFile and SecretKeyFile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	return credentials.NewStaticV4(id, secret, os.Getenv("AWS_SESSION_TOKEN")), nil
}

// readSecretFile reads a credential file; its error names the file, never
// the content.
func readSecretFile(name string) (string, error) {
	if name == "" {
		return "", errors.New("handlers: s3: AccessKeyFile and SecretKeyFile go together")
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("handlers: s3: credentials: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("handlers: s3: credentials: %s is empty", name)
	}
	return s, nil
}

func (c S3Config) transport() (http.RoundTripper, error) {
	if c.Transport != nil {
		return c.Transport, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if c.CAFile == "" {
		return certErrors{tr}, nil
	}
	pem, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, fmt.Errorf("handlers: s3: CAFile: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("handlers: s3: CAFile %s holds no PEM certificate", c.CAFile)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return certErrors{tr}, nil
}

func cleanPrefix(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

func int64OrDefault(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}

// markerDir is the folder, under the prefix, of the markers of running
// multipart uploads.
const markerDir = ".filemux-uploads"

// key returns the object key of a file name, refusing the names of the
// markers. "." is the prefix itself.
func (h *S3) key(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", behaviour.ErrBadName
	}
	if name == markerDir || strings.HasPrefix(name, markerDir+"/") {
		return "", errTempName
	}
	if name == "." {
		return h.prefix, nil
	}
	return h.prefix + name, nil
}

// requestContext bounds a request without file data.
func (h *S3) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, h.timeout)
}

// Prepare accepts the suggested options unchanged.
func (h *S3) Prepare(context.Context, *behaviour.Transfer) error { return nil }

// Open stats the object of a read, or starts an upload.
func (h *S3) Open(ctx context.Context, t *behaviour.Transfer) error {
	key, err := h.key(t.Name)
	if err != nil {
		return err
	}
	if t.Name == "." {
		return errIsDir
	}
	switch t.Access {
	case behaviour.Write:
		return h.openUpload(ctx, t, key)
	case behaviour.Read:
		return h.openRead(ctx, t, key)
	}
	return behaviour.ErrIllegalOperation
}

// Read returns the next bytes of the object. An empty p is the ending of
// a random-access read: it answers (0, io.EOF).
func (h *S3) Read(t *behaviour.Transfer, p []byte) (int, error) {
	switch r := t.State.(type) {
	case *s3Reader:
		return r.read(p)
	case *httpEntryReader:
		return r.read(p)
	}
	return 0, errWrongAccess
}

// Write adds p to the upload; the last call commits it.
func (h *S3) Write(t *behaviour.Transfer, p []byte, last bool) error {
	u, ok := t.State.(*s3Upload)
	if !ok {
		return errWrongAccess
	}
	return u.write(p, last)
}

// Abort ends a read, or aborts an upload so that nothing of it remains.
func (h *S3) Abort(t *behaviour.Transfer, err error) {
	switch s := t.State.(type) {
	case *s3Reader:
		s.close()
	case *s3Upload:
		s.abort(err)
	}
}

// Content offers the bytes of a cached object, when they are in memory
// and complete, as the whole content of an open read
// (behaviour.ContentSource), so that the HTTP server writes them out
// without copying them through ReaderAt. A read the cache does not hold
// whole in memory (a GET still filling it, a disk cache, no cache)
// offers none.
func (h *S3) Content(t *behaviour.Transfer) (behaviour.Content, bool) {
	r, ok := t.State.(*httpEntryReader)
	if !ok {
		return behaviour.Content{}, false
	}
	b, ok := r.e.whole()
	if !ok {
		return behaviour.Content{}, false
	}
	return behaviour.Content{Bytes: b}, true
}

// ReaderAt offers random access to an open read, through ranged GETs.
func (h *S3) ReaderAt(t *behaviour.Transfer) (io.ReaderAt, bool) {
	switch r := t.State.(type) {
	case *s3Reader:
		return r, true
	case *httpEntryReader:
		return r, true
	}
	return nil, false
}

// S3 offers what its doc says.
var (
	_ behaviour.Handler       = (*S3)(nil)
	_ behaviour.Stater        = (*S3)(nil)
	_ behaviour.ContentSource = (*S3)(nil)
	_ behaviour.Lister        = (*S3)(nil)
	_ behaviour.Remover       = (*S3)(nil)
	_ behaviour.Renamer       = (*S3)(nil)
	_ behaviour.RandomReader  = (*S3)(nil)
)
