package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/cmd/filemux/internal/metrics"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/daemon/daemontest"
)

// TestMetricsFromHTTP: the HTTP server's transfers carry the protocol
// label http, its active transfers have series from the start, and the
// requests it refuses before a transfer count by a fixed reason.
func TestMetricsFromHTTP(t *testing.T) {
	m := metrics.New(metrics.Options{Route: func(string) string { return "pub" }})
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	got := scrape(t, admin.URL+"/metrics")
	for _, a := range []string{"read", "write"} {
		if v, ok := got[`filemux_active_transfers{access="`+a+`",protocol="http"}`]; !ok || v != 0 {
			t.Errorf("active_transfers for http %s: %v %v", a, v, ok)
		}
	}
	srv := daemontest.NewHTTP(t, behaviour.Bytes([]byte("hello over http\n")), func(d *daemon.HTTP) { m.HTTPHooks(d) })
	resp, err := srv.Client().Get(srv.URL("greeting"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "hello over http\n" {
		t.Fatalf("read %q, %v", b, err)
	}
	resp.Body.Close()
	for _, method := range []string{"DELETE", "PUT"} {
		req, _ := http.NewRequest(method, srv.URL("greeting"), strings.NewReader("x"))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	eventually(t, admin.URL+"/metrics", map[string]float64{
		`filemux_transfers_total{access="read",outcome="success",protocol="http",route="pub"}`: 1,
		`filemux_transfer_bytes_total{access="read",protocol="http",route="pub"}`:              16,
		`filemux_refused_requests_total{protocol="http",reason="method_not_allowed"}`:          1,
		`filemux_refused_requests_total{protocol="http",reason="authentication_required"}`:     1,
	})
}

// The HTTP server's defences show: wrong passwords as failed logins, at
// the threshold a ban, and the banned address's next request refused.
func TestHTTPGuardMetrics(t *testing.T) {
	m := metrics.New(metrics.Options{})
	pw := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(pw, []byte("ops:$2a$04$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := daemontest.NewHTTP(t, behaviour.Bytes([]byte("x")), func(d *daemon.HTTP) {
		m.HTTPHooks(d)
		d.PasswordFile = pw
		d.BanThreshold = 2
	})
	admin := httptest.NewServer(m.Handler(metrics.Endpoints{}))
	defer admin.Close()
	eventually(t, admin.URL+"/metrics", map[string]float64{
		"filemux_http_shed_total": 0, "filemux_http_failed_logins_total": 0, "filemux_http_bans_total": 0,
		"filemux_http_banned_addresses": 0, "filemux_http_banned_requests_total": 0,
	})
	get := func() int {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL("x"), nil)
		req.SetBasicAuth("ops", "guess")
		resp, err := srv.Client().Do(req)
		if err != nil {
			return 0 // a banned address's connection is closed on arrival
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 2; i++ {
		if st := get(); st != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, st)
		}
	}
	get()
	eventually(t, admin.URL+"/metrics", map[string]float64{
		"filemux_http_failed_logins_total": 2, "filemux_http_bans_total": 1,
		"filemux_http_banned_addresses": 1, "filemux_http_banned_requests_total": 1,
	})
}
