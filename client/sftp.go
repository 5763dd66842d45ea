package client

import (
	"bytes"
	"context"
	"io"
	"os"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Defaults of the SFTP fields, those of pkg/sftp and OpenSSH's sftp
// (see ChunkSize for OpenSSH's servers).
const (
	DefaultSFTPConcurrency = 64
	DefaultSFTPChunkSize   = 32768
)

// SFTP transfers files to and from one SFTP server, like ssh2's fastGet and
// fastPut: each file moves with many read or write requests in flight. The
// zero value of every field but SSH.Addr and the credentials is a usable
// default. Each transfer runs on a connection of its own. Errors are
// [*Error] values.
type SFTP struct {
	SSH
	// Concurrency is the number of requests in flight per file; 0 means
	// as many as keep 2 MiB in flight, as OpenSSH's sftp does
	// (DefaultSFTPConcurrency requests of DefaultSFTPChunkSize).
	Concurrency int
	// ChunkSize is the payload of one request. 0 means
	// DefaultSFTPChunkSize, or the 255 KiB OpenSSH's sftp-server takes
	// when the server is OpenSSH's (it says so in its version and in its
	// limits@openssh.com extension), which moves the same data with an
	// eighth of the requests. A larger ChunkSize is lowered to that for
	// OpenSSH; other servers may send less than asked for, which fails a
	// download whose size they announced rather than corrupt it.
	ChunkSize int
	// IdleTimeout, when positive, fails a transfer with ErrTimeout when no
	// data has moved for this long after login, as happens when a device
	// stalls; the connection is closed then. 0 means no limit (ctx may
	// bound the whole transfer).
	IdleTimeout time.Duration
	// MaxSize refuses a download larger than this many bytes: a larger
	// size in the server's stat fails before the local side is opened, a
	// file that grows past it fails at once (ErrTooLarge, class ErrOther),
	// and nothing is committed. 0 means no limit.
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
}

// session is one connection with its SFTP client.
type session struct {
	conn     *ssh.Client
	sftp     *sftp.Client
	idle     *watchdog
	chunking chunking
}

func (s *SFTP) open(ctx context.Context) (*session, error) {
	if err := s.Verify.validate(); err != nil {
		return nil, err
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	k := s.guessChunking(conn)
	c, err := sftp.NewClient(conn, k.options()...)
	if err == nil {
		if fitted, ok := s.fit(c, k); !ok {
			c.Close()
			k = fitted
			c, err = sftp.NewClient(conn, k.options()...)
		}
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &session{conn: conn, sftp: c, chunking: k}, nil
}

// close closes the SSH connection first: pkg/sftp's Close waits for its reader,
// which a stalled server would otherwise keep blocked.
func (x *session) close() { x.conn.Close(); x.sftp.Close() }

// run opens a session, runs fn on it and classifies its error. Cancelling
// ctx closes the connection, which ends fn.
func (s *SFTP) run(ctx context.Context, op string, remote string, fn func(*session) (int64, error)) (int64, error) {
	ctx, cancel := s.transferContext(ctx)
	defer cancel()
	x, err := s.open(ctx)
	if err != nil {
		return 0, s.fail(op, remote, err)
	}
	defer x.close()
	stop := context.AfterFunc(ctx, x.close)
	defer stop()
	x.idle = s.watch(x)
	defer x.idle.stop()
	n, err := fn(x)
	if err != nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	err = x.idle.timedOut(err)
	if err != nil {
		return n, s.fail(op, remote, err)
	}
	return n, nil
}

// ReadTo downloads remote into w and returns the number of bytes written.
// On failure w has received part of the file.
func (s *SFTP) ReadTo(ctx context.Context, remote string, w io.Writer) (Result, error) {
	return s.measured(behaviour.Read, remote, func() (int64, error) {
		return s.get(ctx, remote, local{name: remote, requested: remote, h: writerSink{w: w}}, wholeFile)
	})
}

// ReadBytes downloads remote into memory. Set MaxSize to bound the memory
// a server can make it use.
func (s *SFTP) ReadBytes(ctx context.Context, remote string) ([]byte, Result, error) {
	return readBytes(func(w io.Writer) (Result, error) { return s.ReadTo(ctx, remote, w) })
}

// ReadFile downloads remote into the local file name atomically: the data goes
// to a temporary file next to it, renamed over it only once the whole file
// arrived (and passed Verify). A failed download leaves name as it was.
func (s *SFTP) ReadFile(ctx context.Context, remote, name string) (Result, error) {
	return s.measured(behaviour.Read, remote, func() (int64, error) {
		return s.get(ctx, remote, local{name: name, requested: name, h: fileSink{path: name, sync: s.Fsync}}, wholeFile)
	})
}

// WriteFrom uploads r to remote, creating or truncating it, and returns the
// number of bytes sent. When r tells its size (Len, Size or Stat, as
// *bytes.Reader and *os.File do) it reaches Progress as the total. r is
// closed at the end when it is an io.Closer.
func (s *SFTP) WriteFrom(ctx context.Context, remote string, r io.Reader) (Result, error) {
	return s.measured(behaviour.Write, remote, func() (int64, error) {
		return s.put(ctx, remote, readerSide(remote, r), truncate)
	})
}

func readerSide(name string, r io.Reader) local {
	open := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return r, nil })
	return local{name: name, requested: name, h: open, size: size(r)}
}

// WriteBytes uploads data to remote.
func (s *SFTP) WriteBytes(ctx context.Context, remote string, data []byte) (Result, error) {
	return s.WriteFrom(ctx, remote, bytes.NewReader(data))
}

// WriteFile uploads the local file name to remote.
func (s *SFTP) WriteFile(ctx context.Context, remote, name string) (Result, error) {
	return s.measured(behaviour.Write, remote, func() (int64, error) {
		l, err := fileSide(name)
		if err != nil {
			return 0, s.fail("write", remote, onLocalSide(err))
		}
		return s.put(ctx, remote, l, truncate)
	})
}

// fileSide is the local side of an upload of the file name, whose size
// and type are checked before anything is sent.
func fileSide(name string) (local, error) {
	fi, err := os.Stat(name)
	if err == nil && !fi.Mode().IsRegular() {
		err = &os.PathError{Op: "upload", Path: name, Err: errNotRegular}
	}
	if err != nil {
		return local{}, err
	}
	open := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return os.Open(name) })
	return local{name: name, requested: name, h: open, size: fi.Size()}, nil
}

// measured runs move, an SFTP transfer of remote, and describes it.
func (s *SFTP) measured(a behaviour.Access, remote string, move func() (int64, error)) (Result, error) {
	return s.measure(behaviour.SFTP, a, remote, move)
}

// fail classifies err, the failure of op on remote, with the server's
// status message as the Message when it sent one.
func (s *SFTP) fail(op, remote string, err error) *Error {
	return newError(behaviour.SFTP, op, remote, s.address(), err)
}
