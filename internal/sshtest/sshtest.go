// Package sshtest holds SSH helpers for tests: scripted SSH servers on
// loopback (a server that says what a test wants on an exec channel,
// however wrong, to check that a client refuses it) and OpenSSH's
// ssh-agent loaded with keys.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/internal/peers"
	"golang.org/x/crypto/ssh"
)

// Script is what a scripted server does with the channel of one exec
// request: it gets the command line and the channel. The server then
// reports exit status 1 and closes the channel.
type Script func(command string, ch ssh.Channel)

// Server starts an SSH server on 127.0.0.1 that accepts any user and
// password and runs script for every exec request. It returns the server's
// address and a known_hosts file naming its host key; the server stops
// when the test ends.
func Server(t testing.TB, script Script) (addr, knownHosts string) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(conn, cfg, script)
		}
	}()
	knownHosts = filepath.Join(t.TempDir(), "known_hosts")
	line := "[127.0.0.1]:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:") + " " + string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	if err := os.WriteFile(knownHosts, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	return ln.Addr().String(), knownHosts
}

func serve(conn net.Conn, cfg *ssh.ServerConfig, script Script) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, requests, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for req := range requests {
				if req.Type != "exec" || len(req.Payload) < 4 {
					_ = req.Reply(false, nil)
					continue
				}
				_ = req.Reply(true, nil)
				script(string(req.Payload[4:]), ch)
				_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 1))
				ch.Close()
			}
		}()
	}
}

// Sends is the script of an SCP source gone wrong: it waits for the
// client's go-ahead, sends out, then reads what the client says until it
// closes the channel or a second passes.
func Sends(out string) Script {
	return func(_ string, ch ssh.Channel) {
		var b [1]byte
		if _, err := io.ReadFull(ch, b[:]); err != nil {
			return
		}
		_, _ = io.WriteString(ch, out)
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, ch); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
}

// Agent runs OpenSSH's ssh-agent on a socket of its own until the test
// ends, loads keys (private key files) with ssh-add, and returns the
// socket. Without ssh-agent the test is skipped, or fails under CI=true.
func Agent(t testing.TB, keys ...string) string {
	t.Helper()
	path, err := exec.LookPath("ssh-agent")
	if err != nil {
		if peers.Strict() {
			t.Fatalf("ssh-agent is required with CI=true: %v (.ci/run installs openssh-client)", err)
		}
		t.Skipf("skipping, ssh-agent is not available: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	cmd := exec.Command(path, "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The agent binds its socket before it listens: wait until it accepts
	// a connection, not just until the file exists.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("unix", sock)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent does not accept connections on %s: %v", sock, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, key := range keys {
		add := exec.Command("ssh-add", key)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add %s: %v: %s", key, err, out)
		}
	}
	return sock
}
