package client

import (
	"strings"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// openSSHChunk is the longest read and write OpenSSH's sftp-server takes:
// 256 KiB less 1024 bytes, what it reports in limits@openssh.com. A larger
// read comes back short, which pkg/sftp's concurrent download would splice
// into a corrupt file.
const openSSHChunk = 256<<10 - 1024

// inFlight is the number of bytes the default keeps in flight per file:
// OpenSSH's sftp's 64 requests of 32 KiB.
const inFlight = DefaultSFTPConcurrency * DefaultSFTPChunkSize

// chunking is the request size and count of one session.
type chunking struct{ size, concurrency int }

// guessChunking picks the request size before the SFTP session starts: the
// configured one, or OpenSSH's limit when the server says it is OpenSSH
// (checked against its extensions once the session starts, see fit).
func (s *SFTP) guessChunking(conn *ssh.Client) chunking {
	size := s.ChunkSize
	if size <= 0 {
		size = DefaultSFTPChunkSize
		if strings.Contains(string(conn.ServerVersion()), "OpenSSH") {
			size = openSSHChunk
		}
	}
	return s.withConcurrency(size)
}

// withConcurrency pairs a request size with the configured concurrency,
// or with as many requests as keep inFlight bytes moving.
func (s *SFTP) withConcurrency(size int) chunking {
	n := s.Concurrency
	if n <= 0 {
		n = max(inFlight/size, 1)
	}
	return chunking{size: size, concurrency: n}
}

// fit returns the chunking the server really takes: a session that guessed
// OpenSSH's limit for a server without OpenSSH's limits@openssh.com falls
// back to the default, and a ChunkSize above OpenSSH's limit is lowered to
// it. ok is false when the session must start again with the result.
func (s *SFTP) fit(c *sftp.Client, k chunking) (chunking, bool) {
	_, openSSH := c.HasExtension("limits@openssh.com")
	switch {
	case openSSH && k.size > openSSHChunk:
		return s.withConcurrency(openSSHChunk), false
	case !openSSH && s.ChunkSize <= 0 && k.size != DefaultSFTPChunkSize:
		return s.withConcurrency(DefaultSFTPChunkSize), false
	}
	return k, true
}

func (k chunking) options() []sftp.ClientOption {
	return []sftp.ClientOption{
		sftp.MaxConcurrentRequestsPerFile(k.concurrency),
		sftp.UseConcurrentReads(true),
		sftp.UseConcurrentWrites(true),
		sftp.MaxPacketUnchecked(k.size),
	}
}
