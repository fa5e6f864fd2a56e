#!/usr/bin/env bash
# bench-compare.sh: run ONE wampbench mode, with the same flags, against
# (1) the naive goroutine-per-connection baseline (`wampbench naive-server`,
# package bench/naive) and (2) a wampgate node (`wampgate run --poller epoll`),
# one after the other on 127.0.0.1:PORT, each server stopped by its PID; keep
# both JSON results and print the wampgate ÷ naive ratios DESIGN §5 states
# its targets in.
#
#   scripts/bench-compare.sh MODE [wampbench flags...]
#   scripts/bench-compare.sh fanout --subs 10000 --size 128 --duration 10s
#   scripts/bench-compare.sh fanout --subs 1000 --size 128 --rate 100 --duration 10s
#   scripts/bench-compare.sh handshakes --duration 10s --concurrency 16
#     (prints the server CPU per handshake, and its user and kernel parts)
#   scripts/bench-compare.sh idle --conns 9000 --hold 5s
#
# Environment: PORT (default 8095), POLLER (wampgate's poller, default epoll),
# NODE_FLAGS (extra `wampgate run` flags), BIN (binaries, default ./bin),
# NODE_BIN (a wampgate binary to measure instead of the one built here, e.g.
# an older build for a before/after comparison),
# OUT (results, default bench/results/tmp), RUN_TIMEOUT (seconds per
# wampbench run, default 900), BUSY_WAIT (seconds to wait for a busy port,
# default 600).
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
mode=$1
shift
case $mode in
idle | fanout | handshakes) ;;
*)
	echo "bench-compare: unknown mode $mode (idle, fanout or handshakes)" >&2
	exit 2
	;;
esac

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
port=${PORT:-8095}
poller=${POLLER:-epoll}
bin=${BIN:-./bin}
out=${OUT:-bench/results/tmp}
run_timeout=${RUN_TIMEOUT:-900}
busy_wait=${BUSY_WAIT:-600}
mkdir -p "$bin" "$out"
timeout 600 go build -o "$bin/wampgate" ./cmd/wampgate
timeout 600 go build -C bench -o "$(realpath "$bin")/wampbench" ./cmd/wampbench # its own module
node_bin=${NODE_BIN:-$bin/wampgate}

limit=$(ulimit -n)
if [ "$limit" -lt 20000 ]; then
	echo "bench-compare: ulimit -n is $limit; large runs need more (see scripts/tune-linux.sh)" >&2
fi

stamp=$(date +%Y%m%d-%H%M%S)
base="$out/compare-$mode-$stamp"

# The server under test and the wampbench run, while they run: stopped by
# PID on any exit (wampbench's worker processes die with it).
server=""
client=""
stop_client() {
	if [ -n "$client" ]; then stop_pid "$client"; fi
	client=""
}
stop_server() {
	if [ -n "$server" ]; then stop_pid "$server"; fi
	server=""
}
trap 'stop_client; stop_server' EXIT
trap 'exit 130' INT TERM

# run_one LABEL JSON LOG SERVER-COMMAND...: start the server, run the mode
# against it, stop it. Sets rc to wampbench's exit status.
run_one() {
	local label=$1 json=$2 log=$3
	shift 3
	wait_port_free "$port" "$busy_wait" bench-compare || exit 1
	"$@" >"$log" 2>&1 &
	server=$!
	for _ in $(seq 1 200); do
		listening "$port" && break
		if ! kill -0 "$server" 2>/dev/null; then
			echo "bench-compare: $label server exited at start, see $log" >&2
			exit 1
		fi
		sleep 0.05
	done
	if ! listening "$port"; then
		echo "bench-compare: $label server not listening on 127.0.0.1:$port after 10 s, see $log" >&2
		exit 1
	fi
	echo "bench-compare: $label (pid $server): wampbench $mode ${args[*]}" >&2
	rc=0
	# In the background so that a signal to this script is handled at once
	# (bash runs traps only between foreground commands).
	timeout -k 15 "$run_timeout" "$bin/wampbench" "$mode" --url "ws://127.0.0.1:$port/" \
		--server-pid "$server" --label "$label" --json "${args[@]}" >"$json" &
	client=$!
	wait "$client" || rc=$?
	client=""
	stop_server
	sleep 1 # let the client's worker processes and sockets go
}

args=("$@")
run_one naive "$base-naive.json" "$base-naive.log" \
	"$bin/wampbench" naive-server --addr "127.0.0.1:$port"
rc_naive=$rc
# shellcheck disable=SC2086 # NODE_FLAGS is a list of flags
run_one "$poller" "$base-$poller.json" "$base-$poller.log" \
	"$node_bin" run --host 127.0.0.1 --port "$port" --poller "$poller" --log-level warn ${NODE_FLAGS:-}
rc_node=$rc

echo "results: $base-naive.json $base-$poller.json (server logs: $base-*.log)"
for f in "$base-naive.json" "$base-$poller.json"; do
	if ! jq -e .mode "$f" >/dev/null 2>&1; then
		echo "bench-compare: no result in $f (wampbench exit status: naive $rc_naive, $poller $rc_node)" >&2
		exit 1
	fi
done

# fig FIELD FILE: one number from a result (0 when absent).
fig() { jq -r "($1) // 0" "$2"; }
# ratio NAME UNIT NAIVE NODE [TARGET]: "NAME naive N, node M → M/N×".
ratio() {
	awk -v name="$1" -v unit="$2" -v a="$3" -v b="$4" -v target="${5:-}" -v p="$poller" '
	function hum(x) {
		if (x >= 1e6) return sprintf("%.2fM", x / 1e6)
		if (x >= 1e4) return sprintf("%.1fk", x / 1e3)
		return sprintf("%.4g", x)
	}
	BEGIN {
		r = (a > 0) ? sprintf("%.2f×", b / a) : "n/a"
		printf "%s: naive %s%s, %s %s%s → %s%s", name, hum(a), unit, p, hum(b), unit, r, (target != "" ? " (target " target ")" : "")
	}'
}

n="$base-naive.json"
g="$base-$poller.json"
case $mode in
fanout)
	line="$(ratio "deliveries per server CPU-second" "" "$(fig .deliveries_per_server_cpu_sec "$n")" "$(fig .deliveries_per_server_cpu_sec "$g")" "≥ 12× at 10,000 subs")"
	line+=" | $(ratio "p99 latency" " ms" "$(fig .latency.p99_ms "$n")" "$(fig .latency.p99_ms "$g")" "≤ 0.5× at 1,000 subs, 100/s")"
	line+=" | $(ratio "deliveries/s" "" "$(fig .deliveries_per_sec "$n")" "$(fig .deliveries_per_sec "$g")")"
	line+=" | lost: naive $(fig .lost "$n"), $poller $(fig .lost "$g")"
	;;
handshakes)
	line="$(ratio "server CPU per handshake" " µs" "$(fig .server_cpu_us_per_handshake "$n")" "$(fig .server_cpu_us_per_handshake "$g")" "≤ 0.65×")"
	line+=" | $(ratio "user" " µs" "$(fig .server_user_us_per_handshake "$n")" "$(fig .server_user_us_per_handshake "$g")")"
	line+=" | $(ratio "kernel" " µs" "$(fig .server_system_us_per_handshake "$n")" "$(fig .server_system_us_per_handshake "$g")")"
	line+=" | $(ratio "handshakes/s" "" "$(fig .handshakes_per_sec "$n")" "$(fig .handshakes_per_sec "$g")")"
	line+=" | failed: naive $(fig .failed "$n"), $poller $(fig .failed "$g")"
	;;
idle)
	line="$(ratio "server RSS per session" " KiB" "$(fig .server_kib_per_session "$n")" "$(fig .server_kib_per_session "$g")")"
	line+=" | $(ratio "server CPU per session set-up" " µs" "$(fig .server_cpu_us_per_session "$n")" "$(fig .server_cpu_us_per_session "$g")")"
	line+=" | established: naive $(fig .established "$n"), $poller $(fig .established "$g")"
	line+=" | verified: naive $(fig .verified "$n"), $poller $(fig .verified "$g")"
	;;
esac
echo "$mode ${args[*]}: $line"
if [ "$rc_naive" -ne 0 ] || [ "$rc_node" -ne 0 ]; then
	echo "bench-compare: wampbench exit status: naive $rc_naive, $poller $rc_node" >&2
	exit 1
fi
