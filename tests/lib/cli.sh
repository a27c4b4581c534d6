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
