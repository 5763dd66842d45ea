package peers

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pin/tftp/v3"
)

// pinTimeout is pin/tftp's wait before a resend, on both sides; its own
// default of five seconds makes a lost packet on loopback costly.
const pinTimeout = time.Second

// startPin serves cfg.Root with a pin/tftp server in this process, on a
// port of 127.0.0.1 that the system picks.
func startPin(cfg ServerConfig) (*Server, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	root := cfg.Root
	srv := tftp.NewServer(
		func(name string, rf io.ReaderFrom) error { return pinRead(root, name, rf) },
		func(name string, wt io.WriterTo) error { return pinWrite(root, name, wt) },
	)
	srv.SetTimeout(pinTimeout)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(pc) }()
	s := &Server{
		Kind: PinServer,
		Addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(),
		Root: root,
		stopInProcess: func() error {
			srv.Shutdown()
			return <-done
		},
	}
	return s, nil
}

var errPinName = errors.New("name outside the root")

// pinPath confines a requested name to root, as pin/tftp leaves that to its
// handlers.
func pinPath(root, name string) (string, error) {
	clean := filepath.Clean("/" + strings.ReplaceAll(name, "\\", "/"))
	if strings.Contains(name, "..") {
		return "", errPinName
	}
	return filepath.Join(root, clean), nil
}

func pinRead(root, name string, rf io.ReaderFrom) error {
	p, err := pinPath(root, name)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if ot, ok := rf.(tftp.OutgoingTransfer); ok {
			ot.SetSize(fi.Size())
		}
	}
	_, err = rf.ReadFrom(f)
	return err
}

// pinWrite stores an upload under a temporary name and renames it into
// place when complete, so a failed upload leaves nothing behind.
func pinWrite(root, name string, wt io.WriterTo) error {
	p, err := pinPath(root, name)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".pin-upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := wt.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}
