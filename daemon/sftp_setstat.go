package daemon

import (
	"context"
	"io/fs"

	"github.com/filemux/filemux/behaviour"
	"github.com/pkg/sftp"
)

// setstat answers SETSTAT and FSETSTAT honestly: it applies what the
// handler can apply and never answers OK for a change that did not
// happen. A size equal to the file's changes nothing and is accepted
// (OpenSSH's scp sets it after an upload opened without TRUNC); other
// sizes and owners are unsupported. Permissions and times go to the
// handler's behaviour.ModeChanger and TimesChanger: a handler without them
// answers OP_UNSUPPORTED, a read-only route PERMISSION_DENIED. The file
// must exist, or be open for writing in this session: then the change goes
// to that upload, whose handler applies it to the file it commits.
// Permissions are set before times; a failure of the times leaves the
// permissions set, as OpenSSH's sftp-server does.
func (ss *sftpSession) setstat(r *sftp.Request) error {
	flags := r.AttrFlags()
	if flags.UidGid {
		return behaviour.ErrUnsupported
	}
	fi, err := ss.stat(r.Filepath)
	if err != nil {
		return err
	}
	a := r.Attributes()
	if flags.Size && a.Size != uint64(max(fi.Size(), 0)) {
		return behaviour.ErrUnsupported
	}
	if !flags.Permissions && !flags.Acmodtime {
		return nil
	}
	apply := func(ctx context.Context, h behaviour.Handler, t *behaviour.Transfer) error {
		if flags.Permissions {
			if err := behaviour.Chmod(ctx, h, t, sftpMode(a.Mode)); err != nil {
				return err
			}
		}
		if flags.Acmodtime {
			return behaviour.Chtimes(ctx, h, t, a.AccessTime(), a.ModTime())
		}
		return nil
	}
	name, err := ss.c.srv.cfg.names.Clean(r.Filepath)
	if err != nil {
		return err
	}
	if f := ss.opened(name, behaviour.Write); f != nil {
		return f.x.change(r.Method, apply)
	}
	return ss.change(r, apply)
}

// sftpMode turns the permission bits of an SFTP mode into an fs.FileMode;
// the file type bits are left out, since a change of mode keeps the type.
func sftpMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	for _, b := range []struct {
		bit  uint32
		mode fs.FileMode
	}{{0o4000, fs.ModeSetuid}, {0o2000, fs.ModeSetgid}, {0o1000, fs.ModeSticky}} {
		if m&b.bit != 0 {
			mode |= b.mode
		}
	}
	return mode
}

// change runs a change to the file of an open upload (an SFTP FSETSTAT),
// serialised with its sequential writes. An upload that has already ended
// refuses it.
func (x *sshTransfer) change(what string, fn func(context.Context, behaviour.Handler, *behaviour.Transfer) error) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.d.Ended() || x.done {
		return errSSHLost
	}
	return x.call(what, func() error { return fn(x.t.Context(), x.h, &x.t) })
}
