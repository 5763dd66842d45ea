#!/usr/bin/env bash
# bench/sftp-client.sh: filemux's SFTP client (`filemux get` and `put` with
# sftp:// URLs) against OpenSSH's sftp client, both talking to OpenSSH's own
# sshd (internal-sftp) on loopback, in the same run: one large file down and
# up, turn by turn. It prints MiB/s and client CPU seconds per run, the
# median and the range, and filemux's median as a ratio of sftp's.
#
#   bash bench/sftp-client.sh
#
# Each client uses its own default cipher preferences: sshd negotiates
# aes128-gcm@openssh.com with x/crypto (filemux) and chacha20-poly1305 with
# OpenSSH's sftp; CIPHER=aes128-gcm@openssh.com makes sftp use AES-GCM too.
#
# Knobs (environment): SIZE_MIB (default 256), RUNS (default 5), CIPHER
# (passed to sftp -c), FLAGS (extra flags for filemux get/put, such as
# "--concurrency 16 --chunk-size 262144"), KEEP=1 keeps the work directory.
#
# Needs: go, sftp, ssh-keygen, sshd (/usr/sbin/sshd, package
# openssh-server). sshd listens on a 127.0.0.1 port chosen here and is
# stopped by its process id.
set -euo pipefail

cd "$(dirname "$0")/.."

SIZE_MIB=${SIZE_MIB:-256}
RUNS=${RUNS:-5}
CIPHER=${CIPHER:-}
FLAGS=${FLAGS:-}
SSHD=${SSHD:-/usr/sbin/sshd}

for prog in go sftp ssh-keygen "$SSHD"; do
	command -v "$prog" >/dev/null || { echo "bench/sftp-client.sh: $prog is missing" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/filemux-sftp-client-bench.XXXXXX")
SSHD_PID=""
cleanup() {
	if [[ -n "$SSHD_PID" ]]; then
		kill "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
	fi
	if [[ "${KEEP:-}" != 1 ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

echo "== preparing ${SIZE_MIB} MiB in $WORK"
mkdir -p "$WORK/served" "$WORK/local"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$WORK/local/src.bin"
cp "$WORK/local/src.bin" "$WORK/served/src.bin"
WANT=$(sha256sum "$WORK/local/src.bin" | cut -d' ' -f1)
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
cp "$WORK/client_key.pub" "$WORK/authorized_keys"
go build -o "$WORK/filemux" ./cmd/filemux

PORT=$(free_port)
mkdir -p /run/sshd
printf '%s\n' "Port $PORT" "ListenAddress 127.0.0.1" "HostKey $WORK/host_key" \
	"AuthorizedKeysFile $WORK/authorized_keys" "PidFile none" "Subsystem sftp internal-sftp" \
	"UsePAM no" "StrictModes no" "PasswordAuthentication no" "KbdInteractiveAuthentication no" \
	>"$WORK/sshd_config"
"$SSHD" -D -e -f "$WORK/sshd_config" 2>"$WORK/sshd.log" &
SSHD_PID=$!
wait_port "$PORT"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$WORK/host_key.pub")" >"$WORK/known_hosts"
USER_NAME=$(id -un)

# run CLIENT OP: one transfer; prints "seconds client_cpu" after checking
# the copy's sha256.
run() {
	local client=$1 op=$2 out
	if [[ $op == get ]]; then out="$WORK/local/got.bin"; else out="$WORK/served/up.bin"; fi
	rm -f "$out"
	local TIMEFORMAT="%R %U %S"
	if [[ $client == sftp ]]; then
		local batch="$WORK/batch"
		if [[ $op == get ]]; then
			echo "get $WORK/served/src.bin $out" >"$batch"
		else
			echo "put $WORK/local/src.bin $out" >"$batch"
		fi
		local opts=(-q -b "$batch" -P "$PORT" -i "$WORK/client_key" -o IdentitiesOnly=yes
			-o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes -o LogLevel=ERROR)
		[[ -n "$CIPHER" ]] && opts+=(-c "$CIPHER")
		{ time sftp "${opts[@]}" "$USER_NAME@127.0.0.1" >/dev/null; } 2>"$WORK/time"
	else
		local url="sftp://$USER_NAME@127.0.0.1:$PORT"
		local args=(--quiet --identity "$WORK/client_key" --known-hosts "$WORK/known_hosts")
		# shellcheck disable=SC2206 # FLAGS is split on purpose
		args+=($FLAGS)
		if [[ $op == get ]]; then
			{ time "$WORK/filemux" get "${args[@]}" "$url$WORK/served/src.bin" "$out"; } 2>"$WORK/time"
		else
			{ time "$WORK/filemux" put "${args[@]}" "$WORK/local/src.bin" "$url$out"; } 2>"$WORK/time"
		fi
	fi
	local got
	got=$(sha256sum "$out" | cut -d' ' -f1)
	[[ $got == "$WANT" ]] || { echo "$client $op: the copy differs" >&2; exit 1; }
	awk '{ printf "%s %.3f\n", $1, $2+$3 }' "$WORK/time"
}

declare -A RATES CPUS
echo "== ${RUNS} runs each, ${SIZE_MIB} MiB, turn by turn"
for i in $(seq "$RUNS"); do
	for op in get put; do
		for client in sftp filemux; do
			read -r secs cpu < <(run "$client" "$op")
			rate=$(awk -v m="$SIZE_MIB" -v s="$secs" 'BEGIN { printf "%.1f", m/s }')
			RATES[$client/$op]+="$rate "
			CPUS[$client/$op]+="$cpu "
			printf 'run %d  %-4s %-8s %7s MiB/s  %6s s client CPU\n' "$i" "$op" "$client" "$rate" "$cpu"
		done
	done
done

# stats "V1 V2 ...": prints "median min max".
stats() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR]=$1 } END {
		m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2
		printf "%.1f %.1f %.1f", m, v[1], v[NR] }'
}

echo
echo "== medians (range) in MiB/s; median client CPU seconds per transfer"
printf '%-4s  %-28s %-28s %s\n' op "OpenSSH sftp" "filemux" "filemux/sftp"
for op in get put; do
	read -r sm slo shi <<<"$(stats "${RATES[sftp/$op]}")"
	read -r fm flo fhi <<<"$(stats "${RATES[filemux/$op]}")"
	read -r sc _ _ <<<"$(stats "${CPUS[sftp/$op]}")"
	read -r fc _ _ <<<"$(stats "${CPUS[filemux/$op]}")"
	ratio=$(awk -v a="$fm" -v b="$sm" 'BEGIN { printf "%.2f", a/b }')
	printf '%-4s  %6s (%s-%s) cpu %-6s %6s (%s-%s) cpu %-6s %sx\n' "$op" "$sm" "$slo" "$shi" "$sc" "$fm" "$flo" "$fhi" "$fc" "$ratio"
done
