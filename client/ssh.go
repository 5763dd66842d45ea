package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Defaults of the SSH fields.
const (
	DefaultSSHPort        = 22
	DefaultConnectTimeout = 15 * time.Second
)

// SSH says how to reach and log in to one SSH server, and which host keys
// to trust. It holds no connection: each transfer dials its own.
//
// Credentials are offered in this order: the IdentityFile's key, the
// ssh-agent's keys (when Agent is set), then the Password. At least one
// must be given. The agent is never used unless asked for, so that a
// library caller's login does not depend on its environment (the filemux
// command asks for it when given neither a key nor a password, as ssh
// does).
//
// Only algorithms x/crypto considers secure are offered, and of those no
// SHA-1 one (hmac-sha1), unless LegacyAlgorithms is set.
//
// The host key is always checked against KnownHostsFile. A key the file
// does not name ([ErrHostKeyUnknown]) or names differently
// ([ErrHostKeyMismatch]) is refused; only AcceptNewHostKey lets an unknown
// key in, and then it is appended to the file. A changed key is never
// accepted.
type SSH struct {
	// Addr is the server: "host:port", or "host" for port 22.
	Addr string
	// User is the user name to log in as.
	User string
	// Password, when not empty, is offered for password and
	// keyboard-interactive authentication.
	Password string
	// IdentityFile, when not empty, is a private key file in OpenSSH or
	// PEM format; Passphrase decrypts it when it is encrypted.
	IdentityFile string
	Passphrase   []byte
	// KnownHostsFile is the known_hosts file the host key is checked
	// against; empty means ~/.ssh/known_hosts.
	KnownHostsFile string
	// AcceptNewHostKey accepts a host key that KnownHostsFile does not
	// name for the host, and appends it to the file (OpenSSH's
	// StrictHostKeyChecking=accept-new).
	AcceptNewHostKey bool
	// Agent offers the keys of the ssh-agent listening at AgentSocket, or
	// at $SSH_AUTH_SOCK when AgentSocket is empty.
	Agent       bool
	AgentSocket string
	// LegacyAlgorithms also offers what old network devices need and
	// OpenSSH has disabled: the diffie-hellman-group1-sha1,
	// group14-sha1 and group-exchange-sha1 key exchanges, the aes128-cbc
	// and 3des-cbc ciphers, hmac-sha1 and hmac-sha1-96, and ssh-rsa
	// (SHA-1) signatures for host keys and for the client's own RSA key:
	// the same set as the server's LegacyAlgorithms. They are weak: ask for
	// them only for the devices that need them. RC4 is never offered.
	LegacyAlgorithms bool
	// ConnectTimeout bounds the TCP connection and the SSH handshake with
	// authentication; 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// TransferTimeout, when positive, bounds a whole transfer, from
	// dialing to the end, which then fails with ErrTimeout. 0 means no
	// limit (ctx may still bound it).
	TransferTimeout time.Duration
}

// address returns Addr with the default port when it names none.
func (s *SSH) address() string {
	if _, _, err := net.SplitHostPort(s.Addr); err == nil {
		return s.Addr
	}
	return net.JoinHostPort(s.Addr, strconv.Itoa(DefaultSSHPort))
}

func (s *SSH) connectTimeout() time.Duration {
	if s.ConnectTimeout > 0 {
		return s.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// auth returns the authentication methods the fields ask for, and the
// ssh-agent's connection (nil without Agent), to close after the handshake.
// The key file's and the agent's keys go into one publickey method:
// x/crypto tries each method name once, so a second one would be skipped.
func (s *SSH) auth() ([]ssh.AuthMethod, io.Closer, error) {
	var keys []ssh.Signer
	if s.IdentityFile != "" {
		signer, err := s.signer()
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, signer)
	}
	var ag agent.ExtendedAgent
	var agentConn io.Closer
	if s.Agent {
		var err error
		if ag, agentConn, err = s.agent(); err != nil {
			return nil, nil, err
		}
	}
	var methods []ssh.AuthMethod
	if len(keys) > 0 || ag != nil {
		methods = append(methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			return s.offer(keys, ag)
		}))
	}
	if s.Password != "" {
		methods = append(methods, ssh.Password(s.Password), ssh.KeyboardInteractive(s.answer))
	}
	if len(methods) == 0 {
		return nil, nil, errors.New("client: SSH needs a Password, an IdentityFile or the Agent")
	}
	return methods, agentConn, nil
}

// answer gives the password to every keyboard-interactive question, which
// is how servers that only speak keyboard-interactive ask for it.
func (s *SSH) answer(_, _ string, questions []string, _ []bool) ([]string, error) {
	answers := make([]string, len(questions))
	for i := range answers {
		answers[i] = s.Password
	}
	return answers, nil
}

func (s *SSH) signer() (ssh.Signer, error) {
	pem, err := os.ReadFile(s.IdentityFile)
	if err != nil {
		return nil, err
	}
	if len(s.Passphrase) > 0 {
		return ssh.ParsePrivateKeyWithPassphrase(pem, s.Passphrase)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("client: %s is encrypted and no Passphrase was given", s.IdentityFile)
	}
	return signer, err
}

// dial connects and logs in. Cancelling ctx during the handshake closes the
// connection; the returned client outlives ctx.
func (s *SSH) dial(ctx context.Context) (*ssh.Client, error) {
	methods, agentConn, err := s.auth()
	if err != nil {
		return nil, err
	}
	if agentConn != nil {
		defer agentConn.Close()
	}
	addr := s.address()
	hk := &hostKeys{file: s.knownHosts(), accept: s.AcceptNewHostKey}
	cfg, err := s.clientConfig(methods, hk, hk.algorithms(addr))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.connectTimeout())
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !stop() && err == nil {
		c.Close()
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.legacyHint(hk.classify(err))
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// legacyHint points at LegacyAlgorithms when the server and the client
// share no algorithm, which is what an old device looks like.
func (s *SSH) legacyHint(err error) error {
	if s.LegacyAlgorithms || !strings.Contains(err.Error(), "no common algorithm") {
		return err
	}
	return fmt.Errorf("%w (an old server may need LegacyAlgorithms, --legacy-algorithms)", err)
}

// transferContext bounds ctx by TransferTimeout; the deadline's cause is
// ErrTimeout, read with context.Cause.
func (s *SSH) transferContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.TransferTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	cause := fmt.Errorf("%w: the transfer took longer than %v", ErrTimeout, s.TransferTimeout)
	return context.WithTimeoutCause(ctx, s.TransferTimeout, cause)
}
