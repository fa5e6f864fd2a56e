# shellcheck shell=bash
# bench-lib.sh: shell functions the benchmark scripts share (bench.sh,
# bench-compare.sh). Sourced, not run.

# stop_pid PID: SIGTERM, up to 15 s to exit, then SIGKILL; reap it.
stop_pid() {
	if kill -TERM "$1" 2>/dev/null; then
		for _ in $(seq 1 150); do
			kill -0 "$1" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

# listening PORT: something listens on TCP port PORT.
listening() { [ -n "$(ss -Htln "sport = :$1")" ]; }

# wait_port_free PORT SECONDS WHO: one benchmark at a time on this
# machine: wait while PORT is taken, at most SECONDS; then fail.
wait_port_free() {
	local waited=0
	while listening "$1"; do
		if [ "$waited" -ge "$2" ]; then
			echo "$3: 127.0.0.1:$1 still in use after ${2}s" >&2
			return 1
		fi
		[ "$waited" -eq 0 ] && echo "$3: 127.0.0.1:$1 in use, waiting" >&2
		sleep 5
		waited=$((waited + 5))
	done
}
