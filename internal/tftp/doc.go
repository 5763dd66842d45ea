// Package tftp is filemux's TFTP wire engine, shared by the daemon and the
// client: the packet codec (RFC 1350, 2347), option negotiation (RFC 2347,
// 2348, 2349, 7440), and the sender and receiver state machines with
// windowing, retransmission and block-number rollover.
//
// The engine owns the bytes on the wire and nothing else. It never sees a
// behaviour.Handler: callers hand it a [Source] or [Sink] (their wrappers
// around the handler) and a [Transport] that carries one transfer's packets
// to and from one peer. [ConnTransport] runs a transfer over its own
// net.PacketConn, so tests can use an in-memory or lossy connection as well as
// real UDP.
package tftp
