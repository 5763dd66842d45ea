package main

import (
	"fmt"
	"io"

	"github.com/filemux/filemux/client"
)

func getSCPUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux get [flags] scp://[USER@]HOST[:PORT]/PATH [LOCAL|-]

Downloads PATH (absolute; /~/PATH is relative to the login directory) with
the legacy SCP protocol (the server runs scp -f) into LOCAL (default: the
base name of PATH), atomically. The server must send exactly that file: any
other name, a directory or a size past --max-size is refused. The flags are
those of sftp://; --concurrency and --chunk-size have no effect on SCP.
`)
}

func putSCPUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux put [flags] LOCAL|- scp://[USER@]HOST[:PORT]/PATH

Uploads LOCAL (- reads standard input) as PATH with the legacy SCP protocol
(the server runs scp -t); a PATH ending in / gets LOCAL's base name appended.
SCP sends the size first: standard input from a pipe is read to its end
before the upload starts (at most 1 GiB, in a temporary file past 1 MiB).
`)
}

// scpOf is the SCP client with the settings of c, which the flags of
// sftp:// built.
func scpOf(c *client.SFTP) *client.SCP {
	return &client.SCP{SSH: c.SSH, IdleTimeout: c.IdleTimeout, MaxSize: c.MaxSize, Verify: c.Verify, Fsync: c.Fsync, Progress: c.Progress}
}
