#!/bin/bash
# t_faults_memcached.sh - end-to-end: memcached killed and restarted empty
# under 20 parallel sessions, through a real Postfix and ses-milter.
#
#   m1   the only memcached server (so a restart loses everything)
#   A    a gateway on m1: RestoreCheckInterval 600, so only the request
#        path (the missing restore mark) can notice the restart in time
#
# Promises checked: no blocklisted or unsubscribed recipient is accepted
# or delivered, before, during or after the restarts (up to three in a
# row, each once the replay into the last one is done; the restarted
# server's "absent" is never believed); the daily quota overshoots by at
# most the sessions in flight (20); service resumes within seconds.
#
# Run as root (private Postfix): bash tests/e2e/t_faults_memcached.sh;
# KEEP=1 keeps the work directory; ONLY=NAME runs one case.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/testlib.sh
. "$here/../lib/testlib.sh"
# shellcheck source=tests/lib/postfix.sh
. "$here/../lib/postfix.sh"
# shellcheck source=tests/lib/memcached.sh
. "$here/../lib/memcached.sh"
# shellcheck source=tests/lib/cases.sh
. "$here/../lib/cases.sh"

BURST=$here/smtp_burst.py
SESSIONS=20
QUOTA=30

CASES=(
	restart_under_load_never_accepts_blocklisted_or_unsubscribed
	restart_under_load_quota_overshoot_within_sessions
)

case_restart_under_load_never_accepts_blocklisted_or_unsubscribed() {
	# sessions 0-6 to the blocklisted, 7-13 to the unsubscribed, 14-19 fine
	burst_bg "$T/out" --source 127.0.0.20 --from news@entries.example \
		--to "bl@example.net*7" --to "un@example.net*7" --to "ok{s}-{m}@example.net*6"
	restart_after_event "accepted" || ERRS+=("no message accepted before the restart")
	# again, each time the replay into the new server is done: lookups
	# meet servers gone, back empty, in their retry time, restored
	local n=1
	while [ $n -lt 3 ] && restart_after_event "restored [0-9]* entries" "$KILL_LINE"; do
		n=$((n + 1))
	done
	wait "$BURST_PID"
	echo "# memcached restarted $n times under load" >&2
	expect "RCPTs to blocklisted/unsubscribed accepted" \
		"$(outcomes "$T/out" 0 13 | grep -c '^250 ')" 0
	expect_match "sessions ran" "$(grep -c '^[0-9]' "$T/out")" '^[1-9][0-9]+$'
	expect "delivered to the blocklisted" "$(delivered 'bl@example.net')" 0
	expect "delivered to the unsubscribed" "$(delivered 'un@example.net')" 0
	wait_accepted "$T/poll" 127.0.0.20 news@entries.example 15
	burst "$T/after" --source 127.0.0.20 --from news@entries.example \
		--to bl@example.net --to un@example.net --abort
	expect "after the restore" "$(outcomes "$T/after" | cut -d' ' -f1-3 | tr '\n' '|')" \
		"550 5.7.1 FailedOperation.EmailAddrInBlacklist|550 5.7.1 FailedOperation.ReceiverHasUnsubscribed|"
}

case_restart_under_load_quota_overshoot_within_sessions() {
	burst_bg "$T/out" --source 127.0.0.21 --from news@quota.example --to "q{s}-{m}@example.net*$SESSIONS"
	restart_after_event "ExceedSendLimit" || ERRS+=("the quota was not reached before the restart")
	wait "$BURST_PID"
	local n
	n=$(outcomes "$T/out" | grep -c '^250 .* 250$')
	expect_match "accepted $n of quota $QUOTA, bound $QUOTA + $SESSIONS" \
		"$((n <= QUOTA + SESSIONS && n >= QUOTA))" '^1$'
	echo "# quota $QUOTA: $n accepted across the restart" >&2
}

# ---- helpers -----------------------------------------------------------------

smtp() { printf '127.0.0.1:%s\n' "$(cat "$A/smtp_port")"; }

burst() {
	local out=$1
	shift
	python3 "$BURST" --server "$(smtp)" --deadline 60 "$@" > "$out" 2> "$out.err"
}

# burst_bg OUT ARGS...: SESSIONS sessions sending for 8 s, in the background.
burst_bg() {
	local out=$1
	shift
	python3 "$BURST" --server "$(smtp)" --messages 400 --for 8 --deadline 60 "$@" \
		> "$out" 2> "$out.err" &
	BURST_PID=$!
}

# restart_after_event WORD [LINE]: once the log shows WORD after line LINE
# (default: its end now; at most 20 s), kills m1 and starts it again
# empty.  KILL_LINE is the log's length at the kill.
restart_after_event() {
	local log=$A/ses/ses-milter.log start end
	start=${2:-$(wc -l < "$log")}
	end=$(($(date +%s) + 20))
	until tail -n +"$((start + 1))" "$log" | grep -q "$1"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
	KILL_LINE=$(wc -l < "$log")
	mc_kill9 m1
	mc_restart m1
}

# wait_accepted OUT SOURCE FROM SECONDS: one message at a time until one is
# accepted, at most SECONDS.
wait_accepted() {
	local end=$(($(date +%s) + $4)) i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		burst "$1" --source "$2" --from "$3" --to "poll$i@example.net" --timeout 5 --deadline 5
		[ "$(outcomes "$1")" = "250 2.1.5 Ok 250" ] && return 0
		sleep 0.1
	done
	expect "service back within $4 s" "$(outcomes "$1")" "250 2.1.5 Ok 250"
}

# outcomes OUT [FIRST LAST]: "RCPT-CODE ENH WORD DATA-CODE" per attempt of sessions FIRST..LAST.
outcomes() {
	awk -v lo="${2:-0}" -v hi="${3:-999999}" '
		/^[0-9]+ [0-9]+ / && $1 >= lo && $1 <= hi {
			w = NF >= 6 ? $5 : ""
			if (NF >= 6) print $3, $4, w, $NF; else print $3, $4, $NF
		}' "$1"
}

# delivered ADDR: messages delivered to ADDR once the queue is empty.
delivered() {
	local i=0 f
	while [ $i -lt 200 ] && [ -n "$(postqueue -c "$A/postfix" -p 2>/dev/null | grep '^[0-9A-F]')" ]; do
		sleep 0.1; i=$((i + 1))
	done
	f=$A/mail/$1
	[ -f "$f" ] && grep -c '^From ' "$f" || echo 0
}

cleanup() {
	[ -n "$A" ] && { pf_stop "$A"; ses_stop "$A"; }
	mc_stop_all
	if [ "$T_FAILED" -gt 0 ] && [ -f "$A/ses/ses-milter.log" ]; then
		echo "--- last lines of the log"; tail -n 20 "$A/ses/ses-milter.log"
	fi
	if [ "$T_FAILED" -gt 0 ] || [ -n "$KEEP" ]; then
		echo "--- kept $WORK"
	else
		rm -rf "$WORK"
	fi
}

setup() {
	WORK=$(mktemp -d /tmp/ses-faults.XXXXXX) && chmod 755 "$WORK" || return 1
	A=$WORK/a MC_DIR=$WORK/memcached
	mc_start "$MC_DIR" m1 > /dev/null || return 1
	ses_write_conf "$A" MemcachedServers "$(mc_servers m1)" MemcachedTimeout 300 \
		MemcachedDeadRetry 1 RestoreCheckInterval 600
	ses_add_account "$A" entries "CustomContent yes" "Network 127.0.0.20/32" \
		"Domain entries.example verified" "MaxSendsPerSecond 100000" "DailyQuota 1000000"
	ses_add_account "$A" quota "CustomContent yes" "Network 127.0.0.21/32" \
		"Domain quota.example verified" "MaxSendsPerSecond 100000" "DailyQuota $QUOTA"
	ses_start "$A" || return 1
	pf_start "$A" "$(t_free_port)" "$(ses_socket "$A")" \
		"smtpd_error_sleep_time = 0" "smtpd_soft_error_limit = 1000" \
		"smtpd_hard_error_limit = 1000" "in_flow_delay = 0" || return 1
	"$SESCTL" -c "$A/ses/ses-milter.conf" blocklist add bl@example.net >/dev/null &&
		"$SESCTL" -c "$A/ses/ses-milter.conf" unsubscribe add entries.example un@example.net >/dev/null
}

main() {
	local c
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (private Postfix instances)"; t_done; return
	fi
	for c in postfix postqueue memcached python3; do
		command -v "$c" >/dev/null || { t_skip all "no $c (run tests/install-deps)"; t_done; return; }
	done
	SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
	SESCTL=$(cd "$(dirname "$SESCTL")" && pwd)/$(basename "$SESCTL")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	setup || { t_fail setup "the gateway did not start (see above)"; t_done; return; }
	for c in "${CASES[@]}"; do
		[ -z "$ONLY" ] || [ "$c" = "$ONLY" ] || continue
		run_case "$c"
	done
	t_done
}

main "$@"
