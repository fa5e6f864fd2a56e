#!/usr/bin/env bash
# bench-scale.sh: how many subscribed sessions N wampgate nodes joined
# through one nats-server hold on this machine, and how long a
# publication takes to reach every one of them.
#
#   scripts/bench-scale.sh [NODES [SESSIONS_PER_NODE]]   default 10 × 19000
#
# It starts the nats-server and the nodes (scripts/cluster.sh start NODES
# --bus nats), then `wampbench cluster`: the subscribers spread evenly over
# the nodes, the load generator over worker processes of --per-worker
# connections each, every worker on its own loopback source address
# (127.0.0.2, .3, …) so source ports never run out; after every
# subscriber got a warm-up event, RATE publications/s for DURATION from a
# publisher on the first node. Then it stops everything it started (by
# PID) and prints ONE JSON object:
#
#   sessions_target, sessions_held (subscribed, over all nodes),
#   reached_by_warmup, nodes_rss_kib_held and rss_kib_per_session_held
#   (the nodes' RSS while they held every session, before the
#   publications: sampled while wampbench runs), nodes_rss_kib and
#   rss_kib_per_session (after the publications),
#   publications, deliveries {expected, lost, extra},
#   reach_all_ms {p50, p99, max}: publish → EVENT over every delivery;
#       max is when the slowest subscriber got its copy,
#   nats_server {cpu_seconds_measured, cpu_seconds_total, rss_kib},
#   client_cpu_seconds, server_cpu_seconds (nodes + nats-server, measured
#   phase), limits {nofile_per_process, sessions_per_node_max}
#
# Environment: BUS (nats, the default, or mesh: the same nodes joined by
# peer links, to compare; nats_server is then null), RATE (publications/s,
# default 1), DURATION (default 5s),
# PER_WORKER (connections per load-generator process, default 9000),
# WAMPBENCH (binary; default: built), WAMPGATE_BASE_PORT (default 18095),
# WAMPGATE_NGINX_PORT (default 18090), WAMPGATE_NATS_PORT (default 14222),
# WAMPGATE_CLUSTER_DIR (default: a temporary directory).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"

bus=${BUS:-nats}
[ "$bus" = nats ] || [ "$bus" = mesh ] || { echo "bench-scale: BUS must be nats or mesh" >&2; exit 2; }
nodes=${1:-10}
per_node=${2:-19000}
rate=${RATE:-1}
duration=${DURATION:-5s}
per_worker=${PER_WORKER:-9000}
export WAMPGATE_BASE_PORT=${WAMPGATE_BASE_PORT:-18095}
export WAMPGATE_NGINX_PORT=${WAMPGATE_NGINX_PORT:-18090}
export WAMPGATE_NATS_PORT=${WAMPGATE_NATS_PORT:-14222}
for v in "$nodes" "$per_node" "$rate" "$per_worker"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench-scale: $v is not a positive number" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "bench-scale: jq not found (apt-get install -y jq)" >&2; exit 1; }

# A node holds its sessions, its NATS connection and a few descriptors
# of its own under the per-process limit.
nofile=$(ulimit -Hn)
ulimit -n "$nofile"
max_per_node=$((nofile - 100))
if [ "$per_node" -gt "$max_per_node" ]; then
	echo "bench-scale: $per_node sessions per node do not fit under ulimit -Hn $nofile (at most $max_per_node)" >&2
	exit 2
fi
total=$((nodes * per_node))

tmp=$(mktemp -d /tmp/bench-scale.XXXXXX)
export WAMPGATE_CLUSTER_DIR=${WAMPGATE_CLUSTER_DIR:-$tmp/cluster}
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
	echo "bench-scale: building wampbench" >&2
	go build -C bench -o "$wampbench" ./cmd/wampbench
fi

cluster_up=1
WAMPGATE_CLUSTER_WAIT=${WAMPGATE_CLUSTER_WAIT:-60} bash scripts/cluster.sh start "$nodes" --bus "$bus" >&2
nats_pid="" brokers=()
if [ "$bus" = nats ]; then
	nats_pid=$(cat "$WAMPGATE_CLUSTER_DIR"/nats-*.pid)
	brokers=(--broker-pids "$nats_pid")
fi
urls=""
for ((i = 0; i < nodes; i++)); do urls+="${urls:+,}ws://127.0.0.1:$((WAMPGATE_BASE_PORT + 2 * i))/"; done

echo "bench-scale: $total sessions over $nodes nodes ($per_node each), $per_worker per load-generator process" >&2
rc=0
timeout -k 10 1200 "$wampbench" cluster --urls "$urls" "${brokers[@]}" --json \
	--subs "$total" --per-worker "$per_worker" --rate "$rate" --duration "$duration" \
	--connect-timeout 10m --handshake-timeout 60s >"$tmp/result.json" 2>"$tmp/bench.err" &
bench_pid=$!
# The nodes' RSS while they hold every session, before the publications:
# sampled every 0.05 s from wampbench's "established" line (every session
# open and subscribed) until its "publishing for" line; the last sample
# counts.
read -r -a node_pids <<<"$(cat "$WAMPGATE_CLUSTER_DIR"/node-*.pid | tr '\n' ' ')"
rss_held=0
while kill -0 "$bench_pid" 2>/dev/null && ! grep -q "publishing for" "$tmp/bench.err"; do
	if grep -q "established" "$tmp/bench.err"; then
		sum=0
		for pid in "${node_pids[@]}"; do
			sum=$((sum + $(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")))
		done
		rss_held=$sum
	fi
	sleep 0.05
done
[ "$rss_held" != 0 ] || echo "bench-scale: no RSS sample between the sessions established and the publications (too short a warm-up)" >&2
wait "$bench_pid" || rc=$?
bench_pid=""
cat "$tmp/bench.err" >&2

# nats-server's own figures, before it stops.
nats_cpu_total=null nats_rss=null
if [ -n "$nats_pid" ]; then
	clk=$(getconf CLK_TCK)
	read -r -a stat <"/proc/$nats_pid/stat"
	nats_cpu_total=$(awk -v u="${stat[13]}" -v s="${stat[14]}" -v c="$clk" 'BEGIN{printf "%.2f", (u+s)/c}')
	nats_rss=$(awk '/^VmRSS:/{print $2}' "/proc/$nats_pid/status")
fi

bash scripts/cluster.sh stop >&2
cluster_up=0

jq -n --argjson rc "$rc" --argjson nodes "$nodes" --argjson per_node "$per_node" --argjson total "$total" \
	--argjson nofile "$nofile" --argjson max_per_node "$max_per_node" \
	--argjson nats_cpu_total "$nats_cpu_total" --argjson nats_rss "$nats_rss" --arg bus "$bus" --argjson rss_held "$rss_held" \
	--slurpfile r "$tmp/result.json" '
	($r[0] // {}) as $res
	| ([$res.nodes[]?.rss_after_kib] | add // 0) as $rss
	| {tool: "bench-scale", bus: $bus, exit_code: $rc, nodes: $nodes, sessions_per_node: $per_node,
	   sessions_target: $total, sessions_held: ($res.subscribers // 0), reached_by_warmup: ($res.warmed_up // 0),
	   failed: ($res.failed // null), failures: ($res.failures // null),
	   nodes_rss_kib_held: $rss_held,
	   rss_kib_per_session_held: (if $rss_held > 0 then $rss_held / $total else null end),
	   nodes_rss_kib: $rss,
	   rss_kib_per_session: (if ($res.subscribers // 0) > 0 then $rss / $res.subscribers else null end),
	   publications: ($res.published // 0), deliveries: $res.deliveries,
	   reach_all_ms: {p50: $res.latency.p50_ms, p99: $res.latency.p99_ms, max: $res.latency.max_ms},
	   nats_server: (if $bus == "nats" then {cpu_seconds_measured: ($res.broker_cpu_seconds // 0), cpu_seconds_total: $nats_cpu_total, rss_kib: $nats_rss} else null end),
	   server_cpu_seconds: $res.server_cpu_seconds, client_cpu_seconds: $res.client_cpu_seconds,
	   workers: $res.workers,
	   limits: {nofile_per_process: $nofile, sessions_per_node_max: $max_per_node}}'
