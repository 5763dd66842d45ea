package daemon

import (
	"bufio"
	"errors"
	"io"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/scp"
	"github.com/filemux/filemux/internal/wire"
)

// errSCPDepth refuses directories nested deeper than scpMaxDepth.
var errSCPDepth = &behaviour.Error{Code: behaviour.CodeIllegalOperation, Message: "protocol error: directories nested too deep"}

// scpPeer is the client end of an scp exec channel: acknowledgements and
// error lines both ways.
type scpPeer struct {
	c      *sshConn
	r      *bufio.Reader
	w      io.Writer
	hangup bool // stopped in the middle of the client's data
}

// serveSCP runs an scp sink or source on rw. Its exit status is 0 when
// every file went through, 1 otherwise.
func (c *sshConn) serveSCP(cmd scpCommand, rw io.ReadWriteCloser) sshExit {
	p := &scpPeer{c: c, r: bufio.NewReaderSize(rw, scp.Chunk), w: rw}
	var ok bool
	if cmd.sink {
		ok = (&scpSink{scpPeer: p, cmd: cmd}).run()
	} else {
		ok = (&scpSource{scpPeer: p, cmd: cmd}).run()
	}
	if ok {
		return sshExit{}
	}
	return sshExit{status: 1, hangup: p.hangup}
}

// ack sends the \0 that says "go on".
func (p *scpPeer) ack() error { return scp.WriteAck(p.w) }

// warn sends a warning about one file: the client reports it and goes on.
func (p *scpPeer) warn(name string, err error) error {
	return scp.WriteError(p.w, scp.Warning, scp.PrintableName(name)+": "+scpMessage(err))
}

// fatal sends an error that ends the session.
func (p *scpPeer) fatal(err error) error { return scp.WriteError(p.w, scp.Fatal, scpMessage(err)) }

// fatalAbout sends an error about one file that ends the session.
func (p *scpPeer) fatalAbout(name string, err error) error {
	return scp.WriteError(p.w, scp.Fatal, scp.PrintableName(name)+": "+scpMessage(err))
}

// readAck reads the client's answer: nil for \0, an *scp.Reply for a
// warning or a fatal error (which is logged), io.EOF when the client closed
// its side between answers.
func (p *scpPeer) readAck() error {
	err := scp.ReadAck(p.r)
	var reply *scp.Reply
	if errors.As(err, &reply) {
		p.c.srv.cfg.log.Info("scp client error", "peer", p.c.peer, "user", p.c.user, "message", scp.PrintableName(reply.Text))
	}
	return err
}

// scpMessage is the text of an error for the client, in OpenSSH's words
// for a missing file.
func scpMessage(err error) string {
	if wire.TFTPCode(err) == behaviour.CodeNotFound {
		return "No such file or directory"
	}
	return behaviour.PeerMessage(err)
}

// scpFatal reports whether the session cannot go on after err.
func scpFatal(err error) bool {
	var reply *scp.Reply
	return err != nil && (!errors.As(err, &reply) || reply.Fatal)
}
