// Package peers finds, starts and drives the real TFTP programs that filemux
// is tested against: servers (tftpd-hpa, atftpd, dnsmasq, Erlang's tftp, the
// node tftp package, pin/tftp), an S3 server (versitygw), and clients (curl,
// tftp-hpa, atftp, busybox, Erlang, node, pin/tftp), and the PostgreSQL
// server the shared state is tested against (PostgresDB). Every server runs
// on loopback on a port chosen at
// start, as a process of its own that is stopped by its process id, and
// every transfer is checked by content, not by exit status alone.
//
// Tests call [Need] (or let [Serve] and [Get] call it) so that a missing
// program skips the test with a clear message, or fails it when the
// environment variable CI is "true". `.ci/run` installs every program; it
// unpacks atftpd (whose Debian package conflicts with tftpd-hpa), the node
// module and versitygw under /opt/filemux-peers, which FILEMUX_PEERS_DIR,
// FILEMUX_ATFTPD, FILEMUX_NODE_TFTP and FILEMUX_VERSITYGW override.
//
// The functions without a testing.TB (StartServer, Download, Upload) serve
// the benchmark programs under bench/.
package peers
