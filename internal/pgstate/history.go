package pgstate

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filemux/filemux/daemon"
	"github.com/jackc/pgx/v5"
)

// The defaults of HistoryConfig.
const (
	DefaultHistoryQueue = 10000
	DefaultHistoryBatch = 500
	DefaultHistoryFlush = 200 * time.Millisecond
	// historyWriteTimeout bounds one batch's write, connecting included.
	historyWriteTimeout = 5 * time.Second
	// droppedLogEvery is the least time between two log lines about
	// dropped rows.
	droppedLogEvery = 10 * time.Second
)

// HistoryTable is created by State.History. The user column is called
// username: "user" is a reserved word in SQL, and an unquoted
// `select user from filemux_transfers` would answer the session's user.
const HistoryTable = `create table if not exists filemux_transfers (
	time timestamptz not null,
	instance text not null,
	protocol text not null,
	peer inet,
	peer_port integer,
	username text not null,
	file text not null,
	route text not null,
	access text not null,
	bytes bigint not null,
	duration_ms double precision not null,
	outcome text not null,
	code integer not null
);
create index if not exists filemux_transfers_time on filemux_transfers (time);
create index if not exists filemux_transfers_file on filemux_transfers (file, time)`

var historyColumns = []string{"time", "instance", "protocol", "peer", "peer_port", "username", "file", "route", "access", "bytes", "duration_ms", "outcome", "code"}

// HistoryConfig configures State.History.
type HistoryConfig struct {
	// Queue bounds the rows waiting to be written; 0 means
	// DefaultHistoryQueue. Rows past it are dropped.
	Queue int
	// Batch is the most rows one write carries; 0 means
	// DefaultHistoryBatch.
	Batch int
	// Flush is the longest a row waits for others to share its write; 0
	// means DefaultHistoryFlush.
	Flush time.Duration
}

// History writes one row per ended transfer into filemux_transfers, in
// batches (COPY), from a goroutine of its own. Record never blocks: when
// the queue is full, or a write fails (the database is down), the rows
// are dropped, counted and logged at most every ten seconds. It is safe
// for concurrent use; Close it once.
type History struct {
	st    *State
	cfg   HistoryConfig
	queue chan []any
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	written, dropped atomic.Int64
	lastLog          time.Time // of the writer goroutine
	unlogged         int64
}

// History creates filemux_transfers if it is missing and starts the
// writer.
func (s *State) History(ctx context.Context, cfg HistoryConfig) (*History, error) {
	cfg.Queue = cmpOr(cfg.Queue, DefaultHistoryQueue)
	cfg.Batch = cmpOr(cfg.Batch, DefaultHistoryBatch)
	cfg.Flush = cmpOr(cfg.Flush, DefaultHistoryFlush)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Instances starting together would collide creating the table.
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext('filemux_transfers'))"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, HistoryTable)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstate: creating filemux_transfers: %w", err)
	}
	h := &History{st: s, cfg: cfg, queue: make(chan []any, cfg.Queue), stop: make(chan struct{}), done: make(chan struct{})}
	go h.run()
	return h, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Record queues the row of one ended transfer, served by route.
func (h *History) Record(st daemon.Stats, route string) {
	var peer any
	var port any
	if st.Peer.IsValid() {
		a := st.Peer.Addr().Unmap().WithZone("")
		peer, port = netip.PrefixFrom(a, a.BitLen()), int32(st.Peer.Port())
	}
	row := []any{st.Start.Add(st.Duration), h.st.instance, st.Protocol.String(), peer, port, st.User, st.Name, route,
		st.Access.String(), st.Bytes, float64(st.Duration.Microseconds()) / 1000, st.Outcome.String(), int32(st.Code)}
	select {
	case h.queue <- row:
	default:
		h.dropped.Add(1)
	}
}

// HistoryCounts are a History's counters.
type HistoryCounts struct {
	// Written rows are in the table; Dropped rows were lost to a full
	// queue or a failed write.
	Written, Dropped int64
}

// Counts returns the counters so far.
func (h *History) Counts() HistoryCounts {
	return HistoryCounts{Written: h.written.Load(), Dropped: h.dropped.Load()}
}

// Close writes what is queued, within a few seconds, and stops the
// writer; rows recorded after Close are dropped.
func (h *History) Close() {
	h.once.Do(func() {
		close(h.stop)
		<-h.done
	})
}

func (h *History) run() {
	defer close(h.done)
	batch := make([][]any, 0, h.cfg.Batch)
	for {
		select {
		case row := <-h.queue:
			batch = append(batch[:0], row)
		case <-h.stop:
			h.drain(batch[:0])
			return
		}
		batch = h.fill(batch)
		h.write(batch)
	}
}

// fill adds the rows that arrive within Flush, up to Batch.
func (h *History) fill(batch [][]any) [][]any {
	t := time.NewTimer(h.cfg.Flush)
	defer t.Stop()
	for len(batch) < h.cfg.Batch {
		select {
		case row := <-h.queue:
			batch = append(batch, row)
		case <-t.C:
			return batch
		case <-h.stop:
			return batch
		}
	}
	return batch
}

// drain writes the rows still queued at Close, for as long as one write
// may take; the rest are dropped.
func (h *History) drain(batch [][]any) {
	deadline := time.Now().Add(historyWriteTimeout)
	for time.Now().Before(deadline) {
		select {
		case row := <-h.queue:
			batch = append(batch, row)
			if len(batch) < h.cfg.Batch {
				continue
			}
		default:
		}
		if len(batch) == 0 {
			return
		}
		h.write(batch)
		batch = batch[:0]
	}
	h.dropped.Add(int64(len(batch) + len(h.queue)))
}

func (h *History) write(batch [][]any) {
	ctx, cancel := context.WithTimeout(context.Background(), historyWriteTimeout)
	defer cancel()
	n, err := h.st.pool.CopyFrom(ctx, pgx.Identifier{"filemux_transfers"}, historyColumns, pgx.CopyFromRows(batch))
	if err == nil {
		h.written.Add(n)
		return
	}
	h.dropped.Add(int64(len(batch)))
	h.unlogged += int64(len(batch))
	if time.Since(h.lastLog) >= droppedLogEvery {
		h.st.logger.LogAttrs(ctx, slog.LevelWarn, "state: transfer history rows dropped: the database did not take them",
			slog.Int64("rows", h.unlogged), slog.Int64("dropped_total", h.dropped.Load()), slog.String("db", h.st.target), slog.Any("err", err))
		h.lastLog, h.unlogged = time.Now(), 0
	}
}
