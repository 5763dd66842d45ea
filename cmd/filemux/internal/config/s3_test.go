package config_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pin "github.com/pin/tftp/v3"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/internal/peers"
)

// TestS3Errors: what filemux check says of s3 routes.
func TestS3Errors(t *testing.T) {
	const tftp = "tftp: {listen: [':69']}\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"good", tftp + "routes: [{match: x, s3: {endpoint: 'https://s3.example.net', bucket: b, access_key_file: id, secret_key_file: secret}}]\n", nil},
		{"no endpoint nor bucket", tftp + "routes: [{match: x, s3: {}}]\n",
			[]string{"f.yaml:2:21: routes[0].s3.endpoint: required", "f.yaml:2:21: routes[0].s3.bucket: required"}},
		{"one key file", tftp + "routes: [{match: x, s3: {endpoint: 'https://s3.example.net', bucket: b, access_key_file: id}}]\n",
			[]string{"f.yaml:2:21: routes[0].s3: set both access_key_file and secret_key_file"}},
		{"write route, no writes", tftp + "routes: [{match: x, access: write, s3: {endpoint: 'https://s3.example.net', bucket: b}}]\n",
			[]string{"f.yaml:2:36: routes[0].s3.write: none, so every upload"}},
		{"two handlers", tftp + "routes: [{match: x, memory: {}, s3: {endpoint: 'https://s3.example.net', bucket: b}}]\n",
			[]string{"f.yaml:2:33: routes[0].s3: a route has one handler, and memory is set too"}},
		{"timeout past the TFTP budget", "tftp: {listen: [':69']}\nroutes: [{match: x, s3: {endpoint: 'https://s3.example.net', bucket: b, timeout: 5s}}]\n",
			[]string{"f.yaml:2:73: routes[0].s3.timeout: 5s is not shorter than the TFTP daemon's budget"}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("f.yaml", dir, []byte(tt.yaml))
			checkErrors(t, err, tt.want)
		})
	}
}

// TestS3BuildErrors: what Build (filemux check) refuses of an s3 route
// that parses: an endpoint that is not a URL, a missing key file. The
// secret's content never appears.
func TestS3BuildErrors(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	for yaml, want := range map[string]string{
		"tftp: {listen: [':69']}\nroutes: [{match: x, s3: {endpoint: 's3.example.net', bucket: b, access_key_file: id, secret_key_file: secret}}]\n":       "not an http:// or https:// URL",
		"tftp: {listen: [':69']}\nroutes: [{match: x, s3: {endpoint: 'https://s3.example.net', bucket: b, access_key_file: id, secret_key_file: nope}}]\n": "nope: no such file",
		"tftp: {listen: [':69']}\nroutes: [{match: x, s3: {endpoint: 'https://s3.example.net', bucket: b}}]\n":                                             "no credentials",
	} {
		path := setup(t, yaml, map[string]string{"id": "AKIAID\n", "secret": "s3cr3t-content\n"})
		f, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Build(config.BuildOptions{})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "routes[0].s3") {
			t.Errorf("Build: %v, want an error at routes[0].s3 with %q", err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// TestS3Route serves an s3 route of a configuration file (credentials in
// key files) over TFTP against a real versitygw: an upload lands in the
// bucket and downloads again; AbortStale runs clean.
func TestS3Route(t *testing.T) {
	v := peers.ServeVersitygw(t)
	yaml := "tftp: {listen: ['127.0.0.1:0']}\nroutes:\n  - match: 'backup/.*'\n    s3:\n      endpoint: " + v.URL + "\n      bucket: " + v.Bucket +
		"\n      prefix: fleet\n      region: us-east-1\n      write: create\n      instance: cfg-test\n" +
		"      access_key_file: keys/id\n      secret_key_file: keys/secret\n      cache: {size: 1MiB, ttl: 5s, dir: cache}\n"
	path := setup(t, yaml, map[string]string{"keys/id": v.AccessKey + "\n", "keys/secret": v.Secret + "\n", "cache/.keep": ""})
	_, set, reg := serve(t, path, config.BuildOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	set.AbortStale(ctx, slog.New(slog.DiscardHandler))
	srv := daemontest.NewTFTP(t, reg)
	c, err := pin.NewClient(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("hostname r1\n"), 5000)
	rf, err := c.Send("backup/r1.cfg", "octet")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join(v.Root, v.Bucket, "fleet", "backup", "r1.cfg"))
	if err != nil || !bytes.Equal(stored, data) {
		t.Fatalf("the object in the bucket: %d bytes, %v", len(stored), err)
	}
	wt, err := c.Receive("backup/r1.cfg", "octet")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := wt.WriteTo(&got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("download: %d bytes, %v", got.Len(), err)
	}
}
