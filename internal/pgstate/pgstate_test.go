package pgstate

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/internal/peers"
)

func open(t *testing.T, dsn string) *State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := Open(ctx, Config{DSN: dsn, Instance: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

func exec(t *testing.T, st *State, sql string) {
	t.Helper()
	if _, err := st.Pool().Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// waitFor polls cond every 5 ms for at most limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not after %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestInventoryValues: columns become fields as the database shows them,
// and a query whose key is missing, null or repeated is refused at start
// and, at a reload, leaves the records before it serving.
func TestInventoryValues(t *testing.T) {
	_, dsn := peers.PostgresDB(t)
	st := open(t, dsn)
	exec(t, st, `create table d (name text, ip inet, net cidr, id uuid, price numeric, attrs jsonb, n int)`)
	exec(t, st, `insert into d values ('r1', '10.0.0.1', '10.1.0.0/16', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 12.50, '{"vlan": 10}', 7)`)
	ctx := context.Background()
	inv, err := st.Inventory(ctx, InventoryConfig{Query: "select * from d", KeyColumn: "name", Watch: []string{"public.d"}})
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()
	rec, ok := inv.Lookup("r1")
	if !ok {
		t.Fatal("no record r1")
	}
	got := fmt.Sprintf("%v %v %v %v %v %v", rec["ip"], rec["net"], rec["id"], rec["price"], rec["attrs"], rec["n"])
	if want := "10.0.0.1 10.1.0.0/16 a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 12.50 map[vlan:10] 7"; got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	for _, c := range []struct{ query, err string }{
		{"select name from d", `no column "id"`},
		{"select null::text as id", "null"},
		{"select 'x' as id union all select 'x'", `two rows have id "x"`},
		{"select nonsense", "nonsense"},
	} {
		if _, err := st.Inventory(ctx, InventoryConfig{Query: c.query, KeyColumn: "id"}); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, want an error with %q", c.query, err, c.err)
		}
	}
	_, err = st.Inventory(ctx, InventoryConfig{Query: "select * from d", KeyColumn: "name", Watch: []string{"d", "nosuch"}})
	if we, ok := errors.AsType[*WatchError](err); !ok || we.Table != "nosuch" || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("watching a missing table: %v", err)
	}
	// A duplicate makes the reload fail: r1 keeps serving.
	before := st.Counts().InventoryReloadFailures
	exec(t, st, `insert into d (name) values ('r1')`)
	waitFor(t, 5*time.Second, "a failed reload", func() bool { return st.Counts().InventoryReloadFailures > before })
	if _, ok := inv.Lookup("r1"); !ok {
		t.Error("a failed reload emptied the inventory")
	}
}

// TestInventoryNotifyAfterRestart: after the server was stopped (pg_ctl
// stop -m immediate) and started again, the listening connection comes
// back, the inventory reloads, and notifications work again; an
// inventory that watches nothing follows its TTL.
func TestInventoryNotifyAfterRestart(t *testing.T) {
	srv, dsn := peers.PostgresDB(t)
	st := open(t, dsn)
	exec(t, st, `create table devices (name text primary key)`)
	exec(t, st, `create table unwatched (name text primary key)`)
	ctx := context.Background()
	watched, err := st.Inventory(ctx, InventoryConfig{Query: "select name from devices", KeyColumn: "name", Watch: []string{"devices"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer watched.Close()
	polled, err := st.Inventory(ctx, InventoryConfig{Query: "select name from unwatched", KeyColumn: "name", TTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer polled.Close()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// The pool's connections died with the server: the first query may
	// fail, and is retried.
	for i := 0; ; i++ {
		if _, err := st.Pool().Exec(ctx, "insert into devices values ('after-restart')"); err == nil {
			break
		} else if i == 20 {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	d := waitFor(t, 5*time.Second, "the watched inventory after a restart", func() bool { _, ok := watched.Lookup("after-restart"); return ok })
	t.Logf("watched inventory: the row served %v after its INSERT, across a server restart", d)
	// Its TTL is an hour: only a notification can bring this one.
	exec(t, st, "insert into devices values ('notified')")
	d = waitFor(t, time.Second, "a notification after the restart", func() bool { _, ok := watched.Lookup("notified"); return ok })
	t.Logf("watched inventory: notified %v after the INSERT", d)
	// No trigger on unwatched: the TTL brings it.
	exec(t, st, "insert into unwatched values ('ttl')")
	d = waitFor(t, 2*time.Second, "the polled inventory", func() bool { _, ok := polled.Lookup("ttl"); return ok })
	t.Logf("polled inventory (ttl 300ms): the row served %v after its INSERT", d)
}

// TestConcurrentStarts: instances that start together create the
// trigger and the history table without colliding.
func TestConcurrentStarts(t *testing.T) {
	_, dsn := peers.PostgresDB(t)
	exec(t, open(t, dsn), "create table devices (name text)")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, err := Open(ctx, Config{DSN: dsn})
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			inv, err := st.Inventory(ctx, InventoryConfig{Query: "select name from devices", KeyColumn: "name", Watch: []string{"devices"}})
			if err != nil {
				errs <- err
				return
			}
			inv.Close()
			h, err := st.History(ctx, HistoryConfig{})
			if err != nil {
				errs <- err
				return
			}
			h.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestHistoryNeverBlocks: with the database stopped and a queue of 100,
// 20,000 rows are recorded without waiting; what the queue cannot hold,
// and what the writes could not deliver, is counted as dropped, and
// every row is accounted for.
func TestHistoryNeverBlocks(t *testing.T) {
	srv, dsn := peers.PostgresDB(t)
	st := open(t, dsn)
	h, err := st.History(context.Background(), HistoryConfig{Queue: 100, Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	row := daemon.Stats{Protocol: behaviour.TFTP, Access: behaviour.Read, Peer: netip.MustParseAddrPort("[::ffff:10.0.0.9]:4000"),
		Name: "img/a.bin", Bytes: 10, Start: time.Now(), Duration: time.Millisecond, Outcome: daemon.OutcomeSuccess}
	h.Record(row, "images")
	waitFor(t, 5*time.Second, "the first row", func() bool { return h.Counts().Written == 1 })
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const n = 20000
	for range n {
		h.Record(row, "images")
	}
	took := time.Since(start)
	t.Logf("%d rows recorded with the database down in %v", n, took)
	if took > time.Second {
		t.Errorf("recording %d rows took %v: Record waits", n, took)
	}
	h.Close()
	c := h.Counts()
	if c.Written != 1 || c.Dropped != n {
		t.Errorf("written %d, dropped %d, want 1 and %d", c.Written, c.Dropped, n)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var peer, port string
	if err := st.Pool().QueryRow(context.Background(), "select host(peer), peer_port::text from filemux_transfers").Scan(&peer, &port); err != nil {
		t.Fatal(err)
	}
	if peer != "10.0.0.9" || port != "4000" {
		t.Errorf("peer %s port %s, want 10.0.0.9 and 4000", peer, port)
	}
}

// TestInventoryLarge measures the delay from an INSERT to its record
// being served when the inventory holds 20,000 rows: each reload reads
// the whole query again.
func TestInventoryLarge(t *testing.T) {
	_, dsn := peers.PostgresDB(t)
	st := open(t, dsn)
	exec(t, st, `create table devices (name text primary key, mac text, mgmt_ip inet, site text)`)
	exec(t, st, `insert into devices select 'sw-' || i, 'mac-' || i, '10.0.0.0'::inet + i, 'site-' || (i % 40) from generate_series(1, 20000) i`)
	inv, err := st.Inventory(context.Background(), InventoryConfig{Query: "select * from devices", KeyColumn: "name", Watch: []string{"devices"}})
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()
	if inv.Len() != 20000 {
		t.Fatalf("%d records", inv.Len())
	}
	var worst time.Duration
	for i := range 5 {
		exec(t, st, fmt.Sprintf("insert into devices values ('new-%d', 'm', '10.9.0.1', 's')", i))
		d := waitFor(t, 2*time.Second, "the new row", func() bool { _, ok := inv.Lookup(fmt.Sprintf("new-%d", i)); return ok })
		worst = max(worst, d)
	}
	t.Logf("20,000 rows: INSERT to a served record in at most %v over 5 inserts", worst)
	if worst >= time.Second {
		t.Errorf("a new row took %v to be served", worst)
	}
}

// TestInventoryNotifyByTable: a trigger's notification reloads the
// inventories that watch its table, and those that watch nothing, not
// the others; an empty payload reloads them all.
func TestInventoryNotifyByTable(t *testing.T) {
	_, dsn := peers.PostgresDB(t)
	st := open(t, dsn)
	exec(t, st, "create table a (name text); create table b (name text)")
	ctx := context.Background()
	mk := func(query string, watch ...string) *Inventory {
		inv, err := st.Inventory(ctx, InventoryConfig{Query: query, KeyColumn: "name", Watch: watch, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { inv.Close() })
		return inv
	}
	invA, invB, invAll := mk("select name from a", "a"), mk("select name from b", "public.b"), mk("select name from a union all select name || '-b' from b")
	exec(t, st, "insert into b values ('x')")
	waitFor(t, 2*time.Second, "b's inventory", func() bool { _, ok := invB.Lookup("x"); return ok })
	waitFor(t, 2*time.Second, "the unwatching inventory", func() bool { _, ok := invAll.Lookup("x-b"); return ok })
	exec(t, st, "insert into a values ('y')")
	waitFor(t, 2*time.Second, "a's inventory", func() bool { _, ok := invA.Lookup("y"); return ok })
	time.Sleep(100 * time.Millisecond)
	before := st.Counts().InventoryReloads
	exec(t, st, "insert into b values ('z')")
	waitFor(t, 2*time.Second, "b's inventory", func() bool { _, ok := invB.Lookup("z"); return ok })
	waitFor(t, 2*time.Second, "the unwatching inventory", func() bool { _, ok := invAll.Lookup("z-b"); return ok })
	time.Sleep(200 * time.Millisecond)
	if n := st.Counts().InventoryReloads - before; n != 2 {
		t.Errorf("a notification for b made %d reloads, want 2 (b's and the one that watches nothing)", n)
	}
	before = st.Counts().InventoryReloads
	exec(t, st, "notify filemux_inventory")
	waitFor(t, 2*time.Second, "an empty payload", func() bool { return st.Counts().InventoryReloads-before == 3 })
}
