package client

import (
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

// negotiate fixes the transfer's parameters from the server's first reply
// and gives the local handler's Transfer the options the server accepted.
func (x *transfer) negotiate(first reply) error {
	x.res.Server = x.tr.Peer().String()
	x.p = x.s.base
	x.t.Options = behaviour.Options{}
	if first.op == tftp.OpOACK {
		if err := x.acceptOACK(first.options); err != nil {
			return err
		}
		x.t.Options = first.options.Clone()
		x.res.Options = first.options.Clone()
	}
	if timeout, ok := x.t.Options.Int(tftp.OptTimeout); ok {
		x.p.Timeout = time.Duration(timeout) * time.Second
	}
	x.res.Mode, x.res.BlockSize, x.res.WindowSize, x.res.Timeout = x.p.Mode, x.p.BlockSize, x.p.WindowSize, x.p.Timeout
	x.verify = newVerifier(x.s.c.Verify)
	if x.op == behaviour.Write {
		x.verify = nil // the digest checks downloads
	}
	return nil
}

// acceptOACK checks the server's OACK against the request: every option
// must have been requested (by its exact name: "foo_blksize_bar" is not
// blksize), blksize and windowsize may only be lowered and stay in range,
// timeout must be the one sent, tsize must be a number (on an upload the one
// sent, on a download within MaxSize). Extra options are answered as the
// server likes.
func (x *transfer) acceptOACK(oack behaviour.Options) error {
	for name, value := range oack.All() {
		sent, ok := x.req.Options.Get(name)
		if !ok {
			return protocolError(behaviour.CodeOptionRefused, "option not requested")
		}
		if err := x.acceptOne(name, value, sent); err != nil {
			return err
		}
	}
	return nil
}

func (x *transfer) acceptOne(name, value, sent string) error {
	lo, numeric := minimum[name]
	if !numeric {
		return nil
	}
	v, ok := wire.ParseDecimal(value)
	want, _ := wire.ParseDecimal(sent)
	switch {
	case !ok || v < lo:
		return protocolError(behaviour.CodeOptionRefused, "option value out of range")
	case name == tftp.OptTSize:
		return x.acceptSize(v, want)
	case v > want || (name == tftp.OptTimeout && v != want):
		return protocolError(behaviour.CodeOptionRefused, "option value larger than requested")
	case name == tftp.OptBlockSize:
		x.p.BlockSize = int(v)
	case name == tftp.OptWindowSize:
		x.p.WindowSize = int(v)
	}
	return nil
}

// acceptSize takes a download's size from the server's tsize, refusing one
// larger than MaxSize, and checks that an upload's tsize comes back as sent.
func (x *transfer) acceptSize(v, sent int64) error {
	if x.op == behaviour.Write {
		if v != sent {
			return protocolError(behaviour.CodeOptionRefused, "tsize differs from the one sent")
		}
		return nil
	}
	if m := x.s.c.MaxSize; m > 0 && v > m {
		return tooLarge()
	}
	x.total, x.res.Size = v, v
	x.t.SetSize(v)
	return nil
}
