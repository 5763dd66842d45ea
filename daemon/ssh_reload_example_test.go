package daemon_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"golang.org/x/crypto/ssh"
)

// Revoking a key: remove it from the authorized_keys file and call
// ReloadAuth (filemux serve does on SIGHUP). The key no longer logs in,
// and the connections it opened are closed.
func ExampleSSH_ReloadAuth() {
	dir, err := os.MkdirTemp("", "filemux-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	host, alice := newExampleSigner(), newExampleSigner()
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, ssh.MarshalAuthorizedKey(alice.PublicKey()), 0o600); err != nil {
		log.Fatal(err)
	}
	d := &daemon.SSH{Handler: behaviour.Bytes([]byte("x")), HostKeys: []ssh.Signer{host}, AuthorizedKeysFile: keys}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = d.Serve(ln) }()
	login := func() (*ssh.Client, error) {
		return ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{User: "alice",
			Auth: []ssh.AuthMethod{ssh.PublicKeys(alice)}, HostKeyCallback: ssh.FixedHostKey(host.PublicKey())})
	}
	conn, err := login()
	fmt.Println("before: logged in", err == nil)

	if err := os.WriteFile(keys, nil, 0o600); err != nil { // alice's key removed
		log.Fatal(err)
	}
	fmt.Println("reload:", d.ReloadAuth())
	_, err = login()
	fmt.Println("after: logged in", err == nil)
	fmt.Println("open connection closed:", conn.Wait() != nil)
	_ = d.Shutdown(context.Background())
	// Output:
	// before: logged in true
	// reload: <nil>
	// after: logged in false
	// open connection closed: true
}
