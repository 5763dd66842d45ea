package pgstate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The channels every State listens on.
const (
	// InventoryChannel is the NOTIFY channel that makes every instance
	// reload its inventories: NOTIFY filemux_inventory, or
	// pg_notify('filemux_inventory', ''), in any session or trigger.
	InventoryChannel = "filemux_inventory"
	// ReloadChannel is the NOTIFY channel that makes every instance reload
	// its configuration, as SIGHUP does (filemux reload --all).
	ReloadChannel = "filemux_reload"
)

// DefaultConnectTimeout bounds one connection attempt when the DSN sets
// no connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// Config configures Open.
type Config struct {
	// DSN is a PostgreSQL URL or key=value string, as libpq reads it
	// (postgres://filemux@db.internal/filemux?sslmode=verify-full). A
	// password belongs in a password file (passfile=/etc/filemux/pgpass,
	// or PGPASSFILE), not in the DSN, which configuration files and
	// process listings show.
	DSN string
	// Instance names this process in the transfer history; empty means
	// the host name.
	Instance string
	// Logger receives connection and reload events; nil discards them.
	Logger *slog.Logger
}

// State is one process's connection to the shared state: a pool for
// queries and writes, and one listening connection. It is safe for
// concurrent use; Close it once.
type State struct {
	pool     *pgxpool.Pool
	instance string
	logger   *slog.Logger
	target   string // host:port/database, for logs: never the password

	mu          sync.Mutex
	subscribers map[string][]*subscriber
	stop        context.CancelFunc
	done        chan struct{}

	reloads, reloadFailures atomic.Int64
}

// Open connects to the database: it checks the DSN, opens the pool and
// makes one round trip, so that a wrong address or login fails here, and
// listens for notifications: those sent after Open returned are
// received.
func Open(ctx context.Context, cfg Config) (*State, error) {
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgstate: %w", redact(err))
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgstate: %w", redact(err))
	}
	s := &State{pool: pool, instance: instanceName(cfg.Instance), logger: cfg.Logger, subscribers: map[string][]*subscriber{},
		target: fmt.Sprintf("%s:%d/%s", pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database)}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstate: %s: %w", s.target, redact(err))
	}
	lctx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	ready := make(chan struct{})
	go s.listen(lctx, pc.ConnConfig.Copy(), ready)
	select {
	case <-ready:
		return s, nil
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("pgstate: %s: listening for notifications: %w", s.target, ctx.Err())
	}
}

// Pool returns the connection pool, shared by everything of the process.
func (s *State) Pool() *pgxpool.Pool { return s.pool }

// Instance returns the name of this process in the transfer history.
func (s *State) Instance() string { return s.instance }

// Target returns host:port/database, without credentials, for logs.
func (s *State) Target() string { return s.target }

// Close stops listening and closes the pool; what still uses it (an
// Inventory, a History) must be closed before.
func (s *State) Close() {
	s.stop()
	<-s.done
	s.pool.Close()
}

// NotifyReload asks every instance listening on the database, this one
// included, to reload its configuration.
func (s *State) NotifyReload(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "select pg_notify($1, $2)", ReloadChannel, s.instance)
	return err
}

// OnReload calls f (in a goroutine of the State) each time a reload is
// asked through ReloadChannel; the returned function stops it.
func (s *State) OnReload(f func(from string)) (cancel func()) {
	return s.subscribe(ReloadChannel, func(payload string, reconnected bool) {
		if !reconnected {
			f(payload)
		}
	})
}

// Counts are the State's counters, for metrics.
type Counts struct {
	// InventoryReloads counts the inventory queries that succeeded,
	// InventoryReloadFailures those that failed (the records before them
	// keep serving).
	InventoryReloads, InventoryReloadFailures int64
}

// Counts returns the counters so far.
func (s *State) Counts() Counts {
	return Counts{InventoryReloads: s.reloads.Load(), InventoryReloadFailures: s.reloadFailures.Load()}
}

// redact keeps DSN parse errors out of errors and logs: their text, and
// that of the errors they wrap (url.Parse's), quotes the DSN, password
// included, and pgx's redaction is best effort.
func redact(err error) error {
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		return errors.New("the DSN does not parse (its text is not repeated: it may hold a password)")
	}
	return err
}
