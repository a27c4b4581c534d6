#!/bin/bash
# t_recheck.sh - the daemon looks up the records of verified sender domains
# again every DomainRecheckInterval and logs drift (SPEC section 5): a
# warning per drifted record, once and not every round; a notice when the
# records match again; failed lookups as notices, never as drift; no
# lookups for unverified domains; the domain stays verified.  It stops
# promptly on SIGTERM, both while the next round is pending and while a
# round waits on a name server that does not answer, and a reload changes
# the interval at once.
#
# Each daemon runs in the foreground (LogTo stderr, LogLevel debug) on a
# unix socket in a private directory, with data made by sesctl.  DNS is a
# dnsmasq stub (tests/lib/dnsstub.sh) on a free loopback port, restarted on
# the same port with other records, or frozen with SIGSTOP to stay silent.
#
# Needs the built ses-milter and sesctl, dnsmasq (dnsmasq-base), python3
# and ss; without dnsmasq the suite is skipped.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/dnsstub.sh"

MILTER=$top_builddir/ses-milter
STOP_LIMIT_MS=10000 # libmilter alone takes up to 5 s to notice a stop

if [ ! -x "$MILTER" ] || [ ! -x "$SESCTL" ]; then
	t_fail "binaries_exist" "got no executable $MILTER or $SESCTL, want the built programs"
	t_done
	exit 1
fi
if ! command -v dnsmasq >/dev/null 2>&1; then
	t_skip "all" "dnsmasq is not installed (Debian package dnsmasq-base)"
	t_done
	exit $?
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/t_recheck.XXXXXX")
DAEMONS=""

# reap PID: waits up to 10 s for a signalled daemon, then kills it and its
# milter process.
reap() {
	local i=0 c
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$1" 2>/dev/null; then
		for c in $(pgrep -P "$1"); do kill -KILL "$c" 2>/dev/null; done
		sleep 0.5
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	return 0
}

cleanup() {
	local p
	for p in $DAEMONS; do kill -TERM "$p" 2>/dev/null; done
	for p in $DAEMONS; do reap "$p"; done
	dns_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

DNS_PORT=$(dns_free_port)
DNS_LOG=$T/dnsmasq.log
CONF=$T/ses-milter.conf

# write_conf NAME INTERVAL: the config of daemon NAME (also $CONF for sesctl).
write_conf() {
	cat >"$CONF" <<-EOF
		Socket unix:$T/$1.sock
		LogTo stderr
		LogLevel debug
		DataDir $T/data
		MemcachedServers 127.0.0.1:$MC_PORT
		ServiceSpfInclude spf.svc.example
		ServiceMx mx.svc.example
		DnsServer 127.0.0.1:$DNS_PORT
		DomainRecheckInterval $2
	EOF
}

# start_daemon NAME: starts ses-milter with $CONF, stderr to $T/NAME.log,
# sets PID; false unless it listens within 10 s.
start_daemon() {
	local i=0
	"$MILTER" -f -c "$CONF" 2>>"$T/$1.log" &
	PID=$!
	DAEMONS="$DAEMONS $PID"
	until grep -q "listening on" "$T/$1.log" 2>/dev/null; do
		[ $i -ge 100 ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# count LOG REGEX: lines of LOG matching REGEX.
count() { grep -cE -- "$2" "$1" 2>/dev/null; }

# wait_for LOG REGEX [N] [SECONDS]: waits until LOG has N (1) lines matching REGEX.
wait_for() {
	local i=0
	while [ "$(count "$1" "$2")" -lt "${3:-1}" ]; do
		[ $i -ge $((${4:-10} * 10)) ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# wait_rounds LOG N: waits (at most 20 s) until N more rounds have ended.
wait_rounds() {
	wait_for "$1" '(info|notice): re-checked ' $(($(count "$1" '(info|notice): re-checked ') + $2)) 20
}

# stop_timed PID: SIGTERM, then waits (at most 20 s) for the exit; sets
# STOP_MS (milliseconds to the exit) and STOP_RC.
stop_timed() {
	local start i=0
	start=$(date +%s%N)
	kill -TERM "$1"
	while kill -0 "$1" 2>/dev/null && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
	STOP_MS=$((($(date +%s%N) - start) / 1000000))
	if kill -0 "$1" 2>/dev/null; then
		STOP_RC=running
		reap "$1"
	else
		wait "$1"
		STOP_RC=$?
	fi
}

# t_stops NAME: STOP_RC 0 within STOP_LIMIT_MS.
t_stops() {
	if [ "$STOP_RC" = 0 ] && [ "$STOP_MS" -lt "$STOP_LIMIT_MS" ]; then
		t_pass "$1"; echo "  ($1: $STOP_MS ms)"
	else
		t_fail "$1" "got exit $STOP_RC after $STOP_MS ms, want exit 0 within $STOP_LIMIT_MS ms"
	fi
}

# ---- data: example.com and example.net verified, example.org not ----------
MC_PORT=$(t_free_port) # nothing listens there: the re-check needs no memcached
mkdir -p "$T/data"
write_conf setup 1s
"$SESCTL" -c "$CONF" account add acme >/dev/null 2>&1
"$SESCTL" -c "$CONF" domain add example.com --account acme >/dev/null 2>&1
"$SESCTL" -c "$CONF" domain add example.net --account acme >/dev/null 2>&1
"$SESCTL" -c "$CONF" domain add example.org --account acme >/dev/null 2>&1
records() { "$SESCTL" -c "$CONF" domain records "$1" 2>/dev/null | grep -E '^[^;].* IN (TXT|MX) '; }
GOOD=$(records example.com; records example.net)
dns_args "$GOOD"
GOOD_ARGS=("${DNS_ARGS[@]}")
dns_args "$(printf '%s\n' "$GOOD" | sed '/^ses\._domainkey\.example\.com\./s/p=MII/p=XMII/; /^example\.com\. IN MX /d')"
DRIFT_ARGS=("${DNS_ARGS[@]}")

dns_start "$DNS_LOG" "$DNS_PORT" "${GOOD_ARGS[@]}"
run --no-reload domain verify example.com
t_rc "setup_verifies_example_com" 0
run --no-reload domain verify example.net
t_rc "setup_verifies_example_net" 0
ACCOUNT=$T/data/accounts/acme
t_match "setup_leaves_example_org_unverified" "$(cat "$ACCOUNT")" '^Domain example\.org unverified$'
: >"$DNS_LOG" # from here on, the daemon's queries only

# ---- daemon a: drift, no repeat, failed lookups, recovery -----------------
A=$T/a.log
write_conf a 1s
if ! start_daemon a; then
	t_fail "daemon_a_starts" "got no listening daemon ($(tail -3 "$A")), want one"
	t_done
	exit 1
fi
t_match "start_logs_the_plan" "$(cat "$A")" 'info: re-checking verified domains every 1s, first in 1s$'
wait_for "$A" 're-checked ' 1 10
t_match "first_round_runs_soon_after_start" "$(cat "$A")" \
	'info: re-checked 2 verified domains: 2 match, 0 drifted, 0 not checked$'
t_nomatch "matching_records_log_no_drift" "$(cat "$A")" 'drifted:'

dns_start "$DNS_LOG" "$DNS_PORT" "${DRIFT_ARGS[@]}"
wait_for "$A" 'drifted: MX' 1 10
t_match "drift_logs_wrong_dkim_with_expected_and_current" "$(cat "$A")" \
	'warning: domain example\.com drifted: DKIM ses\._domainkey\.example\.com TXT expected "v=DKIM1; k=rsa; p=MII[^"]*" current "v=DKIM1; k=rsa; p=XMII[^"]*"$'
t_match "drift_logs_missing_mx_as_none" "$(cat "$A")" \
	'warning: domain example\.com drifted: MX example\.com MX expected mx\.svc\.example current \(none\)$'
t_nomatch "drift_of_one_domain_spares_the_other" "$(cat "$A")" 'domain example\.net drifted'
wait_rounds "$A" 3
t_eq "drift_not_logged_again_while_unchanged" "$(count "$A" 'drifted:')" 2
t_match "drift_counted_in_round_summary" "$(tail -1 "$A")" '1 match, 1 drifted, 0 not checked$'
t_match "drifted_domain_stays_verified" "$(cat "$ACCOUNT")" '^Domain example\.com verified$'

dns_stop # the port is closed now: every lookup fails at once
wait_for "$A" 'cannot re-check domain example\.net' 1 10
t_match "failed_lookup_is_a_notice" "$(cat "$A")" \
	"notice: cannot re-check domain example\\.com: no answer from DNS server 127\\.0\\.0\\.1:$DNS_PORT for "
wait_rounds "$A" 3
t_eq "failed_lookup_logged_once" "$(count "$A" 'cannot re-check domain example\.com')" 1
t_eq "failed_lookup_is_not_drift" "$(count "$A" 'drifted:')" 2
t_match "failed_lookups_counted_in_round_summary" "$(tail -1 "$A")" '0 match, 0 drifted, 2 not checked$'

dns_start "$DNS_LOG" "$DNS_PORT" "${GOOD_ARGS[@]}"
wait_for "$A" 'records match again' 1 10
t_match "recovery_is_a_notice" "$(cat "$A")" 'notice: domain example\.com records match again$'
t_match "working_lookups_are_noted" "$(cat "$A")" 'info: domain example\.net can be re-checked again$'
wait_rounds "$A" 3
t_eq "recovery_logged_once" "$(count "$A" 'records match again')" 1
t_eq "no_drift_after_recovery" "$(count "$A" 'drifted:')" 2

t_match "stub_logged_the_lookups" "$(cat "$DNS_LOG")" 'query\[TXT\] ses\._domainkey\.example\.com'
t_nomatch "unverified_domain_never_looked_up" "$(cat "$DNS_LOG")" 'query\[[A-Z]+\] [^ ]*example\.org'

stop_timed "$PID"
t_stops "stops_promptly_between_rounds"
t_eq "stop_logs_stopped_once" "$(count "$A" 'ses-milter stopped')" 1

# ---- daemon b: off, reload turns it on, a long interval pending -----------
B=$T/b.log
write_conf b 0
if start_daemon b; then
	t_match "interval_0_says_off" "$(cat "$B")" 'info: domain re-check is off \(DomainRecheckInterval 0\)$'
	sleep 2
	t_eq "interval_0_runs_no_round" "$(count "$B" 're-checked ')" 0
	write_conf b 1s
	kill -HUP "$PID"
	wait_for "$B" 're-checked ' 1 5
	t_match "reload_applies_new_interval_at_once" "$(cat "$B")" 're-checked 2 verified domains: 2 match'
	write_conf b 1h
	kill -HUP "$PID"
	wait_for "$B" 'reloaded configuration \(generation 3\)' 1 5
	sleep 0.5
	n=$(count "$B" 're-checked ')
	sleep 2.5
	t_eq "reload_to_longer_interval_defers_next_round" "$(count "$B" 're-checked ')" "$n"
	stop_timed "$PID"
	t_stops "stops_promptly_while_next_round_pending"
	t_match "pending_stop_logs_stopped" "$(cat "$B")" 'ses-milter stopped$'
else
	t_fail "daemon_b_starts" "got no listening daemon ($(tail -3 "$B")), want one"
fi

# ---- daemon c: a round waiting on a name server that does not answer ------
C=$T/c.log
write_conf c 1s
dns_freeze
if start_daemon c; then
	sleep 2.5 # the first round started at 1 s; each lookup waits 2 x 2 s
	t_eq "silent_server_holds_the_round" "$(count "$C" 're-checked ')" 0
	stop_timed "$PID"
	t_stops "stops_promptly_during_a_lookup"
	t_match "stop_during_round_is_logged" "$(cat "$C")" \
		'info: domain re-check stopped before the end of a round$'
	t_nomatch "stop_is_not_reported_as_failed_lookup" "$(cat "$C")" 'cannot re-check'
else
	t_fail "daemon_c_starts" "got no listening daemon ($(tail -3 "$C")), want one"
fi
dns_stop

t_nomatch "no_milter_process_crashed" "$(cat "$A" "$B" "$C" 2>/dev/null)" \
	'killed by signal|runtime error|Sanitizer'
t_done
