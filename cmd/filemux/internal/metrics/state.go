package metrics

import "github.com/prometheus/client_golang/prometheus"

// StateCounts are the counters of the shared state in PostgreSQL, read
// at each scrape.
type StateCounts struct {
	// HistoryWritten rows are in filemux_transfers; HistoryDropped were
	// lost to a full queue or a database that did not take them.
	HistoryWritten, HistoryDropped int64
	// InventoryReloads counts the inventory queries that succeeded,
	// InventoryReloadFailures those that failed.
	InventoryReloads, InventoryReloadFailures int64
}

var (
	historyDesc = prometheus.NewDesc(namespace+"_history_rows_total",
		"Transfer history rows, by result: written to filemux_transfers, or dropped (queue full, database down).", []string{"result"}, nil)
	inventoryReloadsDesc = prometheus.NewDesc(namespace+"_inventory_reloads_total",
		"Queries of the PostgreSQL inventories, by result.", []string{"result"}, nil)
)

// WatchState adds the shared state's counters, read from counts at each
// scrape: filemux_history_rows_total{result=written|dropped} and
// filemux_inventory_reloads_total{result=success|failure}. Call it once.
func (m *Metrics) WatchState(counts func() StateCounts) {
	m.reg.MustRegister(stateCollector(counts))
}

type stateCollector func() StateCounts

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- historyDesc
	ch <- inventoryReloadsDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	s := c()
	ch <- prometheus.MustNewConstMetric(historyDesc, prometheus.CounterValue, float64(s.HistoryWritten), "written")
	ch <- prometheus.MustNewConstMetric(historyDesc, prometheus.CounterValue, float64(s.HistoryDropped), "dropped")
	ch <- prometheus.MustNewConstMetric(inventoryReloadsDesc, prometheus.CounterValue, float64(s.InventoryReloads), "success")
	ch <- prometheus.MustNewConstMetric(inventoryReloadsDesc, prometheus.CounterValue, float64(s.InventoryReloadFailures), "failure")
}
