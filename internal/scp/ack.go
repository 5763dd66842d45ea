package scp

import (
	"bufio"
	"io"
)

// Reply is a warning or a fatal error line the peer sent where an
// acknowledgement or a record was due. Text is as the peer sent it: pass it
// through [Printable] before showing it.
type Reply struct {
	Fatal bool
	Text  string
}

func (r *Reply) Error() string { return "scp peer: " + Printable(r.Text) }

// ReadAck reads the peer's answer: nil for \0, a [*Reply] for a warning
// (\1) or a fatal error (\2) with its line, [ErrProtocol] for any other
// byte. The input ending before the answer is io.EOF; ending inside the
// error line is io.ErrUnexpectedEOF, never io.EOF.
func ReadAck(r *bufio.Reader) error {
	c, err := r.ReadByte()
	if err != nil {
		return err
	}
	switch Kind(c) {
	case 0:
		return nil
	case Warning, Fatal:
		line, err := ReadLine(r)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the level byte began the line
		}
		if err != nil {
			return err
		}
		return &Reply{Fatal: Kind(c) == Fatal, Text: line}
	}
	return ErrProtocol
}

// WriteAck sends the \0 that tells the peer to go on.
func WriteAck(w io.Writer) error {
	_, err := w.Write([]byte{0})
	return err
}

// WriteError sends a [Warning] (the peer reports it and goes on) or a
// [Fatal] error (the session ends) as OpenSSH words it: "scp: " and msg,
// made printable so that it stays one line.
func WriteError(w io.Writer, level Kind, msg string) error {
	_, err := io.WriteString(w, string(rune(level))+"scp: "+Printable(msg)+"\n")
	return err
}
