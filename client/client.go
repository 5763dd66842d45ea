package client

import (
	"time"

	"github.com/filemux/filemux/behaviour"
)

// Defaults of the TFTP fields.
const (
	DefaultPort    = 69
	DefaultTimeout = time.Second
	DefaultRetries = 5
)

// TFTP transfers files to and from one TFTP server (RFC 1350, with the
// options of RFC 2347, 2348, 2349 and 7440 and block-number rollover). The
// zero value of every field but Addr is a usable default. A TFTP holds no
// connection: each transfer runs on a socket of its own, so one TFTP may
// run many transfers at once, and a copy of a TFTP (to change, say,
// Verify for one file) is as good as the original. The fields must not
// change while a transfer runs.
//
// The client does not trust the server. An OACK may only accept the options
// the client asked for, with values no larger than asked (blksize of at
// least 8, the same timeout, tsize within MaxSize); anything else, a DATA
// larger than the block size, an ACK answering a read or a DATA answering a
// write ends the transfer with [ErrProtocol] and an ERROR to the server.
// Packets from any other port than the server's transfer ID get ERROR 5 and
// do not disturb the transfer. It tolerates what real servers do: a repeated
// OACK, a server that ignores every option and answers with DATA 1 or
// ACK 0, a lost final ACK of a download (a download returns as soon as its
// final ACK is out; in the background the final DATA is acknowledged again
// until the server has been silent for two timeouts), and a server that
// never acknowledges a repeated final DATA of an upload (see
// Result.Unconfirmed).
type TFTP struct {
	// Addr is the server: "host:port", or "host" for port 69. IPv6
	// addresses go in brackets with a port ("[::1]:69") or bare without.
	Addr string
	// LocalAddr is the local address to send from, "ip" or "ip:port";
	// empty lets the system choose.
	LocalAddr string

	// BlockSize is the blksize to ask for (RFC 2348, 8..65464); 0 asks for
	// none, and blocks are 512 bytes.
	BlockSize int
	// WindowSize is the windowsize to ask for (RFC 7440, 1..65535); 0 asks
	// for none, and every block is acknowledged.
	WindowSize int
	// Timeout is the wait for the server before a packet is sent again; 0
	// means DefaultTimeout. A whole number of seconds from 1 to 255 is also
	// sent as the timeout option (RFC 2349), so that the server resends at
	// the same pace.
	Timeout time.Duration
	// Retries is how often one packet is sent again before the transfer
	// fails with ErrTimeout; 0 means DefaultRetries, a negative value never.
	Retries int
	// TSize asks the server for the size of a download (RFC 2349), which
	// then reaches Progress and is checked against MaxSize, and tells the
	// server the size of an upload when it is known.
	TSize bool
	// Mode is the transfer mode; 0 means behaviour.Octet. In
	// behaviour.Netascii mode line ends are translated both ways.
	Mode behaviour.Mode
	// Options are extra options sent with every request, such as the user
	// extensions a server wants for a token. Their names must not be empty
	// nor one of the options above. The server's answers are in
	// Result.Options.
	Options []behaviour.Option

	// MaxSize refuses a download larger than this many bytes: an announced
	// tsize larger fails before any data moves, and a stream that grows
	// past it fails at once (ErrTooLarge; the server gets ERROR 3). 0 means
	// no limit.
	MaxSize int64
	// Fsync makes ReadFile flush the downloaded file to stable storage
	// before it renames it into place, so that a crash right after success
	// cannot leave an empty or partial file (rsync's --fsync). Without it,
	// as with cp, curl and scp, the rename is still atomic for every reader
	// but the data reaches the disk when the system writes it back.
	Fsync bool
	// Verify, when set, checks the digest of each download: a mismatch
	// fails the transfer with ErrIntegrity before the final write, so
	// nothing is committed locally.
	Verify Checksum
	// Progress, when set, is called on the transfer's goroutine after each
	// block reaches or leaves the local side, and once at the start. It
	// must return quickly.
	Progress func(Progress)
}

// Progress is a snapshot of a running transfer.
type Progress struct {
	// Access is the direction: behaviour.Read downloads, behaviour.Write
	// uploads.
	Access behaviour.Access
	Remote string
	// Bytes is the number of file bytes moved so far, Total the size of
	// the file, or -1 when it is not known.
	Bytes, Total int64
}

// Result describes a finished transfer, or as much of a failed one as took
// place, on every protocol. SFTP, SCP and HTTP fill Protocol, Access, Remote,
// Server, Mode, Size (-1), Bytes and Duration; the other fields are TFTP's.
type Result struct {
	// Protocol is behaviour.TFTP, behaviour.SFTP, behaviour.SCP or
	// behaviour.HTTP.
	Protocol behaviour.Protocol
	// Access is the direction: behaviour.Read downloads, behaviour.Write
	// uploads.
	Access behaviour.Access
	Remote string
	// Server is the server's address; for TFTP with the transfer ID (the
	// port its replies came from).
	Server string
	// Options are the options the server accepted (its OACK), with the
	// server's answers to tsize and to the extra options; empty when the
	// server answered without an OACK.
	Options behaviour.Options
	// The parameters the transfer ran with.
	Mode       behaviour.Mode
	BlockSize  int
	WindowSize int
	Timeout    time.Duration
	// Size is the file size the server announced (download) or the client
	// sent (upload), or -1.
	Size int64
	// Bytes is the number of file bytes moved through the local side.
	Bytes       int64
	Blocks      int64
	Retransmits int
	Duration    time.Duration
	// Unconfirmed marks an upload whose final DATA the server never
	// acknowledged although it acknowledged everything before it: the
	// server most likely ended the transfer and lost its final ACK, as
	// servers that do not acknowledge a repeated final DATA do.
	Unconfirmed bool
}
