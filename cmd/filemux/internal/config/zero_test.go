package config_test

import (
	"encoding"
	"testing"
	"time"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/daemon"
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

// TestZeroKeysReachTheDaemon: a key whose daemon field takes 0 for its
// default takes 0 in the file too, and hands the daemon that 0.
func TestZeroKeysReachTheDaemon(t *testing.T) {
	yaml := `match_timeout: 0s
tftp: {listen: [':69'], max_blksize: 0, max_windowsize: 0, timeout: 0s, max_transfers: 0, max_unconfirmed: 0,
  unproven_max_blksize: 0}
sftp: {listen: [':2222'], host_key: k, password_file: pw, max_auth_tries: 0, handshake_timeout: 0s,
  keepalive_max: 0, max_connections: 0, max_per_address: 0, max_sessions: 0, max_handles: 0,
  ban_window: 0s, ban_duration: 0s}
routes: [{match: x, http: {url: 'http://x/', timeout: 1.9s}}]
`
	path := setup(t, yaml, map[string]string{"pw": "ops:$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n"})
	f, err := config.Load(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, yaml)
	}
	d, s := f.TFTPDaemons(nil, nil)[0], f.SSHDaemons(nil, nil)[0]
	for key, v := range map[string]int64{
		"max_blksize": int64(d.MaxBlockSize), "max_windowsize": int64(d.MaxWindowSize), "timeout": int64(d.Timeout),
		"max_transfers": int64(d.MaxTransfers), "max_unconfirmed": int64(d.MaxUnconfirmed),
		"unproven_max_blksize": int64(d.UnprovenMaxBlockSize), "max_auth_tries": int64(s.MaxAuthTries),
		"handshake_timeout": int64(s.HandshakeTimeout), "max_connections": int64(s.MaxConnections),
		"ban_window": int64(s.BanWindow), "ban_duration": int64(s.BanDuration),
	} {
		if v != 0 {
			t.Errorf("%s: the daemon gets %d, want 0, its default", key, v)
		}
	}
}
