package client

import (
	"bufio"
	"context"
	"errors"
	"github.com/filemux/filemux/behaviour"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/filemux/filemux/internal/scp"
	"golang.org/x/crypto/ssh"
)

// scpSession is one connection running one remote scp.
type scpSession struct {
	conn   *ssh.Client
	sess   *ssh.Session
	r      *bufio.Reader // the remote scp's output
	w      io.WriteCloser
	stderr *stderrTail
	idle   *watchdog
	once   sync.Once
	exited chan struct{} // closed when the remote scp has exited
}

// close closes the connection, which ends whatever waits on it.
func (x *scpSession) close() { x.once.Do(func() { x.conn.Close() }) }

// run runs fn as session does and describes the transfer.
func (s *SCP) run(ctx context.Context, op behaviour.Access, remote string, fn func(*scpSession) (int64, error)) (Result, error) {
	return s.measure(behaviour.SCP, op, remote, func() (int64, error) { return s.session(ctx, op, remote, fn) })
}

// session checks remote, connects, starts the remote scp with the flag (-f
// or -t), runs fn and classifies its error. Cancelling ctx, TransferTimeout
// or the idle watchdog closes the connection, which ends fn.
func (s *SCP) session(ctx context.Context, op behaviour.Access, remote string, fn func(*scpSession) (int64, error)) (int64, error) {
	ctx, cancel := s.transferContext(ctx)
	defer cancel()
	err := checkRemote(remote)
	if err == nil {
		err = s.Verify.validate()
	}
	if err != nil {
		return 0, s.fail(op, remote, localError{err})
	}
	conn, err := s.dial(ctx)
	if err != nil {
		return 0, s.fail(op, remote, err)
	}
	x := &scpSession{conn: conn}
	defer x.close()
	stop := context.AfterFunc(ctx, x.close)
	defer stop()
	x.idle = s.watch(x)
	defer x.idle.stop()
	var n int64
	err = x.start(scpCommand(op, remote))
	if err == nil {
		n, err = fn(x)
	}
	if err != nil {
		return n, s.fail(op, remote, x.cause(ctx, err))
	}
	return n, nil
}

// cause says why fn failed: the context's cause when it ended, the idle
// timeout when the watchdog closed the connection, or what the server
// wrote on stderr when it ended without a word.
func (x *scpSession) cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return x.explain(x.idle.timedOut(err))
}

// watch starts the idle watchdog, or none without an IdleTimeout.
func (s *SCP) watch(x *scpSession) *watchdog {
	if s.IdleTimeout <= 0 {
		return nil
	}
	w := &watchdog{d: s.IdleTimeout}
	w.t = time.AfterFunc(w.d, func() { w.fired.Store(true); x.close() })
	return w
}

// start opens a session and runs command in it.
func (x *scpSession) start(command string) error {
	sess, err := x.conn.NewSession()
	if err != nil {
		return err
	}
	x.sess, x.stderr = sess, &stderrTail{}
	sess.Stderr = x.stderr
	out, err := sess.StdoutPipe()
	if err == nil {
		x.w, err = sess.StdinPipe()
	}
	if err == nil {
		err = sess.Start(command)
	}
	if err != nil {
		return err
	}
	x.r = bufio.NewReaderSize(out, scp.Chunk)
	x.exited = make(chan struct{})
	go func() { _ = sess.Wait(); close(x.exited) }()
	return nil
}

// waitExit waits at most scpExitWait for the remote scp to exit.
func (x *scpSession) waitExit() {
	select {
	case <-x.exited:
	case <-time.After(scpExitWait):
	}
}

// explain turns the end of the server's output before it said anything
// into what its stderr says: a device without scp, or a shell that failed.
func (x *scpSession) explain(err error) error {
	if !errors.Is(err, io.EOF) || x.exited == nil {
		return err
	}
	x.waitExit() // stderr may still be on its way
	if msg := x.stderr.text(); msg != "" {
		return &scpRemoteError{msg: msg}
	}
	return scpProtocol("the server ended the session without a word")
}

// refuse tells the server why the client stops, as OpenSSH's scp does
// with a fatal error line, unless the server itself gave up; it does not
// wait for an answer.
func (x *scpSession) refuse(err error) {
	var re *scpRemoteError
	if !errors.As(err, &re) {
		_ = scp.WriteError(x.w, scp.Fatal, err.Error())
	}
}

func (x *scpSession) ack() error { return scp.WriteAck(x.w) }

// finish closes the client's side and waits briefly for the remote scp to
// exit, so that the server has closed its file when the caller learns of
// success. Its exit status is not consulted: the last acknowledgement
// already said the file went through.
func (x *scpSession) finish() {
	x.w.Close()
	x.waitExit()
}

// scpExitWait bounds the wait for the remote scp's exit after success.
const scpExitWait = 2 * time.Second

// stderrTail keeps the last bytes the remote scp wrote on stderr.
type stderrTail struct {
	mu  sync.Mutex
	buf []byte
}

const stderrKeep = 512

func (t *stderrTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > stderrKeep {
		t.buf = t.buf[len(t.buf)-stderrKeep:]
	}
	return len(p), nil
}

func (t *stderrTail) text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return printable(strings.TrimSpace(string(t.buf)))
}
