package config

import "time"

// SFTP configures the SSH server that serves SFTP and SCP: one listener
// per address, all serving the same routes. Public keys, passwords, or
// both authenticate users; never nobody.
type SFTP struct {
	// Listen are the TCP addresses to serve on, "host:port". At least one
	// is required.
	Listen []string `yaml:"listen"`
	// HostKey is the server's ed25519 host key in OpenSSH format,
	// generated (mode 0600) on the first start when missing. Required.
	HostKey string `yaml:"host_key"`
	// RSAHostKey is an optional RSA host key for old clients, generated
	// when missing.
	RSAHostKey string `yaml:"rsa_host_key"`
	// AuthorizedKeys is an OpenSSH authorized_keys file: a listed key may
	// log in under any user name. from= restrictions are enforced. A
	// reload (SIGHUP, POST /reload) reads it again: a removed key is
	// refused from then on and its open connections are closed; a file
	// that does not load refuses the reload.
	AuthorizedKeys string `yaml:"authorized_keys"`
	// PasswordFile holds "user:bcrypt-hash" lines (htpasswd -B). At least
	// one of authorized_keys and password_file is required. A reload reads
	// it again, as it does authorized_keys: the connections of a user whose
	// line was removed or changed are closed.
	PasswordFile string `yaml:"password_file"`
	// LegacyAlgorithms enables the SHA-1 and CBC algorithms old network
	// gear needs and modern clients do not (never RC4). Off unless you need
	// it.
	LegacyAlgorithms bool `yaml:"legacy_algorithms"`
	// MaxAuthTries bounds the authentication attempts of a connection.
	MaxAuthTries int `yaml:"max_auth_tries"`
	// HandshakeTimeout bounds the key exchange and authentication.
	HandshakeTimeout Duration `yaml:"handshake_timeout"`
	// IdleTimeout closes a connection that moved no data for this long;
	// 0 never does.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// KeepAliveInterval is how often a client is asked whether it is
	// alive; 0 never asks.
	KeepAliveInterval Duration `yaml:"keepalive_interval"`
	// KeepAliveMax is the number of unanswered keepalives tolerated.
	KeepAliveMax int `yaml:"keepalive_max"`
	// MaxConnections bounds the connections served at once.
	MaxConnections int `yaml:"max_connections"`
	// MaxPerAddress bounds the connections from one client address.
	MaxPerAddress int `yaml:"max_per_address"`
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
	SpoolDir string `yaml:"spool_dir"`
	// MaxSpool bounds an SCP download of unknown size.
	MaxSpool Size `yaml:"max_spool"`
}

// The defaults of the SSH server, as daemon.SSH documents them. They are
// repeated here, rather than read from the daemon, so that the reference
// of the configuration can show them.
func (s *SFTP) defaults() {
	s.MaxAuthTries = 6
	s.HandshakeTimeout = Duration(30 * time.Second)
	s.IdleTimeout = Duration(10 * time.Minute)
	s.KeepAliveInterval = Duration(30 * time.Second)
	s.KeepAliveMax = 3
	s.MaxConnections = 100
	s.MaxPerAddress = 10
	s.MaxSessions = 10
	s.MaxHandles = 64
	s.ReadAhead = 8 << 20
	s.ReorderLimit = 4 << 20
	s.SpoolMemory = 1 << 20
	s.MaxSpool = 1 << 30
}
