package daemon_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// newExampleSigner returns a fresh ed25519 key.
func newExampleSigner() ssh.Signer {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		log.Fatal(err)
	}
	return signer
}

// exampleGet copies the file name to w over SFTP on conn.
func exampleGet(conn *ssh.Client, name string, w io.Writer) {
	client, err := sftp.NewClient(conn)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	f, err := client.Open(name)
	if err != nil {
		log.Fatal(err)
	}
	_, _ = io.Copy(w, f)
	f.Close()
}

// A virtual file over SFTP: every name reads as a config rendered for it
// and for the SSH user who asked.
func ExampleSSH_Serve() {
	host, alice := newExampleSigner(), newExampleSigner()
	render := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		return strings.NewReader("hostname " + t.Name + " ! for " + t.User + "\n"), nil
	})
	d := &daemon.SSH{
		Handler:        render,
		HostKeys:       []ssh.Signer{host},
		AuthorizedKeys: []ssh.PublicKey{alice.PublicKey()},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ln) }()

	conn, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{
		User:            "alice",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(alice)},
		HostKeyCallback: ssh.FixedHostKey(host.PublicKey()),
	})
	if err != nil {
		log.Fatal(err)
	}
	exampleGet(conn, "/switches/sw-7.cfg", os.Stdout)
	conn.Close()

	_ = d.Shutdown(context.Background())
	fmt.Println(<-done)
	// Output:
	// hostname switches/sw-7.cfg ! for alice
	// daemon: server closed
}

// The host key is generated on the first start and kept in HostKeyFile,
// so that clients see the same key after a restart.
func ExampleSSH_ListenAndServe() {
	dir, err := os.MkdirTemp("", "filemux-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d := &daemon.SSH{
		ListenAddr:     "127.0.0.1:0", // a free port; ":22" serves the SSH port
		Handler:        behaviour.Bytes([]byte("firmware image\n")),
		HostKeyFile:    filepath.Join(dir, "ssh_host_ed25519_key"),
		AuthorizedKeys: []ssh.PublicKey{newExampleSigner().PublicKey()},
	}
	done := make(chan error, 1)
	go func() { done <- d.ListenAndServe() }()
	for !d.Addr().IsValid() {
		select {
		case err := <-done:
			log.Fatal(err)
		case <-time.After(time.Millisecond):
		}
	}
	fi, err := os.Stat(d.HostKeyFile)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("host key file mode:", fi.Mode().Perm())
	_ = d.Close()
	fmt.Println(<-done)
	// Output:
	// host key file mode: -rw-------
	// daemon: server closed
}

// The SSH server reports with the TFTP daemon's hooks: the same Stats for
// every ending, with the user, and OnRefuse for what it turns away.
func ExampleSSH_hooks() {
	host, alice, mallory := newExampleSigner(), newExampleSigner(), newExampleSigner()
	ended, refused := make(chan daemon.Stats, 1), make(chan error, 1)
	d := &daemon.SSH{
		Handler:        behaviour.Bytes([]byte("hostname sw-7\n")),
		HostKeys:       []ssh.Signer{host},
		AuthorizedKeys: []ssh.PublicKey{alice.PublicKey()},
		OnSuccess:      func(s daemon.Stats) { ended <- s },
		OnRefuse:       func(_ netip.AddrPort, err error) { refused <- err },
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = d.Serve(ln) }()
	defer d.Close()

	login := func(key ssh.Signer) (*ssh.Client, error) {
		return ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{
			User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
			HostKeyCallback: ssh.FixedHostKey(host.PublicKey()),
		})
	}
	if _, err := login(mallory); err != nil {
		fmt.Println("refused:", <-refused)
	}
	conn, err := login(alice)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	exampleGet(conn, "sw-7.cfg", io.Discard)
	s := <-ended
	fmt.Printf("%s %s by %s: %v, %d bytes\n", s.Protocol, s.Name, s.User, s.Outcome, s.Bytes)
	// Output:
	// refused: authentication failed: daemon: ssh authentication refused
	// sftp sw-7.cfg by alice: success, 14 bytes
}
