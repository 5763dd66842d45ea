package config

import (
	"log/slog"
	"time"

	"github.com/filemux/filemux/registry"
)

// File is a filemux configuration file: listeners, engine tunables and
// routes. Paths in it are relative to the directory of the file.
type File struct {
	// TFTP configures the TFTP daemon; without it, TFTP is not served.
	TFTP *TFTP `yaml:"tftp"`
	// SFTP configures the SSH server, which serves SFTP and SCP; without
	// it, neither is served.
	SFTP *SFTP `yaml:"sftp"`
	// HTTP configures the HTTP server (HTTP or HTTPS); without it, HTTP is
	// not served.
	HTTP *HTTPServer `yaml:"http"`
	// Metrics configures the admin address: Prometheus metrics, health
	// and reload; without it, there is none.
	Metrics *Metrics `yaml:"metrics"`
	// State connects to the state instances share in PostgreSQL:
	// inventories from queries, the transfer history, cluster-wide
	// reloads; without it, there is none.
	State *State `yaml:"state"`
	// Log configures the logs.
	Log Log `yaml:"log"`
	// ShutdownTimeout is how long running transfers may finish after
	// SIGTERM or SIGINT before they are aborted.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// MatchTimeout bounds the match of one route's pattern against one
	// file name; a match that runs out of time refuses the request.
	MatchTimeout Duration `yaml:"match_timeout"`
	// Routes are tried in order for every file name; the first whose
	// match is found in the name serves it. At least one is required.
	Routes []Route `yaml:"routes"`

	// name is the file's path as given, for errors; dir the directory
	// relative paths start from.
	name, dir string
	pos       positions
}

func (f *File) defaults() {
	f.ShutdownTimeout = Duration(10 * time.Second)
	f.MatchTimeout = Duration(registry.DefaultMatchTimeout)
}

// Metrics configures the admin address.
type Metrics struct {
	// Listen is the TCP address of the admin HTTP server, "host:port":
	// GET /metrics (Prometheus), GET /healthz and POST /reload. Keep it on
	// loopback or a management network.
	Listen string `yaml:"listen"`
}

// Log configures the logs, written to the standard error.
type Log struct {
	// Format is text (key=value pairs) or json (one object per line).
	Format LogFormat `yaml:"format"`
	// Level is the least severe level written: debug, info, warn or
	// error.
	Level slog.Level `yaml:"level"`
}

// Name returns the path of the file as it was loaded.
func (f *File) Name() string { return f.name }
