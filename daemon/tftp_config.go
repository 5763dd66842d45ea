package daemon

import (
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
	hooks
	ctr *counters
}

// settings applies the defaults to the validated fields.
func (d *TFTP) settings() (*settings, error) {
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
		hooks:        hooks{d.OnRequest, d.OnSuccess, d.OnFailure, d.OnRefuse},
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
	s.base.Retries = orNone(d.Retries, DefaultTFTPRetries)
	s.firstSends = 1 + min(orNone(d.FirstReplyRetries, DefaultTFTPFirstReplyRetries), s.base.Retries)
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

// ListenAndServe listens on the UDP address d.ListenAddr (":69" when empty) and
// serves until Shutdown, Close or the idle timeout; see Serve.
func (d *TFTP) ListenAndServe() error {
	return listenAndServe(d.ListenAddr, defaultTFTPAddr, d.validate, listenUDP, d.Serve)
}

func (d *TFTP) validate() error {
	c := checks{prefix: "daemon: TFTP."}
	c.check(d.Handler == nil, "Handler is nil")
	c.check(d.Timeout < 0, "Timeout %v is negative", d.Timeout)
	c.check(d.MaxTransfers < 0, "MaxTransfers %d is negative", d.MaxTransfers)
	c.check(d.MaxPerClient < 0, "MaxPerClient %d is negative", d.MaxPerClient)
	c.check(d.MaxUnconfirmed < 0, "MaxUnconfirmed %d is negative", d.MaxUnconfirmed)
	c.check(d.UnprovenMaxBlockSize != 0 && (d.UnprovenMaxBlockSize < tftp.MinBlockSize || d.UnprovenMaxBlockSize > tftp.MaxBlockSize),
		"UnprovenMaxBlockSize %d is outside %d..%d", d.UnprovenMaxBlockSize, tftp.MinBlockSize, tftp.MaxBlockSize)
	for _, p := range d.TrustedNetworks {
		c.check(!p.IsValid(), "TrustedNetworks holds an invalid prefix %v", p)
	}
	c.check(d.MaxSize < 0, "MaxSize %d is negative", d.MaxSize)
	c.check(d.MaxDuration < 0, "MaxDuration %v is negative", d.MaxDuration)
	c.check(d.MaxBlockSize != 0 && (d.MaxBlockSize < tftp.MinBlockSize || d.MaxBlockSize > tftp.MaxBlockSize),
		"MaxBlockSize %d is outside %d..%d", d.MaxBlockSize, tftp.MinBlockSize, tftp.MaxBlockSize)
	c.check(d.MaxWindowSize < 0 || d.MaxWindowSize > 65535, "MaxWindowSize %d is outside 1..65535", d.MaxWindowSize)
	c.check(d.RequestRate < 0 || math.IsNaN(d.RequestRate) || math.IsInf(d.RequestRate, 0), "RequestRate %v is not a finite non-negative rate", d.RequestRate)
	c.check(d.RequestBurst < 0, "RequestBurst %d is negative", d.RequestBurst)
	c.check(d.IdleTimeout < 0, "IdleTimeout %v is negative", d.IdleTimeout)
	c.add(d.Ports.validate())
	return c.err()
}
