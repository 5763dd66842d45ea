package metrics_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/cmd/filemux/internal/metrics"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
	"github.com/filemux/filemux/handlers"
	"github.com/filemux/filemux/registry"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// scrape fetches url and returns its samples by "name{k="v",...}" as the
// text format writes them (labels sorted by name).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		samples[line[:i]] = v
	}
	return samples
}

// eventually scrapes until want holds for every sample, or fails.
func eventually(t *testing.T, url string, want map[string]float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := scrape(t, url)
		var missing []string
		for k, v := range want {
			if got[k] != v {
				missing = append(missing, k+" = "+strconv.FormatFloat(got[k], 'g', -1, 64)+", want "+strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if len(missing) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never matched:\n%s", strings.Join(missing, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gate is a read handler whose single read waits until it is opened.
type gate chan struct{}

func (g gate) Read(p []byte) (int, error) {
	<-g
	return copy(p, "late"), io.EOF
}

func TestMetricsFromRealDaemon(t *testing.T) {
	kernel := bytes.Repeat([]byte("k"), 5000)
	hold := make(gate)
	var reg registry.Registry
	reg.MustRegister(`boot/.*`, behaviour.Bytes(kernel))
	reg.MustRegister(`slow`, behaviour.ReadFunc(func(context.Context, *behaviour.Transfer) (io.Reader, error) { return hold, nil }))
	reg.MustRegister(`up/.*`, handlers.NewMemory())
	names := map[string]string{`boot/.*`: "boot", `slow`: "slow", `up/.*`: "uploads"}
	m := metrics.New(metrics.Options{Route: func(name string) string {
		match, err := reg.Match(name)
		if err != nil {
			return ""
		}
		return names[match.Pattern]
	}})
	srv := daemontest.NewTFTP(t, &reg, func(d *daemon.TFTP) {
		m.TFTPHooks(d)
	})
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	url := admin.URL + "/metrics"

	before := scrape(t, url)
	if v, ok := before[`filemux_active_transfers{access="read",protocol="tftp"}`]; !ok || v != 0 {
		t.Errorf("active transfers before any: %v, %v; want a zero series", v, ok)
	}

	c := &client.TFTP{Addr: srv.Addr().String(), Timeout: 200 * time.Millisecond}
	for range 3 {
		if _, _, err := c.ReadBytes(context.Background(), "boot/vmlinuz"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.WriteBytes(context.Background(), "up/r1.cfg", []byte("hostname r1\n")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadBytes(context.Background(), "nothing-matches"); err == nil {
		t.Fatal("a name no route matches was served")
	}
	rawRequest(t, srv.Addr().String(), "../etc/passwd")

	done := make(chan error, 1)
	go func() {
		_, _, err := c.ReadBytes(context.Background(), "slow")
		done <- err
	}()
	eventually(t, url, map[string]float64{`filemux_active_transfers{access="read",protocol="tftp"}`: 1})
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	got := eventually(t, url, map[string]float64{
		`filemux_transfers_total{access="read",outcome="success",protocol="tftp",route="boot"}`:     3,
		`filemux_transfers_total{access="write",outcome="success",protocol="tftp",route="uploads"}`: 1,
		`filemux_transfers_total{access="read",outcome="success",protocol="tftp",route="slow"}`:     1,
		`filemux_transfers_total{access="read",outcome="refused",protocol="tftp",route="none"}`:     1,
		`filemux_transfer_bytes_total{access="read",protocol="tftp",route="boot"}`:                  3 * 5000,
		`filemux_transfer_bytes_total{access="write",protocol="tftp",route="uploads"}`:              12,
		`filemux_transfer_duration_seconds_count{access="read",protocol="tftp",route="boot"}`:       3,
		`filemux_refused_requests_total{protocol="tftp",reason="not_found"}`:                        1,
		`filemux_refused_requests_total{protocol="tftp",reason="illegal_file_name"}`:                1,
		`filemux_active_transfers{access="read",protocol="tftp"}`:                                   0,
	})
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("the Go runtime collector is missing")
	}
}

// rawRequest sends an RRQ for name as bytes on the wire, past any client's
// own checks, and waits for the daemon's ERROR.
func rawRequest(t *testing.T, addr, name string) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pkt := append([]byte{0, 1}, name...)
	pkt = append(append(pkt, 0), "octet\x00"...)
	if _, err := conn.Write(pkt); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil || n < 4 || buf[1] != 5 {
		t.Fatalf("no ERROR for %q: %v %q", name, err, buf[:n])
	}
}

func TestRetransmissionsCounted(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.Record(daemon.Stats{Protocol: behaviour.TFTP, Access: behaviour.Read, Outcome: daemon.OutcomeTimedOut, Retransmits: 5, Duration: time.Second})
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	eventually(t, admin.URL+"/metrics", map[string]float64{
		`filemux_retransmissions_total{protocol="tftp",route="none"}`:                             5,
		`filemux_transfers_total{access="read",outcome="timed_out",protocol="tftp",route="none"}`: 1,
	})
}

func TestRateLimitCounted(t *testing.T) {
	m := metrics.New(metrics.Options{})
	var seen atomic.Int32
	srv := daemontest.NewTFTP(t, behaviour.Bytes([]byte("x")), func(d *daemon.TFTP) {
		d.RequestRate, d.RequestBurst = 0.001, 1
		d.OnRefuse = func(netip.AddrPort, error) { seen.Add(1) } // a hook of the caller's own
		m.TFTPHooks(d)
	})
	conn, err := net.Dial("udp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for range 3 {
		_, _ = conn.Write([]byte("\x00\x01../x\x00octet\x00"))
	}
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	eventually(t, admin.URL+"/metrics", map[string]float64{
		`filemux_refused_requests_total{protocol="tftp",reason="rate_limit"}`:        2,
		`filemux_refused_requests_total{protocol="tftp",reason="illegal_file_name"}`: 1,
	})
	if n := seen.Load(); n != 3 {
		t.Errorf("the caller's own OnRefuse saw %d refusals, want 3: TFTPHooks must chain it", n)
	}
}

func TestAdminEndpoints(t *testing.T) {
	m := metrics.New(metrics.Options{})
	var health, reload error
	reloads := 0
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{
		Health: func() error { return health },
		Reload: func() error { reloads++; return reload },
	}))
	defer admin.Close()
	check := func(method, path string, status int, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, admin.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status || !strings.Contains(string(b), body) {
			t.Errorf("%s %s: %d %q, want %d %q", method, path, resp.StatusCode, b, status, body)
		}
	}
	check("GET", "/healthz", 200, "ok")
	health = errors.New("shutting down")
	check("GET", "/healthz", 503, "shutting down")
	check("POST", "/reload", 200, "reloaded")
	reload = errors.New("filemux.yaml:7: routes[0].match: bad pattern")
	check("POST", "/reload", 409, "filemux.yaml:7")
	check("GET", "/reload", 405, "")
	if reloads != 2 {
		t.Errorf("Reload called %d times, want 2", reloads)
	}
	m.Reloaded(nil)
	m.Reloaded(reload)
	eventually(t, admin.URL+"/metrics", map[string]float64{
		`filemux_config_reloads_total{result="success"}`: 1,
		`filemux_config_reloads_total{result="failure"}`: 1,
		`filemux_config_last_reload_successful`:          0,
	})
	noReload := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer noReload.Close()
	resp, err := http.Post(noReload.URL+"/reload", "text/plain", nil)
	if err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /reload without a Reload: %v %v", resp.Status, err)
	}
	resp.Body.Close()
}

func TestMetricsFromSSH(t *testing.T) {
	m := metrics.New(metrics.Options{Route: func(string) string { return "pub" }})
	srv := daemontest.NewSSH(t, behaviour.Bytes([]byte("hello over sftp\n")), func(d *daemon.SSH) { m.SSHHooks(d) })
	conn, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := sftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.Open("/greeting")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(f); err != nil || string(b) != "hello over sftp\n" {
		t.Fatalf("read %q, %v", b, err)
	}
	f.Close()
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	eventually(t, admin.URL+"/metrics", map[string]float64{
		`filemux_transfers_total{access="read",outcome="success",protocol="sftp",route="pub"}`: 1,
		`filemux_transfer_bytes_total{access="read",protocol="sftp",route="pub"}`:              16,
		`filemux_active_transfers{access="read",protocol="sftp"}`:                              0,
	})
}

// The SSH server's defences show: a silent connection in ssh_preauth, a
// wrong password as a failed login and, at the threshold, a ban.
func TestSSHGuardMetrics(t *testing.T) {
	m := metrics.New(metrics.Options{})
	srv := daemontest.NewSSH(t, behaviour.Bytes(nil), func(d *daemon.SSH) {
		m.SSHHooks(d)
		d.Passwords = map[string]string{"ops": "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"}
		d.BanThreshold = 2
	})
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	eventually(t, admin.URL+"/metrics", map[string]float64{
		"filemux_ssh_preauth": 0, "filemux_ssh_failed_logins_total": 0, "filemux_ssh_bans_total": 0, "filemux_ssh_banned_addresses": 0,
		"filemux_ssh_preauth_shed_total": 0, "filemux_ssh_banned_connections_total": 0,
	})
	silent, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	eventually(t, admin.URL+"/metrics", map[string]float64{"filemux_ssh_preauth": 1})
	cfg := srv.ClientConfig()
	cfg.User, cfg.Auth = "ops", []ssh.AuthMethod{ssh.RetryableAuthMethod(ssh.Password("guess"), 2)}
	if c, err := ssh.Dial("tcp", srv.Addr().String(), cfg); err == nil {
		c.Close()
		t.Fatal("a guessed password logged in")
	}
	eventually(t, admin.URL+"/metrics", map[string]float64{
		"filemux_ssh_preauth": 0, "filemux_ssh_failed_logins_total": 2, "filemux_ssh_bans_total": 1, "filemux_ssh_banned_addresses": 1,
		"filemux_ssh_banned_connections_total": 0,
	})
	if c, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		_, _ = io.Copy(io.Discard, c) // closed at once
		c.Close()
	}
	eventually(t, admin.URL+"/metrics", map[string]float64{"filemux_ssh_banned_connections_total": 1})
}

// TestDefenceMetrics: requests nobody answers show in tftp_unconfirmed and,
// past the daemon's budget, in tftp_unconfirmed_shed_total; a read that
// the unproven-client bound cut, in tftp_unproven_bounded_total.
func TestDefenceMetrics(t *testing.T) {
	m := metrics.New(metrics.Options{})
	srv := daemontest.NewTFTP(t, behaviour.Bytes([]byte("x")), func(d *daemon.TFTP) {
		d.Ports = daemon.PortsSingle
		d.MaxUnconfirmed = 2
		d.Timeout = 5 * time.Second
		m.TFTPHooks(d)
	})
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	eventually(t, admin.URL+"/metrics", map[string]float64{
		"filemux_tftp_unconfirmed": 0, "filemux_tftp_unconfirmed_shed_total": 0, "filemux_tftp_unproven_bounded_total": 0,
	})
	for range 3 {
		conn, err := net.Dial("udp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = conn.Write([]byte("\x00\x01f\x00octet\x00windowsize\x004\x00"))
	}
	eventually(t, admin.URL+"/metrics", map[string]float64{
		"filemux_tftp_unconfirmed": 2, "filemux_tftp_unconfirmed_shed_total": 1, "filemux_tftp_unproven_bounded_total": 3,
	})
}
