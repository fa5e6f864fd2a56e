#!/usr/bin/env bash
# bench-nats.sh: the same 3-node cluster on the peer mesh and on NATS, in
# one run. For each bus it starts scripts/cluster.sh start N [--bus nats],
# runs `wampbench cluster` at full speed and at a fixed rate, and stops
# the cluster; the nats-server's CPU counts as server CPU (--broker-pids).
# Prints ONE JSON object on stdout; progress goes to stderr. Everything
# started is stopped on exit.
#
#   scripts/bench-nats.sh            # 3,000 subscribers, 10 s per run
#   scripts/bench-nats.sh --quick    # 300 subscribers, 3 s: a smoke test
#
# Runs per bus (publishers on the first node, subscribers spread evenly):
#   full    SUBS subscribers, full speed: server CPU per delivery
#   rate    RATE_SUBS subscribers, RATE publications/s: relayed p99
#
# Environment: CLUSTER_NODES (3), SUBS (3000; --quick 300), DURATION (10s;
# --quick 3s), RATE (100), RATE_SUBS (1000; --quick 300), WAMPBENCH
# (binary; default: built into a temporary directory), BUSES (the order
# of the buses, default "mesh nats": alternate it between runs to see an
# order effect), WAMPGATE_BASE_PORT and WAMPGATE_NATS_PORT (passed to
# scripts/cluster.sh).
#
# Output: {"tool":"bench-nats","nodes":N,...,"runs":{"mesh":{"full":…,
#   "rate":…},"nats":{…}},"summary":{"mesh":{…},"nats":{…}}} where each
#   summary has cpu_us_per_delivery (nodes + nats-server), broker_cpu_share,
#   deliveries_per_sec, relayed_p99_ms, local_p99_ms, relay_added_p99_ms,
#   lost and extra (all runs of that bus).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"

quick=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-nats: unknown argument $1 (see --help)" >&2; exit 2 ;;
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
for v in "$nodes" "$subs" "$rate_subs" "$base_port" "$rate"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench-nats: $v is not a positive number" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "bench-nats: jq not found (apt-get install -y jq)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/bench-nats.XXXXXX)
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
	echo "bench-nats: building wampbench" >&2
	go build -C bench -o "$wampbench" ./cmd/wampbench
fi

urls=""
for ((i = 0; i < nodes; i++)); do urls+="${urls:+,}ws://127.0.0.1:$((base_port + 2 * i))/"; done

# run BUS NAME FLAGS...: wampbench cluster, result in $tmp/BUS-NAME.json.
run() {
	local bus=$1 name=$2 rc=0 brokers=()
	shift 2
	if [ "$bus" = nats ]; then
		brokers=(--broker-pids "$(cat "$WAMPGATE_CLUSTER_DIR"/nats-*.pid)")
	fi
	echo "bench-nats: $bus $name: wampbench cluster --urls $urls ${brokers[*]} $*" >&2
	timeout -k 10 900 "$wampbench" cluster --urls "$urls" --json "${brokers[@]}" "$@" >"$tmp/$bus-$name.out" &
	bench_pid=$!
	wait "$bench_pid" || rc=$?
	bench_pid=""
	jq -n --argjson rc "$rc" --slurpfile r "$tmp/$bus-$name.out" '{exit_code: $rc, result: ($r[0] // null)}' \
		>"$tmp/$bus-$name.json" 2>/dev/null ||
		jq -n --argjson rc "$rc" '{exit_code: (if $rc == 0 then 1 else $rc end), result: null}' >"$tmp/$bus-$name.json"
}

read -r -a buses <<<"${BUSES:-mesh nats}"
for bus in "${buses[@]}"; do
	[ "$bus" = mesh ] || [ "$bus" = nats ] || { echo "bench-nats: BUSES: $bus is neither mesh nor nats" >&2; exit 2; }
done
for bus in mesh nats; do
	[[ " ${buses[*]} " == *" $bus "* ]] || { echo "bench-nats: BUSES must name both mesh and nats" >&2; exit 2; }
done
for bus in "${buses[@]}"; do
	cluster_up=1
	if bash scripts/cluster.sh start "$nodes" --bus "$bus" >&2; then
		run "$bus" full --subs "$subs" --duration "$duration"
		run "$bus" rate --subs "$rate_subs" --rate "$rate" --duration "$duration"
	else
		for name in full rate; do
			jq -n '{exit_code: 1, result: null, note: "scripts/cluster.sh start failed"}' >"$tmp/$bus-$name.json"
		done
	fi
	bash scripts/cluster.sh stop >&2
	cluster_up=0
done

jq -n --argjson nodes "$nodes" --argjson subs "$subs" --arg duration "$duration" \
	--argjson rate "$rate" --argjson rate_subs "$rate_subs" \
	--slurpfile mf "$tmp/mesh-full.json" --slurpfile mr "$tmp/mesh-rate.json" \
	--slurpfile nf "$tmp/nats-full.json" --slurpfile nr "$tmp/nats-rate.json" '
	def summary($full; $rate):
	  {cpu_us_per_delivery: ($full.result.server_cpu_us_per_delivery // null),
	   broker_cpu_share: (if ($full.result.server_cpu_seconds // 0) > 0
	     then (($full.result.broker_cpu_seconds // 0) / $full.result.server_cpu_seconds) else null end),
	   deliveries_per_sec: ($full.result.deliveries_per_sec // null),
	   relayed_p99_ms: ($rate.result.latency_relayed.p99_ms // null),
	   local_p99_ms: ($rate.result.latency_local.p99_ms // null),
	   relay_added_p99_ms: ($rate.result.relay_added_p99_ms // null),
	   lost: (($full.result.deliveries.lost // 0) + ($rate.result.deliveries.lost // 0)),
	   extra: (($full.result.deliveries.extra // 0) + ($rate.result.deliveries.extra // 0))};
	{tool: "bench-nats", nodes: $nodes, subs: $subs, duration: $duration, rate: $rate, rate_subs: $rate_subs,
	 runs: {mesh: {full: $mf[0], rate: $mr[0]}, nats: {full: $nf[0], rate: $nr[0]}},
	 summary: {mesh: summary($mf[0]; $mr[0]), nats: summary($nf[0]; $nr[0])},
	 failed: ([$mf[0], $mr[0], $nf[0], $nr[0] | select(.exit_code != 0)] | length)}'
