package client_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
)

// refusing refuses every file under refuse/ with the error its name asks for.
type refusing struct{ behaviour.Base }

var refusals = map[string]*behaviour.Error{
	"refuse/locked.cfg": behaviour.ErrAccessViolation,
	"refuse/full.cfg":   behaviour.ErrDiskFull,
	"refuse/exists.cfg": behaviour.ErrFileExists,
}

func (refusing) Open(_ context.Context, t *behaviour.Transfer) error {
	if err, ok := refusals[t.Name]; ok {
		return err
	}
	return behaviour.ErrUndefined
}

// oneVocabulary is the daemon's directory with refuse/ in front of it,
// and a client of each protocol: tftp, sftp, scp and http (uploads with
// a bearer token, which daemon.HTTP asks for).
func oneVocabulary(t *testing.T) map[behaviour.Protocol]transferer {
	t.Helper()
	d, err := handlers.NewDir(t.TempDir(), handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var r registry.Registry
	if err := r.Register(`refuse/.*`, refusing{}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(`.*`, d); err != nil {
		t.Fatal(err)
	}
	tftpd := daemontest.NewTFTP(t, &r)
	sshd := daemontest.NewSSH(t, &r)
	httpd := daemontest.NewHTTP(t, &r, httpOwnAuth(t))
	sftpc := sshClient(sshd.Addr().String(), sshd.User, sshd.KeyFile, sshd.KnownHostsFile)
	return map[behaviour.Protocol]transferer{
		behaviour.TFTP: &client.TFTP{Addr: tftpd.Addr().String()},
		behaviour.SFTP: sftpc,
		behaviour.SCP:  &client.SCP{SSH: sftpc.SSH},
		behaviour.HTTP: &client.HTTP{URL: httpd.URL(""), Token: httpOwnToken},
	}
}

// transferer is the method set every client has.
type transferer interface {
	ReadBytes(ctx context.Context, remote string) ([]byte, client.Result, error)
	ReadTo(ctx context.Context, remote string, w io.Writer) (client.Result, error)
	ReadFile(ctx context.Context, remote, path string) (client.Result, error)
	WriteBytes(ctx context.Context, remote string, b []byte) (client.Result, error)
	WriteFrom(ctx context.Context, remote string, r io.Reader) (client.Result, error)
	WriteFile(ctx context.Context, remote, path string) (client.Result, error)
}

// assertOneError checks that err is a *client.Error of protocol p whose
// class is want, found by errors.Is with behaviour's sentinel.
func assertOneError(t *testing.T, p behaviour.Protocol, err error, want *behaviour.Error) {
	t.Helper()
	var ce *client.Error
	switch {
	case !errors.As(err, &ce):
		t.Errorf("%v: err = %v, want a *client.Error", p, err)
	case ce.Protocol != p:
		t.Errorf("%v: Protocol = %v in %v", p, ce.Protocol, err)
	case !errors.Is(err, want):
		t.Errorf("%v: errors.Is(%v, %v) is false (class %v)", p, err, want, ce.Class)
	}
}

// Over real sockets against the daemon, a missing file is
// behaviour.ErrNotFound on every protocol, and so are the other refusals
// the protocol can carry.
func TestOneErrorVocabulary(t *testing.T) {
	ctx := context.Background()
	for p, c := range oneVocabulary(t) {
		_, res, err := c.ReadBytes(ctx, "missing.cfg")
		assertOneError(t, p, err, behaviour.ErrNotFound)
		if res.Protocol != p || res.Access != behaviour.Read || res.Remote != "missing.cfg" {
			t.Errorf("%v: the failed download's Result is %+v", p, res)
		}
		if errors.Is(err, behaviour.ErrAccessViolation) {
			t.Errorf("%v: a missing file is an access violation too: %v", p, err)
		}
		for name, want := range refusals {
			_, err := c.WriteBytes(ctx, name, []byte("x"))
			assertOneError(t, p, err, want)
		}
	}
}
