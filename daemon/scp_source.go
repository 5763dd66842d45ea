package daemon

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/scp"
)

var (
	errSCPNotRegular = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "not a regular file"}
	errSCPRoot       = &behaviour.Error{Code: behaviour.CodeAccessViolation, Message: "the root cannot be copied, only what it holds"}
	errSCPSizeLie    = &behaviour.Error{Code: behaviour.CodeUndefined, Message: "internal error", Err: errors.New("daemon: handler produced another size than it announced")}
)

// scpSource sends files: `scp -f PATH...`, the client downloading.
type scpSource struct {
	*scpPeer
	cmd    scpCommand
	failed bool
}

// run waits for the client's go-ahead and sends every path. It reports
// whether every file went through.
func (k *scpSource) run() bool {
	if k.readAck() != nil {
		return false
	}
	for _, p := range k.cmd.paths {
		if !k.sendPath(p) {
			return false
		}
	}
	return !k.failed
}

// sendPath sends one requested path and reports whether the session goes on.
func (k *scpSource) sendPath(requested string) bool {
	name, err := k.c.srv.cfg.names.Clean(requested)
	if err != nil {
		return k.skip(requested, err)
	}
	fi := k.stat(name)
	if fi != nil && fi.IsDir() {
		if !k.cmd.recursive {
			return k.skip(requested, errSCPNotRegular)
		}
		return k.sendDir(name, fi, 0)
	}
	return k.sendFile(name, requested, fi)
}

// skip reports one file the client does not get; the session goes on.
func (k *scpSource) skip(name string, err error) bool {
	k.failed = true
	return k.warn(name, err) == nil
}

// sendFile sends one file under the base name of name, which OpenSSH's
// client insists on. A file of unknown size is spooled first.
func (k *scpSource) sendFile(name, requested string, fi fs.FileInfo) bool {
	x, err := k.c.newTransfer(behaviour.SCP, behaviour.Read, name)
	if err == nil {
		err = x.open()
	}
	if err != nil {
		return k.skip(requested, err)
	}
	body, size, err := k.body(x)
	if err != nil {
		x.finish(err)
		return k.skip(requested, err)
	}
	defer body.Close()
	file := scp.Record{Kind: scp.File, Mode: scpFileMode(fi), Size: size, Name: path.Base(name)}
	if err := k.announce(fi, file.Line()); err != nil {
		x.finish(err)
		return k.answered(err)
	}
	if err := k.copyOut(body, size); err != nil {
		x.finish(err)
		return false // the client waits for bytes that will not come
	}
	err = k.ack()
	if err == nil {
		err = k.readAck()
	}
	if errors.Is(err, io.EOF) { // libssh2 closes without a final answer
		err = nil
	}
	x.finish(err)
	return k.answered(err)
}

// answered reports whether the session goes on after the client's answer.
func (k *scpSource) answered(err error) bool {
	if err != nil {
		k.failed = true
	}
	return !scpFatal(err)
}

// announce sends the T record (with -p) and the C or D record, each
// answered by the client.
func (k *scpSource) announce(fi fs.FileInfo, line string) error {
	if k.cmd.preserve {
		mtime := time.Now()
		if fi != nil && !fi.ModTime().IsZero() {
			mtime = fi.ModTime()
		}
		if err := k.line(scp.Record{Kind: scp.Times, Mtime: mtime}.Line()); err != nil {
			return err
		}
	}
	return k.line(line)
}

func (k *scpSource) line(s string) error {
	if _, err := io.WriteString(k.w, s); err != nil {
		return err
	}
	return k.readAck()
}

// body returns the content and size of an open read: the handler itself
// when it knows the size, a spool of it otherwise.
func (k *scpSource) body(x *sshTransfer) (io.ReadCloser, int64, error) {
	if size, ok := x.t.Size(); ok {
		return scpTransferReader{x}, size, nil
	}
	cfg := k.c.srv.cfg
	s, err := scp.NewSpool(scpTransferReader{x}, scp.SpoolLimits{Memory: cfg.spoolMemory, Max: cfg.maxSpool, Dir: cfg.spoolDir})
	if err == scp.ErrTooLarge {
		err = errSSHTooLarge
	}
	if err != nil {
		return nil, 0, err
	}
	return s, s.Size(), nil
}

// copyOut sends exactly size bytes of body and makes sure it ends there.
func (k *scpSource) copyOut(body io.Reader, size int64) error {
	n, err := io.CopyBuffer(k.w, io.LimitReader(body, size), make([]byte, min(max(size, 1), scp.Chunk)))
	if err != nil {
		return err
	}
	if n < size {
		return errSCPSizeLie
	}
	var one [1]byte
	if m, err := io.ReadFull(body, one[:]); m > 0 || !errors.Is(err, io.EOF) {
		return sshFirstErr(errSCPSizeLie, err)
	}
	return nil
}

// sendDir sends a directory and, depth first, what it holds (-r).
func (k *scpSource) sendDir(name string, fi fs.FileInfo, depth int) bool {
	if depth >= scpMaxDepth {
		return k.skip(name, errSCPDepth)
	}
	infos, err := k.list(name)
	if err != nil {
		return k.skip(name, err)
	}
	if name == "." {
		return k.skip(name, errSCPRoot)
	}
	dir := scp.Record{Kind: scp.Dir, Mode: fi.Mode(), Name: path.Base(name)}
	if err := k.announce(fi, dir.Line()); err != nil {
		return k.answered(err)
	}
	for _, e := range infos {
		if !k.sendEntry(path.Join(name, e.Name()), e, depth) {
			return false
		}
	}
	return k.answered(k.line(scp.Record{Kind: scp.End}.Line()))
}

// sendEntry sends one entry of a directory: files and directories; links
// to files as the files (a link to a directory could loop); nothing else.
func (k *scpSource) sendEntry(name string, e fs.FileInfo, depth int) bool {
	if !scp.ValidName(e.Name()) {
		return true
	}
	switch mode := e.Mode(); {
	case mode.IsDir():
		return k.sendDir(name, e, depth+1)
	case mode&fs.ModeSymlink != 0:
		if fi := k.stat(name); fi != nil && fi.Mode().IsRegular() {
			return k.sendFile(name, name, fi)
		}
		return true
	case mode.IsRegular():
		return k.sendFile(name, name, e)
	}
	return true
}

func (k *scpSource) list(name string) ([]fs.FileInfo, error) {
	t, err := k.c.newRequest(behaviour.SCP, behaviour.Read, name)
	if err != nil {
		return nil, err
	}
	var infos []fs.FileInfo
	err = k.c.contained("List", func() (err error) { infos, err = behaviour.List(t.Context(), k.c.handler, t); return err })
	return infos, err
}

// stat asks the handler about name; nil when it cannot say.
func (p *scpPeer) stat(name string) fs.FileInfo {
	t, err := p.c.newRequest(behaviour.SCP, behaviour.Read, name)
	if err != nil {
		return nil
	}
	var fi fs.FileInfo
	err = p.c.contained("Stat", func() (err error) { fi, err = behaviour.Stat(t.Context(), p.c.handler, t); return err })
	if err != nil {
		return nil
	}
	return fi
}

func scpFileMode(fi fs.FileInfo) fs.FileMode {
	if fi == nil {
		return 0
	}
	return fi.Mode()
}

// scpTransferReader reads an open transfer sequentially.
type scpTransferReader struct{ x *sshTransfer }

func (r scpTransferReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil // an empty Read means the ending to a handler
	}
	return r.x.read(p)
}

func (r scpTransferReader) Close() error { return nil }
