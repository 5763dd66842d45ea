package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/filemux/filemux/client"
)

// sftpFlags are the flags of get and put with an sftp:// URL.
type sftpFlags struct {
	identity, passwordFile, knownHosts string
	acceptNew, quiet, agent, legacy    bool
	resume                             bool
	timeout, transferTimeout           seconds
	concurrency, chunk                 int
	sha256                             string
	maxSize                            byteSize
	fsync                              bool
}

func (f *sftpFlags) register(fs *flag.FlagSet, download bool) {
	fs.StringVar(&f.identity, "identity", "", "log in with the private key in `FILE`")
	fs.StringVar(&f.passwordFile, "password-file", "", "log in with the password in `FILE` (its first line)")
	fs.StringVar(&f.knownHosts, "known-hosts", "", "check the host key against `FILE` (default ~/.ssh/known_hosts)")
	fs.BoolVar(&f.acceptNew, "accept-new-host-key", false, "accept a host key the known-hosts file does not name, and add it; a changed key is still refused")
	fs.BoolVar(&f.agent, "agent", false, "log in with the keys of the ssh-agent at $SSH_AUTH_SOCK (the default when neither --identity nor --password-file is given and SSH_AUTH_SOCK is set)")
	fs.BoolVar(&f.legacy, "legacy-algorithms", false, "also offer the weak algorithms old devices need (SHA-1 key exchanges and signatures, CBC ciphers)")
	fs.Var(&f.transferTimeout, "transfer-timeout", "give up when the whole transfer takes longer than `T` (default: no limit)")
	fs.Var(&f.timeout, "timeout", "give up connecting and logging in after `T` (seconds, or a duration like 500ms; default 15s), and a transfer when no data moves for T")
	fs.IntVar(&f.concurrency, "concurrency", 0, "keep `N` requests in flight (default: 2 MiB worth, 64 of 32768 bytes)")
	fs.IntVar(&f.chunk, "chunk-size", 0, "move `BYTES` per request (default 32768, or 261120 with OpenSSH's server)")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	if !download {
		fs.BoolVar(&f.resume, "resume", false, "send only what the remote file lacks: its bytes are taken as LOCAL's first ones")
	}
	if download {
		fs.StringVar(&f.sha256, "sha256", "", "fail unless the file's SHA-256 is `HEX`; nothing is written then")
		fs.Var(&f.maxSize, "max-size", "refuse a file larger than `SIZE` (bytes, or with a K, M or G suffix)")
		fs.BoolVar(&f.fsync, "fsync", false, "flush LOCAL to disk before it is renamed into place")
	}
}

// client builds the SFTP client for u.
func (f *sftpFlags) client(u sftpURL) (*client.SFTP, error) {
	c := &client.SFTP{
		SSH: client.SSH{
			Addr: u.addr, User: u.user, IdentityFile: f.identity, KnownHostsFile: f.knownHosts,
			AcceptNewHostKey: f.acceptNew, ConnectTimeout: time.Duration(f.timeout),
			Agent: f.useAgent(), LegacyAlgorithms: f.legacy, TransferTimeout: time.Duration(f.transferTimeout),
		},
		IdleTimeout: time.Duration(f.timeout),
		Concurrency: f.concurrency, ChunkSize: f.chunk, MaxSize: int64(f.maxSize), Fsync: f.fsync,
	}
	if c.User == "" {
		me, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("no user in the URL, and no current user: %w", err)
		}
		c.User = me.Username
	}
	if f.identity == "" && f.passwordFile == "" && !c.Agent {
		return nil, errors.New("give --identity, --password-file or --agent (with an ssh-agent at SSH_AUTH_SOCK)")
	}
	var err error
	if f.passwordFile != "" {
		c.Password, err = readPassword(f.passwordFile)
	}
	if err == nil && f.sha256 != "" {
		c.Verify, err = client.ParseChecksum(client.SHA256, f.sha256)
	}
	return c, err
}

// useAgent reports whether to log in with the ssh-agent: when asked, or,
// as ssh does, when no other credential is given and an agent is running.
func (f *sftpFlags) useAgent() bool {
	return f.agent || (f.identity == "" && f.passwordFile == "" && os.Getenv("SSH_AUTH_SOCK") != "")
}

// readPassword returns the first line of the file.
func readPassword(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}
