#!/usr/bin/env bash
# bench.sh: the benchmark kit. Builds the binaries, runs every benchmark of
# the README's tables with bounded durations, each single-node row on a
# freshly started node stopped by its PID, and writes
# bench/results/<date>-<host>.json, .md (the tables) and -*.png (the plots).
#
#   scripts/bench.sh                       # everything, 10-12 minutes here
#   scripts/bench.sh --quick               # smoke test: tiny counts, ~2 minutes
#   scripts/bench.sh --only backends,fanout
#
# Sections (--only, or BENCH_ONLY; default all, in this order):
#   backends  wampbench backend: 100 … 19,000 subscribed sessions at a fixed
#             deliveries/s budget, per poller (epoll, goroutine, easygo)
#   fanout    wampbench fanout at full speed: 1,000 and 10,000 subscribers,
#             128 B and 4 KiB events, epoll and goroutine
#   scaling   scripts/bench-wrk.sh (wrk through nginx, 1–3 nodes), if present
#   cluster   scripts/bench-cluster.sh (wampbench cluster, 1 node against 3),
#             if present
#
# Options: --quick, --only LIST, --out DIR (default bench/results; with
# --quick bench/results/tmp), --name STEM (default <date>-<host>, with
# --quick <date>-<host>-quick), --no-plots, -h.
# Environment: PORT (single-node port, default 8095), BIN (binaries, default
# ./bin), BACKEND_CONNS, BACKEND_POLLERS, BACKEND_DURATION, DELIVERIES,
# FANOUT_SUBS, FANOUT_SIZES, FANOUT_POLLERS, FANOUT_DURATION, BUSY_WAIT
# (seconds to wait for a busy port, default 120); the scaling and cluster
# scripts read their own (WRK_*, SUBS, DURATION, ...: see their --help).
set -euo pipefail

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }

quick=0
only=${BENCH_ONLY:-backends,fanout,scaling,cluster}
out=""
name=""
plots=1
invocation="scripts/bench.sh${*:+ $*}"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--only)
		[ $# -ge 2 ] || { echo "bench: --only needs a list" >&2; exit 2; }
		only=$2
		shift
		;;
	--only=*) only=${1#--only=} ;;
	--out)
		[ $# -ge 2 ] || { echo "bench: --out needs a directory" >&2; exit 2; }
		out=$2
		shift
		;;
	--name)
		[ $# -ge 2 ] || { echo "bench: --name needs a value" >&2; exit 2; }
		name=$2
		shift
		;;
	--no-plots) plots=0 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

sections=()
IFS=, read -r -a wanted <<<"$only"
for s in backends fanout scaling cluster; do
	for w in "${wanted[@]}"; do
		[ "$w" = "$s" ] && sections+=("$s")
	done
done
for w in "${wanted[@]}"; do
	case $w in
	backends | fanout | scaling | cluster) ;;
	*) echo "bench: unknown section $w (backends, fanout, scaling, cluster)" >&2; exit 2 ;;
	esac
done
[ ${#sections[@]} -gt 0 ] || { echo "bench: no section selected" >&2; exit 2; }

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
for tool in go jq ss timeout; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found (Debian: apt-get install -y jq iproute2; the scaling and cluster sections also need wrk and nginx)" >&2; exit 1; }
done

port=${PORT:-8095}
bin=${BIN:-./bin}
busy_wait=${BUSY_WAIT:-120}
if [ "$quick" = 1 ]; then
	backend_conns=${BACKEND_CONNS:-"100 1000"}
	backend_duration=${BACKEND_DURATION:-2s}
	fanout_subs=${FANOUT_SUBS:-"100 1000"}
	fanout_duration=${FANOUT_DURATION:-2s}
else
	backend_conns=${BACKEND_CONNS:-"100 1000 5000 10000 19000"}
	backend_duration=${BACKEND_DURATION:-10s}
	fanout_subs=${FANOUT_SUBS:-"1000 10000"}
	fanout_duration=${FANOUT_DURATION:-10s}
fi
backend_pollers=${BACKEND_POLLERS:-"epoll goroutine easygo"}
fanout_pollers=${FANOUT_POLLERS:-"epoll goroutine"}
fanout_sizes=${FANOUT_SIZES:-"128 4096"}
deliveries=${DELIVERIES:-20000}

started=$(date +%s)
host=$(hostname -s 2>/dev/null || hostname)
if [ "$quick" = 1 ]; then
	# A smoke test: kept out of the committed results.
	out=${out:-bench/results/tmp}
	name=${name:-$(date +%Y-%m-%d)-$host-quick}
else
	out=${out:-bench/results}
	name=${name:-$(date +%Y-%m-%d)-$host}
fi
# Raw results and logs, never committed (bench/results/tmp is ignored).
run=bench/results/tmp/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$bin" "$run" "$out"
manifest=$run/manifest.jsonl
: >"$manifest"
echo "bench: sections ${sections[*]}; run directory $run" >&2

# --- limits -----------------------------------------------------------------
nofile=$(ulimit -n)
if [ "$nofile" = unlimited ]; then nofile=1048576; fi
if [ "$nofile" -lt 20000 ]; then
	echo "bench: ulimit -n is $nofile: rows needing more descriptors are marked n/a." >&2
	echo "bench: what scripts/tune-linux.sh would change (nothing is changed without --apply):" >&2
	bash scripts/tune-linux.sh >&2 || true
fi
# pgrep matches at most 15 characters of a name: one name per call.
others=$(for name in wampgate wampbench nginx; do pgrep -a -x "$name" || true; done)
if [ -n "$others" ]; then
	echo "bench: warning: other wampgate, wampbench or nginx processes are running; figures will be noisy:" >&2
	echo "$others" | sed 's/^/bench:   /' >&2
fi

# --- build ------------------------------------------------------------------
echo "bench: building" >&2
timeout 600 go build -o "$bin/wampgate" ./cmd/wampgate
# The benchmark kit is its own module (bench/go.mod): built from there.
abs_bin=$(realpath "$bin")
timeout 600 go build -C bench -o "$abs_bin/wampbench" ./cmd/wampbench
timeout 600 go build -C bench -o "$abs_bin/bench-tables" ./tables
if [ "$plots" = 1 ]; then timeout 600 go build -C bench -o "$abs_bin/bench-plot" ./plot; fi

# --- processes this script started, stopped by PID on any exit ------------
node=""
client=""
stop_all() {
	if [ -n "$client" ]; then stop_pid "$client"; fi
	client=""
	if [ -n "$node" ]; then stop_pid "$node"; fi
	node=""
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# record KEY=VALUE...: append one manifest line (numbers for conns, size,
# exit_code and seconds; strings for the rest; empty values left out).
record() {
	local args=() kv k v
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		[ -n "$v" ] || continue
		case $k in
		conns | size | exit_code | seconds) args+=(--argjson "$k" "$v") ;;
		*) args+=(--arg "$k" "$v") ;;
		esac
	done
	jq -cn "${args[@]}" '$ARGS.named' >>"$manifest"
}

# run_node_bench SECTION POLLER CONNS SIZE STEM WAMPBENCH-ARGS...: start a
# node with POLLER, run wampbench against it into STEM.json, stop the node,
# and record the run.
run_node_bench() {
	local section=$1 poller=$2 conns=$3 size=$4 stem=$5
	shift 5
	local t0 rc=0 note=""
	t0=$(date +%s.%N)
	if ! wait_port_free "$port" "$busy_wait" bench; then
		record section="$section" poller="$poller" conns="$conns" size="$size" exit_code=1 seconds=0 note="port $port busy"
		return
	fi
	"$bin/wampgate" run --host 127.0.0.1 --port "$port" --poller "$poller" --log-level warn >"$run/$stem.node.log" 2>&1 &
	node=$!
	for _ in $(seq 1 200); do
		listening "$port" && break
		kill -0 "$node" 2>/dev/null || break
		sleep 0.05
	done
	if ! listening "$port"; then
		stop_pid "$node"
		node=""
		record section="$section" poller="$poller" conns="$conns" size="$size" exit_code=1 seconds=0 \
			log="$stem.node.log" note="node did not start"
		return
	fi
	echo "bench: $section $poller ($conns, node pid $node): wampbench $*" >&2
	# In the background, so that a signal to this script is handled at once.
	timeout -k 15 300 "$bin/wampbench" "$@" --url "ws://127.0.0.1:$port/" --server-pid "$node" \
		--label "$poller" --json >"$run/$stem.json" 2>"$run/$stem.log" &
	client=$!
	wait "$client" || rc=$?
	client=""
	stop_pid "$node"
	node=""
	[ "$rc" -eq 0 ] || note="see $stem.log"
	record section="$section" poller="$poller" conns="$conns" size="$size" \
		command="wampbench $*" file="$stem.json" log="$stem.log" exit_code="$rc" \
		seconds="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" note="$note"
	sleep 1 # let the workers' sockets go
}

declare -A section_seconds
section_start=0
begin_section() {
	section_start=$(date +%s)
	echo "bench: == $1" >&2
}
end_section() { section_seconds[$1]=$(($(date +%s) - section_start)); }

# fds_per_conn POLLER: descriptors a node holds per connection.
fds_per_conn() { if [ "$1" = easygo ]; then echo 2; else echo 1; fi; }

# --- sections ---------------------------------------------------------------
section_backends() {
	local n p need
	for n in $backend_conns; do
		for p in $backend_pollers; do
			need=$(($(fds_per_conn "$p") * (n + 1) + 16))
			if [ "$need" -gt "$nofile" ]; then
				local why="n/a: ulimit -n $nofile"
				[ "$p" = easygo ] && why="n/a: 2 fds per connection"
				record section=backends poller="$p" conns="$n" exit_code=0 seconds=0 \
					note="$why ($need needed, ulimit -n $nofile)"
				continue
			fi
			run_node_bench backends "$p" "$n" 128 "backends-$p-$n" \
				backend --conns "$n" --deliveries "$deliveries" --duration "$backend_duration"
		done
	done
}

section_fanout() {
	local n s p need
	for n in $fanout_subs; do
		for s in $fanout_sizes; do
			for p in $fanout_pollers; do
				need=$(($(fds_per_conn "$p") * (n + 1) + 16))
				if [ "$need" -gt "$nofile" ]; then
					record section=fanout poller="$p" conns="$n" size="$s" exit_code=0 seconds=0 \
						note="n/a: $need descriptors needed, ulimit -n $nofile"
					continue
				fi
				run_node_bench fanout "$p" "$n" "$s" "fanout-$p-$n-$s" \
					fanout --subs "$n" --size "$s" --duration "$fanout_duration"
			done
		done
	done
}

# run_external SECTION STEM COMMAND...: run another script's benchmark,
# keeping the JSON it prints on stdout.
run_external() {
	local section=$1 stem=$2 rc=0 t0 note=""
	shift 2
	t0=$(date +%s)
	echo "bench: $section: $*" >&2
	timeout -k 15 900 "$@" >"$run/$stem.json" 2>"$run/$stem.log" &
	client=$!
	wait "$client" || rc=$?
	client=""
	[ "$rc" -eq 0 ] || note="see $stem.log"
	record section="$section" command="$*" file="$stem.json" log="$stem.log" exit_code="$rc" \
		seconds="$(($(date +%s) - t0))" note="$note"
}

# cluster_ports_free: wait until the ports scripts/cluster.sh uses are free.
cluster_ports_free() {
	local p
	for p in 8090 8095 8097 8099; do
		wait_port_free "$p" "$busy_wait" bench || return 1
	done
}

# run_cluster_script SECTION SCRIPT: run scripts/SCRIPT (--quick in a
# quick run), which starts and stops its own clusters, if it is present.
run_cluster_script() {
	local section=$1 script=$2 args=()
	if [ ! -f "scripts/$script" ]; then
		record section="$section" exit_code=0 seconds=0 note="not available: scripts/$script is not in this tree"
		return
	fi
	if ! cluster_ports_free; then
		record section="$section" exit_code=1 seconds=0 note="the cluster's ports stayed busy"
		return
	fi
	[ "$quick" = 1 ] && args+=(--quick)
	run_external "$section" "$section" bash "scripts/$script" "${args[@]}"
}

section_scaling() { run_cluster_script scaling bench-wrk.sh; }

# WAMPBENCH: bench-cluster.sh uses this run's wampbench instead of building one.
section_cluster() { WAMPBENCH=$(realpath "$bin/wampbench") run_cluster_script cluster bench-cluster.sh; }

for s in "${sections[@]}"; do
	begin_section "$s"
	"section_$s"
	end_section "$s"
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
	--arg bd "$backend_duration" --arg fd "$fanout_duration" \
	--argjson deliveries "$deliveries" \
	--argjson seconds "$(($(date +%s) - started))" \
	--argjson secs "$secs" \
	'{date: $date, host: $host, cpu: $cpu, cores: $cores, memory_mib: $mem, kernel: $kernel, ulimit_n: $nofile,
	  go: $go, commit: $commit, command: $command, quick: $quick, sections: ($sections | split(" ")),
	  backend_duration: $bd, fanout_duration: $fd, deliveries_budget: $deliveries,
	  seconds: $seconds, section_seconds: $secs}' >"$run/meta.json"

"$bin/bench-tables" -run "$run" -json "$out/$name.json" -md "$out/$name.md"
if [ "$plots" = 1 ]; then "$bin/bench-plot" -in "$out/$name.json" -out "$out"; fi
echo "bench: wrote $out/$name.json and $out/$name.md in $(($(date +%s) - started)) s (raw results and logs: $run)" >&2
cat "$out/$name.md"
# Runs that failed: ours, and those the scaling and cluster scripts count.
failed=$(jq '([.backends[], .fanout[], .scaling[], .cluster[] | select(.exit_code != 0)] | length)
	+ ([.scaling[], .cluster[] | .result.failed // 0] | add // 0)' "$out/$name.json")
if [ "$failed" -gt 0 ]; then
	echo "bench: $failed benchmark(s) failed" >&2
	exit 1
fi
