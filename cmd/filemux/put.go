package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/filemux/filemux/client"
)

func putUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux put [flags] LOCAL|- tftp://HOST[:PORT]/PATH[;mode=netascii]

Uploads LOCAL (- reads standard input) as PATH; a PATH ending in / gets
LOCAL's base name appended.
With an sftp:// URL: see 'filemux put -h - sftp://'.
With an scp:// URL (legacy SCP): see 'filemux put -h - scp://'.
With an http:// or https:// URL: see 'filemux put -h - http://'.
`)
}

// runPutTFTP is put with a tftp:// URL.
func runPutTFTP(ctx context.Context, args []string) status {
	var f transferFlags
	fs, pos, st, ok := putCommand.parse(args, putUsage, f.register)
	if !ok {
		return st
	}
	local := pos[0]
	u, err := parseURL(pos[1])
	if err == nil {
		u.file, err = remoteFor(u.file, local, pos[1])
	}
	c, cerr := f.client(u)
	if err != nil || cerr != nil {
		return usageError(fs, "put", firstError(err, cerr))
	}
	m := newMeter(os.Stderr, displayName(local, "(stdin)"), barWidth(f.quiet))
	c.Progress = m.update
	var res client.Result
	if local == "-" {
		res, err = c.WriteFrom(ctx, u.file, stdin())
	} else {
		res, err = c.WriteFile(ctx, u.file, local)
	}
	m.done()
	return report(err, f.quiet, func() string { return summary("put", displayName(local, "(stdin)"), u.String(), res) })
}

// stdin returns standard input, with its size when it is a regular file
// (a redirection), so that tsize can be sent.
func stdin() io.Reader {
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode().IsRegular() {
		if off, err := os.Stdin.Seek(0, io.SeekCurrent); err == nil {
			return sized{os.Stdin, fi.Size() - off}
		}
	}
	return os.Stdin
}

// sized is a reader that knows how much it holds (see client.WriteFrom).
type sized struct {
	io.Reader
	n int64
}

func (s sized) Size() int64 { return s.n }
