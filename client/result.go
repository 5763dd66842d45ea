package client

import (
	"bytes"
	"io"
	"time"

	"github.com/filemux/filemux/behaviour"
)

// measure runs move, one transfer of remote over SFTP or SCP that returns
// the bytes it moved, and describes it. The fields but Protocol, Access,
// Remote, Server, Mode, Size, Bytes and Duration are TFTP's.
func (s *SSH) measure(p behaviour.Protocol, a behaviour.Access, remote string, move func() (int64, error)) (Result, error) {
	start := time.Now()
	n, err := move()
	res := Result{Protocol: p, Access: a, Remote: remote, Server: s.address(), Mode: behaviour.Octet, Size: -1, Bytes: n}
	res.Duration = time.Since(start)
	return res, err
}

// readBytes downloads into memory with read, which writes the file to w.
func readBytes(read func(w io.Writer) (Result, error)) ([]byte, Result, error) {
	var buf bytes.Buffer
	res, err := read(&buf)
	if err != nil {
		return nil, res, err
	}
	return buf.Bytes(), res, nil
}
