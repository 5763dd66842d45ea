package daemon

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/filemux/filemux/behaviour"
	"golang.org/x/crypto/ssh"
)

// SSH is an SSH server that serves the sftp subsystem (SFTP version 3, with
// github.com/pkg/sftp's request server) and legacy SCP (`scp -t` and
// `scp -f` exec requests), both through a behaviour.Handler, usually a
// *registry.Registry: a handler written once is reachable over TFTP, SFTP
// and SCP. Configure it with its exported fields before serving; the zero
// value of every field is a usable default except Handler and the host
// key and authentication fields, of which some must be set. The fields are
// read when serving starts and must not change afterwards.
//
// Authentication is by public key (AuthorizedKeysFile, AuthorizedKeys,
// UserKeys) or by password (PasswordFile, Passwords), never anonymous. The
// key that authenticated a connection is recorded in the ssh.Permissions
// the callback returned, never remembered from a callback (CVE-2024-45337).
// ReloadAuth reads the files again while serving: a removed key or user is
// refused from then on, and the connections that logged in with it are
// closed.
//
// Every file opened over SFTP or SCP becomes a *behaviour.Transfer with
// Protocol sftp or scp, the authenticated user, the peer and local
// addresses, the SFTP open flags, and Name = behaviour.CleanName of the path
// the client sent: absolute paths name files relative to the served root,
// ".." cannot climb out of it. After a successful Open there is exactly one
// ending, as the behaviour.Handler contract says.
//
// SFTP: clients send many READ and WRITE requests at once and pkg/sftp runs
// them concurrently, out of order. For a handler that offers random access
// (behaviour.ReaderAt, behaviour.WriterAt) they become ReadAt and WriteAt
// calls, and the transfer ends with Read(t, nil) or Write(t, nil, true).
// For any other handler a read-ahead window indexed by offset (ReadAhead
// bytes, serving backward offsets too) and a write reorder buffer
// (ReorderLimit bytes) turn them into the contract's sequential Read and
// Write calls. SFTP CLOSE after all the data is the commit; a connection
// lost while a file is open aborts it, except a read whose every byte was
// delivered. STAT, LSTAT and FSTAT, directory listing, REMOVE, RENAME, MKDIR
// and RMDIR reach the handler's capabilities (behaviour.Stat and friends);
// a handler without the capability answers OP_UNSUPPORTED. A file the
// handler cannot stat is opened once for reading to learn its size (and
// aborted): when that size is unknown, it is described as a regular file of
// size 0, and clients read until the end of file. SETSTAT and FSETSTAT accept
// a size equal to the bytes written so far (OpenSSH's scp sets it after an
// upload) and accept, without applying them, permissions and times;
// anything else answers OP_UNSUPPORTED. Symbolic links, hard links and
// statvfs are unsupported.
//
// SCP: the sink (`scp -t`, an upload) and the source (`scp -f`, a download)
// accept -r, -p, -d, -v and -q, combined flags and quoted paths, parsed
// without a shell. Records are validated (names without "/", not "." or
// "..", modes within 07777, sizes bounded by MaxSize); a download's C
// record carries the base name of the requested path; a file of unknown
// size is spooled (SpoolMemory bytes in memory, then a temporary file in
// SpoolDir, at most MaxSpool bytes) to learn its size. libssh2's missing
// status bytes are tolerated. Times sent with -p are accepted and ignored.
//
// Algorithms: one policy, shared with the client package: x/crypto's
// secure set without hmac-sha1 (ML-KEM, curve25519, ECDH and SHA-2
// Diffie-Hellman key exchanges, AES-GCM and AES-CTR ciphers, SHA-2 MACs,
// ed25519, ECDSA and RSA-SHA2 signatures). chacha20-poly1305 is left out on
// CPUs with AES instructions: x/crypto implements it in portable Go, at
// half again the server's CPU per byte, and OpenSSH's client would pick it
// first. LegacyAlgorithms adds what old network gear needs; RC4 (arcfour)
// is never offered.
//
// Every SSH channel is contained: a panic in a handler or in the server is
// recovered, the transfer aborted and the channel closed with exit status 1,
// and the server keeps serving. Every session ends with an exit-status
// before its channel closes. Channel types other than session, and requests
// other than the sftp subsystem and scp exec, are refused.
type SSH struct {
	// ListenAddr is the TCP address ListenAndServe listens on, "host:port".
	// The empty string means ":22". Port 0 picks a free port, which Addr
	// returns.
	ListenAddr string

	// Handler serves every transfer of users HandlerFor leaves to it.
	// Handler or HandlerFor is required.
	Handler behaviour.Handler
	// HandlerFor, when set, returns the handler of an authenticated user
	// (a user's own routes or root); it is called once per connection. A
	// nil result means Handler, and a connection with neither is closed.
	HandlerFor func(user string) behaviour.Handler

	// Logger receives the server's structured logs; nil discards them.
	Logger *slog.Logger

	// HostKeyFile is the server's ed25519 host key, in OpenSSH format. A
	// missing file is generated on the first start and saved with mode
	// 0600 (the new key's fingerprint is logged); an existing file must not
	// be readable by others.
	HostKeyFile string
	// RSAHostKeyFile is an optional RSA host key for old clients, handled
	// as HostKeyFile (generated with 3072 bits when missing).
	RSAHostKeyFile string
	// HostKeys are further host keys, for programs and tests that keep
	// them elsewhere. At least one host key is required.
	HostKeys []ssh.Signer
	// LegacyAlgorithms adds the algorithms old network gear needs and
	// x/crypto deems insecure: diffie-hellman-group14-sha1, group1-sha1 and
	// group-exchange-sha1 key exchanges, aes128-cbc and 3des-cbc ciphers,
	// hmac-sha1 and hmac-sha1-96, and ssh-rsa (SHA-1) signatures for host
	// and user keys; never RC4. Off by default; pair it with RSAHostKeyFile
	// for gear without ed25519.
	LegacyAlgorithms bool

	// AuthorizedKeysFile is an OpenSSH authorized_keys file: a listed key
	// may log in under any user name, which the transfers record. from=
	// restrictions are enforced; options filemux cannot honour (command=,
	// environment=, ...) refuse the file when serving starts and at
	// ReloadAuth.
	AuthorizedKeysFile string
	// AuthorizedKeys are further keys that may log in under any user name.
	AuthorizedKeys []ssh.PublicKey
	// UserKeys binds keys to user names: such a key logs in under its user
	// name only.
	UserKeys map[string][]ssh.PublicKey
	// PasswordFile holds "user:bcrypt-hash" lines (htpasswd -B); a listed
	// user may log in with that password.
	PasswordFile string
	// Passwords are further bcrypt password hashes by user name.
	Passwords map[string]string
	// MaxAuthTries bounds the authentication attempts of one connection.
	// Refused public key offers count only past as many free ones
	// (x/crypto's budget for clients with many keys). 0 means 6.
	MaxAuthTries int

	// HandshakeTimeout bounds the key exchange and authentication of a new
	// connection: the longest a connection that never logs in holds a
	// pre-auth slot. 0 means 10 seconds, ample for scripts and devices
	// (old gear's group14 key exchange and RSA signature take a second or
	// two) but short for a person typing a password at a prompt: give
	// them a minute.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection whose sessions have moved no data for
	// this long. 0 means 10 minutes; Never (any negative value) means no
	// idle timeout.
	IdleTimeout time.Duration
	// KeepAliveInterval is how often the server asks the client whether it
	// is alive (keepalive@openssh.com); a client that leaves KeepAliveMax
	// requests in a row unanswered is disconnected. 0 means 30 seconds;
	// Never (any negative value) means no keepalive.
	KeepAliveInterval time.Duration
	// KeepAliveMax is the number of unanswered keepalives tolerated. 0
	// means 3.
	KeepAliveMax int

	// MaxConnections bounds the authenticated connections served at once.
	// Connections count once they log in, so that connections that never
	// do cannot take the slots (MaxStartups bounds those): a login over
	// the limit has its first channel refused with "too many connections"
	// (resource shortage), and is closed. 0 means 100.
	MaxConnections int
	// MaxPerAddress bounds the authenticated connections from one client
	// address, as MaxConnections does ("too many connections from this
	// address"). 0 means 10.
	MaxPerAddress int
	// MaxStartups bounds the connections that have not authenticated yet,
	// apart from the limits above. Past Start, a new connection sheds one
	// held, with a chance rising from Rate percent to 100 at Full; more
	// than Full are never held. The connection shed is never the newcomer
	// (refusing newcomers hands the server to whoever holds the most
	// silent connections): it is, at the address holding the most
	// unauthenticated connections, the one whose peer got least far
	// (silent, then talking, then authenticating) and sent nothing for
	// the longest. So one source, or everyone behind one NAT, sheds its own
	// silent connections first, and a login in progress survives a flood.
	// The zero value means DefaultSSHMaxStartups, 10:30:100.
	MaxStartups SSHStartups
	// BanThreshold is the number of failed logins from one address, within
	// BanWindow, that ban it for BanDuration: its new connections are
	// closed on arrival, before any handshake, and its unauthenticated
	// ones at once; its logged-in connections stay. A wrong password
	// scores one; refused keys score one per connection that never logs
	// in, never a connection that logs in after offering other keys;
	// connections that never try to authenticate score nothing. 0 means
	// 10; Never (any negative value) means no ban.
	BanThreshold int
	// BanWindow is how long a failed login counts toward BanThreshold. 0
	// means 10 minutes.
	BanWindow time.Duration
	// BanDuration is how long a ban lasts. 0 means 10 minutes.
	BanDuration time.Duration
	// MaxSessions bounds the session channels of one connection (each
	// runs one sftp or scp). 0 means 10.
	MaxSessions int
	// MaxHandles bounds the files and directories open at once in one SFTP
	// session. 0 means 64.
	MaxHandles int
	// MaxNameLen bounds file names, in bytes. 0 means
	// behaviour.DefaultMaxNameLen (4096).
	MaxNameLen int
	// MaxSize bounds an upload in bytes: SCP refuses a larger file before
	// its data moves, SFTP fails the write that crosses it (the transfer is
	// aborted). 0 means no limit.
	MaxSize int64
	// ReadAhead is the SFTP read window of a handler without random
	// access: how far behind the furthest read a client may still read.
	// 0 means 8 MiB.
	ReadAhead int
	// ReorderLimit bounds the out-of-order SFTP write data buffered for a
	// handler without random access; a client that runs further ahead
	// fails. 0 means 4 MiB.
	ReorderLimit int
	// MaxBuffered bounds the memory all SFTP read-ahead windows and write
	// reorder buffers of the server hold together: over it, a window keeps
	// only what its next READ needs, and an upload that needs more reorder
	// room fails. 0 means 256 MiB.
	MaxBuffered int64
	// SpoolMemory is how much of an SCP download of unknown size is kept
	// in memory before the rest goes to a temporary file. 0 means 1 MiB.
	SpoolMemory int
	// SpoolDir holds those temporary files, removed as soon as they are
	// created. The empty string means os.TempDir().
	SpoolDir string
	// MaxSpool bounds an SCP download of unknown size. 0 means 1 GiB.
	MaxSpool int64

	// OnRequest, when set, is called for every transfer before the
	// handler's Open, with its statistics so far. An error refuses the
	// transfer; its code and peer message reach the client.
	OnRequest func(Stats) error
	// OnSuccess is called once for each transfer that succeeded.
	OnSuccess func(Stats)
	// OnFailure is called once for each transfer that did not succeed,
	// including those OnRequest or Open refused. A transfer asked for
	// while shutting down goes to OnRefuse instead.
	OnFailure func(Stats)
	// OnRefuse, when set, is called for everything refused before a
	// transfer starts, with the peer and an error whose message is the
	// reason, as TFTP.OnRefuse is: a connection on arrival (banned
	// address, shutting down), a login (authentication failed, over
	// MaxConnections or MaxPerAddress, no handler for the user), a channel
	// (not a session, over MaxSessions), a request (not the sftp subsystem
	// nor an scp command) and a transfer asked for while shutting down. It
	// runs on the accept loop or the connection's goroutines and must
	// return quickly; a panic in it is recovered and logged.
	OnRefuse func(peer netip.AddrPort, err error)

	run runs[*sshServer]
}

// Defaults of the SSH fields, named as the TFTP ones: DefaultSSHIdleTimeout
// is what a zero SSH.IdleTimeout means, and so on (DefaultSSHMaxStartups
// for MaxStartups).
const (
	// DefaultSSHMaxAuthTries is SSH.MaxAuthTries.
	DefaultSSHMaxAuthTries = 6
	// DefaultSSHHandshakeTimeout is SSH.HandshakeTimeout.
	DefaultSSHHandshakeTimeout = 10 * time.Second
	// DefaultSSHIdleTimeout is SSH.IdleTimeout.
	DefaultSSHIdleTimeout = 10 * time.Minute
	// DefaultSSHKeepAliveInterval is SSH.KeepAliveInterval.
	DefaultSSHKeepAliveInterval = 30 * time.Second
	// DefaultSSHKeepAliveMax is SSH.KeepAliveMax.
	DefaultSSHKeepAliveMax = 3
	// DefaultSSHMaxConnections is SSH.MaxConnections.
	DefaultSSHMaxConnections = 100
	// DefaultSSHMaxPerAddress is SSH.MaxPerAddress.
	DefaultSSHMaxPerAddress = 10
	// DefaultSSHMaxSessions is SSH.MaxSessions.
	DefaultSSHMaxSessions = 10
	// DefaultSSHMaxHandles is SSH.MaxHandles.
	DefaultSSHMaxHandles = 64
	// DefaultSSHReadAhead is SSH.ReadAhead, in bytes.
	DefaultSSHReadAhead = 8 << 20
	// DefaultSSHReorderLimit is SSH.ReorderLimit, in bytes.
	DefaultSSHReorderLimit = 4 << 20
	// DefaultSSHMaxBuffered is SSH.MaxBuffered, in bytes.
	DefaultSSHMaxBuffered = 256 << 20
	// DefaultSSHSpoolMemory is SSH.SpoolMemory, in bytes.
	DefaultSSHSpoolMemory = 1 << 20
	// DefaultSSHMaxSpool is SSH.MaxSpool, in bytes.
	DefaultSSHMaxSpool = 1 << 30

	defaultSSHAddr = ":22"
)
