package tftp_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/faultnet"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

func ExampleParseRequest() {
	rrq := tftp.AppendRequest(nil, tftp.Request{Op: tftp.OpRRQ, Filename: "pxelinux.0", Mode: behaviour.Octet,
		Options: behaviour.NewOptions(behaviour.Option{Name: "BLKSIZE", Value: "1468"})})
	r, err := tftp.ParseRequest(rrq)
	fmt.Println(r.Op, r.Filename, r.Mode, r.Options.String(), err)

	_, err = tftp.ParseRequest([]byte("\x00\x01boot\x00mail\x00"))
	fmt.Println(uint16(wire.TFTPCode(err)), behaviour.PeerMessage(err))
	// Output:
	// RRQ pxelinux.0 octet blksize=1468 <nil>
	// 4 unsupported mode
}

func ExampleParsePacket() {
	for _, b := range [][]byte{
		tftp.AppendData(nil, 7, []byte("abc")),
		tftp.AppendAck(nil, 65535),
		tftp.AppendError(nil, behaviour.CodeNotFound, "no such file"),
		{0, 5, 0, 2}, // an ERROR without message or NUL is still an ERROR
	} {
		pk, err := tftp.ParsePacket(b)
		fmt.Printf("%v block=%d payload=%q code=%d message=%q err=%v\n", pk.Op, pk.Block, pk.Payload, pk.Code, pk.Message, err)
	}
	// Output:
	// DATA block=7 payload="abc" code=0 message="" err=<nil>
	// ACK block=65535 payload="" code=0 message="" err=<nil>
	// ERROR block=0 payload="" code=1 message="no such file" err=<nil>
	// ERROR block=0 payload="" code=2 message="" err=<nil>
}

func ExampleAppendError() {
	// Exactly header, message, NUL: an embedded NUL ends the message.
	fmt.Printf("%q\n", tftp.AppendError(nil, behaviour.CodeAccessViolation, "denied\x00secret"))
	// Output: "\x00\x05\x00\x02denied\x00"
}

func ExampleAppendData() {
	pkt := make([]byte, 0, 516) // reused for every block
	pkt = tftp.AppendData(pkt[:0], 1, []byte("hi"))
	fmt.Printf("%q\n", pkt)
	// Output: "\x00\x03\x00\x01hi"
}

func ExampleAppendAck() {
	fmt.Printf("%q\n", tftp.AppendAck(nil, 258))
	// Output: "\x00\x04\x01\x02"
}

func ExampleAppendOACK() {
	oack := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1428"}, behaviour.Option{Name: "tsize", Value: "9"})
	fmt.Printf("%q\n", tftp.AppendOACK(nil, oack))
	// Output: "\x00\x06blksize\x001428\x00tsize\x009\x00"
}

func ExampleAppendRequest() {
	fmt.Printf("%q\n", tftp.AppendRequest(nil, tftp.Request{Op: tftp.OpWRQ, Filename: "r1-confg", Mode: behaviour.Netascii}))
	// Output: "\x00\x02r1-confg\x00netascii\x00"
}

// The server's side of option negotiation: offer, let the handler lower,
// accept, answer.
func ExampleServerOptions() {
	r, _ := tftp.ParseRequest([]byte("\x00\x01f\x00octet\x00blksize\x0065535\x00tsize\x000\x00windowsize\x00abc\x00rollover\x000\x00"))
	offer, _ := tftp.ServerOptions(r, tftp.Limits{MaxBlockSize: 1468})
	fmt.Println("offered to Open:", offer.String())

	afterOpen := offer.Clone()
	afterOpen.Lower("blksize", 1024) // the handler may drop or lower
	p, oack, err := tftp.Accept(r, offer, afterOpen, 4096, tftp.DefaultParams())
	fmt.Println("OACK:", oack.String(), "block size:", p.BlockSize, err)
	// Output:
	// offered to Open: blksize=1468 tsize=0
	// OACK: blksize=1024 tsize=4096 block size: 1024 <nil>
}

func ExampleAccept() {
	r := tftp.Request{Op: tftp.OpRRQ, Filename: "f", Mode: behaviour.Octet}
	offer := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "1468"})
	raised := behaviour.NewOptions(behaviour.Option{Name: "blksize", Value: "9000"})
	_, _, err := tftp.Accept(r, offer, raised, -1, tftp.DefaultParams())
	fmt.Println(uint16(wire.TFTPCode(err)), behaviour.PeerMessage(err))
	// Output: 8 option raised or not numeric
}

func ExampleDefaultParams() {
	p := tftp.DefaultParams()
	fmt.Println(p.Mode, p.BlockSize, p.WindowSize, p.Timeout, p.Retries)
	// Output: octet 512 1 1s 5
}

// A whole transfer between the engine's two halves over an in-memory
// network that loses one DATA packet in ten.
func ExampleServeRead() {
	n := faultnet.NewNetwork()
	a, _ := n.ListenPacket("udp", "127.0.0.1:0")
	b, _ := n.ListenPacket("udp", "127.0.0.1:0")
	defer a.Close()
	defer b.Close()
	lossy := faultnet.Wrap(a, faultnet.Faults{Seed: 1, Drop: 0.1})
	p := tftp.Params{Mode: behaviour.Octet, BlockSize: 512, WindowSize: 4, Timeout: 20 * time.Millisecond, Retries: 20}
	file := strings.Repeat("filemux ", 1000)

	var got bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := tftp.ServeWrite(context.Background(), tftp.NewConnTransport(b, addr(a)), p, behaviour.Options{}, sinkTo{&got})
		done <- err
	}()
	st, err := tftp.ServeRead(context.Background(), tftp.NewConnTransport(lossy, addr(b)), p, behaviour.Options{}, strings.NewReader(file))
	fmt.Println(st.Blocks, st.Bytes, err, st.Retransmits > 0)
	fmt.Println(<-done, got.String() == file)
	// Output:
	// 16 8000 <nil> true
	// <nil> true
}

// sinkTo is a Sink that appends to a buffer.
type sinkTo struct{ b *bytes.Buffer }

func (s sinkTo) Write(p []byte, _ bool) error { _, err := s.b.Write(p); return err }

func addr(pc net.PacketConn) netip.AddrPort { return pc.LocalAddr().(*net.UDPAddr).AddrPort() }

// A write in netascii mode: the peer's CR LF become LF.
func ExampleServeWrite() {
	srv, _ := net.ListenPacket("udp", "127.0.0.1:0")
	peer, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer srv.Close()
	defer peer.Close()
	p := tftp.Params{Mode: behaviour.Netascii, BlockSize: 512, WindowSize: 1, Timeout: 50 * time.Millisecond, Retries: 3}

	var got bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := tftp.ServeWrite(context.Background(), tftp.NewConnTransport(srv, addr(peer)), p, behaviour.Options{}, sinkTo{&got})
		done <- err
	}()
	buf := make([]byte, 600)
	k, _, _ := peer.ReadFrom(buf) // ACK 0
	fmt.Printf("%q\n", buf[:k])
	_, _ = peer.WriteTo(tftp.AppendData(nil, 1, []byte("hostname r1\r\n")), srv.LocalAddr())
	k, _, _ = peer.ReadFrom(buf) // ACK 1
	fmt.Printf("%q %v %q\n", buf[:k], <-done, got.String())
	// Output:
	// "\x00\x04\x00\x00"
	// "\x00\x04\x00\x01" <nil> "hostname r1\n"
}

// A transfer's own socket: datagrams from anyone but the peer get ERROR 5.
func ExampleNewConnTransport() {
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	peer, _ := net.ListenPacket("udp", "127.0.0.1:0")
	stranger, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer pc.Close()
	defer peer.Close()
	defer stranger.Close()
	tr := tftp.NewConnTransport(pc, addr(peer))

	_, _ = stranger.WriteTo(tftp.AppendAck(nil, 1), pc.LocalAddr())
	_, _ = peer.WriteTo(tftp.AppendAck(nil, 1), pc.LocalAddr())
	buf := make([]byte, 516)
	k, err := tr.Recv(buf, time.Now().Add(time.Second))
	fmt.Printf("from the peer: %q %v\n", buf[:k], err)
	k, _, _ = stranger.ReadFrom(buf)
	fmt.Printf("to the stranger: %q\n", buf[:k])
	// Output:
	// from the peer: "\x00\x04\x00\x01" <nil>
	// to the stranger: "\x00\x05\x00\x05unknown transfer ID\x00"
}

// Reporting a write at once and dallying in the background: ServeWrite
// returns right after the final ACK, and Dally keeps answering a peer that
// did not get it until the socket can be closed.
func ExampleDally() {
	srv, _ := net.ListenPacket("udp", "127.0.0.1:0")
	peer, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer peer.Close()
	tr := tftp.NewConnTransport(srv, addr(peer))
	p := tftp.Params{BlockSize: 512, WindowSize: 1, Timeout: 50 * time.Millisecond, Retries: 3, SkipDally: true}

	results := make(chan tftp.Stats, 1)
	dallied := make(chan struct{})
	go func() {
		st, err := tftp.ServeWrite(context.Background(), tr, p, behaviour.Options{}, sinkTo{new(bytes.Buffer)})
		results <- st // report success here, before the dally
		if err == nil {
			tftp.Dally(context.Background(), tr, p, st)
		}
		srv.Close()
		close(dallied)
	}()
	buf := make([]byte, 600)
	_, _, _ = peer.ReadFrom(buf) // ACK 0
	_, _ = peer.WriteTo(tftp.AppendData(nil, 1, []byte("short")), srv.LocalAddr())
	_, _, _ = peer.ReadFrom(buf) // ACK 1, the final one
	fmt.Println("blocks:", (<-results).Blocks)
	// As if that ACK had been lost: the peer repeats the final DATA.
	_, _ = peer.WriteTo(tftp.AppendData(nil, 1, []byte("short")), srv.LocalAddr())
	k, _, _ := peer.ReadFrom(buf)
	fmt.Printf("again: %q\n", buf[:k])
	<-dallied
	// Output:
	// blocks: 1
	// again: "\x00\x04\x00\x01"
}

func ExampleOpcode_String() {
	fmt.Println(tftp.OpOACK, tftp.Opcode(9))
	// Output: OACK opcode 9
}

// A Spinner polls a socket briefly before a blocking read; when it gets
// nothing (or may not spin now), the caller reads as usual.
func ExampleSpinner() {
	a, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer a.Close()
	b, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer b.Close()
	_, _ = b.WriteToUDPAddrPort([]byte("ACK"), a.LocalAddr().(*net.UDPAddr).AddrPort())

	buf := make([]byte, 16)
	s := tftp.NewSpinner(a) // nil where spinning is not supported: Recv then reports false
	n, _, ok := s.Recv(buf, time.Now().Add(time.Second))
	if !ok {
		_ = a.SetReadDeadline(time.Now().Add(time.Second))
		n, _, _ = a.ReadFromUDPAddrPort(buf)
	}
	fmt.Println(string(buf[:n]))
	// Output: ACK
}

// SendBatch sends a window of datagrams with one system call where the
// system allows it; the peer gets them one by one, in order.
func ExampleConnTransport_SendBatch() {
	a, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer a.Close()
	b, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer b.Close()
	tr := tftp.NewConnTransport(a, b.LocalAddr().(*net.UDPAddr).AddrPort())
	_ = tr.SendBatch([][]byte{[]byte("one"), []byte("two"), []byte("three")})

	buf := make([]byte, 16)
	_ = b.SetReadDeadline(time.Now().Add(time.Second))
	for range 3 {
		n, _, _ := b.ReadFromUDPAddrPort(buf)
		fmt.Println(string(buf[:n]))
	}
	// Output:
	// one
	// two
	// three
}

// A client's transport sends the request to the server's well-known port
// and learns the server's transfer ID from its first answer, which comes
// from another port (RFC 1350 section 4).
func ExampleNewClientTransport() {
	c, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer c.Close()
	wellKnown, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer wellKnown.Close()
	tid, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer tid.Close()
	tr := tftp.NewClientTransport(c, wellKnown.LocalAddr().(*net.UDPAddr).AddrPort())

	_ = tr.Send(tftp.AppendRequest(nil, tftp.Request{Op: tftp.OpRRQ, Filename: "f", Mode: behaviour.Octet}))
	buf := make([]byte, 516)
	_ = wellKnown.SetReadDeadline(time.Now().Add(time.Second))
	n, client, _ := wellKnown.ReadFromUDPAddrPort(buf)
	req, _ := tftp.ParseRequest(buf[:n])
	fmt.Println("request for", req.Filename, "learned:", tr.Learned())

	_, _ = tid.WriteToUDPAddrPort(tftp.AppendData(nil, 1, []byte("hi")), client)
	n, err := tr.Recv(buf, time.Now().Add(time.Second))
	fmt.Printf("%q %v, learned: %v, peer is the new port: %v\n", buf[:n], err, tr.Learned(), tr.Peer() == tid.LocalAddr().(*net.UDPAddr).AddrPort())
	// Output:
	// request for f learned: false
	// "\x00\x03\x00\x01hi" <nil>, learned: true, peer is the new port: true
}
