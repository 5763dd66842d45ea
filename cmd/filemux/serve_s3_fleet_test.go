package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/filemux/filemux/internal/peers"
)

// TestServeS3ThreeInstances runs three filemux serve processes on one
// versitygw bucket: a TFTP upload to A is an object in the bucket and
// downloads over SFTP and TFTP from B with the same sha256; 300
// concurrent HTTP downloads of one 8 MiB image spread over the three
// cost the store at most three GETs, as the instances' metrics count.
func TestServeS3ThreeInstances(t *testing.T) {
	needCurl(t)
	v := peers.ServeVersitygw(t)
	key, pub := sshKey(t)
	var inst []*configured
	for _, name := range []string{"a", "b", "c"} {
		path := writeConfig(t, map[string]string{
			"filemux.yaml": fmt.Sprintf(`tftp: {listen: ["127.0.0.1:0"], max_blksize: 1468}
sftp: {listen: ["127.0.0.1:0"], host_key: state/ssh_host_ed25519_key, authorized_keys: authorized_keys}
http: {listen: ["127.0.0.1:0"]}
metrics: {listen: "127.0.0.1:0"}
routes:
  - name: fleet
    match: '(backup|images)/.*'
    s3:
      endpoint: %s
      bucket: %s
      region: us-east-1
      write: create
      instance: %s
      part_size: 5MiB
      access_key_file: id
      secret_key_file: secret
      cache: {size: 32MiB, ttl: 1m}
`, v.URL, v.Bucket, name),
			"id": v.AccessKey + "\n", "secret": v.Secret + "\n", "authorized_keys": pub, "state/.keep": "",
		})
		inst = append(inst, startConfigured(t, path))
	}
	a, b := inst[0], inst[1]

	backup := make([]byte, 7<<20+99)
	if _, err := rand.Read(backup); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "r1.bin"), backup)
	if _, err := curl(t, "--tftp-blksize", "1468", "-T", filepath.Join(work, "r1.bin"), "tftp://"+a.tftp+"/backup/r1.bin"); err != nil {
		t.Fatalf("TFTP upload to A: %v", err)
	}
	store, err := minio.New(strings.TrimPrefix(v.URL, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(v.AccessKey, v.Secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := store.GetObject(context.Background(), v.Bucket, "backup/r1.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(obj)
	obj.Close()
	want := sha256.Sum256(backup)
	if err != nil || sha256.Sum256(stored) != want {
		t.Fatalf("the object in the bucket: %d bytes, %v", len(stored), err)
	}
	viaSFTP, err := curl(t, "--insecure", "--key", key, "--pubkey", key+".pub", "sftp://ops@"+b.sftp+"/backup/r1.bin")
	if err != nil || sha256.Sum256(viaSFTP) != want {
		t.Fatalf("SFTP download from B: %d bytes, %v", len(viaSFTP), err)
	}
	viaTFTP, err := curl(t, "--tftp-blksize", "1468", "tftp://"+b.tftp+"/backup/r1.bin")
	if err != nil || sha256.Sum256(viaTFTP) != want {
		t.Fatalf("TFTP download from B: %d bytes, %v", len(viaTFTP), err)
	}

	image := make([]byte, 8<<20)
	if _, err := rand.Read(image); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutObject(context.Background(), v.Bucket, "images/boot.img", bytes.NewReader(image), int64(len(image)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	const gets = `filemux_s3_requests_total{op="GetObject",outcome="ok",route="fleet"}`
	before := 0.0
	for _, s := range inst {
		before += max(metric(t, s.metrics, gets), 0)
	}
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- fetchImage(client, inst[i%3].http+"/images/boot.img", sha256.Sum256(image))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := 0.0
	for _, s := range inst {
		after += metric(t, s.metrics, gets)
	}
	t.Logf("%d concurrent HTTP downloads of 8 MiB over 3 instances: %v GetObject at the store", n, after-before)
	if after-before > 3 || after-before < 1 {
		t.Fatalf("%v GETs at the store for the storm, want 1 to 3", after-before)
	}
}

func fetchImage(c *http.Client, url string, want [32]byte) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(h.Sum(nil), want[:]) {
		return fmt.Errorf("GET %s: %s, not the image", url, resp.Status)
	}
	return nil
}
