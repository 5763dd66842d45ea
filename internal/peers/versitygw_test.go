package peers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestVersitygwPutGet stores an object with curl's SigV4 signing and reads
// it back, and finds both requests in the access log.
func TestVersitygwPutGet(t *testing.T) {
	Need(t, "curl")
	v := ServeVersitygw(t)
	data := bytes.Repeat([]byte("versitygw "), 1000)
	src := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	url := v.URL + "/" + v.Bucket + "/dir/obj"
	curl := func(args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		base := []string{"-sS", "--fail", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", v.AccessKey + ":" + v.Secret}
		out, err := exec.CommandContext(ctx, "curl", append(base, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s\n%s", args, err, out, v.Output())
		}
		return out
	}
	curl("-H", "x-amz-content-sha256: "+hex.EncodeToString(sum[:]), "-T", src, url)
	empty := sha256.Sum256(nil)
	got := curl("-H", "x-amz-content-sha256: "+hex.EncodeToString(empty[:]), url)
	if !bytes.Equal(got, data) {
		t.Fatalf("GET returned %d bytes, want the %d stored", len(got), len(data))
	}
	if _, err := os.Stat(filepath.Join(v.Root, v.Bucket, "dir", "obj")); err != nil {
		t.Errorf("the object is not a file under the bucket's directory: %v", err)
	}
	if n := len(v.Requests(t, "GetObject")); n != 1 {
		t.Errorf("the access log has %d GetObject lines, want 1", n)
	}
}
