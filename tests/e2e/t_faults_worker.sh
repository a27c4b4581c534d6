#!/bin/bash
# t_faults_worker.sh - end-to-end faults of the milter process, through a
# private Postfix (milter_default_action = tempfail) in front of ses-milter:
#
#   worker_killed_under_load_nothing_delivered_unsigned
#       the milter process is killed (SIGKILL) while 20 SMTP sessions send;
#       the supervisor restarts it, clients get 250 or a 4xx (to retry),
#       never a 5xx, and every delivered message went through the policy
#       (a summary line) and was signed (DKIM-Signature);
#   odd_macro_storm_service_continues
#       a storm of macro packets with an odd string count on the milter
#       socket beside 20 SMTP sessions: no crash, every message accepted.
#
# Run as root: bash tests/e2e/t_faults_worker.sh; KEEP=1 keeps the work
# directory; ONLY=NAME runs one case.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/testlib.sh
. "$here/../lib/testlib.sh"
# shellcheck source=tests/lib/postfix.sh
. "$here/../lib/postfix.sh"
# shellcheck source=tests/lib/memcached.sh
. "$here/../lib/memcached.sh"
# shellcheck source=tests/lib/cases.sh
. "$here/../lib/cases.sh"
# shellcheck source=tests/lib/dkim.sh
. "$here/../lib/dkim.sh"

T_SUITE=faults_worker
BURST=$here/smtp_burst.py
CASES=(worker_killed_under_load_nothing_delivered_unsigned odd_macro_storm_service_continues)

# burst OUT ARGS...: 20 sessions of smtp_burst.py through A's Postfix.
burst() {
	local out=$1
	shift
	python3 "$BURST" --deadline 90 --server "127.0.0.1:$(cat "$A/smtp_port")" \
		--source 127.0.0.2 "$@" > "$out" 2> "$out.err"
}

# data_codes OUT: "CODE COUNT" per end-of-data reply code, joined with |.
data_codes() {
	awk '/^[0-9]+ [0-9]+ / { print $NF }' "$1" | sort | uniq -c |
		awk '{ printf "%s %s|", $2, $1 }'
}

# delivered PREFIX: how many messages the mailboxes PREFIX* hold, and how
# many of them carry a DKIM-Signature, as "N messages, S signed".
delivered() {
	local n s
	n=$(cat "$A/mail/$1"* 2>/dev/null | grep -c '^From ')
	s=$(cat "$A/mail/$1"* 2>/dev/null | grep -c '^DKIM-Signature:')
	printf '%s messages, %s signed' "$n" "$s"
}

# wait_delivered PREFIX N: waits (at most 60 s) for N messages.
wait_delivered() {
	local i=0
	while [ $i -lt 600 ]; do
		[ "$(cat "$A/mail/$1"* 2>/dev/null | grep -c '^From ')" -ge "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# unsummarised LOG PREFIX: the Postfix queue IDs of the messages in the
# mailboxes PREFIX* that have no "QUEUEID: summary ... decision=accept"
# line in LOG, one a line.
unsummarised() {
	local id
	cat "$A/mail/$2"* 2>/dev/null | awk '/ with E?SMTPS?A? id [0-9A-Za-z]+/ { print $NF }' |
		while read -r id; do
			grep -q ": $id: summary .*decision=accept" "$1" || printf '%s\n' "$id"
		done
}

worker_pid() { pgrep -P "$(cat "$A/ses/test.pid")" | head -1; }

case_worker_killed_under_load_nothing_delivered_unsigned() {
	local log=$A/ses/ses-milter.log w before i=0 accepted
	before=$(grep -c ' summary ' "$log")
	w=$(worker_pid)
	burst "$T/burst" --from news@load.example --to 'k{s}-{m}@example.net*20' --messages 5 &
	local bp=$!
	# kill once the load is under way: some messages decided, most not
	while [ "$(grep -c ' summary ' "$log")" -lt $((before + 10)) ] && [ $i -lt 300 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -KILL "$w"
	wait "$bp"
	expect_match "restart logged" "$(grep "milter process $w killed by signal 9" "$log")" \
		"crit: milter process $w killed by signal 9 .*restarting in"
	expect_nomatch "end-of-data replies (no 5xx)" "$(data_codes "$T/burst")" '(^|\|)5[0-9][0-9] '
	# MAIL refused while the milter was down: a 4xx too
	expect_nomatch "MAIL replies (no 5xx)" \
		"$(awk '/^[0-9]+ [0-9]+ / && $NF == "mail" { print $3 }' "$T/burst" | sort -u)" '^5'
	accepted=$(awk '/^[0-9]+ [0-9]+ / && $NF == 250' "$T/burst" | wc -l)
	wait_delivered k "$accepted"
	expect "delivered" "$(delivered k)" "$accepted messages, $accepted signed"
	# each delivered message had its policy decision logged; the summary
	# is written before the reply, so a message whose reply the kill cut
	# off (the MTA tempfails it) may have one too: at most one a session
	expect "delivered messages without a summary with decision=accept" \
		"$(unsummarised "$log" k)" ""
	expect_match "summaries with decision=accept beyond the delivered (at most 20)" \
		"$(($(grep ' summary ' "$log" | grep 'from=<news@load.example>' | grep -c 'decision=accept') - accepted))" \
		'^([0-9]|1[0-9]|20)$'
	# the clients that got a 4xx retry, and the restarted milter takes them
	burst "$T/retry" --from news@load.example --to 'retry{s}@example.net*20'
	expect "retry after the restart" "$(data_codes "$T/retry")" "250 20|"
	wait_delivered retry 20
	expect "retries delivered" "$(delivered retry)" "20 messages, 20 signed"
}

case_odd_macro_storm_service_continues() {
	local log=$A/ses/ses-milter.log crashes sp out
	crashes=$(grep -c 'killed by signal' "$log")
	MT_SOCKET="unix:$A/ses/sock" MT_LOG="$log" python3 "$here/../milter/guard_cases.py" \
		odd_macro_storm_keeps_serving > "$T/storm" 2>&1 &
	sp=$!
	burst "$T/burst" --from news@load.example --to 'storm{s}@example.net*20' --messages 3
	wait "$sp"
	out=$(cat "$T/storm")
	expect "storm case" "$out" ""
	expect "end-of-data replies beside the storm" "$(data_codes "$T/burst")" "250 60|"
	expect "milter crashes" "$(grep -c 'killed by signal' "$log")" "$crashes"
	wait_delivered storm 60
	expect "delivered" "$(delivered storm)" "60 messages, 60 signed"
}

# ---- fixture -----------------------------------------------------------------

cleanup() {
	[ -n "$A" ] && { pf_stop "$A"; ses_stop "$A"; }
	mc_stop_all
	if [ "$T_FAILED" -gt 0 ] && [ -f "$A/ses/ses-milter.log" ]; then
		echo "--- last lines of $A/ses/ses-milter.log"; tail -n 15 "$A/ses/ses-milter.log"
	fi
	if [ "$T_FAILED" -gt 0 ] && [ -n "$WORK" ]; then
		echo "--- transcripts kept in $WORK"
	elif [ -n "$WORK" ] && [ -z "$KEEP" ]; then
		rm -rf "$WORK"
	fi
}

setup() {
	WORK=$(mktemp -d /tmp/ses-faults.XXXXXX) && chmod 755 "$WORK" || return 1
	A=$WORK/a
	MC_DIR=$WORK/memcached
	mc_start "$MC_DIR" m1 > /dev/null || return 1
	ses_write_conf "$A" MemcachedServers "$(mc_servers m1)" MaxSendsPerSecond 1000000 \
		RecipientHourlyLimit 1000 || return 1
	ses_add_account "$A" load "CustomContent yes" "Network 127.0.0.2/32" \
		"Domain load.example verified" "MaxSendsPerSecond 1000000"
	# what guard_cases.py sends as
	ses_add_account "$A" acme "CustomContent yes" "Network 192.0.2.0/24" \
		"Domain acme.example verified" "MaxSendsPerSecond 1000000"
	dkim_key "$A/ses" "$WORK/dns" load.example ses rsa || return 1
	ses_start "$A" || return 1
	pf_start "$A" "$(t_free_port)" "$(ses_socket "$A")" \
		"smtpd_error_sleep_time = 0" "smtpd_soft_error_limit = 1000" \
		"smtpd_hard_error_limit = 1000" "in_flow_delay = 0"
}

main() {
	local c
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (a private Postfix instance)"; t_done; return
	fi
	for c in postfix postqueue memcached python3 openssl; do
		command -v "$c" >/dev/null || { t_skip all "no $c (run tests/install-deps)"; t_done; return; }
	done
	[ -x "$SES_MILTER" ] || { t_skip all "no program $SES_MILTER (set top_builddir)"; t_done; return; }
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! setup; then
		t_fail setup "the gateway did not start (see above)"; t_done; return
	fi
	for c in "${CASES[@]}"; do
		[ -z "$ONLY" ] || [ "$c" = "$ONLY" ] || continue
		run_case "$c"
	done
	t_done
}

main "$@"
