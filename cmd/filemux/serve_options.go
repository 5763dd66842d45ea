package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
)

// serveOptions are the flags of serve that shape how it runs rather than
// what it serves: the configuration file, the admin address, the logs and
// the lifetime.
type serveOptions struct {
	config    string
	metrics   string
	logFormat string
	idleExit  time.Duration
	shutdown  time.Duration
}

func (o *serveOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.config, "config", "", "serve the listeners and routes of the YAML configuration `FILE` (see docs/config.md)")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics, /healthz and POST /reload on `ADDR` (host:port)")
	fs.StringVar(&o.logFormat, "log-format", "", "write logs as `FORMAT`: text or json (default: the file's, or text)")
	fs.DurationVar(&o.idleExit, "idle-exit", 0, "stop after `DURATION` without a request while no transfer runs")
	fs.DurationVar(&o.shutdown, "shutdown-timeout", 0, "on SIGTERM or SIGINT, let running transfers finish for `DURATION` (default: the file's shutdown_timeout, or 5s)")
}

// check validates the options; flagsSet reports whether the flags that a
// configuration file replaces (--tftp, --sftp, --http, --root and the like) were given.
func (o *serveOptions) check(flagsSet bool) error {
	switch {
	case o.config != "" && flagsSet:
		return errors.New("--config takes the listeners and routes from the file: leave out --tftp, --sftp, --http and their flags, --root and --writable")
	case o.idleExit < 0 || o.shutdown < 0:
		return errors.New("durations must not be negative")
	}
	if o.metrics != "" {
		if _, _, err := net.SplitHostPort(o.metrics); err != nil {
			return fmt.Errorf("--metrics %q is not HOST:PORT", o.metrics)
		}
	}
	if o.logFormat != "" {
		var f config.LogFormat
		if err := f.UnmarshalText([]byte(o.logFormat)); err != nil {
			return fmt.Errorf("--log-format: %v", err)
		}
	}
	return nil
}

// visited reports whether fs parsed any of the named flags.
func visited(fs *flag.FlagSet, names ...string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			found = found || f.Name == n
		}
	})
	return found
}
