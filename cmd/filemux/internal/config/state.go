package config

import (
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// State connects filemux to the state that instances share in
// PostgreSQL: template inventories from queries (data: {postgres: ...}),
// the history of transfers (the table filemux_transfers, which filemux
// creates) and cluster-wide reloads (filemux reload --all). It is read
// at start: a reload keeps the connection it has. filemux check checks
// the keys without connecting; serve connects at start and refuses to
// start when the database does not answer.
type State struct {
	// Postgres is the database, as a libpq URL or key=value string, such
	// as "postgres://filemux@db.internal/fleet?sslmode=verify-full&passfile=/etc/filemux/pgpass".
	// Keep the password out of it: name a password file (passfile, or
	// the PGPASSFILE environment variable). It is never logged. Required.
	Postgres string `yaml:"postgres"`
	// Instance names this instance in the history's instance column;
	// empty means the host name.
	Instance string `yaml:"instance"`
	// History writes one row per ended transfer into filemux_transfers,
	// in batches, from a queue that never holds a transfer up: when the
	// database is down or slow the rows past the queue are dropped and
	// counted (filemux_history_rows_total{result="dropped"}).
	History bool `yaml:"history"`
	// HistoryQueue bounds the rows waiting to be written.
	HistoryQueue int `yaml:"history_queue"`
}

func (s *State) defaults() {
	s.History = true
	s.HistoryQueue = 10000
}

func (s *State) validate(r *report, path string) {
	if strings.TrimSpace(s.Postgres) == "" {
		r.at(path+".postgres", "required: the DSN of the database, such as \"postgres://filemux@db.internal/fleet\"")
	} else if _, err := pgconn.ParseConfig(s.Postgres); err != nil {
		// The error quotes the DSN, which may hold a password.
		r.at(path+".postgres", "not a DSN PostgreSQL reads (postgres://USER@HOST[:PORT]/DATABASE?... or key=value pairs)")
	}
	if s.HistoryQueue <= 0 {
		r.at(path+".history_queue", "must be more than 0")
	}
}

// Data is where a template's records come from: an inventory file, or the
// rows of a query on state.postgres. "data: inventory.yaml" is short for
// "data: {file: inventory.yaml}". Set exactly one of file and postgres.
type Data struct {
	// File is an inventory of records (YAML, JSON or CSV), one per
	// device, read when the configuration loads.
	File string `yaml:"file"`
	// Postgres takes the records from a query on state.postgres, kept up
	// to date while serving.
	Postgres *PostgresData `yaml:"postgres"`
}

// setScalar takes "data: PATH".
func (d *Data) setScalar(v string) { d.File = v }

func (d *Data) validate(r *report, path string, f *File) {
	switch {
	case (d.File == "") == (d.Postgres == nil):
		r.at(path, "set exactly one of file and postgres")
	case d.Postgres != nil:
		d.Postgres.validate(r, path+".postgres", f)
	}
}

// PostgresData is an inventory read from PostgreSQL: each row of the
// query is a record, each column a field ({{.Data.mgmt_ip}}), keyed by
// key_column. The records are held in memory and replaced whole at each
// reload: a NOTIFY on the channel filemux_inventory (which the triggers
// of watch send) makes every instance query again at once, and each one
// queries every ttl anyway, and after its notification connection came
// back. A failed query keeps the records before it.
type PostgresData struct {
	// Query is the SELECT, such as "select name, mgmt_ip from devices".
	// Required.
	Query string `yaml:"query"`
	// KeyColumn is the column whose value the template's key is looked
	// up in (a host name, a MAC address); its values must be unique and
	// not null. Required.
	KeyColumn string `yaml:"key_column"`
	// Watch names the tables (table or schema.table) the query reads, on
	// which filemux creates a trigger (filemux_inventory_notify) that
	// notifies filemux_inventory after every change, so that a changed
	// row is served within a second. It needs the owner's right to create
	// triggers. Without it, changes are served after ttl, or at once
	// after a NOTIFY filemux_inventory of your own. With it, a
	// notification whose payload names another table (as other
	// inventories' triggers send) does not reload this one; an empty
	// payload reloads every inventory.
	Watch []string `yaml:"watch"`
	// TTL is how often the query runs when no notification came.
	TTL Duration `yaml:"ttl"`
}

func (p *PostgresData) defaults() { p.TTL = Duration(30e9) }

func (p *PostgresData) validate(r *report, path string, f *File) {
	if f.State == nil {
		r.at(path, "needs state.postgres, the database to query")
	}
	if strings.TrimSpace(p.Query) == "" {
		r.at(path+".query", "required: the SELECT whose rows are the records")
	}
	if p.KeyColumn == "" {
		r.at(path+".key_column", "required: the column that keys the records")
	}
	if p.TTL <= 0 {
		r.at(path+".ttl", "must be more than 0")
	}
}
