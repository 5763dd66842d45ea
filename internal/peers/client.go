package peers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// ClientKind names a real TFTP client.
type ClientKind uint8

// The TFTP clients a test can run.
const (
	// Curl is curl's tftp:// support (blksize, tsize; no windowsize).
	Curl ClientKind = iota + 1
	// TFTPHPA is tftp-hpa's tftp: binary mode, no options at all.
	TFTPHPA
	// ATFTP is atftp: blksize, windowsize, tsize.
	ATFTP
	// Busybox is busybox's tftp applet: blksize (tsize on downloads).
	Busybox
	// ErlangFile is Erlang's tftp:read_file/write_file with a local file.
	ErlangFile
	// ErlangBinary is Erlang's tftp:read_file/write_file with the data in
	// memory (the atom binary, Erlang's tftp_binary callback).
	ErlangBinary
	// NodeClient is the npm tftp package's client: it always asks for
	// blksize (1468 unless set), windowsize (4 unless set), timeout and
	// rollover.
	NodeClient
	// PinClient is github.com/pin/tftp/v3's client, in the test's process:
	// blksize, tsize on downloads.
	PinClient
)

// ClientKinds lists every client, for table-driven tests.
var ClientKinds = []ClientKind{Curl, TFTPHPA, ATFTP, Busybox, ErlangFile, ErlangBinary, NodeClient, PinClient}

var clientNames = [...]string{
	Curl:         "curl",
	TFTPHPA:      "tftp-hpa",
	ATFTP:        "atftp",
	Busybox:      "busybox",
	ErlangFile:   "erlang-file",
	ErlangBinary: "erlang-binary",
	NodeClient:   "node-tftp",
	PinClient:    "pin-tftp",
}

// String returns the client's name, such as "curl".
func (c ClientKind) String() string {
	if int(c) < len(clientNames) && clientNames[c] != "" {
		return clientNames[c]
	}
	return fmt.Sprintf("ClientKind(%d)", c)
}

// Programs returns what Need must find before the client can run.
func (c ClientKind) Programs() []string {
	switch c {
	case Curl:
		return []string{"curl"}
	case TFTPHPA:
		return []string{"tftp"}
	case ATFTP:
		return []string{"atftp"}
	case Busybox:
		return []string{"busybox"}
	case ErlangFile, ErlangBinary:
		return []string{"erl"}
	case NodeClient:
		return []string{ProgNodeTFTP}
	}
	return nil
}

// Request is one transfer for a client to make.
type Request struct {
	// Server is the server's address.
	Server netip.AddrPort
	// Remote is the file name on the server.
	Remote string
	// Local is the local file: written by a download, read by an upload.
	Local string
	// BlockSize asks for the blksize option; 0 leaves the client's default.
	BlockSize int
	// WindowSize asks for the windowsize option (RFC 7440); 0 leaves the
	// client's default.
	WindowSize int
	// TSize asks for the tsize option where the client makes it optional;
	// curl (unless NoOptions), busybox and node send it anyway.
	TSize bool
	// NoOptions sends a plain RFC 1350 request where the client can (curl
	// --tftp-no-options, pin/tftp without options). It excludes the others.
	NoOptions bool
	// Timeout bounds the whole transfer; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds a transfer whose Request sets no Timeout.
const DefaultTimeout = 2 * time.Minute

// Result is the outcome of a client run.
type Result struct {
	// Err is nil when the client reported success.
	Err error
	// Code is the TFTP error code the client reported from the server's
	// ERROR, or -1 when it reported none or cannot tell (atftp and node
	// print only the message).
	Code int
	// Exit is the client's exit status (-1 for in-process clients or when
	// it did not exit by itself).
	Exit int
	// Output is what the client printed.
	Output string
	// Elapsed is the wall time of the transfer.
	Elapsed time.Duration
}

// ErrUnsupported is returned when a client cannot make the transfer the
// Request asks for (an option it lacks).
var ErrUnsupported = errors.New("the client does not support this request")

// capabilities says which options a client can ask for.
type capabilities struct {
	blksize   bool
	minBlk    int
	window    bool
	tsize     bool
	noOptions bool
}

var clientCaps = map[ClientKind]capabilities{
	Curl:         {blksize: true, minBlk: 8, tsize: true, noOptions: true},
	TFTPHPA:      {noOptions: true},
	ATFTP:        {blksize: true, minBlk: 8, window: true, tsize: true, noOptions: true},
	Busybox:      {blksize: true, minBlk: 64, tsize: true}, // -b 32..63 fails: "remote filename is too long"
	ErlangFile:   {blksize: true, minBlk: 8, tsize: true, noOptions: true},
	ErlangBinary: {blksize: true, minBlk: 8, tsize: true, noOptions: true},
	NodeClient:   {blksize: true, minBlk: 8, window: true, tsize: true},
	PinClient:    {blksize: true, minBlk: 512, tsize: true, noOptions: true},
}

// Supports reports whether the client can make r, and why not.
func (c ClientKind) Supports(r Request) error {
	cp, ok := clientCaps[c]
	no := func(what string) error { return fmt.Errorf("%w: %v has no %s", ErrUnsupported, c, what) }
	switch {
	case !ok:
		return no("implementation")
	case r.NoOptions && (r.BlockSize != 0 || r.WindowSize != 0 || r.TSize):
		return fmt.Errorf("%w: NoOptions with options", ErrUnsupported)
	case r.NoOptions && !cp.noOptions:
		return no("way to send a request without options")
	case r.BlockSize != 0 && !cp.blksize:
		return no("blksize option")
	case r.BlockSize != 0 && r.BlockSize < cp.minBlk:
		return no(fmt.Sprintf("blksize below %d", cp.minBlk))
	case r.WindowSize != 0 && !cp.window:
		return no("windowsize option")
	case r.TSize && !cp.tsize:
		return no("tsize option")
	}
	return nil
}

// Get downloads r.Remote into r.Local with client c, skipping the test when
// the client is missing (failing under CI=true) and failing it when the
// client cannot make the request. The caller checks Result.
func Get(t testing.TB, c ClientKind, r Request) Result {
	t.Helper()
	return run(t, c, r, Download)
}

// Put uploads r.Local as r.Remote with client c, as Get does.
func Put(t testing.TB, c ClientKind, r Request) Result {
	t.Helper()
	return run(t, c, r, Upload)
}

func run(t testing.TB, c ClientKind, r Request, f func(context.Context, ClientKind, Request) Result) Result {
	t.Helper()
	Need(t, c.Programs()...)
	if err := c.Supports(r); err != nil {
		t.Fatalf("peers: %v", err)
	}
	return f(context.Background(), c, r)
}

// Download runs client c to fetch r.Remote into r.Local.
func Download(ctx context.Context, c ClientKind, r Request) Result {
	return transfer(ctx, c, r, false)
}

// Upload runs client c to send r.Local as r.Remote.
func Upload(ctx context.Context, c ClientKind, r Request) Result {
	return transfer(ctx, c, r, true)
}

func transfer(ctx context.Context, c ClientKind, r Request, upload bool) Result {
	if err := c.Supports(r); err != nil {
		return Result{Err: err, Code: -1, Exit: -1}
	}
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	start := time.Now()
	var res Result
	if c == PinClient {
		res = pinTransfer(ctx, r, upload)
	} else {
		res = commandTransfer(ctx, c, r, upload)
	}
	res.Elapsed = time.Since(start)
	return res
}
