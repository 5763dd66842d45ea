package main

import (
	"fmt"
	"io"
)

func getSFTPUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux get [flags] sftp://[USER@]HOST[:PORT]/PATH [LOCAL|-]

Downloads PATH (absolute; /~/PATH is relative to the login directory) into
LOCAL (default: the base name of PATH), atomically. The host key must be in
the known-hosts file unless --accept-new-host-key is given.
`)
}

func putSFTPUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux put [flags] LOCAL|- sftp://[USER@]HOST[:PORT]/PATH

Uploads LOCAL (- reads standard input) as PATH; a PATH ending in / gets
LOCAL's base name appended. --resume completes an upload that stopped part way.
`)
}
