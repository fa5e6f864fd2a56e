#!/usr/bin/env bash
# bench-wrk.sh: the scaling table. For 1, 2 and 3 nodes, start a cluster
# with scripts/cluster.sh (nginx in front), run wrk through nginx with each
# script of scripts/wrk/, and print ONE JSON object on stdout. Progress and
# wrk's own output go to stderr. Everything started is stopped on exit.
#
#   scripts/bench-wrk.sh            # wrk -t4 -c400 -d10s per script and size
#   scripts/bench-wrk.sh --quick    # -d3s, -c100: a smoke test
#
# What each script measures (see the scripts' headers):
#   upgrade  WebSocket upgrades to WAMP v1 per second, each on a new TCP
#            connection: 101 with the right Sec-WebSocket-Accept and
#            subprotocol counted valid, anything else invalid
#   healthz  plain HTTP GET /healthz per second (nginx and the node's HTTP
#            path, no WebSocket)
#   session  short WAMP sessions per second: upgrade, SUBSCRIBE, PUBLISH to
#            itself, close, pipelined in one write
#
# Environment:
#   WRK_NODES        cluster sizes (default "1 2 3")
#   WRK_SCRIPTS      scripts (default "upgrade healthz session")
#   WRK_DURATION     wrk -d (default 10s; --quick 3s)
#   WRK_THREADS      wrk -t (default 4)
#   WRK_CONNECTIONS  wrk -c (default 400; --quick 100)
#   WRK_DIRECT       1 (default): with one node, also run every script
#                    against the node itself, without nginx; 0: do not
#   WAMPGATE_CLUSTER_DIR, WAMPGATE_BASE_PORT, WAMPGATE_NGINX_PORT: passed to
#                    scripts/cluster.sh (default state dir: a temporary one)
#
# Output: {"tool":"bench-wrk","wrk":{threads,connections,duration},
#   "clk_tck":100,"runs":[RUN,...],"failed":N} where each RUN is
#   nodes        cluster size
#   target       "nginx" (wrk → nginx → nodes) or "direct" (wrk → node 1)
#   script, url  the wrk script and the URL wrk was given
#   exit_code    wrk's exit status (a run without a WRK_RESULT line fails)
#   wrk          the script's WRK_RESULT object (scripts/wrk/common.lua):
#                responses, valid, valid_per_sec (THE figure), invalid,
#                statuses, errors, expected_read_errors,
#                unexpected_read_errors, latency_ms {p50,p90,p99,max,mean}
#   cpu_seconds  {nodes, nginx}: utime+stime from /proc/PID/stat over the
#                run, nodes summed, nginx's master and workers summed
#                (null when no PID could be read)
#   node_cpu_us_per_valid, nginx_cpu_us_per_valid: those ÷ wrk's valid
#   server       the nodes' /healthz counters over the run, summed:
#                handshakes, plain_http_requests, messages_in,
#                publications, deliveries. They may exceed wrk's counts by
#                up to the number of connections (requests in flight when
#                wrk stops); a relayed publication counts again on each
#                node it reaches, and messages_in includes peer links.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"

quick=${QUICK:-0}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-h | --help) sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-wrk: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

nodes_list=${WRK_NODES:-1 2 3}
scripts_list=${WRK_SCRIPTS:-upgrade healthz session}
threads=${WRK_THREADS:-4}
if [ "$quick" = 1 ]; then
	duration=${WRK_DURATION:-3s}
	connections=${WRK_CONNECTIONS:-100}
else
	duration=${WRK_DURATION:-10s}
	connections=${WRK_CONNECTIONS:-400}
fi
direct=${WRK_DIRECT:-1}
[[ $duration =~ ^[0-9]+[smh]?$ ]] || { echo "bench-wrk: WRK_DURATION must look like 10s" >&2; exit 2; }
case $duration in
*h) duration_s=$((${duration%h} * 3600)) ;;
*m) duration_s=$((${duration%m} * 60)) ;;
*) duration_s=${duration%s} ;;
esac
base_port=${WAMPGATE_BASE_PORT:-8095}
nginx_port=${WAMPGATE_NGINX_PORT:-8090}
clk_tck=$(getconf CLK_TCK)

for tool in wrk jq curl; do
	command -v "$tool" >/dev/null || { echo "bench-wrk: $tool not found (apt-get install -y $tool)" >&2; exit 1; }
done
for s in $scripts_list; do
	[ -f "scripts/wrk/$s.lua" ] || { echo "bench-wrk: no script scripts/wrk/$s.lua" >&2; exit 2; }
done

own_dir=""
if [ -z "${WAMPGATE_CLUSTER_DIR:-}" ]; then
	own_dir=$(mktemp -d /tmp/bench-wrk.XXXXXX)
	export WAMPGATE_CLUSTER_DIR=$own_dir
fi
state=$WAMPGATE_CLUSTER_DIR
runs=$(mktemp /tmp/bench-wrk-runs.XXXXXX)
wrk_pid=""
cluster_up=0

cleanup() {
	if [ -n "$wrk_pid" ]; then kill "$wrk_pid" 2>/dev/null || true; fi
	if [ "$cluster_up" = 1 ]; then bash scripts/cluster.sh stop >&2 || true; fi
	rm -f "$runs"
	if [ -n "$own_dir" ]; then rm -rf "$own_dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cpu_ticks PID...: utime+stime of the PIDs, summed; fails if one is
# unreadable. The command name in /proc/PID/stat may hold spaces, so the
# fields are counted after its closing parenthesis.
cpu_ticks() {
	local pid total=0 rest fields
	for pid in "$@"; do
		rest=$(<"/proc/$pid/stat") || return 1
		rest=${rest##*) }
		read -r -a fields <<<"$rest"
		total=$((total + fields[11] + fields[12]))
	done
	echo "$total"
}

# children PID: the PIDs whose parent is PID (nginx's workers).
children() {
	local f stat rest fields
	for f in /proc/[0-9]*/stat; do
		stat=$(<"$f") 2>/dev/null || continue
		rest=${stat##*) }
		read -r -a fields <<<"$rest"
		if [ "${fields[1]}" = "$1" ]; then echo "${stat%% *}"; fi
	done
}

# pids_of KIND: the recorded PIDs of the nodes or of nginx (with workers).
pids_of() {
	local f pid
	for f in "$state/$1"-*.pid; do
		[ -e "$f" ] || continue
		pid=$(<"$f")
		echo "$pid"
		if [ "$1" = nginx ]; then children "$pid"; fi
	done
}

# healthz_sum: the nodes' /healthz counters, summed, as one JSON object.
healthz_sum() {
	local f port
	for f in "$state"/node-*.pid; do
		port=${f##*/node-}
		port=${port%.pid}
		curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" || echo '{}'
	done | jq -s '{
		handshakes: (map(.handshakes // 0) | add),
		plain_http_requests: (map(.plain_http_requests // 0) | add),
		messages_in: (map(.messages_in // 0) | add),
		publications: (map(.wamp.publications // 0) | add),
		deliveries: (map(.wamp.deliveries // 0) | add)}'
}

# measure NODES TARGET SCRIPT URL: one wrk run, appended to $runs.
measure() {
	local n=$1 target=$2 script=$3 url=$4 rc=0 out result
	local node_pids nginx_pids n0 n1 g0 g1 h0 h1
	mapfile -t node_pids < <(pids_of node)
	mapfile -t nginx_pids < <(pids_of nginx)
	n0=$(cpu_ticks "${node_pids[@]}") || n0=""
	g0=$(cpu_ticks "${nginx_pids[@]}") || g0=""
	h0=$(healthz_sum)
	echo "bench-wrk: $n node(s), $target, $script: wrk -t$threads -c$connections -d$duration $url" >&2
	out=$(mktemp /tmp/bench-wrk-out.XXXXXX)
	timeout -k 10 "$((duration_s + 60))" \
		wrk -t"$threads" -c"$connections" -d"$duration" -s "scripts/wrk/$script.lua" "$url" >"$out" &
	wrk_pid=$!
	wait "$wrk_pid" || rc=$?
	wrk_pid=""
	n1=$(cpu_ticks "${node_pids[@]}") || n1=""
	g1=$(cpu_ticks "${nginx_pids[@]}") || g1=""
	h1=$(healthz_sum)
	grep -v '^WRK_RESULT ' "$out" >&2 || true
	result=$(sed -n 's/^WRK_RESULT //p' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$result" ]; then
		result=null
		[ "$rc" -ne 0 ] || rc=1
	fi
	jq -cn --argjson nodes "$n" --arg target "$target" --arg script "$script" --arg url "$url" \
		--argjson rc "$rc" --argjson wrk "$result" --argjson tck "$clk_tck" \
		--arg n0 "$n0" --arg n1 "$n1" --arg g0 "$g0" --arg g1 "$g1" \
		--argjson h0 "$h0" --argjson h1 "$h1" '
		def secs(a; b): if a == "" or b == "" then null else ((b | tonumber) - (a | tonumber)) / $tck end;
		def per(cpu): if cpu == null or $wrk == null or ($wrk.valid // 0) == 0 then null
			else cpu * 1e6 / $wrk.valid end;
		{nodes: $nodes, target: $target, script: $script, url: $url, exit_code: $rc, wrk: $wrk,
		 cpu_seconds: {nodes: secs($n0; $n1), nginx: (if $target == "direct" then null else secs($g0; $g1) end)},
		 server: ($h1 | with_entries(.value -= ($h0[.key] // 0)))}
		| .node_cpu_us_per_valid = per(.cpu_seconds.nodes)
		| .nginx_cpu_us_per_valid = per(.cpu_seconds.nginx)' >>"$runs"
}

for n in $nodes_list; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench-wrk: bad cluster size $n" >&2; exit 2; }
	echo "bench-wrk: starting a cluster of $n" >&2
	cluster_up=1
	if ! bash scripts/cluster.sh start "$n" >&2; then
		echo "bench-wrk: scripts/cluster.sh start $n failed" >&2
		jq -cn --argjson nodes "$n" '{nodes: $nodes, target: "nginx", exit_code: 1, note: "scripts/cluster.sh start failed"}' >>"$runs"
		cluster_up=0
		continue
	fi
	for s in $scripts_list; do
		measure "$n" nginx "$s" "http://127.0.0.1:$nginx_port/"
		if [ "$n" = 1 ] && [ "$direct" = 1 ]; then
			measure "$n" direct "$s" "http://127.0.0.1:$base_port/"
		fi
	done
	bash scripts/cluster.sh stop >&2
	cluster_up=0
done

jq -s --argjson threads "$threads" --argjson connections "$connections" --arg duration "$duration" \
	--argjson tck "$clk_tck" '{tool: "bench-wrk",
	wrk: {threads: $threads, connections: $connections, duration: $duration},
	clk_tck: $tck, runs: ., failed: (map(select(.exit_code != 0)) | length)}' "$runs"
