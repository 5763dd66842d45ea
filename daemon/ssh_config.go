package daemon

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/sshalgo"
	"github.com/filemux/filemux/internal/sshkeys"
	"golang.org/x/crypto/ssh"
)

// sshSettings are the SSH fields with their defaults applied and the key
// files loaded, fixed when serving starts.
type sshSettings struct {
	handler      behaviour.Handler
	handlerFor   func(string) behaviour.Handler
	log          *slog.Logger
	ssh          *ssh.ServerConfig
	creds        *sshCreds // what ssh's callbacks check, swapped by ReloadAuth
	handshake    time.Duration
	idle         time.Duration // 0: never
	keepAlive    time.Duration // 0: never
	keepAliveMax int
	maxConns     int
	maxPerAddr   int
	maxSessions  int
	maxHandles   int
	names        behaviour.NamePolicy
	maxSize      int64
	readAhead    int
	reorder      int
	maxBuffered  int64
	spoolMemory  int
	spoolDir     string
	maxSpool     int64
	hooks
	guard sshGuardSettings
}

// settings applies the defaults to the validated fields, loads or
// generates the host keys and loads the authentication files.
func (d *SSH) settings() (*sshSettings, error) {
	s := &sshSettings{
		handler:      d.Handler,
		handlerFor:   d.HandlerFor,
		log:          d.Logger,
		handshake:    orNone(d.HandshakeTimeout, DefaultSSHHandshakeTimeout),
		idle:         orNone(d.IdleTimeout, DefaultSSHIdleTimeout),
		keepAlive:    orNone(d.KeepAliveInterval, DefaultSSHKeepAliveInterval),
		keepAliveMax: orDefault(d.KeepAliveMax, DefaultSSHKeepAliveMax),
		maxConns:     orDefault(d.MaxConnections, DefaultSSHMaxConnections),
		maxPerAddr:   orDefault(d.MaxPerAddress, DefaultSSHMaxPerAddress),
		maxSessions:  orDefault(d.MaxSessions, DefaultSSHMaxSessions),
		maxHandles:   orDefault(d.MaxHandles, DefaultSSHMaxHandles),
		names:        behaviour.NamePolicy{MaxLen: d.MaxNameLen},
		maxSize:      d.MaxSize,
		readAhead:    orDefault(d.ReadAhead, DefaultSSHReadAhead),
		reorder:      orDefault(d.ReorderLimit, DefaultSSHReorderLimit),
		maxBuffered:  orDefault(d.MaxBuffered, DefaultSSHMaxBuffered),
		spoolMemory:  orDefault(d.SpoolMemory, DefaultSSHSpoolMemory),
		spoolDir:     d.SpoolDir,
		maxSpool:     orDefault(d.MaxSpool, DefaultSSHMaxSpool),
		hooks:        hooks{d.OnRequest, d.OnSuccess, d.OnFailure, d.OnRefuse},
		guard:        d.guardSettings(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.spoolDir == "" {
		s.spoolDir = os.TempDir()
	}
	auth, err := d.authenticator()
	if err != nil {
		return nil, err
	}
	hostKeys, err := d.hostKeys(s.log)
	if err != nil {
		return nil, err
	}
	s.creds = d.newSSHCreds(auth)
	s.ssh = d.serverConfig(s.creds, hostKeys)
	return s, nil
}

// ListenAndServe listens on the TCP address d.ListenAddr (":22" when empty)
// and serves until Shutdown or Close; see Serve.
func (d *SSH) ListenAndServe() error {
	return listenAndServe(d.ListenAddr, defaultSSHAddr, d.validate, listenTCP, d.Serve)
}

func (d *SSH) validate() error {
	c := checks{prefix: "daemon: SSH."}
	c.check(d.Handler == nil && d.HandlerFor == nil, "Handler is nil")
	c.check(d.HostKeyFile == "" && d.RSAHostKeyFile == "" && len(d.HostKeys) == 0, "HostKeyFile, RSAHostKeyFile or HostKeys is required")
	c.check(d.AuthorizedKeysFile == "" && len(d.AuthorizedKeys) == 0 && len(d.UserKeys) == 0 &&
		d.PasswordFile == "" && len(d.Passwords) == 0, "no way to authenticate: set AuthorizedKeysFile, AuthorizedKeys, UserKeys, PasswordFile or Passwords")
	c.check(d.MaxAuthTries < 0, "MaxAuthTries %d is negative", d.MaxAuthTries)
	c.check(d.HandshakeTimeout < 0, "HandshakeTimeout %v is negative", d.HandshakeTimeout)
	c.check(d.KeepAliveMax < 0, "KeepAliveMax %d is negative", d.KeepAliveMax)
	c.check(d.MaxConnections < 0, "MaxConnections %d is negative", d.MaxConnections)
	c.check(d.MaxPerAddress < 0, "MaxPerAddress %d is negative", d.MaxPerAddress)
	c.check(d.MaxSessions < 0, "MaxSessions %d is negative", d.MaxSessions)
	c.check(d.MaxHandles < 0, "MaxHandles %d is negative", d.MaxHandles)
	c.check(d.MaxNameLen < 0, "MaxNameLen %d is negative", d.MaxNameLen)
	c.check(d.MaxSize < 0, "MaxSize %d is negative", d.MaxSize)
	c.check(d.ReadAhead < 0 || (d.ReadAhead > 0 && d.ReadAhead < sftpMinWindow), "ReadAhead %d is below %d", d.ReadAhead, sftpMinWindow)
	c.check(d.ReorderLimit < 0, "ReorderLimit %d is negative", d.ReorderLimit)
	c.check(d.MaxBuffered < 0, "MaxBuffered %d is negative", d.MaxBuffered)
	c.check(d.SpoolMemory < 0, "SpoolMemory %d is negative", d.SpoolMemory)
	c.check(d.MaxSpool < 0, "MaxSpool %d is negative", d.MaxSpool)
	for _, k := range d.HostKeys {
		c.check(k == nil, "HostKeys holds a nil key")
	}
	d.checkGuard(&c)
	return c.err()
}

// hostKeys loads (or generates) the key files and adds HostKeys.
func (d *SSH) hostKeys(log *slog.Logger) ([]ssh.Signer, error) {
	keys := append([]ssh.Signer(nil), d.HostKeys...)
	for _, f := range []struct {
		path string
		kind sshkeys.Kind
	}{{d.HostKeyFile, sshkeys.Ed25519}, {d.RSAHostKeyFile, sshkeys.RSA}} {
		if f.path == "" {
			continue
		}
		signer, created, err := sshkeys.LoadOrGenerate(f.path, f.kind)
		if err != nil {
			return nil, fmt.Errorf("daemon: SSH host key: %w", err)
		}
		if created {
			log.Warn("ssh host key generated", "file", f.path, "kind", f.kind.String(),
				"fingerprint", ssh.FingerprintSHA256(signer.PublicKey()))
		}
		keys = append(keys, signer)
	}
	for i, k := range keys {
		restricted, err := sshalgo.HostKey(k, d.LegacyAlgorithms)
		if err != nil {
			return nil, err
		}
		keys[i] = restricted
	}
	return keys, nil
}

// serverConfig builds the x/crypto configuration with the algorithms of
// internal/sshalgo: modern ones only, unless LegacyAlgorithms asks for more.
func (d *SSH) serverConfig(creds *sshCreds, hostKeys []ssh.Signer) *ssh.ServerConfig {
	algs := sshalgo.Server(d.LegacyAlgorithms)
	cfg := &ssh.ServerConfig{
		Config: ssh.Config{
			KeyExchanges: algs.KeyExchanges,
			Ciphers:      algs.Ciphers,
			MACs:         algs.MACs,
		},
		PublicKeyAuthAlgorithms: algs.PublicKeyAuths,
		MaxAuthTries:            orDefault(d.MaxAuthTries, DefaultSSHMaxAuthTries),
		ServerVersion:           "SSH-2.0-filemux",
	}
	creds.install(cfg)
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}
