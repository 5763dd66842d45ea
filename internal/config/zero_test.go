package config_test

import (
	"testing"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/config"
)

// TestZeroMeansTheDefault keeps 0 in the file meaning what 0 means in the
// daemon's field (the default), and off meaning daemon.Never.
func TestZeroMeansTheDefault(t *testing.T) {
	for _, tt := range []struct {
		value    string
		count    int
		interval time.Duration
	}{
		{"0", 0, 0},
		{"off", daemon.Never, daemon.Never},
	} {
		yaml := "tftp:\n  listen: [':69']\n  retries: " + tt.value + "\n  first_reply_retries: " + tt.value +
			"\nsftp:\n  listen: [':2222']\n  host_key: k\n  password_file: pw\n  ban_threshold: " + tt.value +
			"\n  idle_timeout: " + durationOf(tt.value) + "\n  keepalive_interval: " + durationOf(tt.value) +
			"\nroutes: [{match: x, memory: {}}]\n"
		path := setup(t, yaml, map[string]string{"pw": "ops:$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n"})
		f, err := config.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", tt.value, err)
		}
		d := f.TFTPDaemons(nil, nil)[0]
		s := f.SSHDaemons(nil, nil)[0]
		if d.Retries != tt.count || d.FirstReplyRetries != tt.count || s.BanThreshold != tt.count ||
			s.IdleTimeout != tt.interval || s.KeepAliveInterval != tt.interval {
			t.Errorf("%s: daemons get retries %d, first %d, ban %d, idle %v, keepalive %v; want %d and %v",
				tt.value, d.Retries, d.FirstReplyRetries, s.BanThreshold, s.IdleTimeout, s.KeepAliveInterval, tt.count, tt.interval)
		}
	}
}

func durationOf(v string) string {
	if v == "0" {
		return "0s"
	}
	return v
}

func TestCountAndIntervalText(t *testing.T) {
	for in, want := range map[string]string{"off": "off", "0": "0", "7": "7"} {
		var c config.Count
		if err := c.UnmarshalText([]byte(in)); err != nil {
			t.Fatalf("count %q: %v", in, err)
		}
		if got, _ := c.MarshalText(); string(got) != want {
			t.Errorf("count %q written as %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"off": "off", "0s": "0s", "10m": "10m"} {
		var i config.Interval
		if err := i.UnmarshalText([]byte(in)); err != nil {
			t.Fatalf("interval %q: %v", in, err)
		}
		if got, _ := i.MarshalText(); string(got) != want {
			t.Errorf("interval %q written as %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"-1", "never", "x"} {
		var c config.Count
		var i config.Interval
		if c.UnmarshalText([]byte(bad)) == nil || i.UnmarshalText([]byte(bad)) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
