#!/usr/bin/env bash
# bench-node.sh: build wampgate and wampbench, start one node with the given
# poller on 127.0.0.1:8095, run one wampbench mode against it, and stop the
# node by its PID. Every figure in the README's benchmark tables comes from
# one invocation of this script.
#
#   scripts/bench-node.sh POLLER MODE [wampbench flags...]
#   scripts/bench-node.sh epoll idle --conns 19000 --hold 10s
#   scripts/bench-node.sh goroutine fanout --subs 10000 --size 128 --duration 10s
#
# Environment: PORT (default 8095), NODE_FLAGS (extra `wampgate run` flags),
# BIN (where binaries are built, default ./bin).
set -euo pipefail

if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
poller=$1
mode=$2
shift 2

cd "$(dirname "$0")/.."
port=${PORT:-8095}
bin=${BIN:-./bin}
mkdir -p "$bin"
go build -o "$bin/wampgate" ./cmd/wampgate
go build -C bench -o "$(realpath "$bin")/wampbench" ./cmd/wampbench # its own module

if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	echo "bench-node: 127.0.0.1:$port is already in use" >&2
	exit 1
fi
limit=$(ulimit -n)
if [ "$limit" -lt 20000 ]; then
	echo "bench-node: ulimit -n is $limit; large runs need more (see scripts/tune-linux.sh)" >&2
fi

# shellcheck disable=SC2086 # NODE_FLAGS is a list of flags
"$bin/wampgate" run --host 127.0.0.1 --port "$port" --poller "$poller" --log-level warn ${NODE_FLAGS:-} &
node=$!
stop_node() {
	kill -TERM "$node" 2>/dev/null || return 0
	for _ in $(seq 1 150); do
		kill -0 "$node" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$node" 2>/dev/null || true
}
trap stop_node EXIT

for _ in $(seq 1 100); do
	(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.05
done

timeout 600 "$bin/wampbench" "$mode" --url "ws://127.0.0.1:$port/" --server-pid "$node" --label "$poller" "$@"
