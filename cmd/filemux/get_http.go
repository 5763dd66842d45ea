package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/filemux/filemux/client"
)

func getHTTPUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux get [flags] http[s]://[USER@]HOST[:PORT]/PATH [LOCAL|-]

Downloads PATH with GET into LOCAL (default: the base name of PATH),
atomically: on failure LOCAL is left as it was. --resume completes a LOCAL
that holds the file's first bytes with a Range request. A USER logs in
with basic authentication and the password in --password-file; --token-file
sends a bearer token instead. A 404 exits 3, 401 and 403 exit 4, 413 and
507 exit 5, an HTTPS certificate that does not verify (no CA in --ca-file or
the system's signed it, or it names another host) exits 11, as an SSH host
key that is not trusted does (see 'filemux help').
`)
}

func putHTTPUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: filemux put [flags] LOCAL|- http[s]://[USER@]HOST[:PORT]/PATH

Uploads LOCAL (- reads standard input) as PATH with PUT; a PATH ending in /
gets LOCAL's base name appended. Credentials as for get. There is no
--resume: a PUT carries the whole file, and HTTP has no standard way to
upload from an offset.
`)
}

// httpFlags are the flags of get and put with an http:// or https:// URL.
type httpFlags struct {
	passwordFile, tokenFile, caFile string
	insecure, quiet, resume, fsync  bool
	timeout, transferTimeout        seconds
	sha256                          string
	maxSize                         byteSize
}

func (f *httpFlags) register(fs *flag.FlagSet, download bool) {
	fs.StringVar(&f.passwordFile, "password-file", "", "log in as the URL's USER with basic authentication and the password in `FILE` (its first line)")
	fs.StringVar(&f.tokenFile, "token-file", "", "send the bearer token in `FILE` (its first line)")
	fs.StringVar(&f.caFile, "ca-file", "", "verify the HTTPS server with the CA certificates in `FILE` (PEM) instead of the system's")
	fs.BoolVar(&f.insecure, "insecure", false, "accept any HTTPS certificate: anyone on the path can read and change the transfer")
	fs.Var(&f.timeout, "timeout", "give up connecting after `T` (seconds, or a duration like 500ms; default 15s), and a transfer when no data moves for T")
	fs.Var(&f.transferTimeout, "transfer-timeout", "give up when the whole transfer takes longer than `T` (default: no limit)")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	if !download {
		// Registered so that its refusal can say why (errPutResume).
		fs.BoolVar(&f.resume, "resume", false, "not with http[s]:// (a PUT carries the whole file); refused")
	}
	if download {
		fs.BoolVar(&f.resume, "resume", false, "LOCAL holds the file's first bytes: fetch only the rest (a Range request)")
		fs.StringVar(&f.sha256, "sha256", "", "fail unless the file's SHA-256 is `HEX`; nothing is written then")
		fs.Var(&f.maxSize, "max-size", "refuse a file larger than `SIZE` (bytes, or with a K, M or G suffix)")
		fs.BoolVar(&f.fsync, "fsync", false, "flush LOCAL to disk before it is renamed into place")
	}
}

// httpURL is an http:// or https:// URL of get or put.
type httpURL struct {
	base, user, file string // base: scheme://host:port
}

// parseHTTPURL parses an http:// or https:// URL naming one file.
func parseHTTPURL(s string) (httpURL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return httpURL{}, fmt.Errorf("bad URL %q: %w", s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return httpURL{}, fmt.Errorf("bad URL %q: want http[s]://[USER@]HOST[:PORT]/PATH, without a query", s)
	}
	if _, set := u.User.Password(); set {
		return httpURL{}, fmt.Errorf("bad URL %q: no password in the URL, use --password-file", s)
	}
	if u.Path == "" || u.Path == "/" {
		return httpURL{}, fmt.Errorf("bad URL %q: no file name", s)
	}
	return httpURL{base: scheme + "://" + u.Host, user: u.User.Username(), file: u.Path}, nil
}

// String returns the URL without the user, for messages.
func (u httpURL) String() string { return u.base + (&url.URL{Path: u.file}).EscapedPath() }

func (u httpURL) localName() (string, error) {
	base := path.Base(u.file)
	if base == "." || base == ".." || base == "/" || strings.HasSuffix(u.file, "/") {
		return "", errors.New("the URL names no file: give a LOCAL name")
	}
	return base, nil
}

// client builds the HTTP client for u.
func (f *httpFlags) client(u httpURL, progress func(client.Progress)) (*client.HTTP, error) {
	c := &client.HTTP{URL: u.base, User: u.user, CAFile: f.caFile, InsecureSkipVerify: f.insecure,
		ConnectTimeout: time.Duration(f.timeout), IdleTimeout: time.Duration(f.timeout), TransferTimeout: time.Duration(f.transferTimeout),
		MaxSize: int64(f.maxSize), Fsync: f.fsync, Progress: progress}
	var err error
	switch {
	case f.tokenFile != "" && (f.passwordFile != "" || u.user != ""):
		return nil, errors.New("give either --token-file or a USER with --password-file, not both")
	case f.tokenFile != "":
		c.Token, err = readPassword(f.tokenFile)
	case f.passwordFile != "" && u.user == "":
		return nil, errors.New("--password-file needs a USER in the URL (http://USER@HOST/PATH)")
	case f.passwordFile != "":
		c.Password, err = readPassword(f.passwordFile)
	}
	if err == nil && f.sha256 != "" {
		c.Verify, err = client.ParseChecksum(client.SHA256, f.sha256)
	}
	return c, err
}

// httpSchemeOf reports whether a get or put command line names an
// http:// or https:// URL.
func httpSchemeOf(args []string) bool {
	for _, a := range args {
		for _, prefix := range []string{"http://", "https://"} {
			if len(a) >= len(prefix) && strings.EqualFold(a[:len(prefix)], prefix) {
				return true
			}
		}
	}
	return false
}

// runGetHTTP is get with an http:// or https:// URL.
func runGetHTTP(ctx context.Context, args []string) status {
	var f httpFlags
	fs, pos, st, ok := getCommand.parse(args, getHTTPUsage, f.register)
	if !ok {
		return st
	}
	u, err := parseHTTPURL(pos[0])
	local := ""
	if err == nil {
		local, err = localFor(pos, u.localName)
	}
	if err == nil && f.resume && local == "-" {
		err = errors.New("--resume needs a LOCAL file, not standard output")
	}
	m := newMeter(os.Stderr, path.Base(u.file), barWidth(f.quiet))
	var c *client.HTTP
	if err == nil {
		c, err = f.client(u, m.update)
	}
	if err != nil {
		return usageError(fs, "get", err)
	}
	m.start = time.Now()
	var res client.Result
	if f.resume {
		res, err = c.ResumeReadFile(ctx, u.file, local)
	} else {
		res, err = fetch(ctx, c, u.file, local)
	}
	m.done()
	return report(err, f.quiet, func() string {
		return sftpSummary("got", u.String(), displayName(local, "(stdout)"), res.Bytes, m.start)
	})
}

// errPutResume is the refusal of put --resume with an http(s):// URL.
var errPutResume = errors.New("--resume is not available with http[s]://: a PUT carries the whole file, " +
	"and HTTP has no standard way to upload from an offset (RFC 9110 leaves Content-Range on PUT to each server); " +
	"put the whole file again")

// runPutHTTP is put with an http:// or https:// URL.
func runPutHTTP(ctx context.Context, args []string) status {
	var f httpFlags
	fs, pos, st, ok := putCommand.parse(args, putHTTPUsage, f.register)
	if !ok {
		return st
	}
	local := pos[0]
	u, err := parseHTTPURL(pos[1])
	if err == nil {
		u.file, err = remoteFor(u.file, local, pos[1])
	}
	if f.resume {
		err = errPutResume // before any other fault: no URL makes it work
	}
	m := newMeter(os.Stderr, displayName(local, "(stdin)"), barWidth(f.quiet))
	var c *client.HTTP
	if err == nil {
		c, err = f.client(u, m.update)
	}
	if err != nil {
		return usageError(fs, "put", err)
	}
	m.start = time.Now()
	var res client.Result
	if local == "-" {
		res, err = c.WriteFrom(ctx, u.file, stdin())
	} else {
		res, err = c.WriteFile(ctx, u.file, local)
	}
	m.done()
	return report(err, f.quiet, func() string {
		return sftpSummary("put", displayName(local, "(stdin)"), u.String(), res.Bytes, m.start)
	})
}
