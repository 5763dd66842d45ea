package config

import (
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/tftp"
)

// TFTP configures the TFTP daemon: one listener per address, all serving
// the same routes.
type TFTP struct {
	// Listen are the UDP addresses to serve on, "host:port", such as
	// "0.0.0.0:69" and "[::]:69". At least one is required.
	Listen []string `yaml:"listen" daemon:"-"`
	// MaxBlockSize caps the block size a client may negotiate (blksize,
	// 8..65464). 1468 fits an Ethernet frame.
	MaxBlockSize int `yaml:"max_blksize"`
	// MaxWindowSize caps the blocks sent per acknowledgement (windowsize,
	// RFC 7440, 1..65535).
	MaxWindowSize int `yaml:"max_windowsize"`
	// Timeout is the wait for the client before a packet is sent again,
	// unless the client negotiates another. Twice the timeout bounds
	// every handler call, an HTTP origin's answer included.
	Timeout Duration `yaml:"timeout"`
	// Retries is how often one packet is sent again before the transfer
	// fails; off never sends again.
	Retries Count `yaml:"retries"`
	// FirstReplyRetries bounds the resends of the first reply while the
	// client has not answered at all, so that a spoofed request cannot
	// make the daemon flood its victim; off never sends it again.
	FirstReplyRetries Count `yaml:"first_reply_retries"`
	// Ports chooses the local port of each transfer: random, single, or
	// a range LO-HI. With single or LO-HI anyone can guess a transfer's
	// port, so clients outside trusted_networks read lock-step at
	// unproven_max_blksize.
	Ports PortPolicy `yaml:"ports"`
	// MaxTransfers is the number of transfers that may run at once, once
	// their clients have answered (see max_unconfirmed).
	MaxTransfers int `yaml:"max_transfers"`
	// MaxPerClient is the number of transfers one client address may run
	// at once; 0 means no limit other than max_transfers.
	MaxPerClient int `yaml:"max_per_client"`
	// MaxUnconfirmed is the number of transfers whose client has not
	// answered yet that the daemon holds at once, apart from
	// max_transfers and max_per_client, which a transfer joins when its
	// client first answers. Past it the oldest is dropped, so that
	// requests from forged sources never lock real clients out.
	MaxUnconfirmed int `yaml:"max_unconfirmed"`
	// TrustedNetworks lists the client networks exempt from the
	// unproven-client bound of ports single or LO-HI, such as
	// "10.20.0.0/16". List only networks where no one can forge a source
	// address: the bound is what keeps the daemon from amplifying a
	// spoofer's traffic.
	TrustedNetworks []Network `yaml:"trusted_networks"`
	// UnprovenMaxBlockSize caps blksize for a client outside
	// trusted_networks when ports is single or LO-HI: nothing proves
	// such a client receives, so it also gets no windowsize and no
	// timeout option.
	UnprovenMaxBlockSize int `yaml:"unproven_max_blksize"`
	// MaxSize bounds a file, both ways; 0 means no limit.
	MaxSize Size `yaml:"max_size"`
	// MaxDuration bounds the lifetime of one transfer; 0 means no limit.
	MaxDuration Duration `yaml:"max_duration"`
	// RefuseReads refuses every read request before any route sees it.
	RefuseReads bool `yaml:"refuse_reads"`
	// RefuseWrites refuses every write request before any route sees it.
	RefuseWrites bool `yaml:"refuse_writes"`
	// RefuseOptions names options the daemon never negotiates, such as
	// windowsize for clients that mishandle it.
	RefuseOptions []string `yaml:"refuse_options"`
	// RequestRate limits the requests accepted from one address, per
	// second; requests over it are dropped unanswered. 0 means no limit.
	RequestRate float64 `yaml:"request_rate"`
	// RequestBurst is the number of requests an address may send at once
	// before request_rate applies; 0 means request_rate rounded up.
	RequestBurst int `yaml:"request_burst"`
}

func (t *TFTP) defaults() {
	t.MaxBlockSize = tftp.MaxBlockSize
	t.MaxWindowSize = daemon.DefaultTFTPMaxWindowSize
	t.Timeout = Duration(daemon.DefaultTFTPTimeout)
	t.Retries = daemon.DefaultTFTPRetries
	t.FirstReplyRetries = daemon.DefaultTFTPFirstReplyRetries
	t.MaxTransfers = daemon.DefaultTFTPMaxTransfers
	t.MaxUnconfirmed = daemon.DefaultTFTPMaxUnconfirmed
	t.UnprovenMaxBlockSize = daemon.DefaultTFTPUnprovenMaxBlockSize
}

// handlerBudget is how long the daemon lets one handler call run.
func (t *TFTP) handlerBudget() time.Duration {
	if t.Timeout == 0 {
		return 2 * daemon.DefaultTFTPTimeout
	}
	return 2 * time.Duration(t.Timeout)
}
