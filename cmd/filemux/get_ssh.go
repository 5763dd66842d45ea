package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/filemux/filemux/client"
)

// sshClient is what get and put do with a client.SFTP or a client.SCP.
type sshClient interface {
	downloader
	WriteFrom(ctx context.Context, remote string, r io.Reader) (client.Result, error)
	WriteFile(ctx context.Context, remote, name string) (client.Result, error)
}

// resumer is the SFTP client's completion of a partial upload (put
// --resume).
type resumer interface {
	ResumeFile(ctx context.Context, remote, name string) (client.Result, error)
}

// sshScheme is one of the URL schemes get and put take over SSH: they share
// the flags, the URL syntax and the exit statuses, and differ in the client.
type sshScheme struct {
	name               string // "sftp" or "scp"
	getUsage, putUsage func(io.Writer)
	// of turns the SFTP client the flags build into the scheme's.
	of func(*client.SFTP) sshClient
}

var sftpScheme = sshScheme{name: "sftp", getUsage: getSFTPUsage, putUsage: putSFTPUsage,
	of: func(c *client.SFTP) sshClient { return c }}

var scpScheme = sshScheme{name: "scp", getUsage: getSCPUsage, putUsage: putSCPUsage,
	of: func(c *client.SFTP) sshClient { return scpOf(c) }}

// client builds the client for u, reporting progress to progress.
func (sc sshScheme) client(f *sftpFlags, u sftpURL, progress func(client.Progress)) (sshClient, error) {
	c, err := f.client(u)
	if err != nil {
		return nil, err
	}
	c.Progress = progress
	return sc.of(c), nil
}

// runGetSSH is get with an sftp:// or scp:// URL.
func runGetSSH(ctx context.Context, args []string, sc sshScheme) status {
	var f sftpFlags
	fs, pos, st, ok := getCommand.parse(args, sc.getUsage, f.register)
	if !ok {
		return st
	}
	u, err := parseSSHURL(pos[0], sc.name)
	local := ""
	if err == nil {
		local, err = localFor(pos, u.localName)
	}
	m := newMeter(os.Stderr, path.Base(u.file), barWidth(f.quiet))
	var c sshClient
	if err == nil {
		c, err = sc.client(&f, u, m.update)
	}
	if err != nil {
		return usageError(fs, "get", err)
	}
	m.start = time.Now()
	res, err := fetch(ctx, c, u.file, local)
	m.done()
	return report(err, f.quiet, func() string {
		return sftpSummary("got", u.String(), displayName(local, "(stdout)"), res.Bytes, m.start)
	})
}

// runPutSSH is put with an sftp:// or scp:// URL.
func runPutSSH(ctx context.Context, args []string, sc sshScheme) status {
	var f sftpFlags
	fs, pos, st, ok := putCommand.parse(args, sc.putUsage, f.register)
	if !ok {
		return st
	}
	local := pos[0]
	u, err := parseSSHURL(pos[1], sc.name)
	if err == nil && f.resume && local == "-" {
		err = errors.New("--resume needs a LOCAL file, not standard input")
	}
	if err == nil {
		u.file, err = remoteFor(u.file, local, pos[1])
	}
	m := newMeter(os.Stderr, displayName(local, "(stdin)"), barWidth(f.quiet))
	var c sshClient
	if err == nil {
		c, err = sc.client(&f, u, m.update)
	}
	r, canResume := c.(resumer)
	if err == nil && f.resume && !canResume {
		err = fmt.Errorf("--resume works with sftp:// only, not %s://", sc.name)
	}
	if err != nil {
		return usageError(fs, "put", err)
	}
	m.start = time.Now()
	var res client.Result
	switch {
	case local == "-":
		res, err = c.WriteFrom(ctx, u.file, stdin())
	case f.resume:
		res, err = r.ResumeFile(ctx, u.file, local)
	default:
		res, err = c.WriteFile(ctx, u.file, local)
	}
	m.done()
	return report(err, f.quiet, func() string {
		return sftpSummary("put", displayName(local, "(stdin)"), u.String(), res.Bytes, m.start)
	})
}

// sftpSummary is the line get and put print at the end of an SSH transfer.
func sftpSummary(verb, from, to string, n int64, start time.Time) string {
	d := time.Since(start)
	rate := float64(n) / max(d.Seconds(), 1e-6)
	return fmt.Sprintf("%s %s -> %s: %s in %s (%s/s)", verb, from, to, humanBytes(n), d.Round(time.Millisecond), humanBytes(int64(rate)))
}
