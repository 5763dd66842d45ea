package client

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/scp"
)

// Defaults of the SCP fields.
const (
	// DefaultSCPMode is the permission an upload announces.
	DefaultSCPMode fs.FileMode = 0o644
	// DefaultSCPSpoolLimit bounds the spool of an upload whose size the
	// reader does not tell.
	DefaultSCPSpoolLimit = 1 << 30
)

// SCP transfers single files to and from a server with the legacy SCP
// protocol (the remote command `scp -f PATH` or `scp -t PATH` over an SSH
// exec channel), which network devices without an SFTP server speak. The
// zero value of every field but SSH.Addr and the credentials is a usable
// default. Each transfer runs on a connection of its own. Errors are
// [*Error] values; the server's warning or error line is their Message,
// and its words give the class: OpenSSH's "No such file or directory" is
// behaviour.ErrNotFound, "Permission denied" behaviour.ErrAccessViolation.
//
// A download trusts nothing the server sends: the file record must carry
// the base name asked for (a download of "dir/x.cfg" takes only "x.cfg"),
// names with '/', "..", ".", control characters or no name at all are
// refused (CVE-2019-6111), directories and sizes beyond MaxSize are
// refused before a byte is written, and the data goes only to the local
// target. The server's text is stripped of control characters before it
// reaches an error.
type SCP struct {
	SSH
	// IdleTimeout, when positive, fails a transfer with ErrTimeout when
	// nothing has moved for this long after login, as happens when a
	// device stalls; the connection is closed then. 0 means no limit (ctx
	// may bound the whole transfer).
	IdleTimeout time.Duration
	// MaxSize refuses a download larger than this many bytes, as the
	// file record announces it, before the local side is opened (ErrTooLarge,
	// class ErrOther). 0 means no limit.
	MaxSize int64
	// Fsync makes ReadFile flush the downloaded file to stable storage
	// before it renames it into place, so that a crash right after success
	// cannot leave an empty or partial file (rsync's --fsync). Without it,
	// as with cp, curl and scp, the rename is still atomic for every reader
	// but the data reaches the disk when the system writes it back.
	Fsync bool
	// Verify, when set, checks the digest of each download: a mismatch
	// fails it with ErrIntegrity (class ErrOther) and commits nothing.
	Verify Checksum
	// Progress, when set, is called after each chunk reaches or leaves the
	// local side, and once at the start. It must return quickly.
	Progress func(Progress)
	// Mode is the permission an upload announces, which OpenSSH's scp
	// applies (less its umask) to a file it creates; 0 means
	// DefaultSCPMode.
	Mode fs.FileMode
	// SpoolLimit bounds the spool of an upload from a reader that does not
	// tell its size: SCP announces the size before the data, so such a
	// reader is read to its end first, into memory up to 1 MiB and then
	// into a temporary file (removed afterwards). A larger reader fails
	// with ErrTooLarge before the server is contacted. 0 means
	// DefaultSCPSpoolLimit.
	SpoolLimit int64
}

// ReadTo downloads remote into w and returns the number of bytes written.
// w sees the data as it arrives: after a failure it may hold part of the
// file (ReadFile never commits one).
func (s *SCP) ReadTo(ctx context.Context, remote string, w io.Writer) (Result, error) {
	return s.run(ctx, behaviour.Read, remote, func(x *scpSession) (int64, error) {
		return s.download(x, remote, func(int64) (io.Writer, error) { return w, nil }, nil)
	})
}

// ReadBytes downloads remote into memory.
func (s *SCP) ReadBytes(ctx context.Context, remote string) ([]byte, Result, error) {
	return readBytes(func(w io.Writer) (Result, error) { return s.ReadTo(ctx, remote, w) })
}

// ReadFile downloads remote into the local file name atomically: the data
// goes to a temporary file next to it, renamed over it only once the whole
// file arrived (and passed Verify). A failed download leaves name as it
// was. The file gets mode 0644, or keeps that of the file it replaces,
// whatever mode the server announces.
func (s *SCP) ReadFile(ctx context.Context, remote, name string) (Result, error) {
	return s.readLocal(ctx, remote, newLocal(fileSink{path: name, sync: s.Fsync}))
}

// WriteFrom uploads r to remote, creating or truncating it, and returns the
// number of bytes sent. SCP announces the size first: a reader that tells
// it (Len, Size or Stat, as *bytes.Reader and *os.File do) is sent as it
// is read and must hold exactly that many bytes; any other reader is
// spooled first (see SpoolLimit).
func (s *SCP) WriteFrom(ctx context.Context, remote string, r io.Reader) (Result, error) {
	total := size(r)
	if total < 0 {
		sp, err := s.spool(ctx, r)
		if err != nil {
			return s.failed(behaviour.Write, remote, err)
		}
		defer sp.Close()
		r, total = sp, sp.Size()
	}
	return s.run(ctx, behaviour.Write, remote, func(x *scpSession) (int64, error) {
		return s.upload(x, remote, r, total, nil)
	})
}

// WriteBytes uploads data to remote.
func (s *SCP) WriteBytes(ctx context.Context, remote string, data []byte) (Result, error) {
	return s.WriteFrom(ctx, remote, bytes.NewReader(data))
}

// WriteFile uploads the local file name to remote.
func (s *SCP) WriteFile(ctx context.Context, remote, name string) (Result, error) {
	f, err := os.Open(name)
	if err != nil {
		return s.failed(behaviour.Write, remote, localError{err})
	}
	defer f.Close()
	return s.WriteFrom(ctx, remote, f)
}

// spool reads r to its end: 1 MiB in memory, the rest in a temporary
// file, at most SpoolLimit bytes. Every failure but ErrTooLarge is the
// local side's, the context's end included.
func (s *SCP) spool(ctx context.Context, r io.Reader) (*scp.Spool, error) {
	limit := s.SpoolLimit
	if limit <= 0 {
		limit = DefaultSCPSpoolLimit
	}
	sp, err := scp.NewSpool(ctxReader{ctx, r}, scp.SpoolLimits{Memory: 1 << 20, Max: limit})
	if err == scp.ErrTooLarge {
		return nil, ErrTooLarge
	}
	return sp, onLocalSide(err)
}

// ctxReader stops reading once ctx is done, so that a cancelled upload
// does not spool a long pipe to its end.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (s *SCP) mode() fs.FileMode {
	if m := s.Mode.Perm(); m != 0 {
		return m
	}
	return DefaultSCPMode
}

// failed is the outcome of a transfer that failed before it started.
func (s *SCP) failed(op behaviour.Access, remote string, err error) (Result, error) {
	return s.measure(behaviour.SCP, op, remote, func() (int64, error) { return 0, s.fail(op, remote, err) })
}

// fail classifies err, with the server's own line as the Message when it
// sent one.
func (s *SCP) fail(op behaviour.Access, remote string, err error) *Error {
	return newError(behaviour.SCP, op.String(), remote, s.address(), err)
}
