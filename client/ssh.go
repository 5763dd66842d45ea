package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults of the SSH fields.
const (
	DefaultSSHPort        = 22
	DefaultConnectTimeout = 15 * time.Second
)

// SSH says how to reach and log in to one SSH server, and which host keys
// to trust. It holds no connection: each transfer dials its own.
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
	// ConnectTimeout bounds the TCP connection and the SSH handshake with
	// authentication; 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
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

// auth returns the authentication methods the fields ask for.
func (s *SSH) auth() ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if s.IdentityFile != "" {
		signer, err := s.signer()
		if err != nil {
			return nil, err
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if s.Password != "" {
		pw := s.Password
		methods = append(methods, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if len(methods) == 0 {
		return nil, errors.New("client: SSH needs a Password or an IdentityFile")
	}
	return methods, nil
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
	methods, err := s.auth()
	if err != nil {
		return nil, err
	}
	addr := s.address()
	hk := &hostKeys{file: s.knownHosts(), accept: s.AcceptNewHostKey}
	cfg := &ssh.ClientConfig{User: s.User, Auth: methods, HostKeyCallback: hk.check, HostKeyAlgorithms: hk.algorithms(addr)}
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
		return nil, hk.classify(err)
	}
	return ssh.NewClient(c, chans, reqs), nil
}
