package daemon_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"golang.org/x/crypto/ssh"
)

// MaxStartups is written as OpenSSH writes it.
func ExampleParseSSHStartups() {
	for _, s := range []string{"10:30:100", "20", "100:30:10", "10:30"} {
		v, err := daemon.ParseSSHStartups(s)
		fmt.Println(v, err)
	}
	// Output:
	// 10:30:100 <nil>
	// 20:100:20 <nil>
	// 0:0:0 daemon: max startups 100:30:10: want 1 <= start <= full and a rate of 0 to 100
	// 0:0:0 daemon: max startups "10:30" is not start:rate:full or a number
}

// Guard shows an attack: here, a wrong password bans its address at once
// (BanThreshold 1), and the address's next connection is closed unanswered.
func ExampleSSH_Guard() {
	host := newExampleSigner()
	d := &daemon.SSH{
		Handler:      behaviour.Bytes(nil),
		HostKeys:     []ssh.Signer{host},
		Passwords:    map[string]string{"ops": "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"},
		BanThreshold: 1,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ln) }()
	cfg := &ssh.ClientConfig{
		User: "ops", Auth: []ssh.AuthMethod{ssh.Password("guess")},
		HostKeyCallback: ssh.FixedHostKey(host.PublicKey()), Timeout: 10 * time.Second,
	}
	_, err = ssh.Dial("tcp", ln.Addr().String(), cfg)
	fmt.Println("guess:", err != nil)
	_, err = ssh.Dial("tcp", ln.Addr().String(), cfg)
	fmt.Println("next connection refused:", err != nil)
	g := d.Guard()
	fmt.Println("failed logins:", g.FailedLogins, "bans:", g.Bans, "banned now:", g.Banned)
	_ = d.Shutdown(context.Background())
	fmt.Println(<-done)
	// Output:
	// guess: true
	// next connection refused: true
	// failed logins: 1 bans: 1 banned now: 1
	// daemon: server closed
}
