package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/filemux/filemux/client"
)

func getSFTPUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: filemux get [flags] sftp://[USER@]HOST[:PORT]/PATH [LOCAL|-]")
	fmt.Fprintln(w, "\nDownloads PATH (absolute; /~/PATH is relative to the login directory) into")
	fmt.Fprintln(w, "LOCAL (default: the base name of PATH), atomically. The host key must be in")
	fmt.Fprintln(w, "the known-hosts file unless --accept-new-host-key is given.")
}

func putSFTPUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: filemux put [flags] LOCAL|- sftp://[USER@]HOST[:PORT]/PATH")
	fmt.Fprintln(w, "\nUploads LOCAL (- reads standard input) as PATH; a PATH ending in / gets")
	fmt.Fprintln(w, "LOCAL's base name appended. --resume completes an upload that stopped part way.")
}

func runGetSFTP(ctx context.Context, args []string) status {
	var f sftpFlags
	fs := newFlagSet("get", getSFTPUsage, os.Stderr)
	f.register(fs, true)
	pos, st, ok := parseCommand(fs, args, 1, 2)
	if !ok {
		return st
	}
	u, err := parseSFTPURL(pos[0])
	local := ""
	if err == nil && len(pos) == 2 {
		local = pos[1]
	} else if err == nil {
		local, err = u.localName()
	}
	var c *client.SFTP
	if err == nil {
		c, err = f.client(u)
	}
	if err != nil {
		return usageError(fs, "get", err)
	}
	m := newMeter(os.Stderr, path.Base(u.file), barWidth(f.quiet))
	c.Progress, m.start = m.update, time.Now()
	var n int64
	if local == "-" {
		out := bufio.NewWriterSize(os.Stdout, 256<<10)
		n, err = c.ReadTo(ctx, u.file, out)
		if ferr := out.Flush(); err == nil && ferr != nil {
			err = fmt.Errorf("writing standard output: %w", ferr)
		}
	} else {
		n, err = c.ReadFile(ctx, u.file, local)
	}
	m.done()
	return report(err, f.quiet, func() string { return sftpSummary("got", u.String(), displayName(local, "(stdout)"), n, m.start) })
}

func runPutSFTP(ctx context.Context, args []string) status {
	var f sftpFlags
	fs := newFlagSet("put", putSFTPUsage, os.Stderr)
	f.register(fs, false)
	pos, st, ok := parseCommand(fs, args, 2, 2)
	if !ok {
		return st
	}
	local := pos[0]
	u, err := parseSFTPURL(pos[1])
	if err == nil && f.resume && local == "-" {
		err = fmt.Errorf("--resume needs a LOCAL file, not standard input")
	}
	if err == nil && strings.HasSuffix(u.file, "/") {
		if local == "-" {
			err = fmt.Errorf("%s names a directory: give the file name to upload standard input as", pos[1])
		}
		u.file += path.Base(local)
	}
	var c *client.SFTP
	if err == nil {
		c, err = f.client(u)
	}
	if err != nil {
		return usageError(fs, "put", err)
	}
	m := newMeter(os.Stderr, displayName(local, "(stdin)"), barWidth(f.quiet))
	c.Progress, m.start = m.update, time.Now()
	var n int64
	switch {
	case local == "-":
		n, err = c.WriteFrom(ctx, u.file, stdin())
	case f.resume:
		n, err = c.ResumeFile(ctx, u.file, local)
	default:
		n, err = c.WriteFile(ctx, u.file, local)
	}
	m.done()
	return report(err, f.quiet, func() string { return sftpSummary("put", displayName(local, "(stdin)"), u.String(), n, m.start) })
}

func sftpSummary(verb, from, to string, n int64, start time.Time) string {
	d := time.Since(start)
	rate := float64(n) / max(d.Seconds(), 1e-6)
	return fmt.Sprintf("%s %s -> %s: %s in %s (%s/s)", verb, from, to, humanBytes(n), d.Round(time.Millisecond), humanBytes(int64(rate)))
}
