package client

import (
	"context"
	"strconv"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
	"github.com/filemux/filemux/internal/wire"
)

// prepare builds the local handler's Transfer, lets Prepare trim the
// suggested options and builds the request from what it left.
func (x *transfer) prepare(ctx context.Context, remote string, l local) error {
	x.t = x.localTransfer(ctx, l)
	suggested := x.suggest()
	x.t.Options = suggested.Clone()
	if err := x.d.Prepare(ctx); err != nil {
		return err
	}
	if err := checkPrepared(suggested, x.t.Options); err != nil {
		return err
	}
	opts := x.t.Options.Clone()
	op := tftp.OpRRQ
	if x.op == behaviour.Write {
		op = tftp.OpWRQ
		x.uploadSize(&opts, suggested.Has(tftp.OptTSize))
	}
	x.req = tftp.Request{Op: op, Filename: remote, Mode: x.s.base.Mode, Options: opts}
	return nil
}

// localTransfer is the local handler's view of the transfer: a download is
// written locally (behaviour.Write), an upload read.
func (x *transfer) localTransfer(ctx context.Context, l local) behaviour.Transfer {
	t := behaviour.Transfer{
		Protocol:      behaviour.TFTP,
		Access:        behaviour.Write,
		RequestedName: l.requested,
		Name:          l.name,
		Mode:          x.s.base.Mode,
		Peer:          x.s.server,
		Local:         x.s.local,
	}
	if x.op == behaviour.Write {
		t.Access = behaviour.Read
		t.SetSize(l.size)
	}
	t.SetContext(ctx)
	return t
}

// suggest returns the options the caller suggests for this transfer: the
// client's, and tsize when asked for (on an upload only when the size is
// known before Prepare).
func (x *transfer) suggest() behaviour.Options {
	o := x.s.suggest.Clone()
	if !x.s.c.TSize {
		return o
	}
	if x.op == behaviour.Read {
		o.Add(tftp.OptTSize, "0")
	} else if n, ok := x.t.Size(); ok {
		o.Add(tftp.OptTSize, strconv.FormatInt(n, 10))
	}
	return o
}

// uploadSize makes an upload's tsize tell the size the handler knows after
// Prepare: kept when Prepare kept it, added when the size only became known
// in Prepare, dropped when the size is unknown.
func (x *transfer) uploadSize(opts *behaviour.Options, suggested bool) {
	n, known := x.t.Size()
	keep := opts.Has(tftp.OptTSize) || (!suggested && x.s.c.TSize)
	opts.Del(tftp.OptTSize)
	if keep && known {
		opts.Add(tftp.OptTSize, strconv.FormatInt(n, 10))
		x.res.Size = n
	}
	x.total = -1
	if known {
		x.total = n
	}
}

// checkPrepared verifies that Prepare only dropped options or lowered the
// numeric ones, within their ranges.
func checkPrepared(suggested, prepared behaviour.Options) error {
	if err := wire.CheckAccepted(suggested, prepared); err != nil {
		return err
	}
	for name, value := range prepared.All() {
		lo, numeric := minimum[name]
		if !numeric {
			continue
		}
		v, ok := wire.ParseDecimal(value)
		want, _ := suggested.Int(name)
		if !ok || v > want || v < lo {
			return &behaviour.Error{Code: behaviour.CodeOptionRefused, Message: "option raised or out of range",
				Err: errPrepare(name, value)}
		}
	}
	return nil
}

// minimum is the lowest acceptable value of each numeric option.
var minimum = map[string]int64{
	tftp.OptBlockSize:  tftp.MinBlockSize,
	tftp.OptWindowSize: 1,
	tftp.OptTimeout:    1,
	tftp.OptTSize:      0,
}

type prepareError struct{ name, value string }

func errPrepare(name, value string) error { return &prepareError{name, value} }

func (e *prepareError) Error() string {
	return "client: Prepare set option " + strconv.Quote(e.name) + " to " + strconv.Quote(e.value) + ", more than suggested or out of range"
}
