package client_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/client"
)

// progressCalls downloads remote and returns how many pieces reached the
// local side (one per request's reply), after checking the data.
func progressCalls(t *testing.T, c *client.SFTP, remote string, data []byte) int {
	t.Helper()
	calls := 0
	c.Progress = func(client.Progress) { calls++ }
	got, _, err := c.ReadBytes(context.Background(), remote)
	if err != nil || sha(got) != sha(data) {
		t.Fatalf("ChunkSize %d: %d bytes, %v, or the data differs", c.ChunkSize, len(got), err)
	}
	c.Progress = nil
	return calls - 1 // the report at the start
}

// With OpenSSH's sshd the default request is the 255 KiB it takes; a larger
// ChunkSize is lowered to it instead of splicing short replies into a
// corrupt file. Other servers get 32 KiB.
func TestSFTPChunkSizeOpenSSH(t *testing.T) {
	data := randomBytes(5 << 20)
	d := runSSHD(t, sshdSetup{})
	writeFile(t, d.dir, "c.bin", data)
	c := d.client(t)
	remote := filepath.Join(d.dir, "c.bin")
	if n := progressCalls(t, c, remote, data); n > len(data)/(200<<10) {
		t.Errorf("default ChunkSize with OpenSSH: %d pieces for %d bytes, want 255 KiB ones", n, len(data))
	}
	c.ChunkSize = 1 << 20
	if n := progressCalls(t, c, remote, data); n > len(data)/(200<<10) {
		t.Errorf("ChunkSize 1 MiB with OpenSSH: %d pieces", n)
	}
	c.ChunkSize = 8192
	if n := progressCalls(t, c, remote, data); n < len(data)/8192 {
		t.Errorf("ChunkSize 8192 with OpenSSH: %d pieces", n)
	}

	root, _, ours := sftpServer(t, false)
	writeFile(t, root, "c.bin", data)
	if n := progressCalls(t, ours, "c.bin", data); n < len(data)/32768 {
		t.Errorf("default ChunkSize with our server: %d pieces, want 32 KiB ones", n)
	}
}

// A server that sends less per request than the client asks for fails a
// download whose size it announced, rather than have pkg/sftp splice the
// short replies into a corrupt file.
func TestSFTPShortRepliesFail(t *testing.T) {
	data := randomBytes(1 << 20)
	root, _, c := sftpServer(t, false)
	writeFile(t, root, "s.bin", data)
	c.ChunkSize = 256 << 10 // our server answers with at most 32 KiB
	local := filepath.Join(t.TempDir(), "s.bin")
	got, err := c.ReadFile(context.Background(), "s.bin", local)
	if err == nil {
		if fileSHA(t, local) != sha(data) {
			t.Fatal("a short-reply download succeeded with corrupt data")
		}
		t.Skipf("the server answered whole 256 KiB requests (%d bytes)", got.Bytes)
	}
	if se := assertClass(t, err, client.ErrOther); !strings.Contains(se.Error(), "it announced") {
		t.Fatalf("err = %v", err)
	}
	assertNothingAt(t, local)
}
