package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/filemux/filemux/cmd/filemux/internal/config"
)

func checkUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux check --config FILE

Validates FILE as serve --config would, opening what its routes name
(directories, templates, inventory files), and reports every problem with
its file, line and key. It does not connect to state.postgres: the DSN and
the postgres inventories' keys are checked, not the database, which serve
reaches at start. Exits 0 when FILE is valid, 1 when it is not.
`)
}

func runCheck(_ context.Context, args []string) status {
	fs := newFlagSet("check", checkUsage, os.Stderr)
	path := fs.String("config", "", "the configuration `FILE`")
	if _, st, ok := parseCommand(fs, args, 0, 0); !ok {
		return st
	}
	if *path == "" {
		return usageError(fs, "check", fmt.Errorf("--config is required"))
	}
	f, set, err := loadRoutes(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return statusFailure
	}
	set.Retire()
	fmt.Printf("%s: valid: %s\n", *path, configSummary(f, len(set.Routes())))
	return statusOK
}

// loadRoutes loads a configuration file and builds its routes.
func loadRoutes(path string) (*config.File, *config.RouteSet, error) {
	f, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	set, err := f.Build(config.BuildOptions{})
	if err != nil {
		return nil, nil, err
	}
	return f, set, nil
}

// configSummary says in one line what a configuration serves.
func configSummary(f *config.File, routes int) string {
	parts := []string{fmt.Sprintf("%d routes", routes)}
	if f.TFTP != nil {
		parts = append(parts, "TFTP on "+strings.Join(f.TFTP.Listen, ", "))
	}
	if f.SFTP != nil {
		parts = append(parts, "SFTP and SCP on "+strings.Join(f.SFTP.Listen, ", "))
	}
	if f.HTTP != nil {
		scheme := "HTTP"
		if f.HTTP.TLS != nil {
			scheme = "HTTPS"
		}
		parts = append(parts, scheme+" on "+strings.Join(f.HTTP.Listen, ", "))
	}
	if f.Metrics != nil {
		parts = append(parts, "metrics on "+f.Metrics.Listen)
	}
	if f.State != nil {
		parts = append(parts, "state in PostgreSQL (check does not connect)")
	}
	return strings.Join(parts, "; ")
}
