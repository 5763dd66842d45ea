package daemon

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/scp"
)

// scpMaxDepth bounds the directories nested in one scp -r.
const scpMaxDepth = 64

// scpSink receives files: `scp -t TARGET`, the client uploading.
type scpSink struct {
	*scpPeer
	cmd    scpCommand
	stack  []scpTarget // the target, then the directories entered
	failed bool
}

// scpTarget is where the next record lands: in the directory name, or as
// the file name itself.
type scpTarget struct {
	name  string
	isDir bool
}

// run receives records until the client ends. It reports whether every
// file arrived.
func (k *scpSink) run() bool {
	target, err := k.target(k.cmd.paths[0])
	if err != nil {
		_ = k.fatalAbout(k.cmd.paths[0], err)
		return false
	}
	k.stack = []scpTarget{target}
	if k.ack() != nil {
		return false
	}
	for {
		line, err := scp.ReadLine(k.r)
		if err == scp.ErrLine {
			return k.stop(err)
		}
		if err != nil {
			// A source ends by closing its side between records: a clean
			// end unless a file failed. Cut inside a line
			// (io.ErrUnexpectedEOF), or failing otherwise, it is not.
			return errors.Is(err, io.EOF) && !k.failed
		}
		if !k.record(line) {
			return !k.failed
		}
	}
}

var errSCPNotDir = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "Not a directory"}

// target resolves the path of `scp -t`: a directory when it is the root,
// ends in "/", the handler says so, or -d asks for one of a handler that
// cannot say.
func (k *scpSink) target(requested string) (scpTarget, error) {
	name, err := k.c.srv.cfg.names.Clean(requested)
	if err != nil {
		return scpTarget{}, err
	}
	fi := k.stat(name)
	isDir := name == "." || strings.HasSuffix(requested, "/") || fi != nil && fi.IsDir()
	if k.cmd.targetDir && !isDir {
		if fi != nil {
			return scpTarget{}, errSCPNotDir
		}
		isDir = true
	}
	return scpTarget{name, isDir}, nil
}

// record handles one record and reports whether the session goes on;
// failures set k.failed.
func (k *scpSink) record(line string) bool {
	rec, err := scp.Parse(line)
	if err != nil {
		return k.stop(err)
	}
	switch rec.Kind {
	case scp.Warning:
		k.failed = true
		return true
	case scp.Fatal:
		k.failed = true
		return false
	case scp.Times:
		return k.ok(k.ack()) // times are accepted and ignored: handlers keep none
	case scp.End:
		if len(k.stack) <= 1 {
			return k.stop(scp.ErrProtocol)
		}
		k.stack = k.stack[:len(k.stack)-1]
		return k.ok(k.ack())
	case scp.Dir:
		return k.enter(rec)
	}
	return k.receive(rec)
}

// entry returns the name a record's base name lands on.
func (k *scpSink) entry(base string) string {
	top := k.stack[len(k.stack)-1]
	if !top.isDir {
		return top.name
	}
	return path.Join(top.name, base)
}

// enter handles a D record: it creates the directory (or finds it) and
// enters it. A refused directory is skipped by the client.
func (k *scpSink) enter(rec scp.Record) bool {
	switch {
	case !k.cmd.recursive:
		return k.stop(scp.ErrProtocol)
	case len(k.stack) > scpMaxDepth:
		return k.stop(errSCPDepth)
	}
	name := k.entry(rec.Name)
	if err := k.mkdir(name); err != nil {
		return k.skip(rec.Name, err)
	}
	k.stack = append(k.stack, scpTarget{name, true})
	return k.ok(k.ack())
}

// stop ends the session with a fatal error.
func (k *scpSink) stop(err error) bool {
	k.failed = true
	_ = k.fatal(err)
	return false
}

// skip refuses one file or directory with a warning; the session goes on.
func (k *scpSink) skip(name string, err error) bool {
	k.failed = true
	return k.warn(name, err) == nil
}

// ok reports whether a write to the client succeeded, failing the session
// when it did not.
func (k *scpSink) ok(err error) bool {
	if err != nil {
		k.failed = true
	}
	return err == nil
}

// mkdir creates a directory; one that exists is fine, and so is a handler
// without directories (its names simply hold slashes).
func (k *scpSink) mkdir(name string) error {
	t, err := k.c.newRequest(behaviour.SCP, behaviour.Write, name)
	if err != nil {
		return err
	}
	err = k.c.contained("Mkdir", func() error { return behaviour.Mkdir(t.Context(), k.c.handler, t) })
	switch {
	case err == nil, errors.Is(err, behaviour.ErrUnsupported):
		return nil
	case errors.Is(err, behaviour.ErrFileExists) && k.isDir(name):
		return nil
	}
	return err
}

// receive handles a C record: the file's data follows once it is accepted.
func (k *scpSink) receive(rec scp.Record) bool {
	if m := k.c.srv.cfg.maxSize; m > 0 && rec.Size > m {
		return k.skip(rec.Name, errSSHTooLarge)
	}
	x, err := k.c.newTransfer(behaviour.SCP, behaviour.Write, k.entry(rec.Name))
	if err == nil {
		x.t.Flags = behaviour.FlagCreate | behaviour.FlagTruncate
		x.t.SetSize(rec.Size)
		err = x.open()
	}
	if err != nil {
		return k.skip(rec.Name, err)
	}
	if err := k.ack(); err != nil {
		x.finish(k.c.closeReason())
		return k.ok(err)
	}
	if err := k.copyIn(x, rec.Size); err != nil {
		x.finish(err)
		k.failed = true
		if errors.Is(err, errSCPInput) {
			return false
		}
		// Stop at once rather than drain: libssh2 (curl) ignores warnings
		// and exit statuses, and only a write that fails tells it.
		_ = k.fatalAbout(rec.Name, err)
		k.hangup = true
		return false
	}
	return k.commit(x, rec)
}

// errSCPInput marks the client's side failing during the data of a file.
var errSCPInput = errors.New("daemon: scp input ended in the data of a file")

// copyIn reads size bytes and hands them to the handler.
func (k *scpSink) copyIn(x *sshTransfer, size int64) error {
	buf := make([]byte, min(size, scp.Chunk))
	for remaining := size; remaining > 0; {
		n, err := io.ReadFull(k.r, buf[:min(int64(len(buf)), remaining)])
		if err != nil {
			return fmt.Errorf("%w: %w", errSCPInput, sshFirstErr(x.c.closeReason(), err))
		}
		remaining -= int64(n)
		if err := x.write(buf[:n], false); err != nil {
			return err
		}
	}
	return nil
}

// commit reads the client's status byte and commits the file. libssh2
// sends none: the end of its input after the data counts as success.
func (k *scpSink) commit(x *sshTransfer, rec scp.Record) bool {
	status := k.readAck()
	clientDone := errors.Is(status, io.EOF)
	if status != nil && !clientDone {
		x.finish(status)
		k.failed = true
		return !scpFatal(status)
	}
	err := x.write(nil, true)
	x.finish(err)
	if err != nil {
		return k.skip(rec.Name, err) && !clientDone
	}
	_ = k.ack() // after libssh2's end of input, nobody reads it
	return !clientDone
}

// isDir reports whether the handler says name is a directory.
func (k *scpSink) isDir(name string) bool {
	fi := k.stat(name)
	return fi != nil && fi.IsDir()
}
