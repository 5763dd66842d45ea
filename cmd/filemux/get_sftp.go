package main

import (
	"fmt"
	"io"
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
