# testlib.sh - shared helpers for the shell test suites (sourced, not run).
#
# A suite sources this file, runs its cases and ends with t_done.  Each case
# reports once with t_pass or t_fail; tests/run adds up the "RESULT:" lines.
# Failure text follows the project's form: "got X, want Y".

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_SUITE=${T_SUITE:-$(basename "$0" .sh)}

t_pass() { T_PASSED=$((T_PASSED + 1)); printf 'PASS: %s: %s\n' "$T_SUITE" "$1"; }
t_fail() { T_FAILED=$((T_FAILED + 1)); printf 'FAIL: %s: %s: %s\n' "$T_SUITE" "$1" "$2"; }
t_skip() { T_SKIPPED=$((T_SKIPPED + 1)); printf 'SKIP: %s: %s: %s\n' "$T_SUITE" "$1" "$2"; }

# t_eq NAME GOT WANT: passes when GOT equals WANT.
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "got '$2', want '$3'"; fi
}

# t_match NAME TEXT REGEX: passes when TEXT matches the extended REGEX.
t_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then t_pass "$1"
	else t_fail "$1" "got '$(printf '%s' "$2" | head -c 400)', want a match for /$3/"; fi
}

# t_nomatch NAME TEXT REGEX: passes when TEXT does not match REGEX.
t_nomatch() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		t_fail "$1" "got '$(printf '%s' "$2" | grep -E -- "$3" | head -c 400)', want no match for /$3/"
	else t_pass "$1"; fi
}

# t_free_port: prints a TCP port on 127.0.0.1 that nothing listens on.
t_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# t_wait_until SECONDS COMMAND...: runs COMMAND until it succeeds; non-zero
# when SECONDS pass first.  The one place tests poll for an event.
t_wait_until() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# t_wait_port PORT [SECONDS]: waits until something listens on 127.0.0.1:PORT.
t_wait_port() {
	_i=0
	while [ $_i -lt $((${2:-10} * 10)) ]; do
		if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null; then
			return 0
		fi
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# t_wait_file PATH [SECONDS]: waits until PATH exists.
t_wait_file() {
	_i=0
	while [ $_i -lt $((${2:-10} * 10)) ]; do
		[ -e "$1" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# t_wait_exec PID NAME [SECONDS]: waits until process PID runs the program
# NAME (its fork has exec'd it).
t_wait_exec() {
	_i=0
	while [ $_i -lt $((${3:-10} * 10)) ]; do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# t_need PROGRAM...: ends the suite as skipped (counted, with the reason)
# unless every PROGRAM is on PATH.
t_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 && continue
		t_skip all "no $p (run tests/install-deps)"
		t_done
		exit 0
	done
}

# t_reap PID [SECONDS]: waits up to SECONDS (default 10) for a process
# already signalled to end, then KILLs its children (a daemon's workers)
# and it; collects its status.  Always true, so cleanups go on.
t_reap() {
	local c
	[ -n "$1" ] || return 0
	t_wait_until "${2:-10}" sh -c "! kill -0 $1 2>/dev/null" || {
		for c in $(pgrep -P "$1"); do kill -KILL "$c" 2>/dev/null; done
		kill -KILL "$1" 2>/dev/null
	}
	wait "$1" 2>/dev/null
	return 0
}

# t_stop PID [SECONDS]: TERM, then t_reap.
t_stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	t_reap "$@"
}

# t_done: prints the suite's result line; exit status 1 when a case failed.
t_done() {
	printf 'RESULT: %s: %d passed, %d failed, %d skipped\n' "$T_SUITE" "$T_PASSED" "$T_FAILED" "$T_SKIPPED"
	[ "$T_FAILED" -eq 0 ]
}
