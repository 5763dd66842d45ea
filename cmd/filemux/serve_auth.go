package main

import "fmt"

// reloadAuth has every SSH server read its authorized_keys and password
// files again (daemon.SSH.ReloadAuth): removed keys and users are refused
// from now on, and their open connections closed. A file that does not
// load fails the reload, and that server keeps the credentials it had.
func (s *server) reloadAuth() error {
	for _, d := range s.ssh {
		if err := d.ReloadAuth(); err != nil {
			return fmt.Errorf("sftp: %w", err)
		}
	}
	return nil
}
