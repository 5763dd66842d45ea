package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/filemux/filemux/client"
)

func getUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux get [flags] tftp://HOST[:PORT]/PATH[;mode=netascii] [LOCAL|-]

Downloads PATH into LOCAL (default: the base name of PATH), atomically: on
failure LOCAL is left as it was. - writes to standard output.
With an sftp:// URL: see 'filemux get -h sftp://'.
With an scp:// URL (legacy SCP): see 'filemux get -h scp://'.
With an http:// or https:// URL: see 'filemux get -h http://'.
`)
}

// runGetTFTP is get with a tftp:// URL.
func runGetTFTP(ctx context.Context, args []string) status {
	var f transferFlags
	fs, pos, st, ok := getCommand.parse(args, getUsage, f.register)
	if !ok {
		return st
	}
	u, err := parseURL(pos[0])
	local := ""
	if err == nil {
		local, err = localFor(pos, u.localName)
	}
	c, cerr := f.client(u)
	if err != nil || cerr != nil {
		return usageError(fs, "get", firstError(err, cerr))
	}
	m := newMeter(os.Stderr, u.file, barWidth(f.quiet))
	c.Progress = m.update
	res, err := fetch(ctx, c, u.file, local)
	m.done()
	return report(err, f.quiet, func() string { return summary("got", u.String(), displayName(local, "(stdout)"), res) })
}

// downloader is what get needs of a client: TFTP's, SFTP's and SCP's.
type downloader interface {
	ReadTo(ctx context.Context, remote string, w io.Writer) (client.Result, error)
	ReadFile(ctx context.Context, remote, name string) (client.Result, error)
}

// fetch reads remote into the file local, or to standard output when
// local is "-".
func fetch(ctx context.Context, c downloader, remote, local string) (client.Result, error) {
	if local != "-" {
		return c.ReadFile(ctx, remote, local)
	}
	out := bufio.NewWriterSize(os.Stdout, 256<<10)
	res, err := c.ReadTo(ctx, remote, out)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing standard output: %w", ferr)
	}
	return res, err
}
