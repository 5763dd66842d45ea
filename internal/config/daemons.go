package config

import (
	"io"
	"log/slog"
	"reflect"
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
			Timeout: time.Duration(t.Timeout), Retries: int(t.Retries), FirstReplyRetries: int(t.FirstReplyRetries),
			MaxTransfers: t.MaxTransfers, MaxPerClient: t.MaxPerClient, MaxUnconfirmed: t.MaxUnconfirmed,
			TrustedNetworks: t.trusted(), UnprovenMaxBlockSize: t.UnprovenMaxBlockSize, MaxSize: int64(t.MaxSize),
			MaxDuration: time.Duration(t.MaxDuration), MaxBlockSize: t.MaxBlockSize, MaxWindowSize: t.MaxWindowSize,
			RefuseReads: t.RefuseReads, RefuseWrites: t.RefuseWrites, RefuseOptions: append([]string(nil), t.RefuseOptions...),
			Ports: t.Ports.PortPolicy, RequestRate: t.RequestRate, RequestBurst: t.RequestBurst,
		}
	}
	return out
}

// SSHDaemons returns one SSH server (SFTP and SCP) per sftp.listen
// address, configured from the file, serving h and logging to logger;
// none without an sftp section. Their hooks are left for the caller.
func (f *File) SSHDaemons(h behaviour.Handler, logger *slog.Logger) []*daemon.SSH {
	if f.SFTP == nil {
		return nil
	}
	s := f.SFTP
	out := make([]*daemon.SSH, len(s.Listen))
	for i, addr := range s.Listen {
		out[i] = &daemon.SSH{
			ListenAddr: addr, Handler: h, Logger: logger,
			HostKeyFile: f.resolve(s.HostKey), RSAHostKeyFile: f.resolve(s.RSAHostKey),
			AuthorizedKeysFile: f.resolve(s.AuthorizedKeys), PasswordFile: f.resolve(s.PasswordFile),
			LegacyAlgorithms: s.LegacyAlgorithms, MaxAuthTries: s.MaxAuthTries,
			HandshakeTimeout: time.Duration(s.HandshakeTimeout), IdleTimeout: time.Duration(s.IdleTimeout),
			KeepAliveInterval: time.Duration(s.KeepAliveInterval), KeepAliveMax: s.KeepAliveMax,
			MaxConnections: s.MaxConnections, MaxPerAddress: s.MaxPerAddress, MaxSessions: s.MaxSessions,
			MaxHandles: s.MaxHandles, MaxSize: int64(s.MaxSize), ReadAhead: int(s.ReadAhead),
			ReorderLimit: int(s.ReorderLimit), SpoolMemory: int(s.SpoolMemory), SpoolDir: f.resolve(s.SpoolDir),
			MaxSpool: int64(s.MaxSpool), MaxStartups: s.MaxStartups.SSHStartups, BanThreshold: int(s.BanThreshold),
			BanWindow: time.Duration(s.BanWindow), BanDuration: time.Duration(s.BanDuration),
		}
	}
	return out
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

// SameServers reports whether g configures the listeners, tunables,
// metrics and logs as f does: what a reload cannot change.
func (f *File) SameServers(g *File) bool {
	return reflect.DeepEqual(f.TFTP, g.TFTP) && reflect.DeepEqual(f.SFTP, g.SFTP) &&
		reflect.DeepEqual(f.Metrics, g.Metrics) && f.Log == g.Log && f.ShutdownTimeout == g.ShutdownTimeout
}
