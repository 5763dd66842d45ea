package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// parseCommand parses a subcommand's flags and checks the number of its
// positional arguments. When ok is false the command is over (help shown,
// or a bad command line reported) and exits with st.
func parseCommand(fs *flag.FlagSet, args []string, least, most int) (pos []string, st status, ok bool) {
	pos, err := parseInterleaved(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, statusOK, false
	case err != nil:
		return nil, statusUsage, false // the flag package has said why
	case len(pos) < least || len(pos) > most:
		return nil, usageError(fs, fs.Name(), fmt.Errorf("want %s", argCount(least, most))), false
	}
	return pos, statusOK, true
}

func argCount(least, most int) string {
	if least == most {
		return fmt.Sprintf("%d arguments", least)
	}
	return fmt.Sprintf("%d or %d arguments", least, most)
}

// usageError reports a bad command line and shows the usage.
func usageError(fs *flag.FlagSet, name string, err error) status {
	fmt.Fprintf(os.Stderr, "filemux %s: %v\n\n", name, err)
	fs.Usage()
	return statusUsage
}

// report prints the error of a transfer, or its summary unless quiet, and
// returns the exit status.
func report(err error, quiet bool, summary func() string) status {
	if err != nil {
		fmt.Fprintf(os.Stderr, "filemux: %v\n", err)
		return statusOf(err)
	}
	if !quiet {
		fmt.Fprintln(os.Stderr, summary())
	}
	return statusOK
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// barWidth is the width of the progress bar: the terminal's, or 0 (no bar)
// when stderr is not a terminal or the user asked for quiet.
func barWidth(quiet bool) int {
	if quiet {
		return 0
	}
	w, ok := terminalWidth(os.Stderr)
	if !ok {
		return 0
	}
	return w
}

// displayName names a local file in messages; stdio names "-".
func displayName(local, stdio string) string {
	if local == "-" {
		return stdio
	}
	return local
}

// localFor is get's LOCAL: its second argument, or else the name that
// name derives from the remote file.
func localFor(pos []string, name func() (string, error)) (string, error) {
	if len(pos) == 2 {
		return pos[1], nil
	}
	return name()
}

// remoteFor is put's remote file: file as arg named it, with local's base
// name appended when it ends in /, which standard input (-) cannot fill.
func remoteFor(file, local, arg string) (string, error) {
	switch {
	case !strings.HasSuffix(file, "/"):
		return file, nil
	case local == "-":
		return file, fmt.Errorf("%s names a directory: give the file name to upload standard input as", arg)
	}
	return file + filepath.Base(local), nil
}

// transferCommand is get or put, on every protocol: its name, its
// direction and how many positional arguments it takes.
type transferCommand struct {
	name        string
	download    bool
	least, most int
}

var (
	getCommand = transferCommand{name: "get", download: true, least: 1, most: 2} // REMOTE [LOCAL]
	putCommand = transferCommand{name: "put", least: 2, most: 2}                 // LOCAL REMOTE
)

// parse makes the command's flag set, with usage and the flags register
// adds for the direction, and parses args; see parseCommand.
func (c transferCommand) parse(args []string, usage func(io.Writer), register func(*flag.FlagSet, bool)) (*flag.FlagSet, []string, status, bool) {
	fs := newFlagSet(c.name, usage, os.Stderr)
	register(fs, c.download)
	pos, st, ok := parseCommand(fs, args, c.least, c.most)
	return fs, pos, st, ok
}
