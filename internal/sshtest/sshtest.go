// Package sshtest runs scripted SSH servers on loopback for tests: a
// server that says what a test wants on an exec channel, however wrong, to
// check that a client refuses it.
package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
