package metrics_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/cmd/filemux/internal/metrics"
	"github.com/filemux/filemux/daemon"
)

// printSamples prints the samples of the admin handler whose lines start
// with prefix.
func printSamples(m *metrics.Metrics, prefix string) {
	rec := httptest.NewRecorder()
	m.Handler(metrics.Endpoints{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, prefix) {
			fmt.Print(line)
		}
	}
}

func ExampleNew() {
	m := metrics.New(metrics.Options{Route: func(name string) string { return "configs" }})
	m.Record(daemon.Stats{
		Protocol: behaviour.TFTP, Access: behaviour.Write, Name: "sw1-confg",
		Outcome: daemon.OutcomeSuccess, Bytes: 2048, Duration: 40 * time.Millisecond,
	})
	printSamples(m, "filemux_transfer")
	// Output:
	// filemux_transfer_bytes_total{access="write",protocol="tftp",route="configs"} 2048
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="0.005"} 0
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="0.02"} 0
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="0.08"} 1
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="0.32"} 1
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="1.28"} 1
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="5.12"} 1
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="20.48"} 1
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="81.92"} 1
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="327.68"} 1
	// filemux_transfer_duration_seconds_bucket{access="write",protocol="tftp",route="configs",le="+Inf"} 1
	// filemux_transfer_duration_seconds_sum{access="write",protocol="tftp",route="configs"} 0.04
	// filemux_transfer_duration_seconds_count{access="write",protocol="tftp",route="configs"} 1
	// filemux_transfers_total{access="write",outcome="success",protocol="tftp",route="configs"} 1
}

// Wire a TFTP daemon to the metrics: its hooks count transfers and the
// requests it refuses before admission.
func ExampleMetrics_TFTPHooks() {
	m := metrics.New(metrics.Options{})
	d := &daemon.TFTP{Handler: behaviour.Bytes([]byte("hello\n"))}
	m.TFTPHooks(d)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go d.Serve(pc)
	defer d.Close()

	c := &client.TFTP{Addr: pc.LocalAddr().String()}
	b, _, err := c.ReadBytes(context.Background(), "greeting")
	fmt.Printf("%q %v\n", b, err)
	// The daemon reports a read once the last ACK is in, before the
	// transfer leaves Active.
	for i := 0; i < 500 && len(d.Active()) > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	printSamples(m, "filemux_transfers_total")
	// A traversal attempt is refused before admission: no transfer, one refusal.
	_, _, err = c.ReadBytes(context.Background(), "../etc/passwd")
	fmt.Println(err != nil)
	printSamples(m, "filemux_refused_requests_total")
	// Output:
	// "hello\n" <nil>
	// filemux_transfers_total{access="read",outcome="success",protocol="tftp",route="none"} 1
	// true
	// filemux_refused_requests_total{protocol="tftp",reason="illegal_file_name"} 1
}

// The admin address: health for load balancers and process supervisors,
// reload for operators.
func ExampleMetrics_Handler() {
	m := metrics.New(metrics.Options{})
	stopping := false
	h := m.Handler(metrics.Endpoints{
		Health: func() error {
			if stopping {
				return fmt.Errorf("shutting down")
			}
			return nil
		},
		Reload: func() error { return fmt.Errorf("filemux.yaml:12:5: routes[0].match: invalid pattern") },
	})
	for _, req := range []struct{ method, path string }{{"GET", "/healthz"}, {"POST", "/reload"}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(req.method, req.path, nil))
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	stopping = true
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// 200 ok
	// 409 filemux.yaml:12:5: routes[0].match: invalid pattern
	// 503 shutting down
}
