package tftp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/peers"
)

// benchSize is the file every benchmark moves: 64 MiB.
const benchSize = 64 << 20

// benchShapes are the transfer shapes the speed targets name.
var benchShapes = []struct {
	name              string
	blockSize, window int
}{
	{"lockstep-1468", 1468, 1},
	{"lockstep-65464", 65464, 1},
	{"window16-1468", 1468, 16},
	{"window64-1468", 1468, 64},
}

// benchSocket is a loopback UDP socket with room for a window of 64 large
// blocks (the kernel caps the size at net.core.rmem_max).
func benchSocket(b *testing.B) *net.UDPConn {
	c := listenUDP(b)
	_ = c.SetReadBuffer(4 << 20)
	_ = c.SetWriteBuffer(4 << 20)
	return c
}

// BenchmarkServeRead measures the engine's sender: 64 MiB over real
// loopback UDP to a minimal receiver, per transfer shape.
func BenchmarkServeRead(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run(sh.name, func(b *testing.B) {
			a, rr := benchSocket(b), newRawReceiver(benchSocket(b), sh.blockSize, sh.window)
			p := Params{Mode: behaviour.Octet, BlockSize: sh.blockSize, WindowSize: sh.window, Timeout: time.Second, Retries: 5}
			b.SetBytes(benchSize)
			b.ReportAllocs()
			for b.Loop() {
				done := make(chan error, 1)
				go func() { _, _, err := rr.run(10 * time.Second); done <- err }()
				st, err := ServeRead(context.Background(), NewConnTransport(a, addrOf(rr.conn)), p, behaviour.Options{}, &patternReader{n: benchSize})
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				if err != nil || st.Bytes != benchSize {
					b.Fatalf("%v after %d bytes", err, st.Bytes)
				}
				b.ReportMetric(float64(st.Retransmits), "retransmits/op")
			}
		})
	}
}

// BenchmarkRawUDPWindow is the ceiling for windowed transfers: the same
// datagrams and ACKs with no protocol logic at all, a window of 64 blocks
// of 1468 bytes per ACK.
func BenchmarkRawUDPWindow(b *testing.B) {
	const blockSize, window = 1468, 64
	a, rr := benchSocket(b), newRawReceiver(benchSocket(b), blockSize, window)
	to := addrOf(rr.conn)
	pkt := make([]byte, headerSize+blockSize)
	ack := make([]byte, 16)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		done := make(chan error, 1)
		go func() { _, _, err := rr.run(10 * time.Second); done <- err }()
		blocks := benchSize/blockSize + 1
		_ = a.SetReadDeadline(time.Now().Add(10 * time.Second))
		for block := 1; block <= blocks; {
			for end := min(block+window, blocks+1); block < end; block++ {
				n := blockSize
				if block == blocks {
					n = benchSize % blockSize
				}
				binary.BigEndian.PutUint16(pkt, uint16(OpData))
				binary.BigEndian.PutUint16(pkt[2:], uint16(block))
				copy(pkt[headerSize:headerSize+n], pattern)
				if _, err := a.WriteToUDPAddrPort(pkt[:headerSize+n], to); err != nil {
					b.Fatal(err)
				}
			}
			if _, _, err := a.ReadFromUDPAddrPort(ack); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPeerServer measures real servers on the same loopback with the
// same receiver, for the speed targets: tftpd-hpa lock-step, atftpd with
// windowsize. It skips when they are missing (and fails with CI=true).
func BenchmarkPeerServer(b *testing.B) {
	for _, tc := range []struct {
		kind peers.ServerKind
		sh   int // index into benchShapes
	}{
		{peers.TFTPDHPA, 0}, {peers.TFTPDHPA, 1}, {peers.ATFTPD, 0}, {peers.ATFTPD, 2}, {peers.ATFTPD, 3},
	} {
		sh := benchShapes[tc.sh]
		b.Run(fmt.Sprintf("%v/%s", tc.kind, sh.name), func(b *testing.B) {
			root := peers.ServedDir(b)
			writePattern(b, filepath.Join(root, "big"))
			srv := peers.Serve(b, tc.kind, peers.ServerConfig{Root: root})
			rr := newRawReceiver(benchSocket(b), sh.blockSize, sh.window)
			r := Request{Op: OpRRQ, Filename: "big", Mode: behaviour.Octet, Options: opts(OptBlockSize, fmt.Sprint(sh.blockSize))}
			if sh.window > 1 {
				r.Options.Add(OptWindowSize, fmt.Sprint(sh.window))
			}
			rrq := AppendRequest(nil, r)
			b.SetBytes(benchSize)
			for b.Loop() {
				if _, err := rr.conn.WriteToUDPAddrPort(rrq, srv.Addr); err != nil {
					b.Fatal(err)
				}
				if _, n, err := rr.run(10 * time.Second); err != nil || n != benchSize {
					b.Fatalf("%v after %d bytes", err, n)
				}
				b.StopTimer()
				time.Sleep(10 * time.Millisecond) // let the server's transfer end before the next
				b.StartTimer()
			}
		})
	}
}

func writePattern(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for off := 0; off < benchSize; off += len(pattern) {
		if _, err := f.Write(pattern[:min(len(pattern), benchSize-off)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Chmod(0o644); err != nil {
		b.Fatal(err)
	}
}
