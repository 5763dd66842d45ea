package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Endpoints are what the admin address offers besides /metrics. Nil
// fields leave their endpoint answering as documented on Handler.
type Endpoints struct {
	// Health reports whether the process serves; an error makes /healthz
	// answer 503 with its text.
	Health func() error
	// Reload re-reads the configuration; POST /reload calls it.
	Reload func() error
}

// Handler returns the admin address's handler:
//
//   - GET /metrics: the metrics in the Prometheus text format.
//   - GET /healthz: 200 "ok" while Health returns nil (or is nil), 503
//     with the error otherwise.
//   - POST /reload: 200 "reloaded" when Reload succeeded, 409 with the
//     error (such as a configuration error naming its file and line)
//     when it refused the new configuration, 404 when Reload is nil.
func (m *Metrics) Handler(e Endpoints) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, e.Health, "ok", http.StatusServiceUnavailable)
	})
	if e.Reload != nil {
		mux.HandleFunc("POST /reload", func(w http.ResponseWriter, _ *http.Request) {
			answer(w, e.Reload, "reloaded", http.StatusConflict)
		})
	}
	return mux
}

func answer(w http.ResponseWriter, f func() error, ok string, failure int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if f != nil {
		if err := f(); err != nil {
			w.WriteHeader(failure)
			fmt.Fprintln(w, err)
			return
		}
	}
	fmt.Fprintln(w, ok)
}
