#!/usr/bin/env bash
# bench/tftp.sh: compares filemux's TFTP daemon with tftpd-hpa and atftpd on
# loopback with the same real clients (curl, atftp, node tftp, a storm of
# pin/tftp clients in one process, a storm of curl processes) and a raw UDP
# baseline, in one run with alternating rounds, and prints MB/s, server CPU
# seconds and peak RSS with ratios.
#
#   bash bench/tftp.sh                 # 3 rounds, 64 MiB, storm of 500 x 1 MiB
#   bash bench/tftp.sh -rounds 5 -q    # any flag of bench/cmd/tftpbench
#
# The storms run twice: with servers and clients sharing every CPU, then
# with -pin (the server on the last CPU, the clients on the others).
# Needs the peers that .ci/run installs, and root (tftpd-hpa chroots).
# Takes a few minutes; run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/tftpserve" ./bench/cmd/tftpserve
go build -o "$bin/rawudp" ./bench/rawudp
go build -o "$bin/tftpbench" ./bench/cmd/tftpbench
"$bin/tftpbench" -tftpserve "$bin/tftpserve" -rawudp "$bin/rawudp" "$@"
# The storms again with the servers on a CPU of their own and the clients on
# the others, as on a server whose clients are elsewhere (see -pin).
if [ "$(nproc)" -ge 2 ]; then
	"$bin/tftpbench" -tftpserve "$bin/tftpserve" -rawudp "$bin/rawudp" -only storm -pin "$@"
fi
