#!/usr/bin/env bash
# bench-v2.sh: WAMP v2 on wampgate, against WAMP v1 on the same binary and
# against the nexus router (v3.3.0, bench/nexus), in one run. Builds
# wampgate, wampbench and nexus-server, runs every row on a freshly
# started server (stopped by its PID) on a free loopback port, and writes
# bench/results/<date>-<host>-v2.json and .md (the tables).
#
#   scripts/bench-v2.sh                    # everything, about 9 minutes here
#   scripts/bench-v2.sh --quick            # smoke test: tiny counts, ~2 minutes
#   scripts/bench-v2.sh --only fanout --repeat 3
#
# Sections (--only, or BENCH_ONLY; default all, in this order):
#   fanout  wampbench fanout at full speed: 10,000 subscribers, 128-byte
#           events, 20 publications in flight; wampgate v1, v2 JSON, v2
#           MessagePack (and MessagePack subscribers of a JSON publisher),
#           nexus v2 JSON and MessagePack; × v1 within each repeat
#   idle    wampbench idle: 19,000 subscribed sessions held 10 s; wampgate
#           v1 and v2 JSON, nexus v2 JSON
#   rpc     wampbench rpc: 2 callees (shared registration), 10 callers × 5
#           calls in flight, 128-byte argument echoed; wampgate and nexus,
#           v2 JSON and MessagePack
#
# Options: --quick, --only LIST, --repeat N (run each section's rows N
# times, one repeat after the other; default 1), --out DIR (default
# bench/results; with --quick bench/results/tmp), --name STEM (default
# <date>-<host>-v2), -h.
# Environment: PORT (first port tried, default 18300; the first free one
# of the ten from there is used), BIN (binaries, default ./bin),
# FANOUT_ROWS, IDLE_ROWS, RPC_ROWS (rows as SERVER:PROTOCOL, fan-out also
# SERVER:PROTOCOL<-PUBLISHERS-PROTOCOL), FANOUT_SUBS, FANOUT_DURATION,
# WINDOW, IDLE_CONNS, IDLE_HOLD, RPC_CALLEES, RPC_CALLERS,
# RPC_CONCURRENCY, RPC_DURATION, BUSY_WAIT (seconds to wait for a busy
# port, default 120).
set -euo pipefail

usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; }

quick=0
only=${BENCH_ONLY:-fanout,idle,rpc}
repeat=1
out=""
name=""
invocation="scripts/bench-v2.sh${*:+ $*}"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--only)
		[ $# -ge 2 ] || { echo "bench-v2: --only needs a list" >&2; exit 2; }
		only=$2
		shift
		;;
	--only=*) only=${1#--only=} ;;
	--repeat)
		[ $# -ge 2 ] || { echo "bench-v2: --repeat needs a count" >&2; exit 2; }
		repeat=$2
		shift
		;;
	--out)
		[ $# -ge 2 ] || { echo "bench-v2: --out needs a directory" >&2; exit 2; }
		out=$2
		shift
		;;
	--name)
		[ $# -ge 2 ] || { echo "bench-v2: --name needs a value" >&2; exit 2; }
		name=$2
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-v2: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $repeat in
'' | *[!0-9]* | 0) echo "bench-v2: --repeat must be a positive count" >&2; exit 2 ;;
esac
[ "$repeat" -le 10 ] || { echo "bench-v2: --repeat at most 10" >&2; exit 2; }

sections=()
IFS=, read -r -a wanted <<<"$only"
for s in fanout idle rpc; do
	for w in "${wanted[@]}"; do
		[ "$w" = "$s" ] && sections+=("$s")
	done
done
for w in "${wanted[@]}"; do
	case $w in
	fanout | idle | rpc) ;;
	*) echo "bench-v2: unknown section $w (fanout, idle, rpc)" >&2; exit 2 ;;
	esac
done
[ ${#sections[@]} -gt 0 ] || { echo "bench-v2: no section selected" >&2; exit 2; }

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
for tool in go jq ss timeout; do
	command -v "$tool" >/dev/null || { echo "bench-v2: $tool not found (Debian: apt-get install -y jq iproute2)" >&2; exit 1; }
done

bin=${BIN:-./bin}
busy_wait=${BUSY_WAIT:-120}
fanout_rows=${FANOUT_ROWS:-"wampgate:wamp wampgate:wamp.2.json wampgate:wamp.2.msgpack wampgate:wamp.2.msgpack<-wamp.2.json nexus:wamp.2.json nexus:wamp.2.msgpack"}
idle_rows=${IDLE_ROWS:-"wampgate:wamp wampgate:wamp.2.json nexus:wamp.2.json"}
rpc_rows=${RPC_ROWS:-"wampgate:wamp.2.json wampgate:wamp.2.msgpack nexus:wamp.2.json nexus:wamp.2.msgpack"}
window=${WINDOW:-20}
rpc_callees=${RPC_CALLEES:-2}
rpc_callers=${RPC_CALLERS:-10}
rpc_concurrency=${RPC_CONCURRENCY:-5}
if [ "$quick" = 1 ]; then
	fanout_subs=${FANOUT_SUBS:-1000}
	fanout_duration=${FANOUT_DURATION:-2s}
	idle_conns=${IDLE_CONNS:-2000}
	idle_hold=${IDLE_HOLD:-2s}
	rpc_duration=${RPC_DURATION:-2s}
else
	fanout_subs=${FANOUT_SUBS:-10000}
	fanout_duration=${FANOUT_DURATION:-10s}
	idle_conns=${IDLE_CONNS:-19000}
	idle_hold=${IDLE_HOLD:-10s}
	rpc_duration=${RPC_DURATION:-10s}
fi

started=$(date +%s)
host=$(hostname -s 2>/dev/null || hostname)
if [ "$quick" = 1 ]; then
	out=${out:-bench/results/tmp}
	name=${name:-$(date +%Y-%m-%d)-$host-v2-quick}
else
	out=${out:-bench/results}
	name=${name:-$(date +%Y-%m-%d)-$host-v2}
fi
# Raw results and logs, never committed (bench/results/tmp is ignored).
run=bench/results/tmp/v2-run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$bin" "$run" "$out"
manifest=$run/manifest.jsonl
: >"$manifest"
echo "bench-v2: sections ${sections[*]}, $repeat repeat(s); run directory $run" >&2

# --- limits and the port ------------------------------------------------------
nofile=$(ulimit -n)
if [ "$nofile" = unlimited ]; then nofile=1048576; fi
if [ "$nofile" -lt 20000 ]; then
	echo "bench-v2: ulimit -n is $nofile: rows needing more descriptors are marked n/a (see scripts/tune-linux.sh)." >&2
fi
port=""
first=${PORT:-18300}
for p in $(seq "$first" $((first + 9))); do
	if ! listening "$p"; then
		port=$p
		break
	fi
done
if [ -z "$port" ]; then
	echo "bench-v2: ports $first-$((first + 9)) are all in use; waiting for $first" >&2
	wait_port_free "$first" "$busy_wait" bench-v2 || exit 1
	port=$first
fi
echo "bench-v2: servers listen on 127.0.0.1:$port" >&2
others=$(for n in wampgate wampbench nexus-server nginx; do pgrep -a -x "$n" || true; done)
if [ -n "$others" ]; then
	echo "bench-v2: warning: other wampgate, wampbench, nexus or nginx processes are running; figures will be noisy:" >&2
	echo "$others" | sed 's/^/bench-v2:   /' >&2
fi

# --- build ------------------------------------------------------------------
echo "bench-v2: building" >&2
abs_bin=$(realpath "$bin")
timeout 600 go build -o "$abs_bin/wampgate" ./cmd/wampgate
# The load generator and the nexus server are modules of their own.
timeout 600 go build -C bench -o "$abs_bin/wampbench" ./cmd/wampbench
timeout 600 go build -C bench -o "$abs_bin/bench-tables" ./tables
timeout 600 go build -C bench/nexus -o "$abs_bin/nexus-server" .

# --- processes this script started, stopped by PID on any exit ------------
server=""
client=""
stop_all() {
	if [ -n "$client" ]; then stop_pid "$client"; fi
	client=""
	if [ -n "$server" ]; then stop_pid "$server"; fi
	server=""
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# record KEY=VALUE...: append one manifest line (numbers for conns, size,
# repeat, exit_code and seconds; strings for the rest; empty values left out).
record() {
	local args=() kv k v
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		[ -n "$v" ] || continue
		case $k in
		conns | size | repeat | exit_code | seconds) args+=(--argjson "$k" "$v") ;;
		*) args+=(--arg "$k" "$v") ;;
		esac
	done
	jq -cn "${args[@]}" '$ARGS.named' >>"$manifest"
}

# start_server SERVER LOG: start a fresh wampgate node or nexus router on
# the port; sets server to its PID, or returns 1.
start_server() {
	local what=$1 log=$2
	wait_port_free "$port" "$busy_wait" bench-v2 || return 1
	case $what in
	wampgate) "$bin/wampgate" run --host 127.0.0.1 --port "$port" --poller epoll --log-level warn >"$log" 2>&1 & ;;
	nexus) "$bin/nexus-server" --addr "127.0.0.1:$port" >"$log" 2>&1 & ;;
	*)
		echo "bench-v2: unknown server $what" >&2
		return 1
		;;
	esac
	server=$!
	for _ in $(seq 1 200); do
		listening "$port" && return 0
		kill -0 "$server" 2>/dev/null || break
		sleep 0.05
	done
	stop_pid "$server"
	server=""
	return 1
}

# run_row SECTION ROW CONNS SIZE REPEAT MODE ARGS...: one row (ROW is
# SERVER:PROTOCOL[<-PUBLISHERS-PROTOCOL]) on a fresh server: wampbench MODE
# ARGS with the row's protocols, recorded in the manifest.
run_row() {
	local section=$1 row=$2 conns=$3 size=$4 rep=$5 mode=$6
	shift 6
	local what=${row%%:*} proto=${row#*:} pub="" rc=0 note="" t0 stem
	if [[ $proto == *"<-"* ]]; then
		pub=${proto#*<-}
		proto=${proto%%<-*}
	fi
	stem="$section-$what-$proto${pub:+-from-$pub}-$rep"
	t0=$(date +%s.%N)
	local fields=(section="$section" server="$what" protocol="$proto" pub_protocol="$pub" conns="$conns" size="$size" repeat="$rep" command="wampbench $mode $*")
	if [ $((conns + 32)) -gt "$nofile" ]; then
		record "${fields[@]}" exit_code=0 seconds=0 note="n/a: $((conns + 32)) descriptors needed, ulimit -n $nofile"
		return
	fi
	if ! start_server "$what" "$run/$stem.server.log"; then
		record "${fields[@]}" exit_code=1 seconds=0 log="$stem.server.log" note="server did not start on port $port"
		return
	fi
	local extra=(--protocol "$proto")
	[ -n "$pub" ] && extra+=(--pub-protocol "$pub")
	echo "bench-v2: $section, repeat $rep: $what $proto${pub:+ <- $pub} (pid $server): wampbench $mode $*" >&2
	# In the background, so that a signal to this script is handled at once.
	timeout -k 15 300 "$bin/wampbench" "$mode" "$@" "${extra[@]}" --url "ws://127.0.0.1:$port/" --server-pid "$server" \
		--label "$what" --json >"$run/$stem.json" 2>"$run/$stem.log" &
	client=$!
	wait "$client" || rc=$?
	client=""
	if ! kill -0 "$server" 2>/dev/null; then
		note="the server exited during the run (see $stem.server.log)"
	fi
	stop_pid "$server"
	server=""
	[ "$rc" -eq 0 ] || note=${note:-"see $stem.log"}
	record "${fields[@]}" file="$stem.json" log="$stem.log" exit_code="$rc" \
		seconds="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" note="$note"
	sleep 1 # let the workers' sockets go
}

declare -A section_seconds
section_fanout() {
	local rep row
	for rep in $(seq 1 "$repeat"); do
		for row in $fanout_rows; do
			run_row v2-fanout "$row" "$fanout_subs" 128 "$rep" fanout \
				--subs "$fanout_subs" --size 128 --window "$window" --duration "$fanout_duration"
		done
	done
}
section_idle() {
	local rep row
	for rep in $(seq 1 "$repeat"); do
		for row in $idle_rows; do
			run_row v2-idle "$row" "$idle_conns" 0 "$rep" idle --conns "$idle_conns" --hold "$idle_hold"
		done
	done
}
section_rpc() {
	local rep row
	for rep in $(seq 1 "$repeat"); do
		for row in $rpc_rows; do
			run_row v2-rpc "$row" $((rpc_callees + rpc_callers)) 128 "$rep" rpc --callees "$rpc_callees" \
				--callers "$rpc_callers" --concurrency "$rpc_concurrency" --size 128 --duration "$rpc_duration"
		done
	done
}

for s in "${sections[@]}"; do
	t=$(date +%s)
	echo "bench-v2: == $s" >&2
	"section_$s"
	section_seconds[$s]=$(($(date +%s) - t))
done

# --- report -----------------------------------------------------------------
secs=$(for s in "${!section_seconds[@]}"; do printf '%s\t%s\n' "$s" "${section_seconds[$s]}"; done |
	jq -R 'split("\t") | {(.[0]): (.[1] | tonumber)}' | jq -s 'add // {}')
jq -n \
	--arg date "$(date -u -d "@$started" +%Y-%m-%dT%H:%M:%SZ)" \
	--arg host "$host" \
	--arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	--argjson cores "$(nproc)" \
	--argjson mem "$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)" \
	--arg kernel "$(uname -r)" \
	--argjson nofile "$nofile" \
	--arg go "$(go env GOVERSION)" \
	--arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')" \
	--arg command "$invocation" \
	--argjson quick "$([ "$quick" = 1 ] && echo true || echo false)" \
	--arg sections "${sections[*]}" \
	--arg fd "$fanout_duration" \
	--argjson seconds "$(($(date +%s) - started))" \
	--argjson secs "$secs" \
	'{date: $date, host: $host, cpu: $cpu, cores: $cores, memory_mib: $mem, kernel: $kernel, ulimit_n: $nofile,
	  go: $go, commit: $commit, command: $command, quick: $quick, sections: ($sections | split(" ")),
	  fanout_duration: $fd, seconds: $seconds, section_seconds: $secs}' >"$run/meta.json"

"$bin/bench-tables" -v2 -run "$run" -json "$out/$name.json" -md "$out/$name.md"
echo "bench-v2: wrote $out/$name.json and $out/$name.md in $(($(date +%s) - started)) s (raw results and logs: $run)" >&2
cat "$out/$name.md"
failed=$(jq '[.fanout[], .idle[], .rpc[] | select(.exit_code != 0)] | length' "$out/$name.json")
if [ "$failed" -gt 0 ]; then
	echo "bench-v2: $failed benchmark(s) failed" >&2
	exit 1
fi
