//go:build !unix

package main

// activated returns no socket: socket activation is a systemd feature.
func activated() (*sockets, error) { return &sockets{}, nil }
