package main

import (
	"fmt"
	"io"
	"strings"

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

// scpOf is the SCP client with the settings of c, which the flags of
// sftp:// built.
func scpOf(c *client.SFTP) *client.SCP {
	return &client.SCP{SSH: c.SSH, IdleTimeout: c.IdleTimeout, MaxSize: c.MaxSize, Verify: c.Verify, Fsync: c.Fsync, Progress: c.Progress}
}
