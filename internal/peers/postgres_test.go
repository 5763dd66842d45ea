package peers

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPostgresDB starts the real server, uses a fresh database, stops it
// as pg_ctl stop -m immediate does and starts it again on the same port.
func TestPostgresDB(t *testing.T) {
	srv, dsn := PostgresDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	query := func() (int, error) {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return 0, err
		}
		defer c.Close(ctx)
		var n int
		err = c.QueryRow(ctx, "select count(*) from pg_tables where schemaname = 'public'").Scan(&n)
		return n, err
	}
	if n, err := query(); err != nil || n != 0 {
		t.Fatalf("a fresh database: %d tables, %v", n, err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := query(); err == nil {
		t.Fatal("the stopped server answered")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := query(); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	_, dsn2 := PostgresDB(t)
	if dsn2 == dsn {
		t.Fatalf("two tests got one database: %s", dsn)
	}
}
