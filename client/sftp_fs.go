package client

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Stat returns the information the server gives about remote, following
// symbolic links.
func (s *SFTP) Stat(ctx context.Context, remote string) (fs.FileInfo, error) {
	var fi fs.FileInfo
	err := s.do(ctx, "stat", remote, func(x *session) (err error) {
		fi, err = x.sftp.Stat(remote)
		return err
	})
	return fi, err
}

// List returns the entries of the remote directory dir, sorted by name,
// without "." and "..".
func (s *SFTP) List(ctx context.Context, dir string) ([]fs.FileInfo, error) {
	var list []fs.FileInfo
	err := s.do(ctx, "list", dir, func(x *session) (err error) {
		list, err = x.sftp.ReadDir(dir)
		return err
	})
	list = slices.DeleteFunc(list, func(fi fs.FileInfo) bool { return fi.Name() == "." || fi.Name() == ".." })
	slices.SortFunc(list, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return list, err
}

// Remove removes the remote file, or empty directory.
func (s *SFTP) Remove(ctx context.Context, remote string) error {
	return s.do(ctx, "remove", remote, func(x *session) error { return x.sftp.Remove(remote) })
}

// Rename renames the remote oldname to newname. It uses
// posix-rename@openssh.com where the server offers it (OpenSSH and
// filemux's daemon), which replaces an existing newname at once, as
// rename(2) does; SFTP's own rename refuses to replace a file.
func (s *SFTP) Rename(ctx context.Context, oldname, newname string) error {
	return s.do(ctx, "rename", oldname, func(x *session) error {
		var err error
		if _, ok := x.sftp.HasExtension("posix-rename@openssh.com"); ok {
			err = x.sftp.PosixRename(oldname, newname)
		} else {
			err = x.sftp.Rename(oldname, newname)
		}
		if err != nil {
			return fmt.Errorf("to %q: %w", newname, err)
		}
		return nil
	})
}

// Mkdir creates the remote directory dir; its parent must exist.
func (s *SFTP) Mkdir(ctx context.Context, dir string) error {
	return s.do(ctx, "mkdir", dir, func(x *session) error { return x.sftp.Mkdir(dir) })
}

// MkdirAll creates the remote directory dir and any missing parents, as
// mkdir -p does; a directory that exists already is no error.
func (s *SFTP) MkdirAll(ctx context.Context, dir string) error {
	return s.do(ctx, "mkdir", dir, func(x *session) error { return x.sftp.MkdirAll(dir) })
}

// do runs one file operation on a connection of its own.
func (s *SFTP) do(ctx context.Context, op string, remote string, fn func(*session) error) error {
	_, err := s.run(ctx, op, remote, func(x *session) (int64, error) { return 0, fn(x) })
	return err
}
