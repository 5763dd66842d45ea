package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	pin "github.com/pin/tftp/v3"
)

// fetch reads a file from a TFTP server with pin/tftp's client.
func fetch(addr, name string, w io.Writer) error {
	c, err := pin.NewClient(addr)
	if err != nil {
		return err
	}
	wt, err := c.Receive(name, "octet")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

// A virtual file: every name reads as a greeting rendered for it.
func ExampleTFTP_Serve() {
	greeter := behaviour.ReadFunc(func(_ context.Context, t *behaviour.Transfer) (io.Reader, error) {
		return strings.NewReader("hello, " + t.Name + "\n"), nil
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	d := &daemon.TFTP{Handler: greeter}
	done := make(chan error, 1)
	go func() { done <- d.Serve(pc) }()

	if err := fetch(pc.LocalAddr().String(), "world", os.Stdout); err != nil {
		log.Fatal(err)
	}
	_ = d.Shutdown(context.Background())
	fmt.Println(<-done)
	// Output:
	// hello, world
	// daemon: server closed
}

func ExampleTFTP_ListenAndServe() {
	d := &daemon.TFTP{
		ListenAddr:   "127.0.0.1:0", // a free port; ":69" serves the TFTP port
		Handler:      behaviour.Bytes([]byte("firmware image\n")),
		RefuseWrites: true,
	}
	done := make(chan error, 1)
	go func() { done <- d.ListenAndServe() }()
	for !d.Addr().IsValid() { // the port is known once serving starts
		time.Sleep(time.Millisecond)
	}
	if err := fetch(d.Addr().String(), "fw.bin", os.Stdout); err != nil {
		log.Fatal(err)
	}
	_ = d.Close()
	fmt.Println(errors.Is(<-done, daemon.ErrServerClosed))
	// Output:
	// firmware image
	// true
}

// Hooks see every admitted transfer with its statistics.
func ExampleTFTP_hooks() {
	ended := make(chan daemon.Stats, 1)
	d := &daemon.TFTP{
		Handler: behaviour.Bytes(make([]byte, 1500)),
		OnRequest: func(s daemon.Stats) error {
			if strings.HasPrefix(s.Name, "private/") {
				return behaviour.ErrAccessViolation
			}
			return nil
		},
		OnSuccess: func(s daemon.Stats) { ended <- s },
		OnFailure: func(s daemon.Stats) { ended <- s },
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = d.Serve(pc) }()
	defer d.Close()

	for _, name := range []string{"pxelinux.0", "private/key"} {
		err := fetch(pc.LocalAddr().String(), name, io.Discard)
		s := <-ended
		fmt.Printf("%s: %v, %d bytes, code %d, client error: %v\n", s.Name, s.Outcome, s.Bytes, s.Code, err != nil)
	}
	// Output:
	// pxelinux.0: success, 1500 bytes, code 0, client error: false
	// private/key: refused, 0 bytes, code 2, client error: true
}

// Shutdown refuses new requests and lets running transfers finish until
// its context is done.
func ExampleTFTP_Shutdown() {
	d := &daemon.TFTP{Handler: behaviour.Bytes([]byte("x"))}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(pc) }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(d.Shutdown(ctx), <-done, len(d.Active()))
	// Output:
	// <nil> daemon: server closed 0
}

func ExampleParsePortPolicy() {
	for _, s := range []string{"random", "single", "50000-50099", "9-1"} {
		p, err := daemon.ParsePortPolicy(s)
		fmt.Println(p, err)
	}
	// Output:
	// random <nil>
	// single <nil>
	// 50000-50099 <nil>
	// random daemon: port range 9-1 is empty or starts at 0
}

// Active lists the transfers that run, for a status page or a metric.
func ExampleTFTP_Active() {
	started, release := make(chan struct{}), make(chan struct{})
	slow := behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) {
		close(started)
		<-release
		return strings.NewReader("image"), nil
	})
	d := &daemon.TFTP{Handler: slow}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = d.Serve(pc) }()
	defer d.Close()
	fetched := make(chan error)
	go func() { fetched <- fetch(pc.LocalAddr().String(), "boot.img", io.Discard) }()

	<-started
	for _, s := range d.Active() {
		fmt.Println(s.Name, s.Access, s.Outcome, s.Peer.Addr())
	}
	close(release)
	fmt.Println(<-fetched)
	// Output:
	// boot.img read running 127.0.0.1
	// <nil>
}

// A port range for a firewall that opens only these ports to the daemon.
func ExamplePortRange() {
	d := &daemon.TFTP{
		Handler: behaviour.Bytes([]byte("config\n")),
		Ports:   daemon.PortRange(50000, 50099),
	}
	fmt.Println(d.Ports)
	// Output: 50000-50099
}

// The main loop of a program that serves TFTP until it is told to stop: in
// a real main, ctx comes from signal.NotifyContext(context.Background(),
// os.Interrupt, syscall.SIGTERM) and an SSHService runs beside the TFTP one.
func ExampleRun() {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	d := &daemon.TFTP{Handler: behaviour.Bytes([]byte("startup-config\n")), RefuseWrites: true}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Run(ctx, 2*time.Second, daemon.TFTPService(d, pc)) }()

	if err := fetch(pc.LocalAddr().String(), "sw1-confg", os.Stdout); err != nil {
		log.Fatal(err)
	}
	stop() // the signal: running transfers get 2 s to finish
	fmt.Println(<-done)
	// Output:
	// startup-config
	// <nil>
}

// Single-port mode for a boot network behind NAT: clients of the
// provisioning network, where a firewall drops forged sources, keep their
// windows and large blocks; everyone else is served lock-step at 1468-byte
// blocks, so that a forged request and blind ACKs pull little. Guard
// shows the defences at work.
func ExampleTFTP_Guard() {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	d := &daemon.TFTP{
		Handler:         behaviour.Bytes([]byte("boot image\n")),
		Ports:           daemon.PortsSingle,
		TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")},
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(pc) }()

	// pin/tftp asks for blksize 65464: as an unproven client it gets 1468.
	c, err := pin.NewClient(pc.LocalAddr().String())
	if err != nil {
		log.Fatal(err)
	}
	c.SetBlockSize(65464)
	wt, err := c.Receive("boot.img", "octet")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := wt.WriteTo(os.Stdout); err != nil {
		log.Fatal(err)
	}
	_ = d.Shutdown(context.Background())
	<-done
	n := d.Guard()
	fmt.Printf("unconfirmed %d, shed %d, bounded %d\n", n.Unconfirmed, n.Shed, n.Bounded)
	// Output:
	// boot image
	// unconfirmed 0, shed 0, bounded 1
}
