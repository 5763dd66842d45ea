package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/filemux/filemux/behaviour"
)

// ReadRange downloads the bytes of remote from offset start up to end
// (exclusive) into w, as ssh2's createReadStream({start, end}) does; end < 0
// means to the end of the file. A range past the end of the file yields
// what is there, possibly nothing. MaxSize and Verify apply to the range.
// Result.Bytes is the number of bytes written.
func (s *SFTP) ReadRange(ctx context.Context, remote string, start, end int64, w io.Writer) (Result, error) {
	return s.measured(behaviour.Read, remote, func() (int64, error) {
		if start < 0 || (end >= 0 && end < start) {
			return 0, s.fail("read", remote, fmt.Errorf("client: bad byte range %d..%d", start, end))
		}
		return s.get(ctx, remote, local{name: remote, requested: remote, h: writerSink{w: w}}, byteRange{start, end})
	})
}

// WriteFromAt writes r into remote from offset off on, creating remote when
// it is missing, as OpenSSH's sftp reput does. The server must write in
// place to keep the bytes before off and after the last byte written:
// OpenSSH's does, while servers that upload atomically (filemux's daemon
// among them) start the file afresh. ResumeFile works with both.
// Result.Bytes is the number of bytes sent.
func (s *SFTP) WriteFromAt(ctx context.Context, remote string, off int64, r io.Reader) (Result, error) {
	return s.measured(behaviour.Write, remote, func() (int64, error) {
		if off < 0 {
			return 0, s.fail("write", remote, fmt.Errorf("client: negative offset %d", off))
		}
		return s.put(ctx, remote, readerSide(remote, r), writeAt(off))
	})
}

// ResumeFile completes an upload of the local file name to remote that
// stopped part way: the bytes remote already holds are taken as sent, and
// the rest of name is written after them; a missing remote file is
// uploaded whole. A remote file larger than name fails with class ErrOther
// and is left as it is. Nothing checks that the bytes already there are
// name's: compare digests afterwards when that matters.
//
// The remote file is opened for appending, which both servers that write
// in place (OpenSSH's) and servers that upload atomically (filemux's
// daemon copies the old bytes first) honour, and its size is checked at the
// end. Result.Bytes is the number of bytes sent now.
func (s *SFTP) ResumeFile(ctx context.Context, remote, name string) (Result, error) {
	return s.measured(behaviour.Write, remote, func() (int64, error) { return s.resume(ctx, remote, name) })
}

// resume is ResumeFile, returning the number of bytes sent.
func (s *SFTP) resume(ctx context.Context, remote, name string) (int64, error) {
	l, err := fileSide(name)
	if err != nil {
		return 0, s.fail("write", remote, onLocalSide(err))
	}
	var at int64
	l.h = behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		return openAt(name, at)
	})
	e := s.newEndpoint(ctx, behaviour.Write, l)
	if err := e.prepare(ctx); err != nil {
		return 0, s.fail("write", remote, err)
	}
	return s.run(ctx, "write", remote, func(x *session) (int64, error) {
		at, err = remoteSize(x, remote)
		if err == nil && at > l.size {
			err = fmt.Errorf("client: the remote file has %d bytes, more than the %d of %s", at, l.size, name)
		}
		if err != nil {
			return 0, err
		}
		e.t.SetSize(l.size - at)
		n, err := s.upload(ctx, x, remote, e, appendAt(at))
		if err == nil {
			err = checkSize(x, remote, l.size)
		}
		return n, err
	})
}

// checkSize fails unless remote has the size want, which catches a server
// that ignored the offset of a resumed upload.
func checkSize(x *session, remote string, want int64) error {
	got, err := remoteSize(x, remote)
	if err == nil && got != want {
		err = fmt.Errorf("client: after resuming, the remote file has %d bytes, not %d", got, want)
	}
	return err
}

// remoteSize is the size of remote, 0 when it does not exist.
func remoteSize(x *session, remote string) (int64, error) {
	fi, err := x.sftp.Stat(remote)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, err
	case !fi.Mode().IsRegular():
		return 0, fmt.Errorf("client: the remote %s is not a regular file", remote)
	}
	return fi.Size(), nil
}

// openAt opens the file name at offset off.
func openAt(name string, off int64) (*os.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
