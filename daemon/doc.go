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
//
// Under hostile load the TFTP daemon holds requests that nobody answers in a
// budget of their own, apart from the transfer limits, and bounds what a
// peer pulls when nothing proves it receives (single-port and port-range
// mode); the TFTP type's doc states the policy.
package daemon
