package config

import "github.com/filemux/filemux/daemon"

// SFTP configures the SSH server that serves SFTP and SCP: one listener
// per address, all serving the same routes. Public keys, passwords, or
// both authenticate users; never nobody.
type SFTP struct {
	// Listen are the TCP addresses to serve on, "host:port". At least one
	// is required.
	Listen []string `yaml:"listen" daemon:"-"`
	// HostKey is the server's ed25519 host key in OpenSSH format,
	// generated (mode 0600) on the first start when missing. Required.
	HostKey string `yaml:"host_key" daemon:"HostKeyFile,path"`
	// RSAHostKey is an optional RSA host key for old clients, generated
	// when missing.
	RSAHostKey string `yaml:"rsa_host_key" daemon:"RSAHostKeyFile,path"`
	// AuthorizedKeys is an OpenSSH authorized_keys file: a listed key may
	// log in under any user name. from= restrictions are enforced. A
	// reload (SIGHUP, POST /reload) reads it again: a removed key is
	// refused from then on and its open connections are closed; a file
	// that does not load refuses the reload.
	AuthorizedKeys string `yaml:"authorized_keys" daemon:"AuthorizedKeysFile,path"`
	// PasswordFile holds "user:bcrypt-hash" lines (htpasswd -B). At least
	// one of authorized_keys and password_file is required. A reload reads
	// it again, as it does authorized_keys: the connections of a user whose
	// line was removed or changed are closed.
	PasswordFile string `yaml:"password_file" daemon:",path"`
	// LegacyAlgorithms enables the SHA-1 and CBC algorithms old network
	// gear needs and modern clients do not (never RC4). Off unless you need
	// it.
	LegacyAlgorithms bool `yaml:"legacy_algorithms"`
	// MaxAuthTries bounds the authentication attempts of a connection.
	MaxAuthTries int `yaml:"max_auth_tries"`
	// HandshakeTimeout bounds the key exchange and authentication: the
	// longest a connection that never logs in holds a pre-auth slot.
	// Enough for scripts and network devices; give people who type a
	// password at a prompt a minute.
	HandshakeTimeout Duration `yaml:"handshake_timeout"`
	// IdleTimeout closes a connection that moved no data for this long;
	// off never does.
	IdleTimeout Interval `yaml:"idle_timeout"`
	// KeepAliveInterval is how often a client is asked whether it is
	// alive; off never asks.
	KeepAliveInterval Interval `yaml:"keepalive_interval"`
	// KeepAliveMax is the number of unanswered keepalives tolerated.
	KeepAliveMax int `yaml:"keepalive_max"`
	// MaxConnections bounds the logged-in connections served at once; a
	// login over it has its session refused with "too many connections".
	// Connections that have not logged in yet count against max_startups
	// instead.
	MaxConnections int `yaml:"max_connections"`
	// MaxPerAddress bounds the logged-in connections from one client
	// address, as max_connections does.
	MaxPerAddress int `yaml:"max_per_address"`
	// MaxStartups bounds the connections that have not logged in yet,
	// "start:rate:full" as OpenSSH's MaxStartups: past start, each new
	// connection sheds one held, with a chance rising from rate percent to
	// 100 at full. The one shed is never the newcomer but the idlest
	// unauthenticated connection of the address holding the most, so a
	// login gets through a flood of silent connections, even from the
	// flood's address.
	MaxStartups Startups `yaml:"max_startups"`
	// BanThreshold is the number of failed logins from one address within
	// ban_window that ban it for ban_duration: its new connections are
	// closed on arrival. A wrong password scores one; refused keys score
	// one per connection that never logs in; connections that never try
	// to log in score nothing. off never bans.
	BanThreshold Count `yaml:"ban_threshold"`
	// BanWindow is how long a failed login counts toward ban_threshold.
	BanWindow Duration `yaml:"ban_window"`
	// BanDuration is how long a ban lasts.
	BanDuration Duration `yaml:"ban_duration"`
	// MaxSessions bounds the sessions (each one sftp or scp) of a
	// connection.
	MaxSessions int `yaml:"max_sessions"`
	// MaxHandles bounds the files open at once in one SFTP session.
	MaxHandles int `yaml:"max_handles"`
	// MaxSize bounds an upload; 0 means no limit.
	MaxSize Size `yaml:"max_size"`
	// ReadAhead is the SFTP read window of a route whose handler has no
	// random access.
	ReadAhead Size `yaml:"read_ahead"`
	// ReorderLimit bounds the out-of-order SFTP write data buffered for a
	// route whose handler has no random access.
	ReorderLimit Size `yaml:"reorder_limit"`
	// SpoolMemory is how much of an SCP download of unknown size is kept
	// in memory before the rest goes to a temporary file.
	SpoolMemory Size `yaml:"spool_memory"`
	// SpoolDir holds those temporary files; empty means the system's
	// temporary directory.
	SpoolDir string `yaml:"spool_dir" daemon:",path"`
	// MaxSpool bounds an SCP download of unknown size.
	MaxSpool Size `yaml:"max_spool"`
}

// The defaults of the SSH server are the daemon's, set before the file's
// values so that the reference of the configuration can show them.
func (s *SFTP) defaults() {
	s.MaxAuthTries = daemon.DefaultSSHMaxAuthTries
	s.HandshakeTimeout = Duration(daemon.DefaultSSHHandshakeTimeout)
	s.IdleTimeout = Interval(daemon.DefaultSSHIdleTimeout)
	s.KeepAliveInterval = Interval(daemon.DefaultSSHKeepAliveInterval)
	s.KeepAliveMax = daemon.DefaultSSHKeepAliveMax
	s.MaxConnections = daemon.DefaultSSHMaxConnections
	s.MaxPerAddress = daemon.DefaultSSHMaxPerAddress
	s.MaxStartups = Startups{daemon.DefaultSSHMaxStartups}
	s.BanThreshold = daemon.DefaultSSHBanThreshold
	s.BanWindow = Duration(daemon.DefaultSSHBanWindow)
	s.BanDuration = Duration(daemon.DefaultSSHBanDuration)
	s.MaxSessions = daemon.DefaultSSHMaxSessions
	s.MaxHandles = daemon.DefaultSSHMaxHandles
	s.ReadAhead = daemon.DefaultSSHReadAhead
	s.ReorderLimit = daemon.DefaultSSHReorderLimit
	s.SpoolMemory = daemon.DefaultSSHSpoolMemory
	s.MaxSpool = daemon.DefaultSSHMaxSpool
}
