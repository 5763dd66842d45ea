// Command filemux serves and fetches virtual files over TFTP, SFTP and SCP.
//
//	filemux get [flags] tftp://HOST[:PORT]/PATH[;mode=netascii] [LOCAL|-]
//	filemux put [flags] LOCAL|- tftp://HOST[:PORT]/PATH[;mode=netascii]
//	filemux get [flags] sftp://[USER@]HOST[:PORT]/PATH [LOCAL|-]
//	filemux put [flags] LOCAL|- sftp://[USER@]HOST[:PORT]/PATH
//	filemux get [flags] scp://[USER@]HOST[:PORT]/PATH [LOCAL|-]
//	filemux put [flags] LOCAL|- scp://[USER@]HOST[:PORT]/PATH
//	filemux serve [--tftp ADDR]... [--sftp ADDR]... [--root DIR] [--writable]
//	filemux serve --config FILE
//
// get and put are a TFTP client (RFC 1350, 2347, 2348, 2349, 7440) and an
// SFTP and SCP client, none of which trusts the server; serve runs
// filemux's TFTP daemon and its SSH server (SFTP and SCP) on the same
// routes. Run "filemux help" for the flags and the exit statuses.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand: it parses its own flags and returns the exit
// status.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) status
}

var commands []command

func init() {
	// Filled here rather than in the declaration: help refers to commands.
	commands = []command{
		{"get", "download a file (tftp://, sftp://, scp://, http[s]://)", byScheme(runGetTFTP, runGetSSH, runGetHTTP)},
		{"put", "upload a file (tftp://, sftp://, scp://, http[s]://)", byScheme(runPutTFTP, runPutSSH, runPutHTTP)},
		{"serve", "serve files over TFTP, SFTP and SCP", runServe},
		{"check", "validate a serve configuration file", runCheck},
		{"match", "show the route a file name gets", runMatch},
		{"reload", "make every instance sharing a database reload", runReload},
		{"help", "show this help", runHelp},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(int(code))
}

func run(ctx context.Context, args []string) status {
	if len(args) == 0 {
		usage(os.Stderr)
		return statusUsage
	}
	for _, c := range commands {
		if c.name == args[0] || (c.name == "help" && (args[0] == "-h" || args[0] == "--help")) {
			return c.run(ctx, args[1:])
		}
	}
	fmt.Fprintf(os.Stderr, "filemux: unknown command %q\n\n", args[0])
	usage(os.Stderr)
	return statusUsage
}

func runHelp(context.Context, []string) status {
	usage(os.Stdout)
	return statusOK
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: filemux COMMAND [flags] ARGS")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-6s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'filemux COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "\nExit status of get and put:")
	for _, s := range []status{statusOK, statusFailure, statusUsage, statusNotFound, statusAccess, statusDiskFull,
		statusServer, statusTimeout, statusIntegrity, statusTooLarge, statusAuth, statusHostKey, statusInterrupted} {
		fmt.Fprintf(w, "  %3d  %s\n", int(s), s.describe())
	}
}
