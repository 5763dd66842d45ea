package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	pin "github.com/pin/tftp/v3"
	"github.com/pkg/sftp"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/internal/peers"
)

// TestS3ThroughDaemons uploads a file over TFTP to an S3 route (a
// multipart upload), then downloads it over SFTP and over HTTP with curl,
// all three with the same sha256 as the object in the bucket.
func TestS3ThroughDaemons(t *testing.T) {
	peers.Need(t, "curl")
	s := newS3Store(t)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteCreate, PartSize: handlers.MinS3PartSize})
	data := randomBytes(t, 2*handlers.MinS3PartSize+4321)
	want := sha256.Sum256(data)

	tftpSrv := daemontest.NewTFTP(t, h)
	c, err := pin.NewClient(tftpSrv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetBlockSize(1468)
	c.SetTimeout(2 * time.Second)
	rf, err := c.Send("backups/r1.bin", "octet")
	if err != nil {
		t.Fatal(err)
	}
	rf.(pin.OutgoingTransfer).SetSize(int64(len(data)))
	if _, err := rf.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatalf("TFTP upload: %v", err)
	}
	stored, err := s.get(t, "backups/r1.bin")
	if err != nil || sha256.Sum256(stored) != want {
		t.Fatalf("the object in the bucket: %d bytes, %v; want the upload's %d", len(stored), err, len(data))
	}

	sshSrv := daemontest.NewSSH(t, h)
	conn, err := sshSrv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc, err := sftp.NewClient(conn, sftp.UseConcurrentReads(true), sftp.MaxConcurrentRequestsPerFile(16))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	f, err := sc.Open("backups/r1.bin")
	if err != nil {
		t.Fatal(err)
	}
	var viaSFTP bytes.Buffer
	if _, err := f.WriteTo(&viaSFTP); err != nil {
		t.Fatalf("SFTP download: %v", err)
	}
	f.Close()
	if sha256.Sum256(viaSFTP.Bytes()) != want {
		t.Fatalf("SFTP download: %d bytes, not the upload", viaSFTP.Len())
	}
	entries, err := sc.ReadDir("backups")
	if err != nil || len(entries) != 1 || entries[0].Name() != "r1.bin" || entries[0].Size() != int64(len(data)) {
		t.Fatalf("SFTP ls backups: %v, %v", entries, err)
	}

	httpSrv := daemontest.NewHTTP(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail", httpSrv.URL("backups/r1.bin")).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	if sha256.Sum256(out) != want {
		t.Fatalf("HTTP download: %d bytes, not the upload", len(out))
	}
	part, err := exec.CommandContext(ctx, "curl", "-sS", "--fail", "-r", "6000000-6999999", httpSrv.URL("backups/r1.bin")).Output()
	if err != nil || !bytes.Equal(part, data[6000000:7000000]) {
		t.Fatalf("HTTP range: %d bytes, %v; want bytes 6000000-6999999", len(part), err)
	}
	head, err := exec.CommandContext(ctx, "curl", "-sS", "--fail", "-I", httpSrv.URL("backups/r1.bin")).Output()
	if err != nil || !strings.Contains(string(head), "Content-Length: "+strconv.Itoa(len(data))) || !strings.Contains(string(head), "Etag: ") {
		t.Fatalf("HTTP HEAD: %v\n%s", err, head)
	}
	// Again over TFTP, now refused by WriteCreate.
	rf, err = c.Send("backups/r1.bin", "octet")
	if err == nil {
		_, err = rf.ReadFrom(strings.NewReader("again"))
	}
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second TFTP upload under WriteCreate: %v, want file exists", err)
	}
	s.clean(t, "backups/r1.bin")
}

// TestS3UploadClientGone breaks off an SFTP upload past its first part by
// closing the connection: the daemon aborts it, and neither the object
// nor an incomplete upload nor a marker remains.
func TestS3UploadClientGone(t *testing.T) {
	s := newS3Store(t)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, PartSize: handlers.MinS3PartSize})
	srv := daemontest.NewSSH(t, h)
	conn, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := sc.Create("gone.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(randomBytes(t, 2*handlers.MinS3PartSize)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.incomplete(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the upload never became a multipart upload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn.Close() // the client disappears mid-way
	s.clean(t)
}

// TestS3AbortStaleKilledWriter kills (SIGKILL) a process in the middle of
// a multipart upload, then checks that AbortStale of the same instance
// aborts that upload and removes its marker, and leaves alone the upload
// another instance has in progress.
func TestS3AbortStaleKilledWriter(t *testing.T) {
	s := newS3Store(t)
	other := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, PartSize: handlers.MinS3PartSize, Instance: "other"})
	tr := writeTransfer("other.bin", -1)
	if err := other.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if err := other.Write(tr, randomBytes(t, handlers.MinS3PartSize+1), false); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestS3KilledWriterHelper$")
	cmd.Env = append(os.Environ(), "FILEMUX_S3_HELPER="+strings.Join([]string{s.URL, s.Bucket, s.AccessKey, s.Secret}, " "))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY") {
				ready <- sc.Text()
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(ready)
	}()
	select {
	case line, ok := <-ready:
		if !ok {
			t.Fatal("the writer ended without starting its upload")
		}
		t.Logf("writer %d: %s", pid, line)
	case <-time.After(30 * time.Second):
		t.Fatal("the writer did not start its upload in time")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if ups := s.incomplete(t); len(ups) != 2 {
		t.Fatalf("incomplete uploads after the kill: %q, want the killed writer's and the other instance's", ups)
	}

	restarted := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, Instance: "crashy"})
	n, err := restarted.AbortStale(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("AbortStale: %d aborted, %v; want 1", n, err)
	}
	ups := s.incomplete(t)
	if len(ups) != 1 || !strings.HasPrefix(ups[0], "other.bin ") {
		t.Fatalf("incomplete uploads after AbortStale: %q, want the other instance's alone", ups)
	}
	if keys := s.keys(t, ".filemux-uploads/crashy/"); len(keys) != 0 {
		t.Fatalf("markers left: %q", keys)
	}
	other.Abort(tr, fmt.Errorf("test over"))
	s.clean(t)
}

// TestS3KilledWriterHelper is the writer TestS3AbortStaleKilledWriter
// kills: it runs only as that test's child.
func TestS3KilledWriterHelper(t *testing.T) {
	env := os.Getenv("FILEMUX_S3_HELPER")
	if env == "" {
		t.Skip("the child of TestS3AbortStaleKilledWriter")
	}
	f := strings.Fields(env)
	h, err := handlers.NewS3(handlers.S3Config{Endpoint: f[0], Bucket: f[1], AccessKeyID: f[2], SecretAccessKey: handlers.S3Secret(f[3]),
		Region: "us-east-1", Write: handlers.WriteAny, PartSize: handlers.MinS3PartSize, Instance: "crashy"})
	if err != nil {
		t.Fatal(err)
	}
	tr := writeTransfer("crash.bin", -1)
	if err := h.Open(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if err := h.Write(tr, bytes.Repeat([]byte{7}, handlers.MinS3PartSize+1), false); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY " + strconv.Itoa(os.Getpid()))
	time.Sleep(time.Minute) // killed before
}

// TestS3ListPages lists a directory of 1,100 objects, past the 1,000 keys
// of one page, through the handler and over SFTP.
func TestS3ListPages(t *testing.T) {
	s := newS3Store(t)
	const n = 1100
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.put(t, fmt.Sprintf("many/f%04d", i), []byte(strconv.Itoa(i)))
		}()
	}
	wg.Wait()
	s.put(t, "many/sub/inner", []byte("x"))
	h := s.handler(t, handlers.S3Config{})
	infos, err := h.List(context.Background(), readTransfer("many"))
	if err != nil {
		t.Fatal(err)
	}
	files, dirs := 0, 0
	for _, fi := range infos {
		if fi.IsDir() {
			dirs++
		} else {
			files++
		}
	}
	if files != n || dirs != 1 {
		t.Fatalf("List: %d files and %d directories, want %d and 1", files, dirs, n)
	}
	fi, err := h.Stat(context.Background(), readTransfer("many/sub"))
	if err != nil || !fi.IsDir() {
		t.Fatalf("Stat of a prefix: %v, %v; want a directory", fi, err)
	}
	if _, err := h.List(context.Background(), readTransfer("none")); err == nil {
		t.Fatal("List of a prefix without keys succeeded")
	}
	srv := daemontest.NewSSH(t, h)
	conn, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	entries, err := sc.ReadDir("many")
	if err != nil || len(entries) != n+1 {
		t.Fatalf("SFTP ls: %d entries, %v; want %d", len(entries), err, n+1)
	}
}

// TestS3RemoveRename removes and renames objects, with the write policy's
// and the target's refusals.
func TestS3RemoveRename(t *testing.T) {
	s := newS3Store(t)
	s.put(t, "a", []byte("A"))
	s.put(t, "b", []byte("B"))
	ro := s.handler(t, handlers.S3Config{Write: handlers.WriteCreate})
	if err := ro.Remove(context.Background(), readTransfer("a")); err == nil {
		t.Fatal("Remove under WriteCreate succeeded")
	}
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteAny})
	ctx := context.Background()
	if err := h.Rename(ctx, readTransfer("a"), "b"); err == nil {
		t.Fatal("Rename onto an existing name without FlagReplace succeeded")
	}
	if err := h.Rename(ctx, readTransfer("a"), "c"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.get(t, "c"); err != nil || string(got) != "A" {
		t.Fatalf("renamed object: %q, %v", got, err)
	}
	replace := readTransfer("c")
	replace.Flags = behaviour.FlagReplace
	if err := h.Rename(ctx, replace, "b"); err != nil {
		t.Fatal(err)
	}
	if err := h.Remove(ctx, readTransfer("c")); err == nil {
		t.Fatal("Remove of a missing (renamed) object succeeded")
	}
	if err := h.Remove(ctx, readTransfer("b")); err != nil {
		t.Fatal(err)
	}
	s.clean(t)
}

// TestS3UploadShutdown shuts the SSH server down, with a short grace,
// while an SFTP upload past its first part is open: the daemon aborts it,
// and nothing of it stays in the bucket.
func TestS3UploadShutdown(t *testing.T) {
	s := newS3Store(t)
	h := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, PartSize: handlers.MinS3PartSize})
	srv := daemontest.NewSSH(t, h)
	conn, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := sc.Create("shutdown.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(randomBytes(t, 2*handlers.MinS3PartSize)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.incomplete(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the upload never became a multipart upload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_ = srv.SSH.Shutdown(ctx) // the grace ends with the upload still open
	s.clean(t)
}

// TestS3AbortStaleUnnamedUpload: an instance killed after it wrote its
// marker (which names the key first) and created the multipart upload,
// but before it wrote the upload's id into the marker, leaves an upload
// that AbortStale still finds by the marker's key and time; another
// instance's upload of another key stays.
func TestS3AbortStaleUnnamedUpload(t *testing.T) {
	s := newS3Store(t)
	ctx := context.Background()
	core := minio.Core{Client: s.client}
	if _, err := core.PutObject(ctx, s.Bucket, ".filemux-uploads/crashy/0123456789abcdef", strings.NewReader("half.bin\n"), 9, "", "", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.NewMultipartUpload(ctx, s.Bucket, "half.bin", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	otherID, err := core.NewMultipartUpload(ctx, s.Bucket, "other.bin", minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	restarted := s.handler(t, handlers.S3Config{Write: handlers.WriteAny, Instance: "crashy"})
	if n, err := restarted.AbortStale(ctx); err != nil || n != 1 {
		t.Fatalf("AbortStale: %d aborted, %v; want 1", n, err)
	}
	if ups := s.incomplete(t); len(ups) != 1 || !strings.HasPrefix(ups[0], "other.bin ") {
		t.Fatalf("incomplete uploads after AbortStale: %q, want other.bin's alone", ups)
	}
	if keys := s.keys(t, ".filemux-uploads/crashy/"); len(keys) != 0 {
		t.Fatalf("markers left: %q", keys)
	}
	if err := core.AbortMultipartUpload(ctx, s.Bucket, "other.bin", otherID); err != nil {
		t.Fatal(err)
	}
	s.clean(t)
}

// TestS3CheckConditional: versitygw refuses a conditional write over an
// existing key, so a write create route checks out, and the probe leaves
// nothing in the bucket.
func TestS3CheckConditional(t *testing.T) {
	s := newS3Store(t)
	for _, policy := range []handlers.WritePolicy{handlers.WriteCreate, handlers.WriteAny} {
		h := s.handler(t, handlers.S3Config{Write: policy})
		if err := h.CheckConditional(context.Background()); err != nil {
			t.Errorf("%v: %v", policy, err)
		}
	}
	if keys := s.keys(t, ""); len(keys) != 0 {
		t.Errorf("the probe left %q", keys)
	}
}
