package peers

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClientsAgainstTFTPDHPA runs every client both ways against tftpd-hpa,
// the reference server, so that the invocations are known good before they
// meet filemux's daemon.
func TestClientsAgainstTFTPDHPA(t *testing.T) {
	root := ServedDir(t)
	_, sum := RandomFile(t, root, "down.bin", 100_000)
	s := Serve(t, TFTPDHPA, ServerConfig{Root: root, Writable: true})
	for _, c := range ClientKinds {
		t.Run(c.String(), func(t *testing.T) {
			r := Request{Server: s.Addr, Remote: "down.bin", Local: filepath.Join(t.TempDir(), "got.bin")}
			if c.Supports(Request{BlockSize: 1468}) == nil {
				r.BlockSize = 1468
			}
			if res := Get(t, c, r); res.Err != nil {
				t.Fatalf("download: %v\n%s", res.Err, res.Output)
			}
			if got := SHA256File(r.Local); got != sum {
				t.Fatalf("download sha256 = %s, want %s", got, sum)
			}
			up, upSum := RandomFile(t, t.TempDir(), "up.bin", 50_000)
			r.Local, r.Remote = up, "up-"+c.String()+".bin"
			if res := Put(t, c, r); res.Err != nil {
				t.Fatalf("upload: %v\n%s", res.Err, res.Output)
			}
			if got := waitSHA256(filepath.Join(root, r.Remote), upSum); got != upSum {
				t.Fatalf("upload sha256 = %s, want %s", got, upSum)
			}
		})
	}
}

// TestClientsReportMissingFile checks that every client fails on ERROR 1
// and that Result.Code carries 1 for the clients that print the code.
func TestClientsReportMissingFile(t *testing.T) {
	s := Serve(t, TFTPDHPA, ServerConfig{Root: ServedDir(t)})
	for _, c := range ClientKinds {
		t.Run(c.String(), func(t *testing.T) {
			res := Get(t, c, Request{Server: s.Addr, Remote: "missing.bin", Local: filepath.Join(t.TempDir(), "x")})
			if res.Err == nil {
				t.Fatalf("no error for a missing file\n%s", res.Output)
			}
			if want := wantCode(c, 1); res.Code != want {
				t.Fatalf("code %d, want %d\n%s", res.Code, want, res.Output)
			}
		})
	}
}

// wantCode is the code a client reports for an ERROR with code: -1 for the
// clients that print only the message.
func wantCode(c ClientKind, code int) int {
	if c == ATFTP || c == NodeClient {
		return -1
	}
	return code
}

// TestClientsSendRequestedOptions captures each client's request and checks
// that the options a Request asks for are really on the wire, so that an
// interop test never passes while testing a client's defaults instead.
func TestClientsSendRequestedOptions(t *testing.T) {
	for _, c := range ClientKinds {
		t.Run(c.String(), func(t *testing.T) {
			want := map[string]string{}
			r := Request{Local: filepath.Join(t.TempDir(), "x"), Remote: "opts.bin", Timeout: 20 * time.Second}
			if c.Supports(Request{BlockSize: 1468}) == nil {
				r.BlockSize, want["blksize"] = 1468, "1468"
			}
			if c.Supports(Request{WindowSize: 16}) == nil {
				r.WindowSize, want["windowsize"] = 16, "16"
			}
			if c.Supports(Request{TSize: true}) == nil {
				r.TSize, want["tsize"] = true, "0"
			}
			got := captureRequest(t, c, r)
			for name, v := range want {
				if got[name] != v {
					t.Errorf("option %s = %q, want %q (request options %v)", name, got[name], v, got)
				}
			}
			if c.Supports(Request{NoOptions: true}) == nil {
				r = Request{Local: r.Local, Remote: r.Remote, NoOptions: true, Timeout: r.Timeout}
				if got := captureRequest(t, c, r); len(got) != 0 {
					t.Errorf("NoOptions request carries options %v", got)
				}
			}
		})
	}
}

// captureRequest runs a download by c against a socket that records the
// RRQ's options and answers ERROR 1.
func captureRequest(t *testing.T, c ClientKind, r Request) map[string]string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r.Server = pc.LocalAddr().(*net.UDPAddr).AddrPort()
	got := make(chan map[string]string, 1)
	go func() {
		buf := make([]byte, 65536)
		_ = pc.SetReadDeadline(time.Now().Add(r.Timeout))
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			got <- nil
			return
		}
		got <- requestOptions(buf[:n])
		_, _ = pc.WriteTo(append([]byte{0, 5, 0, 1}, "File not found\x00"...), from)
	}()
	res := Get(t, c, r)
	if res.Err == nil {
		t.Errorf("the client reported success against an ERROR\n%s", res.Output)
	}
	opts := <-got
	if opts == nil {
		t.Fatalf("no request captured\n%s", res.Output)
	}
	return opts
}

// requestOptions parses the options of an RRQ (lower-cased names).
func requestOptions(p []byte) map[string]string {
	if len(p) < 2 || p[1] != 1 {
		return nil
	}
	fields := bytes.Split(bytes.TrimSuffix(p[2:], []byte{0}), []byte{0})
	opts := map[string]string{}
	for i := 2; i+1 < len(fields); i += 2 {
		opts[strings.ToLower(string(fields[i]))] = string(fields[i+1])
	}
	return opts
}

func TestSupports(t *testing.T) {
	cases := []struct {
		c  ClientKind
		r  Request
		ok bool
	}{
		{Curl, Request{BlockSize: 8}, true},
		{Curl, Request{WindowSize: 16}, false},
		{TFTPHPA, Request{BlockSize: 1468}, false},
		{TFTPHPA, Request{NoOptions: true}, true},
		{ATFTP, Request{BlockSize: 1468, WindowSize: 64, TSize: true}, true},
		{PinClient, Request{BlockSize: 16}, false},
		{NodeClient, Request{NoOptions: true}, false},
		{Curl, Request{NoOptions: true, BlockSize: 512}, false},
		{ClientKind(0), Request{}, false},
	}
	for _, tc := range cases {
		if err := tc.c.Supports(tc.r); (err == nil) != tc.ok {
			t.Errorf("%v.Supports(%+v) = %v, want ok=%v", tc.c, tc.r, err, tc.ok)
		}
	}
}
