// Package daemon holds filemux's servers. [TFTP] is the TFTP daemon: it
// listens on a UDP socket, parses each request with the wire engine, cleans
// the file name, applies its limits and hands the transfer to a
// behaviour.Handler (usually a *registry.Registry), whose Open negotiates the
// options and whose Read or Write calls move the data.
//
// The daemon contains every handler failure: a panic answers the peer with
// ERROR 0 and aborts the transfer, a handler call slower than twice the
// transfer's timeout is cancelled and the peer told at once, and the listening
// socket outlives every refused or failed request.
package daemon
