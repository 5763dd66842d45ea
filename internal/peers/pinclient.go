package peers

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/pin/tftp/v3"
)

func pinTransfer(ctx context.Context, r Request, upload bool) Result {
	err := pinRun(ctx, r, upload)
	res := Result{Err: err, Exit: -1, Code: -1}
	if err != nil {
		res.Output = err.Error()
		res.Code = matchCode(pinCode)(err.Error(), 0)
	}
	return res
}

// pinCode finds the code in pin/tftp's "code: 1, message: ..." and
// "code=1, error: ..." texts.
var pinCode = regexp.MustCompile(`code[:=] ?(\d+)`)

// pinRun makes the transfer in a goroutine, because pin/tftp takes no
// context: when ctx ends first, the transfer is left to its own timeouts.
func pinRun(ctx context.Context, r Request, upload bool) error {
	c, err := tftp.NewClient(r.Server.String())
	if err != nil {
		return err
	}
	c.SetTimeout(pinTimeout)
	if r.BlockSize != 0 {
		c.SetBlockSize(r.BlockSize)
	}
	c.RequestTSize(r.TSize)
	done := make(chan error, 1)
	go func() {
		if upload {
			done <- pinUpload(c, r)
		} else {
			done <- pinDownload(c, r)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("pin-tftp did not finish: %w", ctx.Err())
	}
}

func pinDownload(c *tftp.Client, r Request) error {
	wt, err := c.Receive(r.Remote, "octet")
	if err != nil {
		return err
	}
	f, err := os.Create(r.Local)
	if err != nil {
		return err
	}
	if _, err := wt.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func pinUpload(c *tftp.Client, r Request) error {
	f, err := os.Open(r.Local)
	if err != nil {
		return err
	}
	defer f.Close()
	rf, err := c.Send(r.Remote, "octet")
	if err != nil {
		return err
	}
	_, err = rf.ReadFrom(io.Reader(f))
	return err
}
