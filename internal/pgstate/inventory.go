package pgstate

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// DefaultInventoryTTL is how often an inventory is queried again when no
// notification came, when InventoryConfig.TTL is 0.
const DefaultInventoryTTL = 30 * time.Second

// DefaultQueryTimeout bounds one inventory query.
const DefaultQueryTimeout = 10 * time.Second

// InventoryConfig configures State.Inventory.
type InventoryConfig struct {
	// Query is a SELECT whose rows are the records, each column a field.
	Query string
	// KeyColumn is the column that keys the records; its values must be
	// unique and not null.
	KeyColumn string
	// Watch names tables (schema.table or table) on which filemux creates
	// a statement trigger that notifies InventoryChannel after every
	// INSERT, UPDATE, DELETE and TRUNCATE, so that a change is served at
	// once. It needs the right to create triggers on them (their owner).
	Watch []string
	// TTL is how often the query runs without a notification; 0 means
	// DefaultInventoryTTL.
	TTL time.Duration
}

// Inventory is the records of one query, held in memory and replaced
// whole by each reload: a handlers.Records for templates. Lookups never
// wait on the database. It is safe for concurrent use; Close it when its
// routes retire.
type Inventory struct {
	st      *State
	cfg     InventoryConfig
	records atomic.Pointer[map[string]map[string]any]
	kick    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
	unsub   func()
	once    sync.Once
	loaded  atomic.Int64 // unix nanoseconds of the last successful load
}

// Inventory runs the query once (an error is returned, and nothing
// started, when it fails or its key column is missing, null or
// repeated), creates the triggers of cfg.Watch, and keeps the records up
// to date until Close.
func (s *State) Inventory(ctx context.Context, cfg InventoryConfig) (*Inventory, error) {
	if strings.TrimSpace(cfg.Query) == "" || cfg.KeyColumn == "" {
		return nil, errors.New("pgstate: an inventory needs a query and a key column")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultInventoryTTL
	}
	if err := s.watch(ctx, cfg.Watch); err != nil {
		return nil, err
	}
	inv := &Inventory{st: s, cfg: cfg, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if err := inv.load(ctx); err != nil {
		return nil, err
	}
	lctx, stop := context.WithCancel(context.Background())
	inv.stop = stop
	inv.unsub = s.subscribe(InventoryChannel, func(payload string, reconnected bool) {
		if reconnected || inv.concerns(payload) {
			inv.Reload()
		}
	})
	go inv.run(lctx)
	return inv, nil
}

// concerns reports whether a notification's payload may change the
// records: an empty payload, or any payload for an inventory that
// watches nothing, does; a table name (what the triggers send) does when
// the inventory watches that table.
func (inv *Inventory) concerns(payload string) bool {
	if payload == "" || len(inv.cfg.Watch) == 0 {
		return true
	}
	for _, t := range inv.cfg.Watch {
		if t == payload || strings.HasSuffix(t, "."+payload) {
			return true
		}
	}
	return false
}

// Lookup returns the record of key, from the last successful query.
func (inv *Inventory) Lookup(key string) (map[string]any, bool) {
	rec, ok := (*inv.records.Load())[key]
	return rec, ok
}

// Len returns the number of records.
func (inv *Inventory) Len() int { return len(*inv.records.Load()) }

// Reload asks for the query to run again, without waiting: requests made
// while it runs make one more run, not one each.
func (inv *Inventory) Reload() {
	select {
	case inv.kick <- struct{}{}:
	default:
	}
}

// Close stops the reloads.
func (inv *Inventory) Close() error {
	inv.once.Do(func() {
		inv.unsub()
		inv.stop()
		<-inv.done
	})
	return nil
}

func (inv *Inventory) run(ctx context.Context) {
	defer close(inv.done)
	t := time.NewTicker(inv.cfg.TTL)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-inv.kick:
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
		err := inv.load(qctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			inv.st.logger.Warn("state: inventory reload failed; the records before keep serving", "query", inv.cfg.Query, "err", err)
		}
	}
}

func (inv *Inventory) load(ctx context.Context) error {
	records, err := inv.query(ctx)
	if err != nil {
		inv.st.reloadFailures.Add(1)
		return fmt.Errorf("pgstate: inventory: %w", err)
	}
	inv.records.Store(&records)
	inv.loaded.Store(time.Now().UnixNano())
	inv.st.reloads.Add(1)
	return nil
}

func (inv *Inventory) query(ctx context.Context) (map[string]map[string]any, error) {
	rows, err := inv.st.pool.Query(ctx, inv.cfg.Query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keyIdx := -1
	fields := rows.FieldDescriptions()
	for i, f := range fields {
		if f.Name == inv.cfg.KeyColumn {
			keyIdx = i
		}
	}
	if keyIdx < 0 {
		return nil, fmt.Errorf("the query has no column %q", inv.cfg.KeyColumn)
	}
	records := map[string]map[string]any{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if vals[keyIdx] == nil {
			return nil, fmt.Errorf("a row's %s is null", inv.cfg.KeyColumn)
		}
		key := fmt.Sprint(vals[keyIdx])
		if _, dup := records[key]; dup {
			return nil, fmt.Errorf("two rows have %s %q", inv.cfg.KeyColumn, key)
		}
		rec := make(map[string]any, len(vals))
		for i, f := range fields {
			rec[f.Name] = plain(vals[i])
		}
		records[key] = rec
	}
	return records, rows.Err()
}

// notifyFunction is the trigger function of watched tables.
const notifyFunction = `create or replace function filemux_notify_inventory() returns trigger
language plpgsql as $$
begin
	perform pg_notify('` + InventoryChannel + `', tg_table_name);
	return null;
end $$`

// watch creates the notification triggers on tables, those missing only:
// creating a trigger locks its table against writes, and needs its
// owner's rights, which an instance that finds the trigger in place then
// does not need.
func (s *State) watch(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	// Instances starting together would collide on the catalog rows
	// ("tuple concurrently updated"): one at a time, under a lock.
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext('filemux_notify_inventory'))"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "select count(*) from pg_proc where proname = 'filemux_notify_inventory'").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.Exec(ctx, notifyFunction); err != nil {
				return fmt.Errorf("pgstate: creating the function filemux_notify_inventory: %w", err)
			}
		}
		for _, t := range tables {
			if err := createTrigger(ctx, tx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

func createTrigger(ctx context.Context, tx pgx.Tx, table string) error {
	ident := pgx.Identifier(strings.Split(table, ".")).Sanitize()
	var n int
	err := tx.QueryRow(ctx, "select count(*) from pg_trigger where tgrelid = $1::regclass and tgname = 'filemux_inventory_notify'", ident).Scan(&n)
	if err != nil {
		return &WatchError{Table: table, Err: err}
	}
	if n > 0 {
		return nil
	}
	sql := "create trigger filemux_inventory_notify after insert or update or delete or truncate on " +
		ident + " for each statement execute function filemux_notify_inventory()"
	if _, err := tx.Exec(ctx, sql); err != nil {
		return &WatchError{Table: table, Err: err}
	}
	return nil
}

// WatchError is why the notification trigger of a watched table could not
// be made: the table is missing, or the role may not create triggers on
// it.
type WatchError struct {
	Table string
	Err   error
}

func (e *WatchError) Error() string {
	return fmt.Sprintf("pgstate: cannot watch %s: %v", e.Table, e.Err)
}

// Unwrap returns the database's error.
func (e *WatchError) Unwrap() error { return e.Err }

// plain turns the values pgx decodes into what a template prints as the
// database shows them: an inet of one address as the address (10.0.0.11,
// not 10.0.0.11/32), a uuid in its text form, a numeric as its digits.
func plain(v any) any {
	switch x := v.(type) {
	case netip.Prefix:
		if x.IsSingleIP() {
			return x.Addr()
		}
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Numeric:
		if b, err := x.MarshalJSON(); err == nil {
			return string(b)
		}
	}
	return v
}
