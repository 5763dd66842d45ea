package config

import (
	"io"
	"log/slog"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
)

// TFTPDaemons returns one TFTP daemon per tftp.listen address, configured
// from the file, serving h and logging to logger; none without a tftp
// section. Their hooks are left for the caller.
func (f *File) TFTPDaemons(h behaviour.Handler, logger *slog.Logger) []*daemon.TFTP {
	if f.TFTP == nil {
		return nil
	}
	t := f.TFTP
	out := make([]*daemon.TFTP, len(t.Listen))
	for i, addr := range t.Listen {
		out[i] = &daemon.TFTP{
			ListenAddr: addr, Handler: h, Logger: logger,
			Timeout: time.Duration(t.Timeout), Retries: never(t.Retries), FirstReplyRetries: never(t.FirstReplyRetries),
			MaxTransfers: t.MaxTransfers, MaxPerClient: t.MaxPerClient, MaxSize: int64(t.MaxSize),
			MaxDuration: time.Duration(t.MaxDuration), MaxBlockSize: t.MaxBlockSize, MaxWindowSize: t.MaxWindowSize,
			RefuseReads: t.RefuseReads, RefuseWrites: t.RefuseWrites, RefuseOptions: append([]string(nil), t.RefuseOptions...),
			Ports: t.Ports.PortPolicy, RequestRate: t.RequestRate, RequestBurst: t.RequestBurst,
		}
	}
	return out
}

// never maps a literal count of the file, where 0 means none, to the
// daemon's convention, where 0 means the default and a negative value
// none.
func never(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// NewHandler returns a slog.Handler writing to w in the configured format
// at the configured level.
func (l Log) NewHandler(w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: l.Level}
	if l.Format == LogJSON {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
