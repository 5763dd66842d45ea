package client_test

import (
	"context"
	"errors"
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
// and a client of each protocol: tftp, sftp and scp.
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
	sftpc := sshClient(sshd.Addr().String(), sshd.User, sshd.KeyFile, sshd.KnownHostsFile)
	tftpc := &client.TFTP{Addr: tftpd.Addr().String()}
	scpc := &client.SCP{SSH: sftpc.SSH}
	return map[behaviour.Protocol]transferer{
		behaviour.TFTP: {
			read: func(ctx context.Context, name string) error { _, _, err := tftpc.ReadBytes(ctx, name); return err },
			write: func(ctx context.Context, name string) error {
				_, err := tftpc.WriteBytes(ctx, name, []byte("x"))
				return err
			},
		},
		behaviour.SFTP: {
			read: func(ctx context.Context, name string) error { _, err := sftpc.ReadBytes(ctx, name); return err },
			write: func(ctx context.Context, name string) error {
				_, err := sftpc.WriteBytes(ctx, name, []byte("x"))
				return err
			},
		},
		behaviour.SCP: {
			read: func(ctx context.Context, name string) error { _, err := scpc.ReadBytes(ctx, name); return err },
			write: func(ctx context.Context, name string) error {
				_, err := scpc.WriteBytes(ctx, name, []byte("x"))
				return err
			},
		},
	}
}

// transferer is a download and an upload of one byte by one client.
type transferer struct {
	read, write func(ctx context.Context, name string) error
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
		err := c.read(ctx, "missing.cfg")
		assertOneError(t, p, err, behaviour.ErrNotFound)
		if errors.Is(err, behaviour.ErrAccessViolation) {
			t.Errorf("%v: a missing file is an access violation too: %v", p, err)
		}
		for name, want := range refusals {
			err := c.write(ctx, name)
			assertOneError(t, p, err, want)
		}
	}
}
