package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/client"
)

// tftpURL is a parsed RFC 3617 URL: tftp://HOST[:PORT]/FILE[;mode=MODE].
type tftpURL struct {
	// addr is HOST:PORT, with the default port when none is given.
	addr string
	// file is the name on the server: the path after the first slash,
	// percent-decoded.
	file string
	// mode is the ;mode= parameter, or 0 when absent.
	mode behaviour.Mode
}

// parseURL parses an RFC 3617 URL.
func parseURL(s string) (tftpURL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return tftpURL{}, fmt.Errorf("bad URL %q: %w", s, err)
	}
	switch {
	case !strings.EqualFold(u.Scheme, "tftp"):
		return tftpURL{}, fmt.Errorf("bad URL %q: want tftp://HOST[:PORT]/FILE", s)
	case u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return tftpURL{}, fmt.Errorf("bad URL %q: want tftp://HOST[:PORT]/FILE, without user, query or fragment", s)
	}
	addr, err := hostPort(u, client.DefaultPort)
	if err != nil {
		return tftpURL{}, fmt.Errorf("bad URL %q: %w", s, err)
	}
	out := tftpURL{addr: addr}
	escaped := u.EscapedPath()
	if out.mode, escaped, err = splitMode(escaped); err != nil {
		return tftpURL{}, fmt.Errorf("bad URL %q: %w", s, err)
	}
	if out.file, err = url.PathUnescape(strings.TrimPrefix(escaped, "/")); err != nil || out.file == "" {
		return tftpURL{}, fmt.Errorf("bad URL %q: no file name", s)
	}
	return out, nil
}

// splitMode cuts the ";mode=" parameter of RFC 3617 off an escaped path.
func splitMode(escaped string) (behaviour.Mode, string, error) {
	i := strings.LastIndex(strings.ToLower(escaped), ";mode=")
	if i < 0 {
		return 0, escaped, nil
	}
	m, err := parseMode(escaped[i+len(";mode="):])
	return m, escaped[:i], err
}

func parseMode(s string) (behaviour.Mode, error) {
	switch strings.ToLower(s) {
	case "octet", "binary":
		return behaviour.Octet, nil
	case "netascii", "ascii":
		return behaviour.Netascii, nil
	}
	return 0, fmt.Errorf("mode %q is not octet or netascii", s)
}

// String returns the URL in canonical form, for messages.
func (u tftpURL) String() string {
	s := "tftp://" + u.addr + "/" + (&url.URL{Path: u.file}).EscapedPath()
	if u.mode == behaviour.Netascii {
		s += ";mode=netascii"
	}
	return s
}

// localName is the local file a download goes to when none is given: the
// base name of the remote file, refused when it is no file name at all.
func (u tftpURL) localName() (string, error) {
	base := path.Base(strings.ReplaceAll(u.file, `\`, "/"))
	if base == "." || base == ".." || base == "/" || strings.HasSuffix(u.file, "/") {
		return "", errors.New("the URL names no file: give a LOCAL name")
	}
	return base, nil
}

// hostPort returns the host and port of u, with port def when u names none.
func hostPort(u *url.URL, def int) (string, error) {
	port := u.Port()
	if port == "" {
		port = strconv.Itoa(def)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", fmt.Errorf("port %q is not 1..65535", port)
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}
