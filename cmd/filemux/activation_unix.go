//go:build unix

package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// firstListenFD is SD_LISTEN_FDS_START: systemd passes sockets from fd 3 on.
const firstListenFD = 3

// activated returns the sockets systemd passed by socket activation
// (sd_listen_fds(3)): LISTEN_FDS sockets from fd 3 on, named by the
// optional LISTEN_FDNAMES. They are taken when LISTEN_PID is this
// process's id, as systemd sets it, and also when LISTEN_PID is unset,
// for launchers that cannot know the pid before the exec. The variables
// are cleared so that the programs run by completion actions inherit
// none of it.
func activated() (*sockets, error) {
	n, pid := os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_PID")
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	for _, v := range []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"} {
		os.Unsetenv(v)
	}
	if n == "" || (pid != "" && pid != strconv.Itoa(os.Getpid())) {
		return &sockets{}, nil
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 0 {
		return nil, fmt.Errorf("LISTEN_FDS=%q is not a count of sockets", n)
	}
	s := &sockets{}
	for i := range count {
		if err := s.adopt(firstListenFD+i, fdName(names, i)); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func fdName(names []string, i int) string {
	if i < len(names) && names[i] != "" {
		return names[i]
	}
	return "LISTEN_FD_" + strconv.Itoa(firstListenFD+i)
}

// adopt takes the socket at fd: a datagram socket for TFTP, a stream
// socket for HTTP when its name says so (socketRole), else for SFTP and
// SCP; anything else, and a name that contradicts the socket's type
// (a UDP socket named http), is refused.
func (s *sockets) adopt(fd int, name string) error {
	syscall.CloseOnExec(fd)
	kind, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return fmt.Errorf("inherited socket %s (fd %d): %w", name, fd, err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close() // the net package holds its own duplicate
	role := socketRole(name)
	switch {
	case kind == syscall.SOCK_DGRAM && role != roleAny && role != roleTFTP:
		return fmt.Errorf("inherited socket %s (fd %d) is UDP, but its name is for a TCP server", name, fd)
	case kind == syscall.SOCK_STREAM && role == roleTFTP:
		return fmt.Errorf("inherited socket %s (fd %d) is TCP, but TFTP runs over UDP", name, fd)
	}
	switch kind {
	case syscall.SOCK_DGRAM:
		pc, err := net.FilePacketConn(f)
		if err != nil {
			return fmt.Errorf("inherited socket %s: %w", name, err)
		}
		s.udp = append(s.udp, pc)
	case syscall.SOCK_STREAM:
		ln, err := net.FileListener(f)
		if err != nil {
			return fmt.Errorf("inherited socket %s: %w", name, err)
		}
		if role == roleHTTP {
			s.http = append(s.http, ln)
		} else {
			s.tcp = append(s.tcp, ln)
		}
	default:
		return fmt.Errorf("inherited socket %s (fd %d) is neither UDP nor TCP", name, fd)
	}
	return nil
}
