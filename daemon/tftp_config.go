package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/internal/tftp"
)

// settings are the TFTP fields with their defaults applied, fixed when
// serving starts.
type settings struct {
	handler      behaviour.Handler
	log          *slog.Logger
	base         tftp.Params
	limits       tftp.Limits
	firstSends   int // sends of the first reply before the peer answers
	maxTransfers int
	maxPerClient int
	maxPending   int // unconfirmed transfers held at once
	trusted      []netip.Prefix
	unproven     tftp.Limits // limits for a peer nothing proves receives
	maxSize      int64
	maxDuration  time.Duration
	refuseReads  bool
	refuseWrites bool
	refuseOpts   []string
	ports        PortPolicy
	rate         float64
	burst        int
	idle         time.Duration
	onRequest    func(Stats) error
	onSuccess    func(Stats)
	onFailure    func(Stats)
	onRefuse     func(netip.AddrPort, error)
	ctr          *counters
}

// settings validates the fields and applies the defaults.
func (d *TFTP) settings() (*settings, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	s := &settings{
		handler:      d.Handler,
		log:          d.Logger,
		maxTransfers: orDefault(d.MaxTransfers, DefaultTFTPMaxTransfers),
		maxPerClient: d.MaxPerClient,
		maxPending:   orDefault(d.MaxUnconfirmed, DefaultTFTPMaxUnconfirmed),
		trusted:      append([]netip.Prefix(nil), d.TrustedNetworks...),
		maxSize:      d.MaxSize,
		maxDuration:  d.MaxDuration,
		refuseReads:  d.RefuseReads,
		refuseWrites: d.RefuseWrites,
		ports:        d.Ports,
		rate:         d.RequestRate,
		burst:        d.RequestBurst,
		idle:         d.IdleTimeout,
		onRequest:    d.OnRequest,
		onSuccess:    d.OnSuccess,
		onFailure:    d.OnFailure,
		onRefuse:     d.OnRefuse,
		ctr:          &d.ctr,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, name := range d.RefuseOptions {
		s.refuseOpts = append(s.refuseOpts, strings.ToLower(name))
	}
	if s.rate > 0 && s.burst == 0 {
		s.burst = max(1, int(math.Ceil(s.rate)))
	}
	s.base = tftp.DefaultParams()
	s.base.Timeout = orDefault(d.Timeout, DefaultTFTPTimeout)
	s.base.Retries = retries(d.Retries, DefaultTFTPRetries)
	s.firstSends = 1 + min(retries(d.FirstReplyRetries, DefaultTFTPFirstReplyRetries), s.base.Retries)
	s.limits = tftp.Limits{
		MaxBlockSize:  orDefault(d.MaxBlockSize, tftp.MaxBlockSize),
		MaxWindowSize: orDefault(d.MaxWindowSize, DefaultTFTPMaxWindowSize),
		MaxSize:       d.MaxSize,
	}
	s.unproven = s.limits
	s.unproven.MaxBlockSize = min(s.limits.MaxBlockSize, orDefault(d.UnprovenMaxBlockSize, DefaultTFTPUnprovenMaxBlockSize))
	s.unproven.MaxWindowSize = 1
	return s, nil
}

func (d *TFTP) validate() error {
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf("daemon: TFTP."+format, args...))
		}
	}
	check(d.Handler == nil, "Handler is nil")
	check(d.Timeout < 0, "Timeout %v is negative", d.Timeout)
	check(d.MaxTransfers < 0, "MaxTransfers %d is negative", d.MaxTransfers)
	check(d.MaxPerClient < 0, "MaxPerClient %d is negative", d.MaxPerClient)
	check(d.MaxUnconfirmed < 0, "MaxUnconfirmed %d is negative", d.MaxUnconfirmed)
	check(d.UnprovenMaxBlockSize != 0 && (d.UnprovenMaxBlockSize < tftp.MinBlockSize || d.UnprovenMaxBlockSize > tftp.MaxBlockSize),
		"UnprovenMaxBlockSize %d is outside %d..%d", d.UnprovenMaxBlockSize, tftp.MinBlockSize, tftp.MaxBlockSize)
	for _, p := range d.TrustedNetworks {
		check(!p.IsValid(), "TrustedNetworks holds an invalid prefix %v", p)
	}
	check(d.MaxSize < 0, "MaxSize %d is negative", d.MaxSize)
	check(d.MaxDuration < 0, "MaxDuration %v is negative", d.MaxDuration)
	check(d.MaxBlockSize != 0 && (d.MaxBlockSize < tftp.MinBlockSize || d.MaxBlockSize > tftp.MaxBlockSize),
		"MaxBlockSize %d is outside %d..%d", d.MaxBlockSize, tftp.MinBlockSize, tftp.MaxBlockSize)
	check(d.MaxWindowSize < 0 || d.MaxWindowSize > 65535, "MaxWindowSize %d is outside 1..65535", d.MaxWindowSize)
	check(d.RequestRate < 0 || math.IsNaN(d.RequestRate) || math.IsInf(d.RequestRate, 0), "RequestRate %v is not a finite non-negative rate", d.RequestRate)
	check(d.RequestBurst < 0, "RequestBurst %d is negative", d.RequestBurst)
	check(d.IdleTimeout < 0, "IdleTimeout %v is negative", d.IdleTimeout)
	if err := d.Ports.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// retries maps the field convention (0 default, negative none) to a count.
func retries(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
