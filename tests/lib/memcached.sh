# memcached.sh - private memcached servers for the end-to-end tests and the
# demo (sourced, not run; uses testlib.sh's t_free_port and t_wait_port;
# the functions work under set -e as well).
#
# Each server has a NAME and lives under the directory MC_DIR, which
# mc_start sets.  mc_start also leaves the directory's name in
# ${TMPDIR:-/tmp}/ses-memcached.$$ ($$ is the script's PID, also inside
# $(...)), so the other functions find the servers even when mc_start ran
# in a command substitution, where the variable it set is lost;
# mc_stop_all removes that file.
#
#   MC_DIR/NAME.port   its port on 127.0.0.1 (kept across mc_restart)
#   MC_DIR/NAME.pid    the PID of the running process (gone when stopped)
#   MC_DIR/NAME.log    its stdout and stderr
#   MC_DIR/servers     the names in start order
#
# Functions (each documented below):
#   mc_start DIR NAME    mc_stop NAME      mc_kill9 NAME     mc_restart NAME
#   mc_freeze NAME       mc_thaw NAME      mc_servers [NAME...]
#   mc_addr NAME         mc_pid NAME       mc_version NAME   mc_stop_all
#
# Servers are stopped by their PID only; the caller's EXIT trap calls
# mc_stop_all.

MC_DIR=${MC_DIR:-}

# mc_start DIR NAME: starts "memcached -l 127.0.0.1 -p PORT -U 0 -u nobody
# -m 64" on a free port, waits until it listens and prints 127.0.0.1:PORT.
mc_start() {
	MC_DIR=$1
	local name=$2 port
	mkdir -p "$MC_DIR" || return 1
	MC_DIR=$(cd "$MC_DIR" && pwd) || return 1
	printf '%s\n' "$MC_DIR" > "$(mc_anchor)" || return 1
	port=$(t_free_port) || return 1
	printf '%s\n' "$port" > "$MC_DIR/$name.port"
	grep -qx -- "$name" "$MC_DIR/servers" 2>/dev/null || printf '%s\n' "$name" >> "$MC_DIR/servers"
	mc_run "$name" || return 1
	mc_addr "$name"
}

# mc_anchor: the file naming MC_DIR for this script (see above).
mc_anchor() {
	printf '%s/ses-memcached.%s\n' "${TMPDIR:-/tmp}" "$$"
}

# mc_find_dir: sets MC_DIR from the anchor file when it is empty.
mc_find_dir() {
	[ -n "$MC_DIR" ] || MC_DIR=$(cat "$(mc_anchor)" 2>/dev/null) || MC_DIR=
}

# mc_run NAME: starts NAME's memcached on its recorded port (empty cache).
mc_run() {
	mc_find_dir
	local name=$1 port pid
	port=$(cat "$MC_DIR/$name.port") || return 1
	memcached -l 127.0.0.1 -p "$port" -U 0 -u nobody -m 64 \
		>>"$MC_DIR/$name.log" 2>&1 </dev/null &
	pid=$!
	printf '%s\n' "$pid" > "$MC_DIR/$name.pid"
	t_wait_port "$port" 10 || {
		echo "mc_run: memcached $name does not listen on 127.0.0.1:$port" >&2
		cat "$MC_DIR/$name.log" >&2
		return 1; }
}

# mc_addr NAME: prints NAME's 127.0.0.1:PORT.
mc_addr() {
	mc_find_dir
	printf '127.0.0.1:%s\n' "$(cat "$MC_DIR/$1.port")"
}

# mc_pid NAME: prints the PID of NAME's running memcached (nothing if none).
mc_pid() {
	mc_find_dir
	cat "$MC_DIR/$1.pid" 2>/dev/null || true
}

# mc_servers [NAME...]: prints the servers (default: all, in start order)
# as the comma list MemcachedServers wants.
mc_servers() {
	mc_find_dir
	local names=("$@") n out=
	[ ${#names[@]} -gt 0 ] || mapfile -t names < "$MC_DIR/servers"
	for n in "${names[@]}"; do
		out=${out:+$out,}$(mc_addr "$n")
	done
	printf '%s\n' "$out"
}

# mc_signal NAME SIGNAL: sends SIGNAL to NAME's memcached and, for TERM and
# KILL, waits until it is gone (KILL after 5 s) and forgets the PID.
mc_signal() {
	local name=$1 sig=$2 pid i
	pid=$(mc_pid "$name")
	[ -n "$pid" ] || return 0
	kill -s "$sig" "$pid" 2>/dev/null || true
	case $sig in TERM | KILL) ;; *) return 0 ;; esac
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -s KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	wait "$pid" 2>/dev/null || true
	rm -f "$MC_DIR/$name.pid"
}

# mc_stop NAME: stops NAME's memcached (TERM, KILL after 5 s).
mc_stop() {
	mc_signal "$1" TERM
}

# mc_kill9 NAME: kills NAME's memcached with SIGKILL: everything it held is lost.
mc_kill9() {
	mc_signal "$1" KILL
}

# mc_freeze NAME / mc_thaw NAME: stops (SIGSTOP) and continues (SIGCONT)
# NAME's memcached: a frozen server accepts connections but answers nothing.
mc_freeze() {
	mc_signal "$1" STOP
}
mc_thaw() {
	mc_signal "$1" CONT
}

# mc_restart NAME: stops NAME's memcached if it runs and starts an empty one
# on the same port.
mc_restart() {
	mc_thaw "$1"
	mc_stop "$1"
	mc_run "$1"
}

# mc_version NAME: prints NAME's answer to "version" (empty when it does not
# answer within 2 s).
mc_version() {
	mc_find_dir
	local port
	port=$(cat "$MC_DIR/$1.port") || return 1
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "version\r\n" >&3
		IFS= read -r -t 2 line <&3 && printf "%s\n" "${line%$'"'\r'"'}"
		printf "quit\r\n" >&3' _ "$port" 2>/dev/null
}

# mc_stop_all: stops every server under MC_DIR (for an EXIT trap).
mc_stop_all() {
	local n
	mc_find_dir
	if [ -n "$MC_DIR" ] && [ -f "$MC_DIR/servers" ]; then
		while IFS= read -r n; do
			mc_thaw "$n"
			mc_stop "$n"
		done < "$MC_DIR/servers"
	fi
	rm -f "$(mc_anchor)"
}
