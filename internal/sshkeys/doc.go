// Package sshkeys is the key plumbing of filemux's SSH server: host keys
// generated once and persisted in OpenSSH's format, authorized_keys files
// parsed strictly (with their from= restrictions enforced and every option
// filemux cannot honour refused), and files of bcrypt password hashes.
//
// Everything here fails loudly: a line that does not parse is an error
// naming its line number, never a key silently skipped, so that a typo
// cannot lock a user out or let an unintended restriction lapse.
package sshkeys
