#!/usr/bin/env bash
# bench/s3.sh: compares a 64 MiB HTTP download from an s3 route of
# filemux serve (a real versitygw v1.8.0 on loopback behind it) with the
# cache warm, the same from a Dir route, a cold download (cache miss, and
# cache off) and curl --aws-sigv4 fetching the object straight from
# versitygw, in one run with alternating rounds, and prints MB/s, first-byte
# latency, the rounds' ratios with their spread, and checks the target of
# issue 19 (warm at least 0.9x dir). See bench/cmd/s3bench.
#
#   bash bench/s3.sh                  # 7 rounds of 64 MiB
#   bash bench/s3.sh -rounds 11 -size 128
#
# Needs versitygw ($FILEMUX_VERSITYGW, or the peers directory .ci/run
# installs it in) and curl. Its files are under $TMPDIR (/tmp), removed at
# the end. Takes about ten seconds; numbers are noisy on shared cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/filemux" ./cmd/filemux
go build -o "$bin/s3bench" ./bench/cmd/s3bench
"$bin/s3bench" -filemux "$bin/filemux" "$@"
