package sshtest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// KexInit holds the name-lists of an SSH_MSG_KEXINIT (RFC 4253, 7.1) as a
// peer sent them. A test reads them off the wire to check what a server or
// client really offers, not what its configuration says.
type KexInit struct {
	KeyExchanges, HostKeys        []string
	CiphersOut, CiphersIn         []string // client to server, server to client
	MACsOut, MACsIn               []string
	CompressionOut, CompressionIn []string
}

// ExchangeKexInit sends version (without CR LF) on conn, then reads the
// peer's version line and its KEXINIT packet, which SSH sends unencrypted.
// It reads for at most 10 seconds and sends nothing more.
func ExchangeKexInit(conn net.Conn, version string) (peerVersion string, k KexInit, err error) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, version+"\r\n"); err != nil {
		return "", k, err
	}
	r := bufio.NewReader(conn)
	for !strings.HasPrefix(peerVersion, "SSH-") { // RFC 4253 allows lines before it
		if peerVersion, err = r.ReadString('\n'); err != nil {
			return "", k, err
		}
	}
	payload, err := readPacket(r)
	if err != nil {
		return "", k, err
	}
	k, err = parseKexInit(payload)
	return strings.TrimRight(peerVersion, "\r\n"), k, err
}

// readPacket reads one unencrypted binary packet and returns its payload.
func readPacket(r io.Reader) ([]byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	length, padding := binary.BigEndian.Uint32(head[:4]), uint32(head[4])
	if length > 35000 || padding+1 > length {
		return nil, fmt.Errorf("sshtest: bad packet length %d, padding %d", length, padding)
	}
	body := make([]byte, length-1)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body[:len(body)-int(padding)], nil
}

const msgKexInit = 20

func parseKexInit(p []byte) (KexInit, error) {
	if len(p) < 17 || p[0] != msgKexInit {
		return KexInit{}, errors.New("sshtest: the first packet is no KEXINIT")
	}
	p = p[17:] // message number and cookie
	var k KexInit
	for _, list := range []*[]string{&k.KeyExchanges, &k.HostKeys, &k.CiphersOut, &k.CiphersIn,
		&k.MACsOut, &k.MACsIn, &k.CompressionOut, &k.CompressionIn} {
		if len(p) < 4 || uint32(len(p)-4) < binary.BigEndian.Uint32(p) {
			return KexInit{}, errors.New("sshtest: KEXINIT name-list cut short")
		}
		n := binary.BigEndian.Uint32(p)
		if n > 0 {
			*list = strings.Split(string(p[4:4+n]), ",")
		}
		p = p[4+n:]
	}
	return k, nil
}
