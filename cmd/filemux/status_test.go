package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon/daemontest"
)

// fullDisk refuses every upload as the disk being full.
type fullDisk struct{ behaviour.Base }

func (fullDisk) Open(context.Context, *behaviour.Transfer) error { return behaviour.ErrDiskFull }

// A server's "disk full" is the same exit status on every protocol: the CLI
// reads one vocabulary, behaviour's, for all three clients.
func TestDiskFullStatusEveryProtocol(t *testing.T) {
	work := t.TempDir()
	writeFile(t, filepath.Join(work, "x.cfg"), []byte("x"))
	tftpd := daemontest.NewTFTP(t, fullDisk{})
	filemux(t, work, nil, "put", "x.cfg", tftpd.URL("x.cfg")).expect(t, statusDiskFull)
	sshd := daemontest.NewSSH(t, fullDisk{})
	for _, scheme := range []string{"sftp", "scp"} {
		filemux(t, work, nil, "put", "--identity", sshd.KeyFile, "--known-hosts", sshd.KnownHostsFile,
			"x.cfg", sshd.URL(scheme, "x.cfg")).expect(t, statusDiskFull)
	}
}
