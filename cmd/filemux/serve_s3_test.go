package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	pin "github.com/pin/tftp/v3"

	"github.com/filemux/filemux/internal/peers"
)

// TestServeS3KilledMidUpload runs filemux serve with an s3 route on a
// real versitygw, kills it (SIGKILL) in the middle of a TFTP upload that
// became a multipart upload, and starts it again: the new run aborts that
// upload at start, so the bucket holds neither an object nor an
// incomplete upload nor a marker, and it serves uploads and downloads.
func TestServeS3KilledMidUpload(t *testing.T) {
	peers.Need(t, "curl")
	v := peers.ServeVersitygw(t)
	path := writeConfig(t, map[string]string{
		"filemux.yaml": fmt.Sprintf(`tftp: {listen: ["127.0.0.1:0"]}
metrics: {listen: "127.0.0.1:0"}
routes:
  - match: 'backup/.*'
    s3:
      endpoint: %s
      bucket: %s
      region: us-east-1
      write: create
      instance: serve-test
      part_size: 5MiB
      access_key_file: id
      secret_key_file: secret
`, v.URL, v.Bucket),
		"id": v.AccessKey + "\n", "secret": v.Secret + "\n",
	})
	store, err := minio.New(strings.TrimPrefix(v.URL, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(v.AccessKey, v.Secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	incomplete := func() int {
		n := 0
		for u := range store.ListIncompleteUploads(context.Background(), v.Bucket, "", true) {
			if u.Err != nil {
				t.Fatal(u.Err)
			}
			n++
		}
		return n
	}
	keys := func() []string {
		var ks []string
		for o := range store.ListObjects(context.Background(), v.Bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			ks = append(ks, o.Key)
		}
		return ks
	}

	first := startConfigured(t, path)
	big := make([]byte, 12<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	go func() { // ends with an error once the server is gone
		c, err := pin.NewClient(first.tftp)
		if err != nil {
			return
		}
		c.SetTimeout(time.Second)
		c.SetRetries(1)
		c.SetBlockSize(1468)
		if rf, err := c.Send("backup/big.bin", "octet"); err == nil {
			_, _ = rf.ReadFrom(bytes.NewReader(big))
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for incomplete() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the upload never became a multipart upload; logs:\n%s", first.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.cmd.Process.Kill(); err != nil { // SIGKILL, by the pid we started
		t.Fatal(err)
	}
	first.wait(t, 10*time.Second)
	if n, ks := incomplete(), keys(); n != 1 || len(ks) != 1 || !strings.HasPrefix(ks[0], ".filemux-uploads/serve-test/") {
		t.Fatalf("after the kill: %d incomplete uploads and keys %q, want the upload and its marker", n, ks)
	}

	second := startConfigured(t, path)
	second.waitLog(t, "aborted the incomplete uploads of an earlier run")
	if n, ks := incomplete(), keys(); n != 0 || len(ks) != 0 {
		t.Fatalf("after the restart: %d incomplete uploads and keys %q, want none", n, ks)
	}
	if got := metric(t, second.metrics, `filemux_s3_requests_total{op="AbortMultipartUpload",outcome="ok",route="backup/.*"}`); got != 1 {
		t.Errorf("filemux_s3_requests_total of AbortMultipartUpload = %v, want 1", got)
	}
	small := []byte("hostname r1\n")
	work := t.TempDir()
	writeFile(t, work+"/r1.cfg", small)
	if _, err := curl(t, "-T", work+"/r1.cfg", "tftp://"+second.tftp+"/backup/r1.cfg"); err != nil {
		t.Fatalf("upload after the restart: %v", err)
	}
	got, err := curl(t, "tftp://"+second.tftp+"/backup/r1.cfg")
	if err != nil || !bytes.Equal(got, small) {
		t.Fatalf("download after the restart: %q, %v", got, err)
	}
}
