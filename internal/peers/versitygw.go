package peers

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ProgVersitygw is versitygw, the S3 gateway of Versity (Apache-2.0), which
// .ci/run builds with go install into FILEMUX_PEERS_DIR/versitygw
// (FILEMUX_VERSITYGW overrides the path).
const ProgVersitygw = "versitygw"

// VersitygwBucket is the bucket every Versitygw peer has when it starts.
const VersitygwBucket = "filemux"

// Versitygw is a real S3 server on loopback: versitygw with its posix
// backend, serving the directories under Root as buckets (Bucket is
// there from the start), with one access key and its secret. It runs as a
// process of the test and is killed by its process id when the test ends.
type Versitygw struct {
	// URL is the endpoint, http://127.0.0.1:PORT (https with
	// ServeVersitygwTLS).
	URL string
	// AccessKey and Secret are the credentials it accepts; each run makes
	// new ones.
	AccessKey, Secret string
	// Bucket is the bucket created before the start, VersitygwBucket.
	Bucket string
	// Root holds one directory per bucket; an object is a file under it.
	Root string
	// AccessLog is the file of its access log, one line per request.
	AccessLog string
	// CAFile, with ServeVersitygwTLS, is the PEM certificate of the CA
	// that signed the server's certificate for 127.0.0.1.
	CAFile string
	proc   *process
}

// ServeVersitygw starts versitygw (see Need) and stops it when the test ends.
func ServeVersitygw(t testing.TB) *Versitygw {
	t.Helper()
	return serveVersitygw(t, false)
}

// ServeVersitygwTLS starts versitygw serving HTTPS, with a certificate
// signed by a CA of the test's own (CAFile); URL is https://127.0.0.1:PORT.
func ServeVersitygwTLS(t testing.TB) *Versitygw {
	t.Helper()
	return serveVersitygw(t, true)
}

func serveVersitygw(t testing.TB, tls bool) *Versitygw {
	t.Helper()
	Need(t, ProgVersitygw)
	path, _ := Lookup(ProgVersitygw)
	dir := t.TempDir()
	v := &Versitygw{AccessKey: "fm" + randomHex(t, 6), Secret: randomHex(t, 20), Bucket: VersitygwBucket,
		Root: filepath.Join(dir, "root"), AccessLog: filepath.Join(dir, "access.log")}
	if err := os.MkdirAll(filepath.Join(v.Root, v.Bucket), 0o755); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	// The secret is passed in the environment, not on the command line
	// that ps shows.
	env := []string{"ROOT_ACCESS_KEY_ID=" + v.AccessKey, "ROOT_SECRET_ACCESS_KEY=" + v.Secret}
	args := []string{"--port", "127.0.0.1:" + strconv.Itoa(port), "--access-log", v.AccessLog}
	scheme := "http://"
	if tls {
		ca, cert, key := TLSFiles(t, dir)
		v.CAFile, scheme = ca, "https://"
		args = append(args, "--cert", cert, "--key", key)
	}
	p, err := startProcess(env, path, append(args, "posix", v.Root)...)
	if err != nil {
		t.Fatal(err)
	}
	v.proc = p
	t.Cleanup(func() { _ = p.stop() })
	v.URL = scheme + "127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := waitTCP(ctx, p, port); err != nil {
		t.Fatalf("peers: versitygw did not start: %v\n%s", err, p.out.String())
	}
	return v
}

// Requests returns the lines of the access log that name the S3 operation
// op, such as "GetObject" (versitygw writes s3_GetObject).
func (v *Versitygw) Requests(t testing.TB, op string) []string {
	t.Helper()
	f, err := os.Open(v.AccessLog)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "s3_"+op+" ") {
			lines = append(lines, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// Output returns what versitygw printed so far, for failure messages.
func (v *Versitygw) Output() string { return v.proc.out.String() }

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
