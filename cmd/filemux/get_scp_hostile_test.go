package main

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

// hostileSCPServer starts an SSH server on loopback that takes any
// password and answers the client's go-ahead of every exec request with
// out. It returns its address and a known_hosts file naming its key.
func hostileSCPServer(t *testing.T, out string) (string, string) {
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
			go answerSCP(conn, cfg, out)
		}
	}()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	host := "[127.0.0.1]:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	writeFile(t, kh, []byte(host+" "+string(ssh.MarshalAuthorizedKey(signer.PublicKey()))))
	return ln.Addr().String(), kh
}

func answerSCP(conn net.Conn, cfg *ssh.ServerConfig, out string) {
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
				_ = req.Reply(req.Type == "exec", nil)
				if req.Type != "exec" {
					continue
				}
				var b [1]byte
				if _, err := io.ReadFull(ch, b[:]); err == nil {
					_, _ = io.WriteString(ch, out)
					_, _ = io.Copy(io.Discard, ch)
				}
				_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, 1))
				ch.Close()
			}
		}()
	}
}

// A server that sends another file than the one asked for: the command
// refuses it with the status of a server that broke the protocol, and
// writes nothing, neither at the local path nor where the name points.
func TestGetSCPHostileServer(t *testing.T) {
	for _, out := range []string{"C0644 5 ../evil.cfg\nhello\x00", "C0644 5 other.cfg\nhello\x00", "D0755 0 x.cfg\n", "C0644 5 x.cfg\x1b[2J\nhello\x00"} {
		addr, kh := hostileSCPServer(t, out)
		base := t.TempDir()
		work := filepath.Join(base, "work")
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		pw := filepath.Join(t.TempDir(), "password")
		writeFile(t, pw, []byte("any\n"))
		o := filemux(t, work, nil, "get", "--password-file", pw, "--known-hosts", kh, "scp://u@"+addr+"/dir/x.cfg").expect(t, statusServer)
		if strings.ContainsRune(o.stderr, '\x1b') {
			t.Errorf("stderr passes control characters on: %q", o.stderr)
		}
		for _, dir := range []string{base, work} {
			entries, _ := os.ReadDir(dir)
			if want := map[string]int{base: 1, work: 0}[dir]; len(entries) != want {
				t.Fatalf("%q: left in %s: %v", out, dir, entries)
			}
		}
	}
}
