package config_test

import (
	"encoding"
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
	type text interface {
		encoding.TextUnmarshaler
		encoding.TextMarshaler
	}
	for _, tt := range []struct {
		new  func() text
		good map[string]string // read -> written
	}{
		{func() text { return new(config.Count) }, map[string]string{"off": "off", "0": "0", "7": "7"}},
		{func() text { return new(config.Interval) }, map[string]string{"off": "off", "0s": "0s", "10m": "10m"}},
		{func() text { return new(config.Limit) }, map[string]string{"off": "off", "0": "0", "64K": "64KiB"}},
	} {
		for in, want := range tt.good {
			v := tt.new()
			if err := v.UnmarshalText([]byte(in)); err != nil {
				t.Fatalf("%T %q: %v", v, in, err)
			}
			if got, _ := v.MarshalText(); string(got) != want {
				t.Errorf("%T %q written as %q, want %q", v, in, got, want)
			}
		}
		for _, bad := range []string{"-1", "never", "x"} {
			if v := tt.new(); v.UnmarshalText([]byte(bad)) == nil {
				t.Errorf("%T accepted %q", v, bad)
			}
		}
	}
}
