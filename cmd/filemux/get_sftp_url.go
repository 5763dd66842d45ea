package main

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/filemux/filemux/client"
)

// sftpURL is a parsed sftp://[USER@]HOST[:PORT]/PATH, or scp://. As with
// curl, PATH is absolute, and /~/PATH is relative to the login directory.
type sftpURL struct {
	scheme, user, addr, file string
}

// byScheme is get or put: ssh for a command line that names an sftp:// or
// scp:// URL, web for one that names an http:// or https:// URL, tftp for
// any other.
func byScheme(tftp func(context.Context, []string) status, ssh func(context.Context, []string, sshScheme) status, web func(context.Context, []string) status) func(context.Context, []string) status {
	return func(ctx context.Context, args []string) status {
		if httpSchemeOf(args) {
			return web(ctx, args)
		}
		if sc, ok := sshSchemeOf(args); ok {
			return ssh(ctx, args, sc)
		}
		return tftp(ctx, args)
	}
}

// sshSchemeOf returns the scheme of the sftp:// or scp:// URL a get or put
// command line names, which sends it to that scheme's client; sftp:// wins
// when both stand in it.
func sshSchemeOf(args []string) (sshScheme, bool) {
	for _, sc := range []sshScheme{sftpScheme, scpScheme} {
		prefix := sc.name + "://"
		for _, a := range args {
			if len(a) >= len(prefix) && strings.EqualFold(a[:len(prefix)], prefix) {
				return sc, true
			}
		}
	}
	return sshScheme{}, false
}

// parseSSHURL parses a URL of scheme (sftp or scp).
func parseSSHURL(s, scheme string) (sftpURL, error) {
	want := "want " + scheme + "://[USER@]HOST[:PORT]/PATH"
	u, err := url.Parse(s)
	if err != nil {
		return sftpURL{}, fmt.Errorf("bad URL %q: %w", s, err)
	}
	if !strings.EqualFold(u.Scheme, scheme) || u.Hostname() == "" || u.RawQuery != "" || u.Fragment != "" {
		return sftpURL{}, fmt.Errorf("bad URL %q: %s", s, want)
	}
	if _, set := u.User.Password(); set {
		return sftpURL{}, fmt.Errorf("bad URL %q: no password in the URL, use --password-file", s)
	}
	addr, err := hostPort(u, client.DefaultSSHPort)
	if err != nil {
		return sftpURL{}, fmt.Errorf("bad URL %q: %w", s, err)
	}
	out := sftpURL{scheme: scheme, user: u.User.Username(), addr: addr, file: u.Path}
	if rest, ok := strings.CutPrefix(out.file, "/~/"); ok {
		out.file = rest
	}
	if out.file == "" || out.file == "/" {
		return sftpURL{}, fmt.Errorf("bad URL %q: no file name", s)
	}
	return out, nil
}

// String returns the URL, for messages.
func (u sftpURL) String() string {
	user := ""
	if u.user != "" {
		user = u.user + "@"
	}
	p := u.file
	if !strings.HasPrefix(p, "/") {
		p = "/~/" + p
	}
	return u.scheme + "://" + user + u.addr + (&url.URL{Path: p}).EscapedPath()
}

// localName is the base name of the remote file, for a download given no
// LOCAL.
func (u sftpURL) localName() (string, error) {
	base := path.Base(u.file)
	if base == "." || base == ".." || base == "/" || strings.HasSuffix(u.file, "/") {
		return "", fmt.Errorf("the URL names no file: give a LOCAL name")
	}
	return base, nil
}
