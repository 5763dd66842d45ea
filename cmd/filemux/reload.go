package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/internal/pgstate"
)

func reloadUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux reload --all --config FILE

Makes every filemux serve sharing FILE's state.postgres database reload its
configuration, as SIGHUP does to one: it sends a NOTIFY on the channel
`+pgstate.ReloadChannel+`, which every instance listens on. Each instance
reads its own configuration file again; one that does not validate is
refused there and logged, and that instance keeps serving what it had.
It does not wait for the instances: their logs and the metric
filemux_config_reloads_total say how each one fared. Exits 0 once the
notification was sent, 1 when the database could not be reached.
`)
}

func runReload(ctx context.Context, args []string) status {
	fs := newFlagSet("reload", reloadUsage, os.Stderr)
	path := fs.String("config", "", "the configuration `FILE` whose state.postgres names the database")
	all := fs.Bool("all", false, "reload every instance that shares the database")
	if _, st, ok := parseCommand(fs, args, 0, 0); !ok {
		return st
	}
	switch {
	case !*all:
		return usageError(fs, "reload", fmt.Errorf("--all is required (one instance reloads on SIGHUP or POST /reload)"))
	case *path == "":
		return usageError(fs, "reload", fmt.Errorf("--config is required"))
	}
	f, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return statusFailure
	}
	if f.State == nil {
		fmt.Fprintf(os.Stderr, "filemux reload: %s has no state.postgres: there is no database to notify\n", *path)
		return statusFailure
	}
	ctx, cancel := context.WithTimeout(ctx, 2*pgstate.DefaultConnectTimeout)
	defer cancel()
	st, err := pgstate.Open(ctx, pgstate.Config{DSN: f.State.Postgres, Instance: "filemux reload"})
	if err == nil {
		err = st.NotifyReload(ctx)
		st.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "filemux reload: %v\n", err)
		return statusFailure
	}
	fmt.Printf("filemux reload: asked every instance on %s to reload\n", st.Target())
	return statusOK
}
