package tftp

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/peers"
	"github.com/filemux/filemux/internal/wire"
)

// miniServer is the least TFTP server the engine makes possible: parse,
// negotiate, open a transfer socket, run ServeRead or ServeWrite. It serves
// files from memory, so that real clients can check the engine on its own,
// without the daemon.
type miniServer struct {
	ctx   context.Context
	conn  *net.UDPConn
	mu    sync.Mutex
	files map[string][]byte
	errs  []error
	wg    sync.WaitGroup
}

func startMiniServer(t *testing.T, files map[string][]byte) *miniServer {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // ends the dallies
	s := &miniServer{ctx: ctx, conn: listenUDP(t), files: files}
	go s.serve()
	t.Cleanup(func() {
		s.conn.Close()
		s.wg.Wait()
	})
	return s
}

func (s *miniServer) serve() {
	buf := make([]byte, MaxRequestSize+1)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		r, err := ParseRequest(buf[:n])
		if err != nil {
			_, _ = s.conn.WriteToUDPAddrPort(AppendError(nil, wire.TFTPCode(err), behaviour.PeerMessage(err)), from)
			continue
		}
		s.wg.Add(1)
		go s.handle(r, from)
	}
}

func (s *miniServer) handle(r Request, from netip.AddrPort) {
	defer s.wg.Done()
	err := s.transfer(r, from)
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

func (s *miniServer) transfer(r Request, from netip.AddrPort) error {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	dallying := false
	defer func() {
		if !dallying {
			pc.Close()
		}
	}()
	tr := NewConnTransport(pc, from)
	offer, err := ServerOptions(r, Limits{})
	if err != nil {
		return err
	}
	s.mu.Lock()
	data, ok := s.files[r.Filename]
	s.mu.Unlock()
	size := int64(-1)
	if ok {
		size = int64(len(data))
	}
	p, oack, err := Accept(r, offer, offer.Clone(), size, Params{Timeout: 300 * time.Millisecond, Retries: 5, SkipDally: true})
	if err != nil {
		return err
	}
	ctx := s.ctx
	if r.Op == OpRRQ {
		if !ok {
			_ = tr.Send(AppendError(nil, behaviour.CodeNotFound, "file not found"))
			return behaviour.ErrNotFound
		}
		_, err = ServeRead(ctx, tr, p, oack, bytes.NewReader(data))
		return err
	}
	var got bytes.Buffer
	st, err := ServeWrite(ctx, tr, p, oack, sinkFunc(func(b []byte, last bool) error {
		got.Write(b)
		if last {
			s.mu.Lock()
			s.files[r.Filename] = bytes.Clone(got.Bytes())
			s.mu.Unlock()
		}
		return nil
	}))
	if err == nil {
		// Success is reported now; the peer may still need the final ACK.
		dallying = true
		go func() {
			Dally(ctx, tr, p, st)
			pc.Close()
		}()
	}
	return err
}

func (s *miniServer) errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// TestRealClients runs real TFTP clients, which no one here wrote, against
// the engine: downloads and uploads with and without options, checked by
// sha256. Clients that are not installed are skipped (CI=true fails).
func TestRealClients(t *testing.T) {
	shapes := []peers.Request{
		{NoOptions: true},
		{BlockSize: 1468, TSize: true},
		{BlockSize: 1468, WindowSize: 8},
	}
	for _, kind := range []peers.ClientKind{peers.Curl, peers.TFTPHPA, peers.ATFTP, peers.Busybox, peers.PinClient, peers.NodeClient, peers.ErlangFile} {
		for i, shape := range shapes {
			if kind.Supports(shape) != nil {
				continue
			}
			t.Run(fmt.Sprintf("%v/%d", kind, i), func(t *testing.T) {
				content := peers.RandomBytes(300_000 + i)
				srv := startMiniServer(t, map[string][]byte{"down.bin": content})
				dir := t.TempDir()
				req := shape
				req.Server, req.Timeout = addrOf(srv.conn), 30*time.Second
				req.Remote, req.Local = "down.bin", filepath.Join(dir, "down.bin")
				res := peers.Get(t, kind, req)
				if res.Err != nil {
					t.Fatalf("download: %v\n%s", res.Err, res.Output)
				}
				t.Logf("download took %v", res.Elapsed)
				if peers.SHA256File(req.Local) != peers.SHA256(content) {
					t.Fatal("download arrived changed")
				}
				up := peers.RandomBytes(200_000 + i)
				req.Remote, req.Local = "up.bin", filepath.Join(dir, "up.bin")
				if err := os.WriteFile(req.Local, up, 0o644); err != nil {
					t.Fatal(err)
				}
				if res = peers.Put(t, kind, req); res.Err != nil {
					t.Fatalf("upload: %v\n%s", res.Err, res.Output)
				}
				t.Logf("upload took %v", res.Elapsed)
				srv.conn.Close()
				srv.wg.Wait()
				if got := srv.files["up.bin"]; !bytes.Equal(got, up) {
					t.Fatalf("upload arrived as %d bytes, want %d", len(got), len(up))
				}
				for _, err := range srv.errors() {
					if err != nil {
						t.Errorf("server side: %v", err)
					}
				}
			})
		}
	}
}
