package config

import (
	"io"
	"log/slog"
	"reflect"

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
	return daemons(f, f.TFTP.Listen, f.TFTP, func(addr string) *daemon.TFTP {
		return &daemon.TFTP{ListenAddr: addr, Handler: h, Logger: logger}
	})
}

// SSHDaemons returns one SSH server (SFTP and SCP) per sftp.listen
// address, configured from the file, serving h and logging to logger;
// none without an sftp section. Their hooks are left for the caller.
func (f *File) SSHDaemons(h behaviour.Handler, logger *slog.Logger) []*daemon.SSH {
	if f.SFTP == nil {
		return nil
	}
	return daemons(f, f.SFTP.Listen, f.SFTP, func(addr string) *daemon.SSH {
		return &daemon.SSH{ListenAddr: addr, Handler: h, Logger: logger}
	})
}

// HTTPDaemons returns one HTTP server per http.listen address, configured
// from the file, serving h and logging to logger; none without an http
// section. Their hooks, AnonymousUploads among them (see
// AnonymousUploads), are left for the caller.
func (f *File) HTTPDaemons(h behaviour.Handler, logger *slog.Logger) []*daemon.HTTP {
	if f.HTTP == nil {
		return nil
	}
	return daemons(f, f.HTTP.Listen, f.HTTP, func(addr string) *daemon.HTTP {
		return &daemon.HTTP{ListenAddr: addr, Handler: h, Logger: logger}
	})
}

// daemons returns one daemon per listen address, made by newDaemon and
// given the settings of section, the file's section it listens for.
func daemons[D any](f *File, listen []string, section any, newDaemon func(addr string) *D) []*D {
	out := make([]*D, len(listen))
	for i, addr := range listen {
		out[i] = newDaemon(addr)
		f.copySettings(out[i], section)
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
	return reflect.DeepEqual(f.TFTP, g.TFTP) && reflect.DeepEqual(f.SFTP, g.SFTP) && reflect.DeepEqual(f.HTTP, g.HTTP) &&
		reflect.DeepEqual(f.Metrics, g.Metrics) && reflect.DeepEqual(f.State, g.State) && f.Log == g.Log && f.ShutdownTimeout == g.ShutdownTimeout
}
