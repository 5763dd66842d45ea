package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/cmd/filemux/internal/config"
	"github.com/filemux/filemux/registry"
)

func matchUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux match --config FILE NAME...

Shows, for each NAME, the route of FILE it goes to, its captures and its
handler, as a client asking for NAME would get them (like atftpd's
--pcre-test). A route's match must match the whole cleaned name. Exits 3
when a NAME matches no route, 1 when FILE is invalid.
`)
}

func runMatch(_ context.Context, args []string) status {
	fs := newFlagSet("match", matchUsage, os.Stderr)
	path := fs.String("config", "", "the configuration `FILE`")
	names, st, ok := parseCommand(fs, args, 1, 1<<20)
	if !ok {
		return st
	}
	if *path == "" {
		return usageError(fs, "match", fmt.Errorf("--config is required"))
	}
	_, set, err := loadRoutes(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return statusFailure
	}
	defer set.Retire()
	st = statusOK
	for _, name := range names {
		e, err := set.Explain(name)
		if err != nil {
			fmt.Printf("%s\n  no route: %s\n", name, matchError(err))
			st = statusNotFound
			continue
		}
		printExplanation(os.Stdout, name, e)
	}
	return st
}

func matchError(err error) string {
	switch {
	case errors.Is(err, behaviour.ErrBadName):
		return "clients cannot ask for this name (" + behaviour.PeerMessage(err) + ")"
	case errors.Is(err, registry.ErrNoRoute):
		return "no route matches the whole name"
	}
	return err.Error()
}

func printExplanation(w io.Writer, name string, e config.Explanation) {
	fmt.Fprintln(w, name)
	if e.Name != name {
		fmt.Fprintf(w, "  cleaned:   %s\n", e.Name)
	}
	fmt.Fprintf(w, "  route:     %d %q at %s\n", e.Index, e.Route, e.Where)
	fmt.Fprintf(w, "  match:     %s (the whole name)\n", e.Pattern)
	for _, p := range e.Params {
		fmt.Fprintf(w, "  capture:   %s=%s\n", p.Name, p.Value)
	}
	fmt.Fprintf(w, "  handler:   %s\n", e.Handler)
	if e.URL != "" {
		fmt.Fprintf(w, "  origin:    %s\n", e.URL)
	}
	protocols := "tftp, sftp, scp, http"
	if len(e.Protocols) > 0 {
		names := make([]string, len(e.Protocols))
		for i, p := range e.Protocols {
			names[i] = behaviour.Protocol(p).String()
		}
		protocols = strings.Join(names, ", ")
	}
	fmt.Fprintf(w, "  access:    %s over %s\n", e.Access, protocols)
	if e.AnonymousUploads {
		fmt.Fprintln(w, "  http:      uploads without a login (anonymous_uploads)")
	}
	if e.Listing {
		fmt.Fprintln(w, "  http:      directories listed (listing)")
	}
}
