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
//
// # Decisions
//
// Parsing is strict ([ParseRequest], [ParsePacket]): a missing NUL, a
// truncated field, trailing bytes, an empty file name, a mode other than
// octet or netascii (in any case; mail is refused), an option without a
// value or a request over [MaxRequestSize] bytes is ERROR 4. More than
// [MaxOptions] options, or one name twice in different cases, refuses the
// whole request with ERROR 8: keeping one of two values would let two parts
// of a system disagree about which counts. Error texts are fixed: nothing of
// the input is ever echoed.
//
// Values are decided in negotiation ([ServerOptions], [Accept]), per RFC
// 2347: an option the server cannot accept is dropped from the OACK, never
// answered with a larger value. Numbers are plain decimals; "+512", "-1",
// "abc" and values of more than 18 digits drop their option, as do blksize
// below 8, timeout outside 1..255 and windowsize 0. blksize and windowsize
// above the limits are lowered to them.
//
// The sender never resends because of an ACK that repeats the previous
// window's end right after the window went out: that is a network duplicate
// or a peer that ACKs twice, and resending would double the traffic
// (Sorcerer's Apprentice). Half a timeout later the same ACK means the peer
// timed out, and the window is resent at once. Under loss the window halves
// and grows back by one block per clean round; a shrunk round pauses for a
// few round trips before completing the negotiated window, so receivers that
// acknowledge only full windows keep their cadence. Retries N means at most
// N resends of one window before the transfer fails.
//
// The receiver acknowledges every WindowSize blocks, at once on a gap, and
// again when a block of its last acknowledged window comes back (its ACK
// was lost); copies of newer blocks and older blocks are ignored. After the
// final ACK it dallies until the peer has been silent for two timeouts,
// acknowledging repeats of the final block.
//
// # Speed
//
// A transfer allocates a fixed handful of buffers and nothing per block:
// blocks are read from the Source straight into the DATA packet behind its
// header, retransmissions resend the packet as it is, ACKs are parsed in
// place, and ConnTransport uses the netip paths of *net.UDPConn. The read
// deadline is rounded to an eighth of the timeout so that it is set about
// once per eighth of a timeout rather than once per packet.
package tftp
