#!/usr/bin/env bash
# cluster.sh: a local wampgate cluster of N nodes with nginx in front, all
# on 127.0.0.1, for trying the cluster out and for benchmarks.
#
#   scripts/cluster.sh start N   build bin/wampgate, start N nodes on ports
#                                8095, 8097, 8099, ... and nginx on 8090,
#                                and wait until every node has N-1 links up
#   scripts/cluster.sh start N --bus nats
#                                the same nodes joined through a local
#                                nats-server (127.0.0.1:4222) that start
#                                starts too, instead of peer links
#   scripts/cluster.sh status    each process alive or dead, with its port
#                                and each node's links up
#   scripts/cluster.sh stop      stop exactly the processes start recorded
#
# Clients connect to ws://127.0.0.1:8090/ (nginx) or to any node directly.
#
# Environment:
#   WAMPGATE_CLUSTER_DIR     state directory: PID files, logs, the secret,
#                            nginx's prefix (default /tmp/wampgate-cluster)
#   WAMPGATE_BASE_PORT       port of the first node (default 8095); node i
#                            listens on BASE + 2i
#   WAMPGATE_NGINX_PORT      nginx's port (default 8090)
#   WAMPGATE_NODE_FLAGS      extra `wampgate run` flags for every node,
#                            e.g. "--poller goroutine --log-level debug"
#   WAMPGATE_CLUSTER_SECRET  cluster secret (default: a random one, kept in
#                            the state directory); nodes read it from a
#                            0600 file, never from their command line
#   WAMPGATE_NGINX_CONNECTIONS  clients nginx is sized for (default: as
#                            many as fit under `ulimit -Hn`, at most 20000)
#   WAMPGATE_CLUSTER_WAIT    seconds start waits for the links (default 30)
#   WAMPGATE_NATS_PORT       the nats-server's port with --bus nats
#                            (default 4222)
set -euo pipefail

usage() {
	sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd -P)
dir=${WAMPGATE_CLUSTER_DIR:-/tmp/wampgate-cluster}
base_port=${WAMPGATE_BASE_PORT:-8095}
nginx_port=${WAMPGATE_NGINX_PORT:-8090}
wait_seconds=${WAMPGATE_CLUSTER_WAIT:-30}
nats_port=${WAMPGATE_NATS_PORT:-4222}
bin=$root/bin/wampgate

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

# is_number VALUE: VALUE is a decimal number.
is_number() {
	[[ $1 =~ ^[0-9]+$ ]]
}

# alive PID: PID is a running wampgate, nginx or nats-server process (not
# a PID reused by something else since it was recorded).
alive() {
	local cmd
	kill -0 "$1" 2>/dev/null || return 1
	cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *wampgate* || $cmd == *nginx* || $cmd == *nats-server* ]]
}

# listening PORT: something accepts connections on 127.0.0.1:PORT.
listening() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# healthz PORT: print the node's /healthz body; fail unless it answers 200.
healthz() {
	if command -v curl >/dev/null; then
		curl -fsS --max-time 2 "http://127.0.0.1:$1/healthz" 2>/dev/null
		return
	fi
	local response
	response=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 &&
		printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 &&
		cat <&3" 2>/dev/null) || return 1
	[[ $response == "HTTP/1.1 200"* ]] || return 1
	printf '%s\n' "${response#*$'\r\n\r\n'}"
}

# json_int KEY JSON: print the first integer value of "KEY" in JSON.
json_int() {
	local match
	match=$(grep -o "\"$1\":[0-9]*" <<<"$2" | head -n 1) || return 1
	printf '%s\n' "${match#*:}"
}

# pid_files: the state directory's PID files, nginx first, nats-server
# last.
pid_files() {
	local f
	for f in "$dir"/nginx-*.pid "$dir"/node-*.pid "$dir"/nats-*.pid; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done
	return 0
}

# port_of FILE: the port in a PID file's name (node-8095.pid -> 8095).
port_of() {
	local name=${1##*/}
	name=${name%.pid}
	printf '%s\n' "${name#*-}"
}

# wait_gone SECONDS PID...: wait until none of the PIDs is alive; fail if
# some still are after SECONDS.
wait_gone() {
	local seconds=$1 pid left i
	shift
	for ((i = 0; i < seconds * 10; i++)); do
		left=0
		for pid in "$@"; do
			if alive "$pid"; then left=1; fi
		done
		[ "$left" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# stop_nginx PID: graceful stop (QUIT: nginx's worker_shutdown_timeout
# bounds it), then fast stop (TERM), then KILL to its process group.
stop_nginx() {
	local pid=$1
	kill -QUIT "$pid" 2>/dev/null || true
	wait_gone 12 "$pid" && return 0
	echo "cluster.sh: nginx (pid $pid) ignored QUIT; sending TERM" >&2
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone 5 "$pid" && return 0
	echo "cluster.sh: nginx (pid $pid) ignored TERM; killing its process group" >&2
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	wait_gone 2 "$pid"
}

# stop_nodes PID...: TERM (a node closes its sessions within its
# --shutdown-timeout, 10 s by default), then KILL after 12 s.
stop_nodes() {
	local pid
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	wait_gone 12 "$@" && return 0
	for pid in "$@"; do
		if alive "$pid"; then
			echo "cluster.sh: node (pid $pid) still running 12 s after TERM; sending KILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	wait_gone 2 "$@"
}

# stop_nats PID: TERM, then KILL after 5 s.
stop_nats() {
	kill -TERM "$1" 2>/dev/null || true
	wait_gone 5 "$1" && return 0
	echo "cluster.sh: nats-server (pid $1) still running 5 s after TERM; sending KILL" >&2
	kill -KILL "$1" 2>/dev/null || true
	wait_gone 2 "$1"
}

# stop_all: stop every recorded process (nginx, the nodes, then the
# nats-server their goodbyes go through) and remove the PID files of
# those that are gone; fail if one is still running.
stop_all() {
	local f pid nodes=() nats=() left=0
	while IFS= read -r f; do
		pid=$(<"$f")
		if ! is_number "$pid" || ! alive "$pid"; then
			rm -f "$f"
			continue
		fi
		case ${f##*/} in
		nginx-*)
			if stop_nginx "$pid"; then
				echo "stopped nginx  127.0.0.1:$(port_of "$f")  pid $pid"
				rm -f "$f"
			else
				echo "cluster.sh: nginx (pid $pid) is still running" >&2
				left=1
			fi
			;;
		node-*) nodes+=("$pid") ;;
		nats-*) nats+=("$f") ;;
		esac
	done < <(pid_files)
	[ ${#nodes[@]} -gt 0 ] || { stop_recorded_nats "${nats[@]}" || left=1; return "$left"; }
	stop_nodes "${nodes[@]}" || true
	while IFS= read -r f; do
		[[ ${f##*/} == node-* ]] || continue
		pid=$(<"$f")
		if alive "$pid"; then
			echo "cluster.sh: node 127.0.0.1:$(port_of "$f") (pid $pid) is still running" >&2
			left=1
		else
			echo "stopped node   127.0.0.1:$(port_of "$f")  pid $pid"
			rm -f "$f"
		fi
	done < <(pid_files)
	stop_recorded_nats "${nats[@]}" || left=1
	return "$left"
}

# stop_recorded_nats FILE...: stop the nats-servers of these PID files.
stop_recorded_nats() {
	local f pid left=0
	for f in "$@"; do
		pid=$(<"$f")
		if stop_nats "$pid"; then
			echo "stopped nats   127.0.0.1:$(port_of "$f")  pid $pid"
			rm -f "$f"
		else
			echo "cluster.sh: nats-server (pid $pid) is still running" >&2
			left=1
		fi
	done
	return "$left"
}

# tail_logs: the end of every log, for a failed start.
tail_logs() {
	local f
	for f in "$dir"/*.log "$dir"/nginx/error.log; do
		[ -s "$f" ] || continue
		echo "---- ${f#"$dir"/} (last 20 lines)" >&2
		tail -n 20 "$f" >&2
	done
}

cmd_start() {
	local n=${1:-} bus=mesh
	if ! is_number "$n" || [ "$n" -lt 1 ]; then
		die "start needs the number of nodes: scripts/cluster.sh start N [--bus nats]"
	fi
	shift
	case "${1:-} ${2:-}" in
	" ") ;;
	"--bus mesh") ;;
	"--bus nats") bus=nats ;;
	*) die "start N takes --bus mesh or --bus nats after N, not: $*" ;;
	esac
	local nats_server=""
	if [ "$bus" = nats ]; then
		is_number "$nats_port" || die "WAMPGATE_NATS_PORT must be a port number"
		nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)
		[ -x "$nats_server" ] || die "nats-server not installed: apt-get install -y nats-server"
	fi
	if ! is_number "$base_port" || ! is_number "$nginx_port"; then
		die "WAMPGATE_BASE_PORT and WAMPGATE_NGINX_PORT must be port numbers"
	fi
	local last_port=$((base_port + 2 * (n - 1)))
	if [ "$base_port" -lt 1 ] || [ "$last_port" -gt 65535 ] || [ "$nginx_port" -lt 1 ] || [ "$nginx_port" -gt 65535 ]; then
		die "ports out of range: nodes $base_port..$last_port, nginx $nginx_port"
	fi
	is_number "$wait_seconds" || die "WAMPGATE_CLUSTER_WAIT must be a number of seconds"

	local nginx
	nginx=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$nginx" ] || die "nginx not installed: apt-get install -y nginx"

	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	local f pid running=()
	while IFS= read -r f; do
		pid=$(<"$f")
		if is_number "$pid" && alive "$pid"; then
			running+=("${f##*/}:$pid")
		else
			rm -f "$f"
		fi
	done < <(pid_files)
	[ ${#running[@]} -eq 0 ] ||
		die "a cluster is already running from $dir (${running[*]}): scripts/cluster.sh stop"
	rm -f "$dir"/node-*.log "$dir"/nginx-*.log "$dir"/nats-*.log "$dir/nginx/error.log"

	local ports=() port i
	for ((i = 0; i < n; i++)); do
		ports+=($((base_port + 2 * i)))
	done
	for port in "${ports[@]}"; do
		[ "$port" != "$nginx_port" ] || die "nginx's port $nginx_port is also a node's; set WAMPGATE_NGINX_PORT or WAMPGATE_BASE_PORT"
	done
	local all_ports=("${ports[@]}" "$nginx_port")
	[ "$bus" = mesh ] || all_ports+=("$nats_port")
	for port in "${all_ports[@]}"; do
		! listening "$port" || die "127.0.0.1:$port is already in use; choose other ports with WAMPGATE_BASE_PORT / WAMPGATE_NGINX_PORT"
	done

	echo "building $bin"
	(cd "$root" && go build -o "$bin" ./cmd/wampgate)

	local secret=$dir/secret
	if [ -n "${WAMPGATE_CLUSTER_SECRET:-}" ]; then
		(umask 077 && printf '%s\n' "$WAMPGATE_CLUSTER_SECRET" >"$secret")
	elif [ ! -s "$secret" ]; then
		(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret")
	fi
	chmod 600 "$secret"

	local pool="" extra=()
	for port in "${ports[@]}"; do
		pool+=${pool:+,}127.0.0.1:$port
	done
	read -r -a extra <<<"${WAMPGATE_NODE_FLAGS:-}"

	# From here on, a failure stops whatever was started.
	trap 'echo "cluster.sh: start failed; stopping what was started" >&2; tail_logs; stop_all >/dev/null' EXIT
	# Job control puts each process in its own process group (so a stuck
	# nginx can be killed with its workers) and keeps SIGINT/SIGQUIT
	# deliverable.
	set -m
	if [ "$bus" = nats ]; then
		nohup "$nats_server" -a 127.0.0.1 -p "$nats_port" </dev/null >"$dir/nats-$nats_port.log" 2>&1 &
		echo $! >"$dir/nats-$nats_port.pid"
		local tries
		for ((tries = 0; tries < 50; tries++)); do
			listening "$nats_port" && break
			sleep 0.1
		done
		listening "$nats_port" || die "nats-server does not accept on 127.0.0.1:$nats_port"
	fi
	for i in "${!ports[@]}"; do
		port=${ports[$i]}
		local join=(--pool "$pool" --cluster-secret-file "$secret")
		if [ "$bus" = nats ]; then
			join=(--bus nats --nats-url "nats://127.0.0.1:$nats_port" --node-slot $((i + 1)))
		fi
		# The nodes read the secret from the file; a WAMPGATE_CLUSTER_SECRET
		# in their environment would conflict with it.
		nohup env -u WAMPGATE_CLUSTER_SECRET "$bin" run --host 127.0.0.1 --port "$port" \
			--node "127.0.0.1:$port" "${join[@]}" \
			"${extra[@]}" </dev/null >"$dir/node-$port.log" 2>&1 &
		echo $! >"$dir/node-$port.pid"
	done

	local connections=()
	if [ -z "${WAMPGATE_NGINX_CONNECTIONS:-}" ]; then
		local hard fit
		hard=$(ulimit -Hn)
		if is_number "$hard"; then
			# As nginxconf.MaxClients: two descriptors per client, 1024 spare.
			fit=$(((hard - 1024) / 2))
			[ "$fit" -ge 1 ] || die "ulimit -Hn ($hard) leaves nginx no room for clients"
			[ "$fit" -le 20000 ] || fit=20000
			connections=(--connections "$fit")
		fi
	fi
	mkdir -p "$dir/nginx"
	"$bin" nginx-config --pool "$pool" --listen "127.0.0.1:$nginx_port" --prefix "$dir/nginx" \
		"${connections[@]}" >"$dir/nginx/nginx.conf"
	nohup "$nginx" -p "$dir/nginx/" -c nginx.conf -e error.log -g 'daemon off;' \
		</dev/null >"$dir/nginx-$nginx_port.log" 2>&1 &
	echo $! >"$dir/nginx-$nginx_port.pid"
	set +m

	echo "waiting up to ${wait_seconds}s for $n node(s) and $((n * (n - 1))) link ends"
	local deadline=$((SECONDS + wait_seconds)) ready body up pending
	while :; do
		ready=1
		pending=()
		for port in "${ports[@]}"; do
			pid=$(<"$dir/node-$port.pid")
			alive "$pid" || die "node 127.0.0.1:$port (pid $pid) exited"
			if ! body=$(healthz "$port"); then
				ready=0
				pending+=("127.0.0.1:$port: no /healthz yet")
				continue
			fi
			if [ "$n" -gt 1 ]; then
				up=$(json_int links_up "$body") || up=0
				if [ "$up" != $((n - 1)) ]; then
					ready=0
					pending+=("127.0.0.1:$port: $up of $((n - 1)) links up")
				fi
			fi
		done
		pid=$(<"$dir/nginx-$nginx_port.pid")
		alive "$pid" || die "nginx (pid $pid) exited"
		if ! listening "$nginx_port"; then
			ready=0
			pending+=("nginx: not accepting on 127.0.0.1:$nginx_port yet")
		fi
		[ "$ready" = 1 ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			printf 'cluster.sh: %s\n' "${pending[@]}" >&2
			die "not ready after ${wait_seconds}s"
		fi
		sleep 0.2
	done
	trap - EXIT

	echo "cluster of $n up ($bus): nodes $pool, nginx ws://127.0.0.1:$nginx_port/"
	[ "$bus" = mesh ] || echo "nats-server on nats://127.0.0.1:$nats_port"
	echo "state, logs and nginx prefix: $dir"
	echo "stop with: scripts/cluster.sh stop"
}

cmd_status() {
	[ -d "$dir" ] || die "no cluster state in $dir"
	local f pid port state body up peers found=0 bad=0
	while IFS= read -r f; do
		found=1
		pid=$(<"$f")
		port=$(port_of "$f")
		state=dead
		if is_number "$pid" && alive "$pid"; then state=alive; else bad=1; fi
		case ${f##*/} in
		nginx-*)
			printf 'nginx  127.0.0.1:%-5s  pid %-7s  %s\n' "$port" "$pid" "$state"
			;;
		nats-*)
			printf 'nats   127.0.0.1:%-5s  pid %-7s  %s\n' "$port" "$pid" "$state"
			;;
		node-*)
			if [ "$state" = alive ] && body=$(healthz "$port"); then
				if up=$(json_int links_up "$body") && peers=$(json_int peers "$body"); then
					state+="  links_up $up/$peers"
					[ "$up" = "$peers" ] || bad=1
				else
					state+="  single node"
				fi
			elif [ "$state" = alive ]; then
				state+="  /healthz not answering"
				bad=1
			fi
			printf 'node   127.0.0.1:%-5s  pid %-7s  %s\n' "$port" "$pid" "$state"
			;;
		esac
	done < <(pid_files)
	[ "$found" = 1 ] || die "no cluster recorded in $dir (scripts/cluster.sh start N)"
	return "$bad"
}

cmd_stop() {
	[ -d "$dir" ] || { echo "no cluster state in $dir"; return 0; }
	dir=$(cd "$dir" && pwd -P)
	stop_all
}

case ${1:-} in
start)
	shift
	cmd_start "$@"
	;;
stop) cmd_stop ;;
status) cmd_status ;;
*) usage ;;
esac
