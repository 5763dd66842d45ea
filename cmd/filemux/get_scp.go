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

// isSCP reports whether a get or put command line names an scp:// URL,
// which sends it to the legacy SCP client.
func isSCP(args []string) bool {
	for _, a := range args {
		if len(a) >= 6 && strings.EqualFold(a[:6], "scp://") {
			return true
		}
	}
	return false
}

func getSCPUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: filemux get [flags] scp://[USER@]HOST[:PORT]/PATH [LOCAL|-]")
	fmt.Fprintln(w, "\nDownloads PATH (absolute; /~/PATH is relative to the login directory) with")
	fmt.Fprintln(w, "the legacy SCP protocol (the server runs scp -f) into LOCAL (default: the")
	fmt.Fprintln(w, "base name of PATH), atomically. The server must send exactly that file: any")
	fmt.Fprintln(w, "other name, a directory or a size past --max-size is refused. The flags are")
	fmt.Fprintln(w, "those of sftp://; --concurrency and --chunk-size have no effect on SCP.")
}

func putSCPUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: filemux put [flags] LOCAL|- scp://[USER@]HOST[:PORT]/PATH")
	fmt.Fprintln(w, "\nUploads LOCAL (- reads standard input) as PATH with the legacy SCP protocol")
	fmt.Fprintln(w, "(the server runs scp -t); a PATH ending in / gets LOCAL's base name appended.")
	fmt.Fprintln(w, "SCP sends the size first: standard input from a pipe is read to its end")
	fmt.Fprintln(w, "before the upload starts (at most 1 GiB, in a temporary file past 1 MiB).")
}

// scpClient builds the SCP client for u from the flags sftp:// takes.
func (f *sftpFlags) scpClient(u sftpURL) (*client.SCP, error) {
	c, err := f.client(u)
	if err != nil {
		return nil, err
	}
	return &client.SCP{SSH: c.SSH, IdleTimeout: c.IdleTimeout, MaxSize: c.MaxSize, Verify: c.Verify, Fsync: c.Fsync}, nil
}

func runGetSCP(ctx context.Context, args []string) status {
	var f sftpFlags
	fs := newFlagSet("get", getSCPUsage, os.Stderr)
	f.register(fs, true)
	pos, st, ok := parseCommand(fs, args, 1, 2)
	if !ok {
		return st
	}
	u, err := parseSSHURL(pos[0], "scp")
	local := ""
	if err == nil && len(pos) == 2 {
		local = pos[1]
	} else if err == nil {
		local, err = u.localName()
	}
	var c *client.SCP
	if err == nil {
		c, err = f.scpClient(u)
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

func runPutSCP(ctx context.Context, args []string) status {
	var f sftpFlags
	fs := newFlagSet("put", putSCPUsage, os.Stderr)
	f.register(fs, false)
	pos, st, ok := parseCommand(fs, args, 2, 2)
	if !ok {
		return st
	}
	local := pos[0]
	u, err := parseSSHURL(pos[1], "scp")
	if err == nil && strings.HasSuffix(u.file, "/") {
		if local == "-" {
			err = fmt.Errorf("%s names a directory: give the file name to upload standard input as", pos[1])
		}
		u.file += path.Base(local)
	}
	var c *client.SCP
	if err == nil {
		c, err = f.scpClient(u)
	}
	if err != nil {
		return usageError(fs, "put", err)
	}
	m := newMeter(os.Stderr, displayName(local, "(stdin)"), barWidth(f.quiet))
	c.Progress, m.start = m.update, time.Now()
	var n int64
	if local == "-" {
		n, err = c.WriteFrom(ctx, u.file, stdin())
	} else {
		n, err = c.WriteFile(ctx, u.file, local)
	}
	m.done()
	return report(err, f.quiet, func() string { return sftpSummary("put", displayName(local, "(stdin)"), u.String(), n, m.start) })
}
