package daemon

import (
	"bufio"
	"errors"
	"io"
	"strings"

	"github.com/filemux/filemux/behaviour"
)

// scpChunk is the size of the data reads and writes of SCP.
const scpChunk = 64 << 10

// scpPeer is the client end of an scp exec channel: acknowledgements and
// error lines both ways.
type scpPeer struct {
	c      *sshConn
	r      *bufio.Reader
	w      io.Writer
	hangup bool // stopped in the middle of the client's data
}

// scpAckError is a warning (\x01) or fatal error (\x02) the client sent
// instead of an acknowledgement.
type scpAckError struct {
	fatal bool
	msg   string
}

func (e *scpAckError) Error() string { return "daemon: scp client: " + e.msg }

// serveSCP runs an scp sink or source on rw. Its exit status is 0 when
// every file went through, 1 otherwise.
func (c *sshConn) serveSCP(cmd scpCommand, rw io.ReadWriteCloser) sshExit {
	p := &scpPeer{c: c, r: bufio.NewReaderSize(rw, scpChunk), w: rw}
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
func (p *scpPeer) ack() error {
	_, err := p.w.Write([]byte{0})
	return err
}

// warn sends a warning about one file: the client reports it and goes on.
func (p *scpPeer) warn(name string, err error) error {
	return p.send(1, scpPrintable(name)+": "+scpMessage(err))
}

// fatal sends an error that ends the session.
func (p *scpPeer) fatal(err error) error { return p.send(2, scpMessage(err)) }

func (p *scpPeer) send(level byte, msg string) error {
	_, err := io.WriteString(p.w, string(level)+"scp: "+msg+"\n")
	return err
}

// readAck reads the client's answer: nil for \0, an *scpAckError for a
// warning or a fatal error, io.EOF when the client closed its side.
func (p *scpPeer) readAck() error {
	c, err := p.r.ReadByte()
	if err != nil {
		return err
	}
	switch c {
	case 0:
		return nil
	case 1, 2:
		line, err := readSCPLine(p.r)
		if err != nil {
			return err
		}
		p.c.srv.cfg.log.Info("scp client error", "peer", p.c.peer, "user", p.c.user, "message", scpPrintable(line))
		return &scpAckError{fatal: c == 2, msg: line}
	}
	return errSCPProtocol
}

// scpMessage is the text of an error for the client, in OpenSSH's words
// for a missing file.
func scpMessage(err error) string {
	if behaviour.TFTPCode(err) == behaviour.CodeNotFound {
		return "No such file or directory"
	}
	return behaviour.PeerMessage(err)
}

// scpPrintable makes a name safe to echo in an error line: no control
// characters, at most 255 bytes.
func scpPrintable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 255 {
		s = s[:255]
	}
	return strings.ToValidUTF8(s, "?")
}

// scpFatal reports whether the session cannot go on after err.
func scpFatal(err error) bool {
	var ack *scpAckError
	return err != nil && (!errors.As(err, &ack) || ack.fatal)
}
