#!/usr/bin/env bash
# bench/http.sh: compares filemux's HTTP daemon (daemon.HTTP through a
# registry, from a Dir route and from a Memory route, with and without the
# handlers' whole contents: sendfile(2) and large writes) with nginx
# (Debian's nginx-light: sendfile on, tcp_nopush on as Debian ships it, and
# a second one with tcp_nopush off) and Go's http.FileServer on loopback,
# in one run with alternating rounds, and prints MB/s, server CPU seconds
# and ratios, and checks the targets of issue 18.
#
#   bash bench/http.sh                  # 5 rounds, 1 GiB GET, storms of 500 x 1 MiB
#   bash bench/http.sh -rounds 9 -q     # any flag of bench/cmd/httpbench
#
# The files are written under $TMPDIR (/tmp) and removed at the end. Needs
# nginx and curl (.ci/run installs them). Takes a minute or two; run it on
# an otherwise idle machine, or read the ratios only.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/httpserve" ./bench/cmd/httpserve
go build -o "$bin/httpbench" ./bench/cmd/httpbench
"$bin/httpbench" -httpserve "$bin/httpserve" "$@"
