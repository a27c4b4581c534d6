# cli.sh - what the sesctl suites share (sourced after testlib.sh).
#
# SESCTL names the built tool (default $top_builddir/sesctl/sesctl); each
# suite sets T (its scratch directory) and CONF (the config to pass).

if [ -z "${SESCTL:-}" ]; then
	SESCTL=$top_builddir/sesctl
	[ -f "$SESCTL/sesctl" ] && SESCTL=$SESCTL/sesctl
fi

# run ARGS...: runs sesctl with $CONF; sets OUT, ERR and RC.
run() {
	OUT=$("$SESCTL" -c "$CONF" "$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
}

# ok ARGS...: runs sesctl and reports a failure unless it exits 0.
ok() {
	run "$@"
	[ "$RC" -eq 0 ] || t_fail "setup: sesctl $*" "got exit $RC ($ERR), want 0"
}

# t_rc NAME WANT: checks the last run's exit status.
t_rc() { t_eq "$1" "$RC" "$2"; }

# t_same NAME FILE COPY: FILE is byte for byte COPY.
t_same() {
	if cmp -s "$2" "$3"; then t_pass "$1"
	else t_fail "$1" "got $(od -c "$2" | head -5), want the file unchanged"; fi
}

# cli_start NAME [memcached]: what every sesctl suite starts with.  T, a
# scratch directory removed at exit (a fake daemon FAKE_PID is killed;
# memcached.sh's servers and dnsstub.sh's stub stopped when sourced); CONF and DATA under it;
# the built binary checked (the suite ends failed without one).  With
# "memcached": a private server in MC (the suite is skipped without
# memcached(1)).
cli_start() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	chmod 755 "$T"	# memcached drops to nobody
	FAKE_PID=
	CONF=$T/ses-milter.conf
	DATA=$T/data
	MC_DIR=$T/mc
	trap cli_cleanup EXIT
	if [ ! -f "$SESCTL" ] || [ ! -x "$SESCTL" ]; then
		t_fail "sesctl_binary_exists" "got no executable at $SESCTL, want the built sesctl"
		t_done
		exit 1
	fi
	[ "${2:-}" = memcached ] || return 0
	if ! command -v memcached >/dev/null; then
		t_skip "all" "memcached(1) is not installed"
		t_done
		exit 0
	fi
	MC=$(mc_start "$MC_DIR" mc) || { t_fail "memcached_starts" "got no server"; t_done; exit 1; }
}

cli_cleanup() {
	[ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null
	declare -F mc_stop_all >/dev/null && mc_stop_all
	declare -F dns_stop >/dev/null && dns_stop
	rm -rf "$T"
}

# cli_fresh [CONFIG LINES...]: an empty DataDir and a config naming it.
cli_fresh() {
	rm -rf "$DATA"
	mkdir -p "$DATA"
	printf 'DataDir %s\n' "$DATA" >"$CONF"
	for _l in "$@"; do printf '%s\n' "$_l" >>"$CONF"; done
}
