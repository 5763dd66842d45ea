package scp

import (
	"bufio"
	"io"
	"strings"
)

// MaxLine bounds a record or error line without its newline: a mode, a
// size and a name of [MaxName] bytes fit with room to spare.
const MaxLine = 1024

// Chunk is the size in which both sides read and write file data.
const Chunk = 64 << 10

// ReadLine reads one line without its newline. It returns io.EOF when the
// input ends before the line's first byte, io.ErrUnexpectedEOF when it
// ends inside the line, and [ErrLine] beyond [MaxLine] bytes.
func ReadLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for b.Len() <= MaxLine {
		c, err := r.ReadByte()
		switch {
		case err == io.EOF && b.Len() > 0:
			return "", io.ErrUnexpectedEOF
		case err != nil:
			return "", err
		case c == '\n':
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", ErrLine
}
