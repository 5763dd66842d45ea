package client_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
)

// One error vocabulary for every protocol: a missing file is
// behaviour.ErrNotFound on tftp://, sftp:// and scp:// alike, and the
// *client.Error says which protocol failed.
func ExampleError() {
	addr, _, stopTFTP := exampleServer()
	defer stopTFTP()
	sftpc, _, stopSFTP := exampleSFTP()
	defer stopSFTP()

	ctx := context.Background()
	_, _, tftpErr := (&client.TFTP{Addr: addr}).ReadBytes(ctx, "missing.cfg")
	_, _, sftpErr := sftpc.ReadBytes(ctx, "missing.cfg")
	_, _, scpErr := (&client.SCP{SSH: sftpc.SSH}).ReadBytes(ctx, "missing.cfg")
	for _, err := range []error{tftpErr, sftpErr, scpErr} {
		var ce *client.Error
		errors.As(err, &ce)
		fmt.Println(ce.Protocol, ce.Op, ce.Remote, errors.Is(err, behaviour.ErrNotFound))
	}
	// Output:
	// tftp read missing.cfg true
	// sftp read missing.cfg true
	// scp read missing.cfg true
}

// Timeout says the server stopped answering, as net.Error's does.
func ExampleError_Timeout() {
	addr, _, stop := exampleServer()
	stop() // nothing answers any more

	c := &client.TFTP{Addr: addr, Timeout: 10 * time.Millisecond, Retries: 1}
	_, _, err := c.ReadBytes(context.Background(), "boot.cfg")
	var ce *client.Error
	fmt.Println(errors.As(err, &ce) && ce.Timeout(), errors.Is(err, client.ErrTimeout))
	// Output: true true
}

// Unwrap gives both the class and the cause to errors.Is and errors.As:
// the class is behaviour's sentinel, the cause the server's own ERROR.
func ExampleError_Unwrap() {
	addr, _, stop := exampleServer()
	defer stop()

	_, _, err := (&client.TFTP{Addr: addr}).ReadBytes(context.Background(), "missing.cfg")
	var se *client.ServerError
	fmt.Println(errors.Is(err, behaviour.ErrNotFound), errors.As(err, &se) && se.Code == behaviour.CodeNotFound)
	// Output: true true
}

// Every client returns the same Result; SFTP and SCP fill the fields that
// are not TFTP's own.
func ExampleResult() {
	c, _, stop := exampleSFTP()
	defer stop()

	for _, rw := range []interface {
		ReadBytes(ctx context.Context, remote string) ([]byte, client.Result, error)
	}{c, &client.SCP{SSH: c.SSH}} {
		_, res, err := rw.ReadBytes(context.Background(), "boot.cfg")
		fmt.Println(res.Protocol, res.Access, res.Remote, res.Bytes, err)
	}
	// Output:
	// sftp read boot.cfg 17 <nil>
	// scp read boot.cfg 17 <nil>
}
