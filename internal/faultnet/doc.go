// Package faultnet provides net.PacketConn implementations for tests of
// datagram protocols: an in-memory network of packet sockets ([Network]) and
// a wrapper that drops, duplicates, delays and reorders datagrams with a
// seeded random source ([Wrap]), so that a lossy run can be repeated.
package faultnet
