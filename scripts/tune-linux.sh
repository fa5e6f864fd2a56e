#!/usr/bin/env bash
# tune-linux.sh: show (and with --apply, set) the Linux limits a wampgate
# node needs to hold many WebSocket connections: the open-file limit and
# the sysctls for file handles, accept backlogs, source ports and TCP
# buffer memory.
#
# Without --apply it changes nothing. With --apply (as root) it sets each
# sysctl that is below its recommendation with `sysctl -w`, writes them to
# /etc/sysctl.d/99-wampgate.conf so they survive a reboot, and writes the
# nofile limit to /etc/security/limits.d/99-wampgate.conf. Running it twice
# changes nothing the second time. A sysctl that cannot be written (for
# example read-only in a container) is reported and skipped.
set -euo pipefail

NOFILE=1048576
ETC=/etc
APPLY=0
LIVE=1

usage() {
	cat <<USAGE
Usage: $0 [--apply] [--files-only] [--nofile N] [--etc DIR]

Prints the current and recommended values of the limits a wampgate node
needs for many connections. Changes nothing unless --apply is given.

  --apply       apply: sysctl -w for each value below its recommendation,
                and write $ETC/sysctl.d/99-wampgate.conf and
                $ETC/security/limits.d/99-wampgate.conf (needs root)
  --files-only  with --apply: write the files but leave the running
                kernel alone
  --nofile N    open-file limit to recommend (default $NOFILE)
  --etc DIR     write the files under DIR instead of /etc (for testing)
  -h, --help    this help

Recommendations ("at least" values are never lowered):
  ulimit -n (nofile)             at least $NOFILE, soft and hard
  fs.file-max                    at least 2097152 (system-wide handles)
  fs.nr_open                     at least $NOFILE (ceiling for nofile)
  net.core.somaxconn             at least 65535 (accept backlog)
  net.ipv4.tcp_max_syn_backlog   at least 65535 (half-open backlog)
  net.core.netdev_max_backlog    at least 16384 (packets queued per CPU)
  net.ipv4.ip_local_port_range   10240 65535 (source ports per address; stays above common service ports)
  net.ipv4.tcp_mem               at least 786432 1048576 1572864 pages
                                 (3/4/6 GiB for all TCP buffers)
  net.ipv4.tcp_rmem, tcp_wmem    4096 16384 4194304: small default per-socket
                                 buffers, since most connections are idle;
                                 busy ones still grow to 4 MiB

The nofile limit takes effect at the next login; for a systemd service set
LimitNOFILE=$NOFILE in its unit instead (deploy/wampgate.service does).
USAGE
}

while [ $# -gt 0 ]; do
	case "$1" in
	--apply) APPLY=1 ;;
	--files-only) LIVE=0 ;;
	--nofile)
		[ $# -ge 2 ] || { echo "--nofile needs a value" >&2; exit 2; }
		NOFILE="$2"
		shift
		;;
	--etc)
		[ $# -ge 2 ] || { echo "--etc needs a value" >&2; exit 2; }
		ETC="$2"
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$NOFILE" in '' | *[!0-9]*) echo "--nofile must be a number" >&2; exit 2 ;; esac

# key, policy (min: raise each field to at least; set: exactly), value
SYSCTLS=(
	"fs.file-max|min|2097152"
	"fs.nr_open|min|$NOFILE"
	"net.core.somaxconn|min|65535"
	"net.ipv4.tcp_max_syn_backlog|min|65535"
	"net.core.netdev_max_backlog|min|16384"
	"net.ipv4.ip_local_port_range|set|10240 65535"
	"net.ipv4.tcp_mem|min|786432 1048576 1572864"
	"net.ipv4.tcp_rmem|set|4096 16384 4194304"
	"net.ipv4.tcp_wmem|set|4096 16384 4194304"
)

# current KEY: the running value with whitespace squeezed, or "-" if unknown.
current() {
	local path="/proc/sys/${1//.//}"
	if [ -r "$path" ]; then
		tr -s ' \t' '  ' <"$path" | sed 's/^ //; s/ $//'
	else
		echo "-"
	fi
}

# target POLICY CURRENT RECOMMENDED: the value to have.
target() {
	local policy="$1" cur="$2" rec="$3"
	if [ "$policy" = set ] || [ "$cur" = "-" ]; then
		echo "$rec"
		return
	fi
	local -a c r out=()
	read -r -a c <<<"$cur"
	read -r -a r <<<"$rec"
	if [ "${#c[@]}" -ne "${#r[@]}" ]; then
		echo "$rec"
		return
	fi
	local i
	for i in "${!r[@]}"; do
		if [ "${c[$i]}" -gt "${r[$i]}" ]; then out+=("${c[$i]}"); else out+=("${r[$i]}"); fi
	done
	echo "${out[*]}"
}

if [ "$APPLY" = 1 ] && [ "$(id -u)" != 0 ] && [ "$ETC" = /etc ]; then
	echo "--apply needs root" >&2
	exit 1
fi

printf '%-30s %-26s %-26s %s\n' SETTING CURRENT RECOMMENDED STATUS
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
status=ok
if [ "$soft" != unlimited ] && [ "$soft" -lt "$NOFILE" ]; then status="low (takes effect at next login)"; fi
printf '%-30s %-26s %-26s %s\n' "ulimit -n (soft/hard)" "$soft/$hard" "$NOFILE/$NOFILE" "$status"

conf=""
warnings=0
for entry in "${SYSCTLS[@]}"; do
	IFS='|' read -r key policy rec <<<"$entry"
	cur=$(current "$key")
	want=$(target "$policy" "$cur" "$rec")
	conf+="$key = $want"$'\n'
	if [ "$cur" = "$want" ]; then
		status=ok
	elif [ "$APPLY" = 1 ] && [ "$LIVE" = 1 ]; then
		if err=$(sysctl -q -w "$key=$want" 2>&1); then
			status="set"
		else
			status="NOT SET: ${err:-read-only}"
			warnings=$((warnings + 1))
		fi
	elif [ "$APPLY" = 1 ]; then
		status="file only (--files-only)"
	else
		status="would set"
	fi
	printf '%-30s %-26s %-26s %s\n' "$key" "$cur" "$want" "$status"
done

# write_file PATH CONTENT: write only when the content differs.
write_file() {
	local path="$1" content="$2"
	if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then
		echo "unchanged: $path"
		return
	fi
	mkdir -p "$(dirname "$path")"
	printf '%s\n' "$content" >"$path.tmp.$$"
	mv "$path.tmp.$$" "$path"
	echo "wrote: $path"
}

limits="# wampgate: open-file limit for many WebSocket connections (scripts/tune-linux.sh)
# '*' does not cover root, hence the root lines.
*    soft nofile $NOFILE
*    hard nofile $NOFILE
root soft nofile $NOFILE
root hard nofile $NOFILE"
sysctl_conf="# wampgate: kernel settings for many WebSocket connections (scripts/tune-linux.sh)
${conf%$'\n'}"

if [ "$APPLY" = 1 ]; then
	write_file "$ETC/sysctl.d/99-wampgate.conf" "$sysctl_conf"
	write_file "$ETC/security/limits.d/99-wampgate.conf" "$limits"
	if [ "$warnings" -gt 0 ]; then
		echo "$warnings setting(s) could not be applied to the running kernel (read-only here?); the files apply them at boot where allowed." >&2
	fi
else
	echo
	echo "Dry run: nothing changed. --apply would write $ETC/sysctl.d/99-wampgate.conf:"
	printf '%s\n' "$sysctl_conf" | sed 's/^/    /'
	echo "and $ETC/security/limits.d/99-wampgate.conf:"
	printf '%s\n' "$limits" | sed 's/^/    /'
fi
