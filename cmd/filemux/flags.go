package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
)

// transferFlags are the flags get and put share.
type transferFlags struct {
	blksize, windowsize, retries int
	timeout                      seconds
	tsize, quiet                 bool
	mode, local                  string
	options                      optionList
	sha256, md5                  string
	maxSize                      byteSize
	fsync                        bool
}

func (f *transferFlags) register(fs *flag.FlagSet, download bool) {
	fs.IntVar(&f.blksize, "blksize", 0, "ask for `BYTES` per block (RFC 2348, 8..65464)")
	fs.IntVar(&f.windowsize, "windowsize", 0, "ask for `N` blocks per acknowledgement (RFC 7440)")
	fs.Var(&f.timeout, "timeout", "wait `T` (seconds, or a duration like 500ms) before resending; whole seconds go out as the timeout option")
	fs.IntVar(&f.retries, "retries", 0, "resend a packet at most `N` times (default 5)")
	fs.BoolVar(&f.tsize, "tsize", false, "ask for the size (get) or announce it (put), RFC 2349")
	fs.StringVar(&f.mode, "mode", "", "transfer `MODE`: octet (default) or netascii")
	fs.Var(&f.options, "option", "send the extra option `NAME=VALUE` (repeatable)")
	fs.StringVar(&f.local, "local-addr", "", "send from `IP[:PORT]`")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	if download {
		fs.StringVar(&f.sha256, "sha256", "", "fail unless the file's SHA-256 is `HEX`; nothing is written then")
		fs.StringVar(&f.md5, "md5", "", "fail unless the file's MD5 is `HEX`; nothing is written then")
		fs.Var(&f.maxSize, "max-size", "refuse a file larger than `SIZE` (bytes, or with a K, M or G suffix)")
		fs.BoolVar(&f.fsync, "fsync", false, "flush LOCAL to disk before it is renamed into place")
	}
}

// client builds the TFTP client for a transfer of u.
func (f *transferFlags) client(u tftpURL) (*client.TFTP, error) {
	c := &client.TFTP{
		Addr: u.addr, LocalAddr: f.local, BlockSize: f.blksize, WindowSize: f.windowsize,
		Timeout: time.Duration(f.timeout), Retries: f.retries, TSize: f.tsize,
		Mode: u.mode, Options: f.options, MaxSize: int64(f.maxSize), Fsync: f.fsync,
	}
	if f.mode != "" {
		m, err := parseMode(f.mode)
		if err != nil {
			return nil, err
		}
		c.Mode = m
	}
	var err error
	switch {
	case f.sha256 != "" && f.md5 != "":
		return nil, errors.New("give --sha256 or --md5, not both")
	case f.sha256 != "":
		c.Verify, err = client.ParseChecksum(client.SHA256, f.sha256)
	case f.md5 != "":
		c.Verify, err = client.ParseChecksum(client.MD5, f.md5)
	}
	if err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, as people type them, and returns the positional
// ones. "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name string, usage func(w io.Writer), stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		usage(stderr)
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// seconds is a duration flag that also takes a plain number of seconds,
// as tftp clients do.
type seconds time.Duration

func (s *seconds) String() string { return time.Duration(*s).String() }

func (s *seconds) Set(v string) error {
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
		*s = seconds(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive number of seconds or a duration", v)
	}
	*s = seconds(d)
	return nil
}

// byteSize is a size flag with an optional binary K, M or G suffix.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(v string) error {
	shift := 0
	if i := strings.IndexAny(strings.ToUpper(v), "KMG"); i >= 0 && i == len(v)-1 {
		shift = 10 * (1 + strings.IndexByte("KMG", strings.ToUpper(v)[i]))
		v = v[:i]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return fmt.Errorf("%q is not a size in bytes (with an optional K, M or G)", v)
	}
	*b = byteSize(n << shift)
	return nil
}

// optionList collects repeated --option NAME=VALUE flags.
type optionList []behaviour.Option

func (o *optionList) String() string {
	parts := make([]string, len(*o))
	for i, x := range *o {
		parts[i] = x.Name + "=" + x.Value
	}
	return strings.Join(parts, ",")
}

func (o *optionList) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	*o = append(*o, behaviour.Option{Name: name, Value: value})
	return nil
}
