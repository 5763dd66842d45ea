package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/filemux/filemux/client"
	"github.com/filemux/filemux/internal/peers"
	"github.com/jackc/pgx/v5"
)

// pgConnect opens a session on dsn for the test's own SQL.
func pgConnect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func pgExec(t *testing.T, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func tftpGet(addr, name string) (string, error) {
	c := &client.TFTP{Addr: addr, Timeout: time.Second, Retries: 2}
	b, _, err := c.ReadBytes(context.Background(), name)
	return string(b), err
}

func httpGet(base, name string) (string, int, error) {
	resp, err := http.Get(base + "/" + name)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode, err
}

const inventoryConfig = `tftp: {listen: ["127.0.0.1:0"]}
http: {listen: ["127.0.0.1:0"]}
metrics: {listen: "127.0.0.1:0"}
state: {postgres: "%s", instance: %s}
routes:
  - name: configs
    match: '(?<host>[a-z0-9-]+)-confg'
    template:
      text: "hostname {{.Data.name}}\nip address {{.Data.mgmt_ip}}\n"
      key: host
      data: {postgres: {query: "select name, mac, mgmt_ip from devices", key_column: name, watch: [devices]}}
  - name: by-mac
    match: 'mac/(?<mac>[0-9a-f-]+)\.cfg'
    template:
      text: "device {{.Data.name}}\n"
      key: mac
      data: {postgres: {query: "select name, mac from devices", key_column: mac}}
`

// TestStateInventoryNotify: two instances render templates from one
// table, by host name and by MAC address; a row inserted (and one
// changed) is served by both, over TFTP and HTTP, within a second,
// through the trigger filemux created and LISTEN/NOTIFY. The delay from
// the INSERT's commit to the first download that renders it is logged.
func TestStateInventoryNotify(t *testing.T) {
	_, dsn := peers.PostgresDB(t)
	db := pgConnect(t, dsn)
	pgExec(t, db, "create table devices (name text primary key, mac text unique, mgmt_ip inet)")
	pgExec(t, db, "insert into devices values ('sw-core-01', '52-54-00-12-34-56', '10.0.0.11')")
	a := startConfigured(t, writeConfig(t, map[string]string{"filemux.yaml": fmt.Sprintf(inventoryConfig, dsn, "a")}))
	b := startConfigured(t, writeConfig(t, map[string]string{"filemux.yaml": fmt.Sprintf(inventoryConfig, dsn, "b")}))
	if got, err := tftpGet(a.tftp, "sw-core-01-confg"); err != nil || got != "hostname sw-core-01\nip address 10.0.0.11\n" {
		t.Fatalf("by host name over TFTP: %q, %v", got, err)
	}
	if got, _, err := httpGet(b.http, "mac/52-54-00-12-34-56.cfg"); err != nil || got != "device sw-core-01\n" {
		t.Fatalf("by MAC over HTTP: %q, %v", got, err)
	}
	if _, err := tftpGet(b.tftp, "sw-new-07-confg"); err == nil {
		t.Fatal("a device not in the table got a file")
	}

	pgExec(t, db, "insert into devices values ('sw-new-07', '52-54-00-00-00-07', '10.0.0.77')")
	inserted := time.Now()
	want := "hostname sw-new-07\nip address 10.0.0.77\n"
	d := pollServed(t, inserted, func() bool { got, _ := tftpGet(b.tftp, "sw-new-07-confg"); return got == want })
	t.Logf("INSERT to a served file over TFTP from instance b: %v", d)
	dh := pollServed(t, inserted, func() bool { got, _, _ := httpGet(a.http, "sw-new-07-confg"); return got == want })
	t.Logf("INSERT to a served file over HTTP from instance a: %v", dh)
	// The MAC-keyed route, which watches nothing, reloads on the same
	// notification, in a reload of its own that may end after the other.
	dm := pollServed(t, inserted, func() bool {
		got, _, _ := httpGet(a.http, "mac/52-54-00-00-00-07.cfg")
		return got == "device sw-new-07\n"
	})
	t.Logf("INSERT to the MAC-keyed route, which watches nothing, over HTTP from instance a: %v", dm)

	pgExec(t, db, "update devices set mgmt_ip = '10.0.0.78' where name = 'sw-new-07'")
	updated := time.Now()
	d = pollServed(t, updated, func() bool {
		got, _, _ := httpGet(b.http, "sw-new-07-confg")
		return strings.HasSuffix(got, "10.0.0.78\n")
	})
	t.Logf("UPDATE to a served file over HTTP from instance b: %v", d)
	if r := metric(t, b.metrics, `filemux_inventory_reloads_total{result="success"}`); r < 4 {
		t.Errorf("instance b counted %v inventory reloads, want at least 4 (two routes, at start and twice after)", r)
	}
}

// pollServed polls served until it reports true, and fails the test
// when that takes a second or more after since.
func pollServed(t *testing.T, since time.Time, served func() bool) time.Duration {
	t.Helper()
	for i := 0; i < 500; i++ {
		if served() {
			d := time.Since(since)
			if d >= time.Second {
				t.Errorf("served %v after the change, want under 1s", d)
			}
			return d
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("still not served %v after the change", time.Since(since))
	return 0
}

const historyConfig = `tftp: {listen: ["127.0.0.1:0"]}
http: {listen: ["127.0.0.1:0"]}
sftp: {listen: ["127.0.0.1:0"], host_key: host_key, authorized_keys: authorized_keys}
metrics: {listen: "127.0.0.1:0"}
state: {postgres: "%s", instance: hist-a}
routes:
  - name: images
    match: 'img/.*'
    memory: {files: {img/a.bin: "0123456789", img/b.bin: "abcdef"}}
`

// TestStateHistory: every transfer through filemux serve --config, over
// TFTP, HTTP and SFTP, succeeded or refused, is one row of filemux_transfers.
// With PostgreSQL stopped (pg_ctl stop -m immediate) transfers still
// succeed and their rows are counted as dropped; once it is back, rows
// flow again.
func TestStateHistory(t *testing.T) {
	srv, dsn := peers.PostgresDB(t)
	// The server trusts loopback and ignores the password, which must
	// not reach the logs, even when connections fail.
	const password = "pw-7Hq2xZ"
	withPassword := strings.Replace(dsn, "postgres@", "postgres:"+password+"@", 1)
	needCurl(t)
	key, pub := sshKey(t)
	s := startConfigured(t, writeConfig(t, map[string]string{"filemux.yaml": fmt.Sprintf(historyConfig, withPassword), "authorized_keys": pub}), "--log-format", "json")
	fetch := func(n int) {
		t.Helper()
		for i := range n {
			if got, err := tftpGet(s.tftp, "img/a.bin"); err != nil || got != "0123456789" {
				t.Fatalf("TFTP download %d: %q, %v", i, got, err)
			}
			if got, code, err := httpGet(s.http, "img/b.bin"); err != nil || code != 200 || got != "abcdef" {
				t.Fatalf("HTTP download %d: %d %q, %v", i, code, got, err)
			}
		}
	}
	fetch(3)
	if _, err := tftpGet(s.tftp, "img/missing.bin"); err == nil {
		t.Fatal("a missing file was served")
	}
	if got, err := curl(t, "--insecure", "--key", key, "--pubkey", key+".pub", "sftp://ops@"+s.sftp+"/img/a.bin"); err != nil || string(got) != "0123456789" {
		t.Fatalf("SFTP download: %q, %v", got, err)
	}
	waitMetric(t, s.metrics, `filemux_history_rows_total{result="written"}`, 8)
	db := pgConnect(t, dsn)
	rows := historyRows(t, db)
	want := map[string]int{
		"hist-a tftp 127.0.0.1 img/a.bin images read 10 success 0":      3,
		"hist-a http 127.0.0.1 img/b.bin images read 6 success 0":       3,
		"hist-a tftp 127.0.0.1 img/missing.bin images read 0 refused 1": 1,
		"hist-a sftp 127.0.0.1 img/a.bin images read 10 success 0 ops":  1,
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("filemux_transfers holds\n%v\nwant\n%v", rows, want)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	fetch(5) // the database is down: every transfer still succeeds
	t.Logf("10 transfers with the database down took %v", time.Since(started))
	waitMetric(t, s.metrics, `filemux_history_rows_total{result="dropped"}`, 10)
	s.waitLog(t, "transfer history rows dropped")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	// The first write after the restart may find the pool's connections
	// dead; transfers keep going until rows reach the table again.
	transfers := 8 + 10
	for i := 0; ; i++ {
		fetch(1)
		transfers += 2
		if metric(t, s.metrics, `filemux_history_rows_total{result="written"}`) > 8 {
			break
		}
		if i == 50 {
			t.Fatal("no history row was written after PostgreSQL came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var n float64
	if err := db.QueryRow(context.Background(), "select count(*) from filemux_transfers").Scan(&n); err == nil {
		t.Fatal("the test's own session survived the restart")
	}
	db = pgConnect(t, dsn)
	// Every transfer is one row, or counted as dropped: once the last
	// rows are through, the table holds what the metric says was written.
	var written, dropped float64
	for i := 0; ; i++ {
		written = metric(t, s.metrics, `filemux_history_rows_total{result="written"}`)
		dropped = metric(t, s.metrics, `filemux_history_rows_total{result="dropped"}`)
		err := db.QueryRow(context.Background(), "select count(*) from filemux_transfers").Scan(&n)
		if err == nil && n == written && written+dropped == float64(transfers) {
			break
		}
		if i == 100 {
			t.Fatalf("%d transfers: the table holds %v rows (%v), the metrics say %v written and %v dropped", transfers, n, err, written, dropped)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("rows written %v, dropped %v", written, dropped)
	if strings.Contains(s.logs.String(), password) {
		t.Error("the logs hold the DSN's password")
	}
}

// historyRows counts the rows of filemux_transfers by their fields.
func historyRows(t *testing.T, db *pgx.Conn) map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `select instance, protocol, host(peer), file, route, access, bytes, outcome, code,
		username, time > now() - interval '1 minute', peer_port > 0 from filemux_transfers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var inst, proto, peer, file, route, access, outcome, user string
		var bytes int64
		var code int32
		var recent, port bool
		if err := rows.Scan(&inst, &proto, &peer, &file, &route, &access, &bytes, &outcome, &code, &user, &recent, &port); err != nil {
			t.Fatal(err)
		}
		if !recent || !port {
			t.Errorf("row %s %s: recent %v, port %v", proto, file, recent, port)
		}
		k := fmt.Sprintf("%s %s %s %s %s %s %d %s %d", inst, proto, peer, file, route, access, bytes, outcome, code)
		if user != "" {
			k += " " + user
		}
		out[k]++
	}
	return out
}

const reloadConfig = `tftp: {listen: ["127.0.0.1:0"]}
state: {postgres: "%s", instance: %s, history: false}
routes:
  - match: 'motd'
    memory: {files: {motd: "%s"}}
`

// TestStateClusterReload: filemux reload --all makes two running
// instances that share one database reload their configuration files,
// as SIGHUP would.
func TestStateClusterReload(t *testing.T) {
	_, dsn := peers.PostgresDB(t)
	var paths []string
	var servers []*configured
	for _, name := range []string{"a", "b"} {
		p := writeConfig(t, map[string]string{"filemux.yaml": fmt.Sprintf(reloadConfig, dsn, name, "old "+name)})
		paths, servers = append(paths, p), append(servers, startConfigured(t, p))
	}
	for i, s := range servers {
		if got, err := tftpGet(s.tftp, "motd"); err != nil || got != "old "+[]string{"a", "b"}[i] {
			t.Fatalf("before: %q, %v", got, err)
		}
		s.waitLog(t, "shared state in PostgreSQL")
	}
	for i, p := range paths {
		writeFile(t, p, []byte(fmt.Sprintf(reloadConfig, dsn, []string{"a", "b"}[i], "new")))
	}
	o := filemux(t, t.TempDir(), nil, "reload", "--all", "--config", paths[0]).expect(t, statusOK)
	if !strings.Contains(o.stdout, "asked every instance") {
		t.Errorf("reload said %q", o.stdout)
	}
	for _, s := range servers {
		for i := 0; ; i++ {
			if got, _ := tftpGet(s.tftp, "motd"); got == "new" {
				break
			}
			if i == 100 {
				t.Fatalf("an instance still serves the old file:\n%s", s.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.waitLog(t, "reload asked through the database")
	}
	filemux(t, t.TempDir(), nil, "reload", "--config", paths[0]).expect(t, statusUsage)
}

// TestStateCheck: filemux check validates state and postgres inventories
// without connecting (the DSN here names a port nothing listens on), and
// names each wrong key.
func TestStateCheck(t *testing.T) {
	good := writeConfig(t, map[string]string{"filemux.yaml": `tftp: {listen: ["127.0.0.1:0"]}
state: {postgres: "postgres://filemux@127.0.0.1:1/fleet"}
routes:
  - match: '(?<host>[a-z0-9-]+)-confg'
    template:
      text: "hostname {{.Data.name}}\n"
      key: host
      data: {postgres: {query: "select name from devices", key_column: name, watch: [devices]}}
`})
	o := filemux(t, t.TempDir(), nil, "check", "--config", good).expect(t, statusOK)
	if !strings.Contains(o.stdout, "state in PostgreSQL (check does not connect)") {
		t.Errorf("check said %q", o.stdout)
	}
	o = filemux(t, t.TempDir(), nil, "match", "--config", good, "sw1-confg").expect(t, statusOK)
	if !strings.Contains(o.stdout, "data postgres: not queried") {
		t.Errorf("match output: %s", o.stdout)
	}
	if o := filemux(t, t.TempDir(), nil, "serve", "--config", good).expect(t, statusFailure); !strings.Contains(o.stderr, "127.0.0.1:1/fleet") {
		t.Errorf("serve without its database: %s", o.stderr)
	}
	bad := writeConfig(t, map[string]string{"filemux.yaml": `tftp: {listen: ["127.0.0.1:0"]}
state: {postgres: "postgres://u:secret@[::1", history_queue: 0}
routes:
  - match: '(?<host>[a-z0-9-]+)-confg'
    template:
      text: "x"
      key: host
      data: {postgres: {query: "", ttl: 0s}, file: inv.yaml}
  - match: 'other'
    template: {text: "y", key: host, data: {postgres: {query: "select 1", key_column: a}}}
`})
	o = filemux(t, t.TempDir(), nil, "check", "--config", bad).expect(t, statusFailure)
	for _, want := range []string{"state.postgres: not a DSN", "state.history_queue: must be more than 0",
		"routes[0].template.data: set exactly one of file and postgres", "routes[1].template.key"} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("check lacks %q:\n%s", want, o.stderr)
		}
	}
	if strings.Contains(o.stderr, "secret") {
		t.Errorf("check repeats the DSN's password:\n%s", o.stderr)
	}
	bad2 := writeConfig(t, map[string]string{"filemux.yaml": `tftp: {listen: ["127.0.0.1:0"]}
routes:
  - match: '(?<host>[a-z0-9-]+)-confg'
    template: {text: "x", key: host, data: {postgres: {query: "", ttl: 0s}}}
`})
	o = filemux(t, t.TempDir(), nil, "check", "--config", bad2).expect(t, statusFailure)
	for _, want := range []string{"routes[0].template.data.postgres: needs state.postgres", "data.postgres.query: required",
		"data.postgres.key_column: required", "data.postgres.ttl: must be more than 0"} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("check lacks %q:\n%s", want, o.stderr)
		}
	}
}
