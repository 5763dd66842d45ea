#!/usr/bin/env bash
# bench/sftp.sh: OpenSSH's sftp client getting and putting one large file
# against filemux's SSH server (a directory handler with random access, and
# the same directory behind a sequential adapter that hides it) and against
# OpenSSH's own sshd with internal-sftp, in the same run, on loopback. It
# prints MiB/s, server and client CPU seconds, and each filemux result as a
# ratio of sshd's.
#
#   bash bench/sftp.sh
#
# With the client's default cipher preferences, sshd negotiates
# chacha20-poly1305 and filemux aes128-ctr (daemon.SSH offers no ChaCha20
# on CPUs with AES instructions); set CIPHER=aes128-gcm@openssh.com to
# compare the servers on the same cipher.
#
# Knobs (environment): SIZE_MIB (default 256), RUNS (default 5; the median
# is reported), CIPHER (passed to sftp -c; default: the client's choice),
# KEEP=1 keeps the work directory.
#
# Needs: go, sftp, ssh-keygen, sshd (/usr/sbin/sshd, package
# openssh-server). Everything listens on 127.0.0.1 ports chosen here and is
# stopped by its process id.
set -euo pipefail

cd "$(dirname "$0")/.."

SIZE_MIB=${SIZE_MIB:-256}
RUNS=${RUNS:-5}
CIPHER=${CIPHER:-}
SSHD=${SSHD:-/usr/sbin/sshd}

for prog in go sftp ssh-keygen "$SSHD"; do
	command -v "$prog" >/dev/null || { echo "bench/sftp.sh: $prog is missing" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/filemux-sftp-bench.XXXXXX")
SRC_DIR=bench/_sftpserver_$$
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$SRC_DIR"
	if [[ "${KEEP:-}" != 1 ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

# free_port prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT waits until something accepts on 127.0.0.1:PORT.
wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

# cpu_of PID prints the CPU seconds of a process and its reaped children
# (sshd forks per connection), once it has no child left to reap.
cpu_of() {
	for _ in $(seq 100); do
		[[ -z "$(cat /proc/"$1"/task/*/children 2>/dev/null)" ]] && break
		sleep 0.05
	done
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14+$15+$16+$17)/hz }' "/proc/$1/stat"
}

echo "== preparing ${SIZE_MIB} MiB in $WORK"
mkdir -p "$WORK/served" "$WORK/local" "$WORK/sshd"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$WORK/local/src.bin"
cp "$WORK/local/src.bin" "$WORK/served/src.bin"
WANT=$(sha256sum "$WORK/local/src.bin" | cut -d' ' -f1)
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/sshd/host_key"
cp "$WORK/client_key.pub" "$WORK/authorized_keys"
chmod 600 "$WORK/authorized_keys"

# The filemux server: a few lines of Go against the daemon package, built
# from a directory the go tool skips in ./... patterns.
mkdir -p "$SRC_DIR"
cat >"$SRC_DIR/main.go" <<'EOF'
// Command sftpserver serves a directory over SFTP for bench/sftp.sh.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/filemux/filemux/behaviour"
	"github.com/filemux/filemux/daemon"
	"github.com/filemux/filemux/handlers"
)

// sequential hides the directory's random access.
type sequential struct{ behaviour.Handler }

func (s sequential) Unwrap() behaviour.Handler                        { return s.Handler }
func (sequential) ReaderAt(*behaviour.Transfer) (io.ReaderAt, bool) { return nil, false }
func (sequential) WriterAt(*behaviour.Transfer) (io.WriterAt, bool) { return nil, false }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	root := flag.String("root", ".", "served directory")
	keys := flag.String("authorized-keys", "", "authorized_keys file")
	hostKey := flag.String("host-key", "", "host key file")
	seq := flag.Bool("sequential", false, "hide random access")
	flag.Parse()
	dir, err := handlers.NewDir(*root, handlers.DirConfig{Write: handlers.WriteAny})
	if err != nil {
		log.Fatal(err)
	}
	var h behaviour.Handler = dir
	if *seq {
		h = sequential{dir}
	}
	d := &daemon.SSH{ListenAddr: *addr, Handler: h, AuthorizedKeysFile: *keys, HostKeyFile: *hostKey}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = d.Shutdown(context.Background())
	}()
	if err := d.ListenAndServe(); err != nil && err != daemon.ErrServerClosed {
		log.Fatal(err)
	}
}
EOF
go build -o "$WORK/sftpserver" "./$SRC_DIR"
rm -rf "$SRC_DIR"

# start_filemux NAME [FLAGS]: starts a server; records its port and pid.
declare -A PORT_OF PID_OF
start_filemux() {
	local port
	port=$(free_port)
	"$WORK/sftpserver" -addr "127.0.0.1:$port" -root "$WORK/served" \
		-authorized-keys "$WORK/authorized_keys" -host-key "$WORK/filemux_host_key" "${@:2}" \
		2>"$WORK/$1.log" &
	PIDS+=("$!")
	PORT_OF[$1]=$port PID_OF[$1]=$!
	wait_port "$port"
}

start_sshd() {
	local port
	port=$(free_port)
	mkdir -p /run/sshd
	cat >"$WORK/sshd/config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $WORK/sshd/host_key
AuthorizedKeysFile $WORK/authorized_keys
PidFile none
Subsystem sftp internal-sftp
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
EOF
	"$SSHD" -D -e -f "$WORK/sshd/config" 2>"$WORK/sshd.log" &
	PIDS+=("$!")
	PORT_OF[sshd]=$port PID_OF[sshd]=$!
	wait_port "$port"
}

# transfer PORT OP: one sftp run of OP between local/src.bin and the
# served src.bin (get) or up.bin (put); prints "seconds client_cpu".
transfer() {
	local port=$1 op=$2 batch="$WORK/batch" remote=""
	[[ $port == "${PORT_OF[sshd]}" ]] && remote="$WORK/served/" # sshd starts in the home directory
	if [[ $op == get ]]; then
		echo "get ${remote}src.bin $WORK/local/got.bin" >"$batch"
	else
		echo "put $WORK/local/src.bin ${remote}up.bin" >"$batch"
	fi
	local opts=(-q -b "$batch" -P "$port" -i "$WORK/client_key" -o IdentitiesOnly=yes
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
	[[ -n "$CIPHER" ]] && opts+=(-c "$CIPHER")
	local TIMEFORMAT="%R %U %S"
	{ time sftp "${opts[@]}" "$(id -un)@127.0.0.1" >/dev/null; } 2>"$WORK/time"
	awk '{ printf "%s %.3f\n", $1, $2+$3 }' "$WORK/time"
}

# measure LABEL OP: one run, checked by sha256; adds "seconds client
# server" to the samples of LABEL/OP.
declare -A SAMPLES
measure() {
	local label=$1 op=$2 before after t check
	before=$(cpu_of "${PID_OF[$label]}")
	t=$(transfer "${PORT_OF[$label]}" "$op")
	after=$(cpu_of "${PID_OF[$label]}")
	check=$WORK/local/got.bin
	[[ $op == put ]] && check=$WORK/served/up.bin
	if [[ $(sha256sum "$check" | cut -d' ' -f1) != "$WANT" ]]; then
		echo "bench/sftp.sh: $label $op: sha256 mismatch" >&2
		exit 1
	fi
	rm -f "$WORK/local/got.bin" "$WORK/served/up.bin"
	SAMPLES[$label/$op]+="$t $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.3f", a-b }')"$'\n'
	echo "   $label $op: ${t%% *}s"
}

start_sshd
start_filemux filemux-dir
start_filemux filemux-seq -sequential
LABELS=(sshd filemux-dir filemux-seq)

# The runs go round the servers, so that other load on the machine falls
# on all of them alike.
for run in $(seq "$RUNS"); do
	echo "== run $run of $RUNS"
	for label in "${LABELS[@]}"; do
		measure "$label" get
		measure "$label" put
	done
done

# median LABEL/OP prints the median sample by time: "seconds client server".
median() {
	printf '%s' "${SAMPLES[$1]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

echo
echo "OpenSSH sftp, ${SIZE_MIB} MiB, median of $RUNS runs, cipher: ${CIPHER:-client default}; $(nproc) CPUs"
echo "filemux-dir: directory handler (random access); filemux-seq: the same behind the sequential adapter"
printf '%-12s %-4s %9s %12s %12s %10s\n' server op MiB/s "server CPU" "client CPU" "vs sshd"
for op in get put; do
	read -r base _ <<<"$(median "sshd/$op")"
	for label in "${LABELS[@]}"; do
		read -r secs client server <<<"$(median "$label/$op")"
		printf '%-12s %-4s %9s %11ss %11ss %10s\n' "$label" "$op" \
			"$(awk -v s="$secs" -v m="$SIZE_MIB" 'BEGIN { printf "%.1f", m/s }')" "$server" "$client" \
			"$(awk -v a="$secs" -v b="$base" 'BEGIN { printf "%.2fx", b/a }')"
	done
done
