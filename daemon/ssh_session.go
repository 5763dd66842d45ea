package daemon

import (
	"fmt"
	"io"
	"runtime/debug"
	"sync"

	"golang.org/x/crypto/ssh"
)

// sshSession is one session channel: it runs at most one program, the sftp
// subsystem or an scp exec, and ends with its exit status.
type sshSession struct {
	c        *sshConn
	ch       ssh.Channel
	reqs     <-chan *ssh.Request
	exitOnce sync.Once
	// wmu orders the program's writes before the end of output: pkg/sftp
	// may still be sending its last replies when Serve returns.
	wmu sync.Mutex
}

// sshProgram is what a session runs; it returns how it ended. Closing rw
// sends exit status 1 first.
type sshProgram func(rw io.ReadWriteCloser) sshExit

// sshExit is the end of a program: its exit status, and whether the
// connection must close too (after the channel), for a client that would
// otherwise keep writing into a session that no longer reads.
type sshExit struct {
	status uint32
	hangup bool
}

func newSSHSession(c *sshConn, ch ssh.Channel, reqs <-chan *ssh.Request) *sshSession {
	return &sshSession{c: c, ch: ch, reqs: reqs}
}

// serve answers the channel's requests: the first sftp subsystem or scp
// exec starts its program, everything else is refused. The channel closes
// when the program has ended (after its exit status) or, with no program,
// when the client stops sending requests.
func (s *sshSession) serve() {
	defer s.ch.Close()
	defer func() { go ssh.DiscardRequests(s.reqs) }() // x/crypto needs them read until the channel closes
	reqs := s.reqs
	done := make(chan sshExit, 1)
	started := false
	for {
		select {
		case req, ok := <-reqs:
			if !ok {
				if !started {
					return
				}
				reqs = nil // the client closed its side: wait for the program
				continue
			}
			if prog := s.program(req, started); prog != nil {
				started = true
				go func() { done <- s.run(prog) }()
			}
		case end := <-done:
			s.exit(end.status)
			if end.hangup && s.c.sessions.Load() == 1 {
				s.ch.Close()
				s.c.close(errSSHHangup)
			}
			return
		}
	}
}

// program answers req and returns the program it starts, if any.
func (s *sshSession) program(req *ssh.Request, started bool) sshProgram {
	var prog sshProgram
	if !started {
		prog = s.choose(req)
	}
	if req.WantReply {
		_ = req.Reply(prog != nil, nil)
	}
	return prog
}

func (s *sshSession) choose(req *ssh.Request) sshProgram {
	log := s.c.srv.cfg.log
	switch req.Type {
	case "subsystem":
		var m struct{ Name string }
		if ssh.Unmarshal(req.Payload, &m) != nil || m.Name != "sftp" {
			log.Info("ssh subsystem refused", "peer", s.c.peer, "user", s.c.user, "name", m.Name)
			s.c.srv.refused(s.c.peer, errSSHNoSuchProgram)
			return nil
		}
		return s.c.serveSFTP
	case "exec":
		var m struct{ Command string }
		if ssh.Unmarshal(req.Payload, &m) != nil {
			return nil
		}
		cmd, err := parseSCPCommand(m.Command)
		if err != nil {
			log.Info("ssh exec refused", "peer", s.c.peer, "user", s.c.user, "command", m.Command, "err", err)
			s.c.srv.refused(s.c.peer, fmt.Errorf("%w: %w", errSSHNoSuchProgram, err))
			return nil
		}
		log.Debug("scp command", "peer", s.c.peer, "user", s.c.user, "command", m.Command)
		return func(rw io.ReadWriteCloser) sshExit { return s.c.serveSCP(cmd, rw) }
	}
	return nil
}

// run runs prog on the channel, containing a panic (exit status 1).
func (s *sshSession) run(prog sshProgram) (end sshExit) {
	defer func() {
		if r := recover(); r != nil {
			s.c.srv.cfg.log.Error("ssh session panicked", "peer", s.c.peer, "user", s.c.user,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			end = sshExit{status: 1}
		}
	}()
	return prog(sshChannelIO{Channel: s.ch, s: s})
}

// exit sends, once, the end of the output and the exit status, which
// OpenSSH's scp needs before the channel closes to exit 0.
func (s *sshSession) exit(code uint32) {
	s.exitOnce.Do(func() {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		_ = s.ch.CloseWrite()
		_, _ = s.ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{code}))
	})
}

// sshChannelIO is the channel as a program sees it: it records activity
// for the idle timeout, and a program that closes it (pkg/sftp does on a
// malformed packet) still sends an exit status first.
type sshChannelIO struct {
	ssh.Channel
	s *sshSession
}

func (w sshChannelIO) Close() error {
	w.s.exit(1)
	return w.Channel.Close()
}

func (w sshChannelIO) Read(p []byte) (int, error) {
	n, err := w.Channel.Read(p)
	if n > 0 {
		w.s.c.touch()
	}
	return n, err
}

func (w sshChannelIO) Write(p []byte) (int, error) {
	w.s.wmu.Lock()
	n, err := w.Channel.Write(p)
	w.s.wmu.Unlock()
	if n > 0 {
		w.s.c.touch()
	}
	return n, err
}
