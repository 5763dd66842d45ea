package client_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/tftp"
)

// quick is a client for fake servers: short timeouts, few retries.
func quick(addr string) *client.TFTP {
	return &client.TFTP{Addr: addr, Timeout: 200 * time.Millisecond, Retries: 2}
}

func opt(name, value string) behaviour.Option { return behaviour.Option{Name: name, Value: value} }

// TestRefusesBadOACK: an OACK the client did not ask for, or that raises a
// value, gets ERROR 8 and fails with ErrProtocol, nothing at the local path.
func TestRefusesBadOACK(t *testing.T) {
	cases := []struct {
		name string
		oack []behaviour.Option
	}{
		{"unrequested option", []behaviour.Option{opt("blksize", "1024"), opt("windowsize", "4")}},
		{"blksize larger", []behaviour.Option{opt("blksize", "1500")}},
		{"blksize below 8", []behaviour.Option{opt("blksize", "7")}},
		{"blksize not a number", []behaviour.Option{opt("blksize", "+512")}},
		{"substring of a name", []behaviour.Option{opt("foo_blksize_bar", "1024")}},
		{"timeout changed", []behaviour.Option{opt("timeout", "9")}},
		{"tsize not a number", []behaviour.Option{opt("tsize", "-1")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := startFake(t, func(f *fakeConn) {
				f.oack(tc.oack...)
				f.expectError(f.tid, behaviour.CodeOptionRefused)
			})
			c := quick(addr)
			c.BlockSize, c.TSize, c.Timeout = 1024, true, 2*time.Second
			path := filepath.Join(t.TempDir(), "out")
			_, err := c.ReadFile(context.Background(), "f", path)
			if !errors.Is(err, client.ErrProtocol) {
				t.Fatalf("err = %v, want ErrProtocol", err)
			}
			assertAbsent(t, path)
		})
	}
}

// TestAcceptsOACKNameInAnyCase: option names compare without regard to
// case (RFC 2347), exactly, not by substring.
func TestAcceptsOACKNameInAnyCase(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 100)
	addr := startFake(t, func(f *fakeConn) {
		f.oack(opt("BLKSIZE", "64"))
		if f.expectAck(0) {
			f.data(1, payload[:64])
			f.expectAck(1)
			f.data(2, payload[64:])
			f.expectAck(2)
		}
	})
	c := quick(addr)
	c.BlockSize = 1024
	got, res, err := c.ReadBytes(context.Background(), "f")
	if err != nil || !bytes.Equal(got, payload) || res.BlockSize != 64 {
		t.Fatalf("got %d bytes, blksize %d, err %v", len(got), res.BlockSize, err)
	}
}

// TestMissingBlksizeMeans512: a server that leaves blksize out of its OACK
// declined it; a DATA longer than 512 bytes is then refused with ERROR 4.
func TestMissingBlksizeMeans512(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.oack(opt("tsize", "2000"))
		if f.expectAck(0) {
			f.data(1, make([]byte, 1024))
			f.expectError(f.tid, behaviour.CodeIllegalOperation)
		}
	})
	c := quick(addr)
	c.BlockSize, c.TSize = 1024, true
	_, _, err := c.ReadBytes(context.Background(), "f")
	if !errors.Is(err, client.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

// TestRefusesLongData: DATA longer than the negotiated block size (curl
// CVE-2019-5482) fails the transfer, and nothing reaches the local path.
func TestRefusesLongData(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.oack(opt("blksize", "512"))
		if f.expectAck(0) {
			f.data(1, make([]byte, 512))
			f.expectAck(1)
			f.data(2, make([]byte, 600))
			f.expectError(f.tid, behaviour.CodeIllegalOperation)
		}
	})
	c := quick(addr)
	c.BlockSize = 1024
	path := filepath.Join(t.TempDir(), "out")
	_, err := c.ReadFile(context.Background(), "f", path)
	if !errors.Is(err, client.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
	assertAbsent(t, path)
}

// TestRefusesLongFirstData: the same when the server skips the OACK and
// its DATA 1 is longer than the RFC 1350 block.
func TestRefusesLongFirstData(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.data(1, make([]byte, 1024))
		f.expectError(f.tid, behaviour.CodeIllegalOperation)
	})
	c := quick(addr)
	c.BlockSize = 1024
	if _, _, err := c.ReadBytes(context.Background(), "f"); !errors.Is(err, client.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

// TestStrangerGetsError5: a packet from another port after the transfer
// started gets ERROR 5, and the transfer goes on to succeed.
func TestStrangerGetsError5(t *testing.T) {
	payload := bytes.Repeat([]byte("ab"), 300)
	addr := startFake(t, func(f *fakeConn) {
		stranger, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			f.t.Error(err)
			return
		}
		defer stranger.Close()
		f.data(1, payload[:512])
		if !f.expectAck(1) {
			return
		}
		f.sendFrom(stranger, tftp.AppendData(nil, 2, []byte("evil")))
		f.expectError(stranger, behaviour.CodeUnknownTID)
		f.data(2, payload[512:])
		f.expectAck(2)
	})
	got, _, err := quick(addr).ReadBytes(context.Background(), "f")
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("got %q, err %v", got, err)
	}
}

// TestAckAnsweringRead: an ACK in answer to an RRQ is a protocol violation.
func TestAckAnsweringRead(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.send(tftp.AppendAck(nil, 0))
		f.expectError(f.tid, behaviour.CodeIllegalOperation)
	})
	if _, _, err := quick(addr).ReadBytes(context.Background(), "f"); !errors.Is(err, client.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

// TestDataAnsweringWrite: a DATA in answer to a WRQ is a protocol
// violation.
func TestDataAnsweringWrite(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.data(1, []byte("surprise"))
		f.expectError(f.tid, behaviour.CodeIllegalOperation)
	})
	if _, err := quick(addr).WriteBytes(context.Background(), "f", []byte("x")); !errors.Is(err, client.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

// TestErrorThenData: the server's ERROR ends the transfer with its code and
// message as fields; a DATA after it is not acknowledged.
func TestErrorThenData(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.send(tftp.AppendError(nil, behaviour.CodeNotFound, "no such thing"))
		f.data(1, []byte("late"))
		f.expectSilence(300 * time.Millisecond)
	})
	path := filepath.Join(t.TempDir(), "out")
	_, err := quick(addr).ReadFile(context.Background(), "f", path)
	var se *client.ServerError
	if !errors.As(err, &se) || se.Code != behaviour.CodeNotFound || se.Message != "no such thing" {
		t.Fatalf("err = %v, want the server's ERROR 1", err)
	}
	if !errors.Is(err, behaviour.ErrNotFound) {
		t.Errorf("errors.Is(err, behaviour.ErrNotFound) is false for %v", err)
	}
	assertAbsent(t, path)
}

// TestRepeatedOACK: a server that sends its OACK again (our ACK 0 was
// lost, or it is impatient) gets ACK 0 again; Erlang's client aborts here.
func TestRepeatedOACK(t *testing.T) {
	payload := []byte("hello, repeated OACK")
	addr := startFake(t, func(f *fakeConn) {
		f.oack(opt("blksize", "512"))
		f.expectAck(0)
		f.oack(opt("blksize", "512"))
		f.expectAck(0)
		f.data(1, payload)
		f.expectAck(1)
	})
	c := quick(addr)
	c.BlockSize = 512
	got, _, err := c.ReadBytes(context.Background(), "f")
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("got %q, err %v", got, err)
	}
}

// TestServerIgnoresOptions: a server that answers an RRQ with options by
// DATA 1 (RFC 1350 only) is served with 512-byte blocks.
func TestServerIgnoresOptions(t *testing.T) {
	payload := bytes.Repeat([]byte("z"), 700)
	addr := startFake(t, func(f *fakeConn) {
		f.data(1, payload[:512])
		if f.expectAck(1) {
			f.data(2, payload[512:])
			f.expectAck(2)
		}
	})
	c := quick(addr)
	c.BlockSize, c.WindowSize, c.TSize = 1400, 8, true
	got, res, err := c.ReadBytes(context.Background(), "f")
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("got %d bytes, err %v", len(got), err)
	}
	if res.BlockSize != 512 || res.WindowSize != 1 || res.Options.Len() != 0 {
		t.Errorf("result %+v, want RFC 1350 defaults", res)
	}
}

// TestServerIgnoresOptionsOnWrite: ACK 0 to a WRQ with options.
func TestServerIgnoresOptionsOnWrite(t *testing.T) {
	payload := bytes.Repeat([]byte("w"), 600)
	addr := startFake(t, func(f *fakeConn) {
		f.send(tftp.AppendAck(nil, 0))
		got := f.expectData(1)
		f.send(tftp.AppendAck(nil, 1))
		got = append(got, f.expectData(2)...)
		f.send(tftp.AppendAck(nil, 2))
		if !bytes.Equal(got, payload) {
			f.t.Errorf("fake server got %d bytes, want %d", len(got), len(payload))
		}
	})
	c := quick(addr)
	c.BlockSize, c.TSize = 1400, true
	res, err := c.WriteBytes(context.Background(), "f", payload)
	if err != nil || res.BlockSize != 512 {
		t.Fatalf("res %+v, err %v", res, err)
	}
}

// TestFinalDataRepeated: when the server repeats the final DATA (our final
// ACK was lost), the client acknowledges it again after having returned.
func TestFinalDataRepeated(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.data(1, []byte("short"))
		f.expectAck(1)
		f.data(1, []byte("short"))
		f.expectAck(1)
	})
	c := quick(addr)
	c.Timeout = time.Second
	got, _, err := c.ReadBytes(context.Background(), "f")
	if err != nil || string(got) != "short" {
		t.Fatalf("got %q, err %v", got, err)
	}
}

// TestFinalAckNeverRepeated: an upload whose final ACK is lost, to a server
// that does not acknowledge the repeated final DATA, succeeds unconfirmed.
func TestFinalAckNeverRepeated(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.send(tftp.AppendAck(nil, 0))
		f.expectData(1)
		f.send(tftp.AppendAck(nil, 1))
		f.expectData(2) // the final ACK "is lost": not sent
	})
	res, err := quick(addr).WriteBytes(context.Background(), "f", make([]byte, 600))
	if err != nil || !res.Unconfirmed {
		t.Fatalf("res %+v, err %v: want success, unconfirmed", res, err)
	}
}

// TestSingleBlockUploadUnanswered: with one block there is no evidence
// that the server saw anything, so a missing final ACK is a timeout.
func TestSingleBlockUploadUnanswered(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.send(tftp.AppendAck(nil, 0))
		f.expectData(1)
	})
	if _, err := quick(addr).WriteBytes(context.Background(), "f", []byte("one block")); !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

// TestUploadServerSilent: an upload whose server falls silent before the
// final block is a timeout, not a success.
func TestUploadServerSilent(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.send(tftp.AppendAck(nil, 0))
		f.expectData(1)
	})
	_, err := quick(addr).WriteBytes(context.Background(), "f", make([]byte, 2000))
	if !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	var ce *client.Error
	if !errors.As(err, &ce) || !ce.Timeout() {
		t.Errorf("err %v is not a *client.Error reporting Timeout", err)
	}
}

// TestTSizeOverMaxSize: a download whose announced size exceeds MaxSize
// is refused before any data moves, with ERROR 3 to the server.
func TestTSizeOverMaxSize(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.oack(opt("tsize", "1000000"))
		f.expectError(f.tid, behaviour.CodeDiskFull)
	})
	c := quick(addr)
	c.TSize, c.MaxSize = true, 1000
	if _, _, err := c.ReadBytes(context.Background(), "f"); !errors.Is(err, client.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

// TestStreamOverMaxSize: without tsize, a stream that grows past MaxSize
// fails at once with ERROR 3, and nothing reaches the local path.
func TestStreamOverMaxSize(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		for b := uint16(1); b <= 2; b++ {
			f.data(b, make([]byte, 512))
			f.expectAck(b)
		}
		f.data(3, make([]byte, 512))
		f.expectError(f.tid, behaviour.CodeDiskFull)
	})
	c := quick(addr)
	c.MaxSize = 1200
	path := filepath.Join(t.TempDir(), "out")
	if _, err := c.ReadFile(context.Background(), "f", path); !errors.Is(err, client.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	assertAbsent(t, path)
}

// TestUploadTSizeChanged: an OACK that answers an upload's tsize with
// another value is refused.
func TestUploadTSizeChanged(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		f.oack(opt("tsize", "1"))
		f.expectError(f.tid, behaviour.CodeOptionRefused)
	})
	c := quick(addr)
	c.TSize = true
	if _, err := c.WriteBytes(context.Background(), "f", []byte("four")); !errors.Is(err, client.ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

// TestCustomOptionAnswers: extra options go out with the request and the
// server's answers come back in Result.Options.
func TestCustomOptionAnswers(t *testing.T) {
	addr := startFake(t, func(f *fakeConn) {
		if v, _ := f.req.Options.Get("token"); v != "s3cret" {
			f.t.Errorf("request options %v lack token=s3cret", f.req.Options.String())
		}
		f.oack(opt("token", "accepted"))
		if f.expectAck(0) {
			f.data(1, []byte("ok"))
			f.expectAck(1)
		}
	})
	c := quick(addr)
	c.Options = []behaviour.Option{opt("token", "s3cret")}
	_, res, err := c.ReadBytes(context.Background(), "f")
	if v, _ := res.Options.Get("token"); err != nil || v != "accepted" {
		t.Fatalf("options %v, err %v", res.Options.String(), err)
	}
}

func assertAbsent(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in the download directory: %s", e.Name())
	}
}
