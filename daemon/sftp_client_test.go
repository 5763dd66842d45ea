package daemon_test

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/pkg/sftp"
)

// sftpClient connects pkg/sftp's client to the server, with concurrent
// reads and writes, 64 requests in flight per file.
func sftpClient(t *testing.T, s *daemontest.SSHServer) *sftp.Client {
	t.Helper()
	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClient(conn, sftp.UseConcurrentReads(true), sftp.UseConcurrentWrites(true),
		sftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// pkg/sftp's client reads and writes with many requests in flight, on
// several files at once.
func TestPkgSFTPClientConcurrent(t *testing.T) {
	for kind, mk := range sshStores() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			st := mk(t)
			spy := newSSHSpy(st.h)
			s := daemontest.NewSSH(t, spy)
			c := sftpClient(t, s)
			var wg sync.WaitGroup
			errs := make(chan error, 2*len(sshSizes))
			files := map[string][]byte{}
			for name, n := range sshSizes {
				files[name] = sshRandom(n)
				st.put("srv-"+name, files[name])
			}
			for name, data := range files {
				wg.Add(2)
				go func() { defer wg.Done(); errs <- sftpGet(c, "srv-"+name, data) }()
				go func() { defer wg.Done(); errs <- sftpPut(c, "/"+st.upload+"put-"+name, data) }()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			for name := range sshSizes {
				want, _ := st.got("srv-" + name)
				if st.upload != "" {
					continue // the virtual store keeps no downloads to compare with
				}
				if b, ok := st.got("put-" + name); !ok || !bytes.Equal(b, want) {
					t.Errorf("put %s: %v, %d bytes, want %d", name, ok, len(b), len(want))
				}
			}
			spy.check(t)
		})
	}
}

func sftpGet(c *sftp.Client, name string, want []byte) error {
	f, err := c.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	var got bytes.Buffer
	_, err = f.WriteTo(&got)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		return fmt.Errorf("get %s: %d bytes differ from the %d served", name, got.Len(), len(want))
	}
	return nil
}

func sftpPut(c *sftp.Client, name string, data []byte) error {
	f, err := c.Create(name)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	_, err = f.ReadFrom(bytes.NewReader(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	return nil
}

// sftpReadAll reads a whole file with one request at a time.
func sftpReadAll(c *sftp.Client, name string) ([]byte, error) {
	f, err := c.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
