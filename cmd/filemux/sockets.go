package main

import (
	"errors"
	"net"
	"slices"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
)

// sockets are listening sockets opened by someone else: systemd, by
// socket activation. Their names (FileDescriptorName=, LISTEN_FDNAMES)
// say which server takes a TCP socket; see socketRole.
type sockets struct {
	udp  []net.PacketConn // for TFTP
	tcp  []net.Listener   // for SFTP and SCP
	http []net.Listener   // for HTTP and HTTPS
}

// any reports whether there is a socket at all.
func (s *sockets) any() bool { return len(s.udp)+len(s.tcp)+len(s.http) > 0 }

func (s *sockets) close() {
	closeAll(s.udp)
	for _, ln := range slices.Concat(s.tcp, s.http) {
		ln.Close()
	}
}

// The roles of inherited sockets, by their names.
const (
	roleAny  = iota // no name filemux knows: UDP serves TFTP, TCP SFTP and SCP
	roleTFTP        // "tftp"
	roleSSH         // "sftp", "ssh"
	roleHTTP        // "http", "https"
)

// socketRole is the role of a socket systemd passed under name: "tftp"
// for TFTP, "sftp" or "ssh" for SFTP and SCP, "http" or "https" for HTTP.
// Any other name (systemd's default is the socket unit's name, such as
// "filemux.socket") keeps the behaviour of units from before names
// counted: a UDP socket serves TFTP, a TCP socket SFTP and SCP.
func socketRole(name string) int {
	switch name {
	case "tftp":
		return roleTFTP
	case "sftp", "ssh":
		return roleSSH
	case "http", "https":
		return roleHTTP
	}
	return roleAny
}

// withInherited returns f with the listen addresses of each kind that
// was inherited replaced by those of the inherited sockets, so that one
// daemon, configured as the file says, is built per socket. The file
// must configure the protocols whose sockets it is given.
func withInherited(f *config.File, inherited *sockets) (*config.File, error) {
	g := *f
	if len(inherited.udp) > 0 {
		if f.TFTP == nil {
			return nil, errors.New("socket activation passed UDP sockets, but the configuration has no tftp section")
		}
		t := *f.TFTP
		t.Listen = addrsOf(inherited.udp, func(pc net.PacketConn) net.Addr { return pc.LocalAddr() })
		g.TFTP = &t
	}
	if len(inherited.tcp) > 0 {
		if f.SFTP == nil {
			return nil, errors.New("socket activation passed TCP sockets for SFTP, but the configuration has no sftp section (name HTTP sockets http: FileDescriptorName=http)")
		}
		t := *f.SFTP
		t.Listen = addrsOf(inherited.tcp, net.Listener.Addr)
		g.SFTP = &t
	}
	if len(inherited.http) > 0 {
		if f.HTTP == nil {
			return nil, errors.New("socket activation passed sockets named http, but the configuration has no http section")
		}
		t := *f.HTTP
		t.Listen = addrsOf(inherited.http, net.Listener.Addr)
		g.HTTP = &t
	}
	return &g, nil
}

func addrsOf[S any](socks []S, addr func(S) net.Addr) []string {
	out := make([]string, len(socks))
	for i, s := range socks {
		out[i] = addr(s).String()
	}
	return out
}

// listenPacket returns the i-th inherited UDP socket, or binds addr when
// there is none.
func listenPacket(addr string, i int, inherited []net.PacketConn) (net.PacketConn, error) {
	if i < len(inherited) {
		return inherited[i], nil
	}
	return net.ListenPacket("udp", addr)
}

// listenStream returns the i-th inherited TCP socket, or listens on addr
// when there is none.
func listenStream(addr string, i int, inherited []net.Listener) (net.Listener, error) {
	if i < len(inherited) {
		return inherited[i], nil
	}
	return net.Listen("tcp", addr)
}
