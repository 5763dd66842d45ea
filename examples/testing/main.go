// Command testing is an example to read, not to run: example_test.go shows
// how to test Go code that moves files by TFTP or SFTP against real servers,
// started on loopback inside `go test` by daemontest and backed by an
// in-memory store (handlers.Memory) that the test fills and inspects. No
// fixed ports, no files on disk, no external daemon, no mocks.
//
// The code under test is the three small functions below, the kind an
// automation tool has: push a config, fetch a firmware image with an
// integrity check, fetch a file over SFTP.
//
//	go test -v ./examples/testing
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/filemux/filemux/client"
	"github.com/pkg/sftp"
)

// backup pushes a device's running-config to the TFTP server as
// "<host>-confg", announcing its size.
func backup(ctx context.Context, c client.TFTP, host string, config []byte) error {
	c.TSize = true
	_, err := c.WriteBytes(ctx, host+"-confg", config)
	return err
}

// upgrade downloads a firmware image over TFTP with large windows and
// refuses it unless its sha256 is sum (hexadecimal).
func upgrade(ctx context.Context, c client.TFTP, name, sum string) ([]byte, error) {
	var err error
	if c.Verify, err = client.ParseChecksum(client.SHA256, sum); err != nil {
		return nil, err
	}
	c.BlockSize, c.WindowSize = 1468, 16
	b, _, err := c.ReadBytes(ctx, name)
	return b, err
}

// mirror downloads a file over SFTP.
func mirror(sc *sftp.Client, name string) ([]byte, error) {
	f, err := sc.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func main() {
	fmt.Println("This example is a test: read examples/testing/example_test.go and run")
	fmt.Println("  go test -v ./examples/testing")
}
