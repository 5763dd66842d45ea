package main

import (
	"fmt"

	"github.com/filemux/filemux/daemon"
)

// reloadAuth reads the credentials of every server again: each SSH server
// its authorized_keys and password files (daemon.SSH.ReloadAuth: removed
// keys and users are refused from now on, and their open connections
// closed), each HTTP server its certificate (daemon.HTTP.ReloadTLS: new
// connections get the new one) and its password and token files
// (daemon.HTTP.ReloadAuth: a removed user or token is refused from the
// next request on, and its running transfers aborted). The HTTP servers' files are checked before anything
// changes; a file that does not load fails the reload, and the server
// keeps the credentials it had.
func (s *server) reloadAuth() error {
	for _, d := range s.http {
		if err := checkHTTPFiles(d); err != nil {
			return fmt.Errorf("http: %w", err)
		}
	}
	for _, d := range s.ssh {
		if err := d.ReloadAuth(); err != nil {
			return fmt.Errorf("sftp: %w", err)
		}
	}
	for _, d := range s.http {
		if d.TLSCertFile != "" {
			if err := d.ReloadTLS(); err != nil {
				return fmt.Errorf("http: %w", err)
			}
		}
		if err := d.ReloadAuth(); err != nil {
			return fmt.Errorf("http: %w", err)
		}
	}
	return nil
}

// checkHTTPFiles reports whether the files of d load, without changing
// what d serves: a daemon that never serves only checks.
func checkHTTPFiles(d *daemon.HTTP) error {
	probe := &daemon.HTTP{TLSCertFile: d.TLSCertFile, TLSKeyFile: d.TLSKeyFile, PasswordFile: d.PasswordFile, TokenFile: d.TokenFile}
	if probe.TLSCertFile != "" {
		if err := probe.ReloadTLS(); err != nil {
			return err
		}
	}
	return probe.ReloadAuth()
}
