package client_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/drive"
)

// overCount is an upload handler whose Read claims a byte more than p
// holds, forever: the client used to clamp the count and upload without
// end.
type overCount struct{ behaviour.Base }

func (overCount) Open(context.Context, *behaviour.Transfer) error { return nil }

func (overCount) Read(_ *behaviour.Transfer, p []byte) (int, error) { return len(p) + 1, nil }

// A local Read count out of range fails a TFTP and an SFTP upload alike,
// as it fails a download on the servers, and no byte of it arrives (SFTP
// has no abort: the remote file it truncated stays empty).
func TestLocalCountOutOfRangeFails(t *testing.T) {
	root, _, c := dirServer(t)
	_, err := c.WriteHandler(context.Background(), "tftp.bin", "local", overCount{})
	assertBadCount(t, "TFTP", err, filepath.Join(root, "tftp.bin"))

	root, _, s := sftpServer(t, false)
	_, err = s.WriteHandler(context.Background(), "sftp.bin", "local", overCount{})
	assertBadCount(t, "SFTP", err, filepath.Join(root, "sftp.bin"))
}

func assertBadCount(t *testing.T, proto string, err error, path string) {
	t.Helper()
	if !errors.Is(err, drive.ErrBadCount) {
		t.Errorf("%s: got %v, want the driver's count error", proto, err)
	}
	if fi, serr := os.Stat(path); serr == nil && fi.Size() > 0 {
		t.Errorf("%s: the server kept %d bytes of a broken handler's upload", proto, fi.Size())
	}
}
