package tftp

import (
	"encoding/binary"
	"testing"
	"time"
)

// traced logs every packet a transport moves, for debugging tests.
type traced struct {
	Transport
	t    testing.TB
	name string
}

func (tr traced) Send(b []byte) error {
	tr.t.Logf("%s %s send %s", time.Now().Format("05.000000"), tr.name, describe(b))
	return tr.Transport.Send(b)
}

func (tr traced) Recv(buf []byte, d time.Time) (int, error) {
	n, err := tr.Transport.Recv(buf, d)
	if err != nil {
		tr.t.Logf("%s %s recv error %v", time.Now().Format("05.000000"), tr.name, err)
	} else {
		tr.t.Logf("%s %s recv %s", time.Now().Format("05.000000"), tr.name, describe(buf[:n]))
	}
	return n, err
}

func describe(b []byte) string {
	if len(b) < 4 {
		return "short"
	}
	return Opcode(binary.BigEndian.Uint16(b)).String() + " " + itoa(int(binary.BigEndian.Uint16(b[2:]))) + " len " + itoa(len(b))
}

func itoa(n int) string { return time.Duration(n).String()[:len(time.Duration(n).String())-2] }
