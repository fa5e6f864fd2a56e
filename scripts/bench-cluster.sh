#!/usr/bin/env bash
# bench-cluster.sh: one node against a cluster (DESIGN §5's relay targets).
# Starts a 1-node cluster, then an N-node one (scripts/cluster.sh), runs
# `wampbench cluster` against each with the same total subscribers, and
# prints ONE JSON object on stdout; progress goes to stderr. Everything
# started is stopped on exit.
#
#   scripts/bench-cluster.sh           # 3,000 subscribers, 10 s per run
#   scripts/bench-cluster.sh --quick   # 300 subscribers, 3 s: a smoke test
#
# Runs (wampbench cluster --json; publishers always on the first node):
#   one_node       1 node, SUBS subscribers, full speed
#   cluster        N nodes, SUBS subscribers spread evenly, full speed
#   relay_latency  N nodes, RATE_SUBS subscribers, RATE publications/s:
#                  latency local vs relayed at a load that leaves CPU idle
#   link_capacity  N nodes, one subscriber per node, window 4096, batch 64:
#                  publications/s a peer link carries when fan-out costs
#                  nothing (bounded by this machine, not only the link)
#
# Environment: CLUSTER_NODES (default 3), SUBS (default 3000; --quick 300),
# DURATION (default 10s; --quick 3s), RATE (default 100), RATE_SUBS
# (default 1000; --quick 300), WAMPBENCH (binary; default: built into a
# temporary directory), WAMPGATE_CLUSTER_DIR and WAMPGATE_BASE_PORT (passed
# to scripts/cluster.sh; default state dir: a temporary one).
#
# Output: {"tool":"bench-cluster","nodes":N,"subs":...,"duration":...,
#   "runs":{NAME:{"nodes":n,"exit_code":rc,"result":<wampbench JSON>|null}},
#   "summary":{
#     cpu_us_per_delivery_1, cpu_us_per_delivery_n: server CPU (all nodes,
#         from /proc/PID/stat) per delivered event, one_node and cluster
#     cpu_per_delivery_ratio: n ÷ 1 (target ≤ 1.3)
#     relay_added_p99_ms: relay_latency's relayed p99 − local p99 (≤ 2)
#     max_link_events_per_sec: the busiest link over all runs (≥ 500,000)
#     lost, extra: deliveries lost and extra (duplicates), all runs
#   },
#   "failed": runs whose exit code is not 0}
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"

quick=${QUICK:-0}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-h | --help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-cluster: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

nodes=${CLUSTER_NODES:-3}
rate=${RATE:-100}
if [ "$quick" = 1 ]; then
	subs=${SUBS:-300} duration=${DURATION:-3s} rate_subs=${RATE_SUBS:-300}
else
	subs=${SUBS:-3000} duration=${DURATION:-10s} rate_subs=${RATE_SUBS:-1000}
fi
base_port=${WAMPGATE_BASE_PORT:-8095}
for v in "$nodes" "$subs" "$rate_subs" "$base_port"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench-cluster: $v is not a positive number" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "bench-cluster: jq not found (apt-get install -y jq)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/bench-cluster.XXXXXX)
if [ -z "${WAMPGATE_CLUSTER_DIR:-}" ]; then
	export WAMPGATE_CLUSTER_DIR=$tmp/cluster
fi
bench_pid=""
cluster_up=0
cleanup() {
	if [ -n "$bench_pid" ]; then kill "$bench_pid" 2>/dev/null || true; fi
	if [ "$cluster_up" = 1 ]; then bash scripts/cluster.sh stop >&2 || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wampbench=${WAMPBENCH:-}
if [ -z "$wampbench" ]; then
	wampbench=$tmp/wampbench
	echo "bench-cluster: building wampbench" >&2
	go build -C bench -o "$wampbench" ./cmd/wampbench # its own module; $wampbench is absolute
fi

# urls N: the first N nodes' WebSocket URLs, comma-separated.
urls() {
	local i out=""
	for ((i = 0; i < $1; i++)); do out+="${out:+,}ws://127.0.0.1:$((base_port + 2 * i))/"; done
	echo "$out"
}

# run NAME N FLAGS...: wampbench cluster against the first N nodes,
# result in $tmp/NAME.json.
run() {
	local name=$1 n=$2 rc=0
	shift 2
	echo "bench-cluster: $name: wampbench cluster --urls $(urls "$n") $*" >&2
	timeout -k 10 900 "$wampbench" cluster --urls "$(urls "$n")" --json "$@" >"$tmp/$name.out" &
	bench_pid=$!
	wait "$bench_pid" || rc=$?
	bench_pid=""
	jq -n --argjson n "$n" --argjson rc "$rc" --slurpfile r "$tmp/$name.out" \
		'{nodes: $n, exit_code: $rc, result: ($r[0] // null)}' >"$tmp/$name.json" 2>/dev/null ||
		jq -n --argjson n "$n" --argjson rc "$rc" '{nodes: $n, exit_code: (if $rc == 0 then 1 else $rc end), result: null}' >"$tmp/$name.json"
}

# cluster N: (re)start a cluster of N nodes; fails if it does not come up.
cluster() {
	if [ "$cluster_up" = 1 ]; then bash scripts/cluster.sh stop >&2; fi
	cluster_up=1
	bash scripts/cluster.sh start "$1" >&2
}

missing() { jq -n --argjson n "$1" '{nodes: $n, exit_code: 1, result: null, note: "scripts/cluster.sh start failed"}' >"$tmp/$2.json"; }

if cluster 1; then
	run one_node 1 --subs "$subs" --duration "$duration"
else
	missing 1 one_node
fi
if cluster "$nodes"; then
	run cluster "$nodes" --subs "$subs" --duration "$duration"
	run relay_latency "$nodes" --subs "$rate_subs" --rate "$rate" --duration "$duration"
	run link_capacity "$nodes" --subs "$nodes" --window 4096 --batch 64 --duration "$duration"
else
	for name in cluster relay_latency link_capacity; do missing "$nodes" "$name"; done
fi
bash scripts/cluster.sh stop >&2
cluster_up=0

jq -n --argjson nodes "$nodes" --argjson subs "$subs" --arg duration "$duration" \
	--argjson rate "$rate" --argjson rate_subs "$rate_subs" \
	--slurpfile one "$tmp/one_node.json" --slurpfile n "$tmp/cluster.json" \
	--slurpfile lat "$tmp/relay_latency.json" --slurpfile link "$tmp/link_capacity.json" '
	{one_node: $one[0], cluster: $n[0], relay_latency: $lat[0], link_capacity: $link[0]} as $runs
	| ($runs.one_node.result.server_cpu_us_per_delivery // null) as $c1
	| ($runs.cluster.result.server_cpu_us_per_delivery // null) as $cn
	| {tool: "bench-cluster", nodes: $nodes, subs: $subs, duration: $duration,
	   rate: $rate, rate_subs: $rate_subs, runs: $runs,
	   summary: {
	     cpu_us_per_delivery_1: $c1,
	     cpu_us_per_delivery_n: $cn,
	     cpu_per_delivery_ratio: (if $c1 and $cn and $c1 > 0 then $cn / $c1 else null end),
	     relay_added_p99_ms: ($runs.relay_latency.result.relay_added_p99_ms // null),
	     max_link_events_per_sec: ([$runs[].result.max_link_events_per_sec // 0] | max),
	     lost: ([$runs[].result.deliveries.lost // 0] | add),
	     extra: ([$runs[].result.deliveries.extra // 0] | add)},
	   failed: ([$runs[] | select(.exit_code != 0)] | length)}'
