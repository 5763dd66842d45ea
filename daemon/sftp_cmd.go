package daemon

import (
	"context"
	"log/slog"

	"github.com/filemux/filemux/behaviour"
	"github.com/pkg/sftp"
)

// Filecmd runs SETSTAT and FSETSTAT (see setstat), RENAME, REMOVE,
// MKDIR and RMDIR through the handler's capabilities. Links are
// unsupported.
func (ss *sftpSession) Filecmd(r *sftp.Request) (err error) {
	defer ss.contain("sftp "+r.Method, &err)
	switch r.Method {
	case "Setstat":
		err = ss.setstat(r)
	case "Rename":
		err = ss.rename(r, false)
	case "Remove":
		err = ss.change(r, behaviour.Remove)
	case "Mkdir":
		err = ss.change(r, behaviour.Mkdir)
	case "Rmdir":
		err = ss.change(r, behaviour.Rmdir)
	default:
		err = behaviour.ErrUnsupported
	}
	ss.logCmd(r.Method, r.Filepath, err)
	return sftpErr(err)
}

// PosixRename runs posix-rename@openssh.com (pkg/sftp calls it instead of
// Filecmd): a RENAME that replaces an existing target, as rename(2) does.
// OpenSSH's sftp renames with it whenever the server offers it.
func (ss *sftpSession) PosixRename(r *sftp.Request) (err error) {
	defer ss.contain("sftp "+r.Method, &err)
	err = ss.rename(r, true)
	ss.logCmd(r.Method, r.Filepath, err)
	return sftpErr(err)
}

// rename renames the request's path to its target; replace lets it
// replace an existing target (behaviour.FlagReplace).
func (ss *sftpSession) rename(r *sftp.Request, replace bool) error {
	return ss.change(r, func(ctx context.Context, h behaviour.Handler, t *behaviour.Transfer) error {
		newName, err := ss.c.srv.cfg.names.Clean(r.Target)
		if err != nil {
			return err
		}
		if replace {
			t.Flags |= behaviour.FlagReplace
		}
		return behaviour.Rename(ctx, h, t, newName)
	})
}

// change runs one change to the file system on the request's path.
func (ss *sftpSession) change(r *sftp.Request, op func(context.Context, behaviour.Handler, *behaviour.Transfer) error) error {
	t, err := ss.c.newRequest(behaviour.SFTP, behaviour.Write, r.Filepath)
	if err != nil {
		return err
	}
	return ss.c.contained(r.Method, func() error { return op(t.Context(), ss.c.handler, t) })
}

// logCmd logs a request that is not a transfer: changes at Info, lookups
// at Debug, failures of either at Info.
func (ss *sftpSession) logCmd(method, requested string, err error) {
	level := slog.LevelDebug
	switch method {
	case "Stat", "Lstat", "List":
	default:
		level = slog.LevelInfo
	}
	attrs := []any{"peer", ss.c.peer, "user", ss.c.user, "op", method, "file", requested}
	if err != nil {
		level = slog.LevelInfo
		attrs = append(attrs, "err", err)
	}
	ss.c.srv.cfg.log.Log(context.Background(), level, "sftp request", attrs...)
}
