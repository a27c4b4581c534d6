#!/bin/bash
# t_shared_state.sh - end-to-end: the rules that live in shared state
# (memcached) through real Postfix instances: the hourly cap per recipient,
# the per-second rate, the daily quota, blocklist, unsubscribes,
# suppressions and suspensions, exact under concurrency across two
# gateways, given back when a transaction does not complete, and what
# happens when memcached dies, hangs, restarts empty or comes back.
#
#   m1 m2 m3  the memcached cluster of gateways A and B
#   A, B      two gateways: each a Postfix with its own ses-milter; both
#             milters use m1, m2 and m3 (OnFailure tempfail, OverQuota
#             tempfail, MemcachedDeadRetry 2, RestoreCheckInterval 2)
#   C         a third gateway on its own server m4, with OverQuota hold and
#             OnFailure accept
#
# Every case sends as its own account, told apart by the client address
# (127.0.0.2 hourly, .3 cluster, ...; see accounts below), and to its own
# recipients, so no case uses up another's counts.  Parallel sessions come
# from smtp_burst.py; sesctl(8) writes the long-lived entries.
#
# Run as root: bash tests/e2e/t_shared_state.sh (top_builddir names the
# build: ses-milter and sesctl/sesctl); KEEP=1 keeps the work directory
# (kept anyway when a case failed); ONLY=NAME runs one case.

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
RAWMILTER_DIR=$here/../milter
DEAD_RETRY=2
RESTORE_INTERVAL=2
POLLS=0

# the cases, in the order they run: the ones that take memcached down last
CASES=(
	eleventh_send_to_one_recipient_within_hour_refused
	concurrent_sends_to_one_recipient_capped_exactly_across_gateways
	daily_quota_exact_under_concurrency
	per_second_rate_exact
	over_quota_hold_puts_message_on_hold
	aborted_transaction_gives_back_hourly_count
	refused_at_data_gives_back_count
	blocklisted_recipient_refused
	unsubscribed_recipient_refused
	suppressed_recipient_refused
	suspended_account_refused
	long_and_quoted_addresses_keyed_exactly
	hostile_addresses_do_not_break_connection_or_process
	memcached_killed_tempfails_within_one_second
	memcached_unresponsive_tempfails_within_one_second
	memcached_down_accepted_with_onfailure_accept
	memcached_restarted_empty_entries_restored
	one_of_three_servers_down_service_continues
	service_resumes_when_memcached_returns
)

# ---- the cases: each shows only the conversation -----------------------------

case_eleventh_send_to_one_recipient_within_hour_refused() {
	burst "$T/out" --server "$(smtp A)" --source 127.0.0.2 --from news@hourly.example \
		--to eleven@example.net --messages 11
	expect "sends 1-10" "$(outcomes "$T/out" 0 0 | head -n 10 | sort | uniq -c | squeeze)" \
		"10 250 2.1.5 Ok 250"
	expect "send 11" "$(outcomes "$T/out" | sed -n 11p)" "450 4.7.1 FailedOperation.FrequencyLimit -"
	expect "delivered" "$(delivered eleven@example.net "$A")" 10
}

case_concurrent_sends_to_one_recipient_capped_exactly_across_gateways() {
	# sessions 0-29 send to one recipient, 30-39 each to its own; even
	# sessions go through A, odd ones through B; all RCPTs at once
	burst "$T/out" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.3 \
		--from news@cluster.example --to 'same@example.net*30' --to 'other{s}@example.net*10' \
		--barrier
	expect "same recipient" "$(outcomes "$T/out" 0 29 | sort | uniq -c | squeeze)" \
		"10 250 2.1.5 Ok 250|20 450 4.7.1 FailedOperation.FrequencyLimit -"
	expect "other recipients" "$(outcomes "$T/out" 30 39 | sort | uniq -c | squeeze)" "10 250 2.1.5 Ok 250"
	expect "delivered to the same recipient (A + B)" "$(delivered same@example.net "$A" "$B")" 10
	expect "delivered through A to others" "$(delivered 'other*@example.net' "$A")" 5
	expect "delivered through B to others" "$(delivered 'other*@example.net' "$B")" 5
}

case_daily_quota_exact_under_concurrency() {
	burst "$T/out" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.4 \
		--from news@daily.example --to 'quota{s}@example.net*20' --barrier
	expect "replies" "$(outcomes "$T/out" | sort | uniq -c | squeeze)" \
		"5 250 2.1.5 Ok 250|15 451 4.7.1 FailedOperation.ExceedSendLimit -"
	expect "delivered (A + B)" "$(delivered 'quota*@example.net' "$A" "$B")" 5
}

case_per_second_rate_exact() {
	burst "$T/out" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.5 \
		--from news@rate.example --to 'rate{s}@example.net*30' --barrier --times "$T/times"
	expect "replies other than 250 and 451 4.7.1 RequestLimitExceeded" \
		"$(outcomes "$T/out" | grep -vE '^(250 2.1.5 Ok 250|451 4.7.1 RequestLimitExceeded -)$')" ""
	expect_match "refused at all" "$(outcomes "$T/out" | grep -c '^451 ')" '^[1-9]'
	expect "most accepted in one second" "$(per_second_check "$T/out" "$T/times" 5)" "ok"
	sleep 1.1
	burst "$T/out2" --server "$(smtp A)" --source 127.0.0.5 --from news@rate.example \
		--to 'later{s}@example.net'
	expect "a send in a later second" "$(outcomes "$T/out2")" "250 2.1.5 Ok 250"
}

case_over_quota_hold_puts_message_on_hold() {
	# account holdq: DailyQuota 1; gateway C: OverQuota hold
	pf_send "$C" "$T/first" --local-interface 127.0.0.13 --from news@holdq.example \
		--to held1@example.net --header "Subject: first"
	expect "first: end of data" "$(pf_status "$T/first" dot)" "250 2.0.0 Ok:"
	pf_send "$C" "$T/second" --local-interface 127.0.0.13 --from news@holdq.example \
		--to held2@example.net --header "Subject: second"
	expect "second: RCPT" "$(pf_status "$T/second" rcpt)" "250 2.1.5 Ok"
	expect "second: end of data" "$(pf_status "$T/second" dot)" "250 2.0.0 Ok:"
	expect "second: queue" "$(pf_queue_of "$C" "$(pf_queue_id "$T/second")")" hold
	expect "first delivered" "$(delivered held1@example.net "$C")" 1
	expect "second delivered" "$(delivered held2@example.net "$C")" 0
}

case_aborted_transaction_gives_back_hourly_count() {
	local i
	burst "$T/rset" --server "$(smtp A)" --source 127.0.0.6 --from news@abort.example \
		--to aborted@example.net --messages 15 --abort
	expect "RCPT then RSET, 15 times" "$(outcomes "$T/rset" | sort | uniq -c | squeeze)" \
		"15 250 2.1.5 Ok rset"
	for i in 1 2 3; do
		pf_send "$A" "$T/quit$i" --local-interface 127.0.0.6 --from news@abort.example \
			--to aborted@example.net --quit-after rcpt
		expect "RCPT then QUIT ($i)" "$(pf_status "$T/quit$i" rcpt)" "250 2.1.5 Ok"
	done
	burst "$T/out" --server "$(smtp A)" --source 127.0.0.6 --from news@abort.example \
		--to aborted@example.net --messages 11
	expect "then sends 1-10" "$(outcomes "$T/out" | head -n 10 | sort | uniq -c | squeeze)" \
		"10 250 2.1.5 Ok 250"
	expect "then send 11" "$(outcomes "$T/out" | sed -n 11p)" \
		"450 4.7.1 FailedOperation.FrequencyLimit -"
}

case_refused_at_data_gives_back_count() {
	burst "$T/bad" --server "$(smtp A)" --source 127.0.0.7 --from news@dataref.example \
		--to dataref@example.net --messages 10 --subject ""
	expect "empty Subject, 10 times" "$(outcomes "$T/bad" | sort | uniq -c | squeeze)" \
		"10 250 2.1.5 Ok 550"
	burst "$T/out" --server "$(smtp A)" --source 127.0.0.7 --from news@dataref.example \
		--to dataref@example.net --messages 11
	expect "then sends 1-10" "$(outcomes "$T/out" | head -n 10 | sort | uniq -c | squeeze)" \
		"10 250 2.1.5 Ok 250"
	expect "then send 11" "$(outcomes "$T/out" | sed -n 11p)" \
		"450 4.7.1 FailedOperation.FrequencyLimit -"
}

case_blocklisted_recipient_refused() {
	sesctl_ok "$A" blocklist add Blocked@Example.NET
	pf_send "$A" "$T/a" --local-interface 127.0.0.8 --from news@lists.example \
		--to fine-bl@example.net,blocked@example.net --header "Subject: hello"
	expect "A: RCPTs" "$(pf_replies "$T/a" rcpt | status_words)" \
		"250 2.1.5 Ok|550 5.7.1 FailedOperation.EmailAddrInBlacklist|"
	expect "A: end of data" "$(pf_status "$T/a" dot)" "250 2.0.0 Ok:"
	# global: another account, through the other gateway
	pf_send "$B" "$T/b" --local-interface 127.0.0.2 --from news@hourly.example \
		--to '<BLOCKED@example.net>' --header "Subject: hello"
	expect "B, other account: RCPT" "$(pf_status "$T/b" rcpt)" \
		"550 5.7.1 FailedOperation.EmailAddrInBlacklist"
	expect "delivered to the other recipient" "$(delivered fine-bl@example.net "$A")" 1
	expect "delivered to the blocklisted one" "$(delivered 'blocked@example.net' "$A" "$B")" 0
}

case_unsubscribed_recipient_refused() {
	sesctl_ok "$A" unsubscribe add lists.example unsub@example.net
	pf_send "$A" "$T/a" --local-interface 127.0.0.8 --from news@lists.example \
		--to unsub@example.net --header "Subject: hello"
	expect "A: RCPT" "$(pf_status "$T/a" rcpt)" "550 5.7.1 FailedOperation.ReceiverHasUnsubscribed"
	pf_send "$B" "$T/b" --local-interface 127.0.0.8 --from news@lists.example \
		--to unsub@example.net --header "Subject: hello"
	expect "B: RCPT" "$(pf_status "$T/b" rcpt)" "550 5.7.1 FailedOperation.ReceiverHasUnsubscribed"
	# unsubscribed from lists.example only
	pf_send "$A" "$T/other" --local-interface 127.0.0.8 --from news@lists2.example \
		--to unsub@example.net --header "Subject: hello"
	expect "from another sender domain" "$(pf_status "$T/other" dot)" "250 2.0.0 Ok:"
}

case_suppressed_recipient_refused() {
	sesctl_ok "$A" suppression add lists supp@example.net
	pf_send "$A" "$T/a" --local-interface 127.0.0.8 --from news@lists.example \
		--to supp@example.net --header "Subject: hello"
	expect "A: RCPT" "$(pf_status "$T/a" rcpt)" "550 5.7.1 FailedOperation.EmailAddrInSuppressionList"
	pf_send "$B" "$T/b" --local-interface 127.0.0.8 --from news@lists2.example \
		--to supp@example.net --header "Subject: hello"
	expect "B, other domain of the account: RCPT" "$(pf_status "$T/b" rcpt)" \
		"550 5.7.1 FailedOperation.EmailAddrInSuppressionList"
	# suppressed for account lists only
	pf_send "$A" "$T/other" --local-interface 127.0.0.2 --from news@hourly.example \
		--to supp@example.net --header "Subject: hello"
	expect "another account" "$(pf_status "$T/other" dot)" "250 2.0.0 Ok:"
}

case_suspended_account_refused() {
	pf_send "$A" "$T/before" --local-interface 127.0.0.10 --from news@susp.example \
		--to susp@example.net --header "Subject: hello"
	expect "before: end of data" "$(pf_status "$T/before" dot)" "250 2.0.0 Ok:"
	sesctl_ok "$A" account suspend susp
	pf_send "$A" "$T/a" --local-interface 127.0.0.10 --from news@susp.example \
		--to susp@example.net --header "Subject: hello"
	expect "A: MAIL" "$(pf_status "$T/a" mail)" "550 5.7.1 FailedOperation.HighRejectionRate"
	pf_send "$B" "$T/b" --local-interface 127.0.0.10 --from news@susp.example \
		--to susp@example.net --header "Subject: hello"
	expect "B: MAIL" "$(pf_status "$T/b" mail)" "550 5.7.1 FailedOperation.HighRejectionRate"
}

case_long_and_quoted_addresses_keyed_exactly() {
	# keys over 250 bytes are hashed, not cut: two 300-byte local parts
	# that differ only in their last byte are two entries
	local long=$(printf 'l%.0s' $(seq 299))
	sesctl_ok "$A" blocklist add "${long}a@example.net"
	sesctl_ok "$A" blocklist add '"john doe"@example.net'
	sesctl_ok "$A" blocklist add 'pct%x:y@example.net'
	rawmilter "$T/out" "$(ses_socket "$A")" 127.0.0.8 '<news@lists.example>' \
		"<${long}a@example.net>" "<${long}b@example.net>" '<"john doe"@example.net>' \
		'<"john  doe"@example.net>' '<pct%x:y@example.net>' '<pct%x:z@example.net>'
	expect "RCPTs" "$(cut -d' ' -f2- "$T/out" | tr '\n' '|')" \
"550 5.7.1 FailedOperation.EmailAddrInBlacklist|continue|550 5.7.1 FailedOperation.EmailAddrInBlacklist|continue|550 5.7.1 FailedOperation.EmailAddrInBlacklist|continue|"
}

case_hostile_addresses_do_not_break_connection_or_process() {
	local a b pid
	pid=$(cat "$A/ses/test.pid")
	a=(
		'<john doe@example.net>' '<"john doe"@example.net>' '<"a\"b"@example.net>'
		'<"unterminated@example.net>' "<ctl$(printf '\001\033[31m\177')x@example.net>"
		"<tab$(printf '\t')x@example.net>" '<üser@exämple.net>' "<$(printf '\377\376')@example.net>"
		"<$(printf 'l%.0s' $(seq 300))@example.net>" "<$(printf 'q%.0s' $(seq 300))@$(printf 'd%.0s' $(seq 250)).net>"
		'<a%b@example.net>' '<a:b@example.net>' '<%00%0a%25@example.net>' '<@relay:route@example.net>'
		'<a@b@example.net>' '<a@[127.0.0.1]>' '<>' '<' '>' '' '@' '<a@>' '<@>'
		'<a b c d e f g h i j k l m n o p q r s t u v w x y z@example.net>'
		"<$(printf '%%%.0s' $(seq 300))@example.net>" "<$(printf ' %.0s' $(seq 300))>"
		"<$(printf 'é%.0s' $(seq 200))@example.net>" $'<a@example.net\r\nset x 0 0 1\r\n>'
	)
	rawmilter "$T/out" "$(ses_socket "$A")" 127.0.0.9 '<news@hostile.example>' \
		"${a[@]}" '<fine-hostile@example.net>'
	b=$(awk '$2 != "continue" && $2 !~ /^[245][0-9][0-9]$/' "$T/out")
	expect "RCPTs without a reply" "$b" ""
	expect "RCPTs answered" "$(wc -l < "$T/out")" $((${#a[@]} + 1))
	expect "well-formed RCPT after them, same connection" "$(tail -n 1 "$T/out" | cut -d' ' -f2-)" \
		"continue"
	expect "daemon running" "$(kill -0 "$pid" 2>/dev/null && echo yes)" yes
	expect "memcached answers" "$(for n in m1 m2 m3; do mc_version "$n" | cut -c1-7; done | tr '\n' ' ')" \
		"VERSION VERSION VERSION "
	pf_send "$A" "$T/after" --local-interface 127.0.0.9 --from news@hostile.example \
		--to after-hostile@example.net --header "Subject: after"
	expect "a send afterwards" "$(pf_status "$T/after" dot)" "250 2.0.0 Ok:"
	expect "daemon log: crash reports" \
		"$(grep -cE 'ERROR: [A-Za-z]+Sanitizer|runtime error:|stack smashing' "$A/ses/ses-milter.log")" 0
}

case_memcached_killed_tempfails_within_one_second() {
	local k0 k1 after
	# the sessions run until $T/stop exists; the kill waits for accepted
	# attempts and the stop for attempts after the kill, not for a time
	burst "$T/out" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.12 \
		--from news@outage.example --to 'killed{s}-{m}@example.net*2' --messages 400 \
		--until "$T/stop" --pause 0.05 --times "$T/times" --progress "$T/progress" --deadline 60 &
	local bpid=$!
	wait_for 30 progress_at_least "$T/progress" 2 0 250 ||
		ERRS+=("no attempt accepted within 30 s of the start")
	k0=$(date +%s.%N)
	mc_kill9 m1; mc_kill9 m2; mc_kill9 m3
	k1=$(date +%s.%N)
	wait_for 30 progress_at_least "$T/progress" 4 "$k1" ||
		ERRS+=("no 4 attempts started within 30 s after the kill")
	touch "$T/stop"
	wait "$bpid"
	# attempts started after the last kill: answered 451 4.3.0 in time
	after=$(after_kill "$T/out" "$T/times" "$k1")
	expect_match "attempts after the kill" "$(printf '%s\n' "$after" | grep -c .)" '^[1-9]'
	expect "replies after the kill" "$(printf '%s\n' "$after" | awk '{ print $2, $3, $4 }' | sort -u)" \
		"451 4.3.0 FailedOperation.ServiceNotAvailable"
	expect "slowest reply after the kill (s)" \
		"$(printf '%s\n' "$after" | awk '{ if ($1 > m) m = $1 } END { print (m < 1.0) ? "under 1" : m }')" \
		"under 1"
	expect_match "accepted before the kill" "$(before_kill "$T/out" "$T/times" "$k0" | grep -c '^250 ')" '^[1-9]'
	mc_restart_all
	wait_service "$T/back" "$(smtp A)" 127.0.0.12 news@outage.example $((DEAD_RETRY + 5))
}

case_memcached_unresponsive_tempfails_within_one_second() {
	# a frozen server accepts connections and answers nothing (a hung host)
	mc_freeze m1; mc_freeze m2; mc_freeze m3
	burst "$T/out" --server "$(smtp A)" --source 127.0.0.12 --from news@outage.example \
		--to 'frozen{s}-{m}@example.net*2' --messages 3 --times "$T/times" --deadline 30
	# with no lookup pending, two more checks of A's restore thread find
	# the servers silent and stop; thawed, they answer as before with
	# their entries, and the next check says so instead of replaying
	local log=$A/ses/ses-milter.log stops
	stops=$(log_count "$log" 'restore from .* stopped')
	wait_for 30 log_count_above "$log" 'restore from .* stopped' $((stops + 1)) ||
		ERRS+=("A's restore thread did not stop twice on the frozen servers within 30 s")
	stops=$(log_count "$log" 'answer as at the last replay')
	mc_thaw m1; mc_thaw m2; mc_thaw m3
	wait_for 15 log_count_above "$log" 'answer as at the last replay' "$stops" ||
		ERRS+=("A did not log the thawed servers answering as at the last replay within 15 s")
	expect "replies" "$(outcomes "$T/out" | cut -d' ' -f1-3 | sort | uniq -c | squeeze)" \
		"6 451 4.3.0 FailedOperation.ServiceNotAvailable"
	expect "slowest reply (s)" "$(slowest "$T/times")" "under 1"
	wait_service "$T/back" "$(smtp A)" 127.0.0.12 news@outage.example $((DEAD_RETRY + 5))
}

case_memcached_down_accepted_with_onfailure_accept() {
	# gateway C: OnFailure accept, its only server m4
	mc_kill9 m4
	pf_send "$C" "$T/out" --local-interface 127.0.0.13 --from news@holdq.example \
		--to failopen@example.net --header "Subject: open"
	mc_restart m4
	expect "RCPT" "$(pf_status "$T/out" rcpt)" "250 2.1.5 Ok"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	expect "delivered" "$(delivered failopen@example.net "$C")" 1
}

case_memcached_restarted_empty_entries_restored() {
	# the cases before took servers down: start once both gateways have
	# replayed into all of them
	wait_replayed_everywhere 30 || ERRS+=("the gateways did not replay into all servers within 30 s")
	sesctl_ok "$A" blocklist add rb@example.net
	sesctl_ok "$A" unsubscribe add lists.example ru@example.net
	sesctl_ok "$A" suppression add lists rs@example.net
	sesctl_ok "$A" account suspend susp2
	# a pooled connection that still counts a returned server dead (for up
	# to MemcachedDeadRetry) looks for these on the others (README, "A
	# server that dies"): wait until both gateways see them, bounded
	wait_restored $((DEAD_RETRY + 5)) ||
		ERRS+=("new entries not seen by both gateways within $((DEAD_RETRY + 5)) s")
	entries_refused "$T/before" "before the restart"
	mc_kill9 m1; mc_kill9 m2; mc_kill9 m3
	mc_restart_all
	# servers come back one by one and each is retried after DEAD_RETRY;
	# a gateway restores once it sees them all: wait for that, bounded
	wait_restored $((4 * (RESTORE_INTERVAL + DEAD_RETRY) + 5)) ||
		ERRS+=("the entries were not restored within $((4 * (RESTORE_INTERVAL + DEAD_RETRY) + 5)) s")
	entries_refused "$T/after" "after the restart"
}

case_one_of_three_servers_down_service_continues() {
	local ra rb
	# the cases before restarted every server: until both gateways have
	# replayed their journals into all three, lookups there answer 451 by
	# design, so first wait for that
	wait_replayed_everywhere 30 || ERRS+=("the gateways did not replay into all servers within 30 s")
	ra=$(replays "$A") rb=$(replays "$B")
	mc_kill9 m2
	burst "$T/out1" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.14 \
		--from news@spread.example --to 'one{s}-{m}@example.net*2' --messages 8
	# the dead server's keys moved to the others, which do not hold them
	# yet: the request that met it wakes a replay at once, and lookups
	# answer 451 until it is done; after it, service goes on
	wait_more_replays "$ra" "$rb" 10 || ERRS+=("no replay within 10 s of the kill")
	burst "$T/out1b" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.14 \
		--from news@spread.example --to 'mid{s}-{m}@example.net*2' --messages 8
	sleep $((DEAD_RETRY + 1))
	# the dead server is due for a retry now and is still down
	burst "$T/out2" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.14 \
		--from news@spread.example --to 'two{s}-{m}@example.net*2' --messages 8
	mc_restart m2
	expect "right after the kill: replies other than 250 and 451 4.3.0" \
		"$(outcomes "$T/out1" | grep -vE '^(250 2.1.5 Ok 250|451 4.3.0 FailedOperation.ServiceNotAvailable)')" ""
	expect "once the gateways replayed: replies" "$(outcomes "$T/out1b" | sort | uniq -c | squeeze)" \
		"16 250 2.1.5 Ok 250"
	expect "after the retry interval: replies" "$(outcomes "$T/out2" | sort | uniq -c | squeeze)" \
		"16 250 2.1.5 Ok 250"
}

case_service_resumes_when_memcached_returns() {
	local pa pb t0 wa wb
	pa=$(cat "$A/ses/test.pid") pb=$(cat "$B/ses/test.pid")
	mc_kill9 m1; mc_kill9 m2; mc_kill9 m3
	burst "$T/down" --server "$(smtp A)" --server "$(smtp B)" --source 127.0.0.12 \
		--from news@outage.example --to 'resume{s}@example.net*2'
	expect "while down" "$(outcomes "$T/down" | cut -d' ' -f1-3 | sort -u)" \
		"451 4.3.0 FailedOperation.ServiceNotAvailable"
	mc_restart_all
	t0=$(date +%s.%N)
	# both gateways polled at once, each timed from the restart: one
	# waiting for the other would add its polling time to the second
	(POLLS=1000; wait_service "$T/upA" "$(smtp A)" 127.0.0.12 news@outage.example \
		$((DEAD_RETRY + 5)) && since "$t0" $((DEAD_RETRY + 1)) > "$T/timeA") &
	wa=$!
	(POLLS=2000; wait_service "$T/upB" "$(smtp B)" 127.0.0.12 news@outage.example \
		$((DEAD_RETRY + 5)) && since "$t0" $((DEAD_RETRY + 1)) > "$T/timeB") &
	wb=$!
	wait "$wa" "$wb"
	expect "A: seconds until accepted" "$(cat "$T/timeA" 2>/dev/null)" "in time"
	expect "B: seconds until accepted" "$(cat "$T/timeB" 2>/dev/null)" "in time"
	expect "same daemons" "$(cat "$A/ses/test.pid") $(cat "$B/ses/test.pid")" "$pa $pb"
	expect "daemons running" "$(kill -0 "$pa" "$pb" 2>/dev/null && echo yes)" yes
}

# ---- helpers for the cases -----------------------------------------------------

# smtp GATEWAY: prints 127.0.0.1:PORT of the gateway's (A, B, C) smtpd.
smtp() {
	local d=${!1}
	printf '127.0.0.1:%s\n' "$(cat "$d/smtp_port")"
}

# burst OUT ARGS...: smtp_burst.py ARGS > OUT (see smtp_burst.py).
burst() {
	local out=$1
	shift
	python3 "$BURST" --deadline 60 "$@" > "$out" 2> "$out.err"
}

# outcomes OUT [FIRST LAST]: one line per attempt of sessions FIRST..LAST:
# the RCPT reply's code, enhanced code and first word, then the DATA code,
# e.g. "450 4.7.1 FailedOperation.FrequencyLimit -" or "250 2.1.5 Ok 250".
outcomes() {
	awk -v lo="${2:-0}" -v hi="${3:-999999}" '
		/^[0-9]+ [0-9]+ / && $1 >= lo && $1 <= hi {
			w = NF >= 6 ? $5 : ""
			if (NF >= 6) print $3, $4, w, $NF; else print $3, $4, $NF
		}' "$1"
}

# squeeze: uniq -c output without the padding ("10 250 ...").
squeeze() {
	sed 's/^ *//' | tr '\n' '|' | sed 's/|$//'
}

# status_words: code, enhanced code and first word of each reply line,
# joined with |.
status_words() {
	awk '{ printf "%s %s %s|", $1, $2, $3 }'
}

# slowest TIMES: "under 1" when every attempt in TIMES was answered in less
# than a second, otherwise the longest time.
slowest() {
	awk '{ d = $4 - $3; if (d > m) m = d } END { print (m < 1.0) ? "under 1" : m }' "$1"
}

# since T0 MAX: "in time" when at most MAX seconds passed since T0, else the seconds.
since() {
	awk -v t0="$1" -v max="$2" -v now="$(date +%s.%N)" \
		'BEGIN { d = now - t0; print (d <= max) ? "in time" : d }'
}

# after_kill OUT TIMES K: "SECONDS CODE ENH WORD" of each attempt sent after K.
after_kill() {
	awk -v k="$3" 'NR == FNR { if ($3 > k) t[$1 " " $2] = $4 - $3; next }
		/^[0-9]+ [0-9]+ / && ($1 " " $2) in t { print t[$1 " " $2], $3, $4, $5 }' "$2" "$1"
}

# before_kill OUT TIMES K: "CODE ENH WORD" of each attempt answered before K.
before_kill() {
	awk -v k="$3" 'NR == FNR { if ($4 < k && $4 > 0) t[$1 " " $2] = 1; next }
		/^[0-9]+ [0-9]+ / && ($1 " " $2) in t { print $3, $4, $5 }' "$2" "$1"
}

# per_second_check OUT TIMES MAX: "ok" when the accepted RCPTs can be placed
# in wall-clock seconds, each within its send..reply interval, with at most
# MAX in any second, and the total is at most MAX times the seconds the run
# spanned; otherwise what went wrong.
per_second_check() {
	python3 - "$1" "$2" "$3" <<-'EOF'
		import math, sys
		out, times, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
		t = {}
		for line in open(times):
		    s, m, t0, t1 = line.split()
		    t[(s, m)] = (float(t0), float(t1))
		acc = []
		for line in open(out):
		    f = line.split()
		    if len(f) >= 5 and f[0].isdigit() and f[2] == "250":
		        acc.append(t[(f[0], f[1])])
		spans = [x for v in t.values() for x in v if x > 0]
		seconds = int(math.floor(max(spans))) - int(math.floor(min(spans))) + 1
		# earliest deadline first: the fullest packing that respects the cap
		used, bad = {}, []
		for t0, t1 in sorted(acc, key=lambda v: v[1]):
		    sec = int(math.floor(t0))
		    while sec <= int(math.floor(t1)) and used.get(sec, 0) >= cap:
		        sec += 1
		    if sec > int(math.floor(t1)):
		        bad.append("%.3f-%.3f" % (t0, t1))
		    used[sec] = used.get(sec, 0) + 1
		if bad:
		    print("more than %d accepted in one second: %s" % (cap, " ".join(bad)))
		elif len(acc) > cap * seconds:
		    print("%d accepted over %d seconds" % (len(acc), seconds))
		elif not acc:
		    print("none accepted")
		else:
		    print("ok")
	EOF
}

# delivered ADDR DIR...: messages delivered to ADDR (a shell pattern) in the
# gateways under DIR..., counted once their queues are empty.
delivered() {
	local addr=$1 d f n=0
	shift
	for d in "$@"; do pf_drained "$d"; done
	for d in "$@"; do
		for f in "$d"/mail/$addr; do
			[ -f "$f" ] || continue
			n=$((n + $(grep -c '^From ' "$f")))
		done
	done
	printf '%s\n' "$n"
}

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds; non-zero
# when SECONDS pass first.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# progress_at_least FILE N AFTER [CODE]: true when burst's --progress FILE
# has N attempts sent after AFTER (Unix time), answered CODE if given.
progress_at_least() {
	[ -f "$1" ] &&
		[ "$(awk -v a="$3" -v c="${4:-}" '$5 > a && (c == "" || $3 == c)' "$1" | wc -l)" -ge "$2" ]
}

# pf_drained DIR: waits (at most 20 s) until DIR's Postfix has nothing left
# in its incoming, active or maildrop queue.
pf_drained() {
	local i
	for i in $(seq 100); do
		postqueue -c "$1/etc" -j 2>/dev/null |
			grep -qE '"queue_name": *"(incoming|active|maildrop)"' || return 0
		sleep 0.2
	done
	return 1
}

# sesctl_ok DIR ARGS...: sesctl with the gateway's configuration; a failure
# is noted in the case.
sesctl_ok() {
	local dir=$1 rc=0
	shift
	"$SESCTL" -c "$dir/ses/ses-milter.conf" "$@" > "$T/sesctl.out" 2>&1 || rc=$?
	expect "sesctl $* (exit status, output $(oneline "$(cat "$T/sesctl.out")"))" "$rc" 0
}

# rawmilter OUT SOCKET CLIENT_ADDR SENDER RCPT...: one milter session straight
# to the daemon: connect from CLIENT_ADDR, MAIL SENDER, then each RCPT; OUT
# gets "INDEX REPLY" a line, REPLY being "continue", the SMTP reply's code,
# enhanced code and first word, or "reject", "tempfail", "no reply: WHY".
rawmilter() {
	local out=$1 sock=$2 addr=$3 sender=$4
	shift 4
	PYTHONPATH=$RAWMILTER_DIR python3 - "$sock" "$addr" "$sender" "$@" > "$out" 2>&1 <<-'EOF'
		import sys
		import rawmilter as rm
		spec, addr, sender, rcpts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
		raw = lambda s: s.encode("utf-8", "surrogateescape")
		def word(r):
		    if r.cmd == "c":
		        return "continue"
		    if r.cmd == "y":
		        return " ".join(r.text.split()[:3])
		    return {"r": "reject", "t": "tempfail", "a": "accept"}.get(r.cmd, "other " + r.cmd)
		s = rm.Session(spec)
		s.connect("shared-state-raw", addr)
		m = s.mail(raw(sender))
		if m.cmd != "c":
		    print("MAIL %s" % word(m))
		for i, r in enumerate(rcpts):
		    try:
		        print("%d %s" % (i, word(s.rcpt(raw(r)))))
		    except Exception as e:
		        print("%d no reply: %s: %s" % (i, type(e).__name__, e))
		        s = rm.Session(spec)
		        s.connect("shared-state-raw", addr)
		        s.mail(raw(sender))
		s.abort()
		s.quit()
	EOF
}

# entries_refused OUT WHAT: the four entries of the restore case refuse
# their sends through A and B.
entries_refused() {
	local g
	for g in A B; do
		pf_send "${!g}" "$1.$g.bl" --local-interface 127.0.0.8 --from news@lists.example \
			--to rb@example.net,ru@example.net,rs@example.net,fine-restore@example.net \
			--header "Subject: restore"
		expect "$2, $g: RCPTs" "$(pf_replies "$1.$g.bl" rcpt | status_words)" \
"550 5.7.1 FailedOperation.EmailAddrInBlacklist|550 5.7.1 FailedOperation.ReceiverHasUnsubscribed|550 5.7.1 FailedOperation.EmailAddrInSuppressionList|250 2.1.5 Ok|"
		pf_send "${!g}" "$1.$g.su" --local-interface 127.0.0.11 --from news@susp2.example \
			--to fine-restore@example.net --header "Subject: restore"
		expect "$2, $g: MAIL of the suspended account" "$(pf_status "$1.$g.su" mail)" \
			"550 5.7.1 FailedOperation.HighRejectionRate"
	done
}

# restored_probe: both gateways refuse the three recipients restore_*
# cases put in shared state (the probes stop after RCPT, so nothing is
# counted).
PROBES=0
restored_probe() {
	local g ok=0
	PROBES=$((PROBES + 1))
	for g in A B; do
		pf_send "${!g}" "$T/probe.$g.$PROBES" --local-interface 127.0.0.8 --from news@lists.example \
			--to rb@example.net,ru@example.net,rs@example.net --quit-after RCPT >/dev/null 2>&1
		[ "$(pf_replies "$T/probe.$g.$PROBES" rcpt | grep -c '^550 ')" -eq 3 ] || ok=1
	done
	return $ok
}

# wait_restored SECONDS: waits until restored_probe holds.  Non-zero when
# SECONDS pass first.
wait_restored() {
	t_wait_until "$1" restored_probe
}

# replayed_everywhere LOG: true when the gateway of LOG last saw every
# server up (no ":-1:" in the servers its last restore line names, if
# any) and has replayed its journal since its last restore trigger, or
# found the servers of a stopped restore back as they were (a freeze).
replayed_everywhere() {
	awk '
		/memcached servers changed/ { up = ($0 !~ / -> [^)]*:-1:/); done = 0 }
		/a memcached server has no restore mark/ { up = ($0 !~ /\(servers [^)]*:-1:/); done = 0 }
		/memcached servers answer as at the last replay/ { up = ($0 !~ /:-1:/); done = 1 }
		/restored [0-9]+ entries from/ { done = 1 }
		BEGIN { up = 1 }
		END { exit !(up && done) }' "$1"
}

# both_replayed_everywhere: replayed_everywhere holds for gateways A and B.
both_replayed_everywhere() {
	replayed_everywhere "$A/ses/ses-milter.log" && replayed_everywhere "$B/ses/ses-milter.log"
}

# wait_replayed_everywhere SECONDS: waits until both_replayed_everywhere.
wait_replayed_everywhere() {
	t_wait_until "$1" both_replayed_everywhere
}

# log_count LOG PATTERN: how many lines of LOG match the regular expression.
log_count() {
	grep -c -- "$2" "$1"
}

# log_count_above LOG PATTERN N: more than N lines of LOG match PATTERN.
log_count_above() {
	[ "$(log_count "$1" "$2")" -gt "$3" ]
}

# replays GATEWAY-DIR: how many journal replays the gateway has logged.
replays() {
	grep -c 'restored [0-9]* entries from' "$1/ses/ses-milter.log"
}

# more_replays A-COUNT B-COUNT: both gateways logged a replay past the counts.
more_replays() {
	[ "$(replays "$A")" -gt "$1" ] && [ "$(replays "$B")" -gt "$2" ]
}

# wait_more_replays A-COUNT B-COUNT SECONDS: waits until more_replays.
wait_more_replays() {
	t_wait_until "$3" more_replays "$1" "$2"
}

# wait_service OUT SERVER CLIENT SENDER SECONDS: sends one message every
# 0.2 s until one is accepted or SECONDS pass; notes a failure if none was.
wait_service() {
	local out=$1 end
	end=$(($(date +%s) + $5))
	while [ "$(date +%s)" -lt "$end" ]; do
		POLLS=$((POLLS + 1))
		burst "$out" --server "$2" --source "$3" --from "$4" --to "poll$POLLS@example.net" \
			--timeout 5 --deadline 5
		[ "$(outcomes "$out")" = "250 2.1.5 Ok 250" ] && return 0
		sleep 0.2
	done
	expect "service back within $5 s" "$(outcomes "$out")" "250 2.1.5 Ok 250"
	return 1
}

# mc_restart_all: restarts m1, m2 and m3 empty on their ports.
mc_restart_all() {
	mc_restart m1; mc_restart m2; mc_restart m3
}

# ---- fixture -----------------------------------------------------------------

# accounts DIR: the accounts every gateway knows; one client address each.
accounts() {
	local d=$1
	ses_add_account "$d" hourly "CustomContent yes" "Network 127.0.0.2/32" "Domain hourly.example verified"
	ses_add_account "$d" cluster "CustomContent yes" "Network 127.0.0.3/32" "Domain cluster.example verified" \
		"MaxSendsPerSecond 1000"
	ses_add_account "$d" daily "CustomContent yes" "Network 127.0.0.4/32" "Domain daily.example verified" \
		"DailyQuota 5" "MaxSendsPerSecond 1000"
	ses_add_account "$d" rate "CustomContent yes" "Network 127.0.0.5/32" "Domain rate.example verified" \
		"MaxSendsPerSecond 5"
	ses_add_account "$d" abort "CustomContent yes" "Network 127.0.0.6/32" "Domain abort.example verified"
	ses_add_account "$d" dataref "CustomContent yes" "Network 127.0.0.7/32" "Domain dataref.example verified"
	ses_add_account "$d" lists "CustomContent yes" "Network 127.0.0.8/32" "Domain lists.example verified" \
		"Domain lists2.example verified"
	ses_add_account "$d" hostile "CustomContent yes" "Network 127.0.0.9/32" "Domain hostile.example verified" \
		"MaxSendsPerSecond 1000"
	ses_add_account "$d" susp "CustomContent yes" "Network 127.0.0.10/32" "Domain susp.example verified"
	ses_add_account "$d" susp2 "CustomContent yes" "Network 127.0.0.11/32" "Domain susp2.example verified"
	ses_add_account "$d" outage "CustomContent yes" "Network 127.0.0.12/32" "Domain outage.example verified" \
		"MaxSendsPerSecond 1000"
	ses_add_account "$d" holdq "CustomContent yes" "Network 127.0.0.13/32" "Domain holdq.example verified" \
		"DailyQuota 1"
	ses_add_account "$d" spread "CustomContent yes" "Network 127.0.0.14/32" "Domain spread.example verified" \
		"MaxSendsPerSecond 1000"
}

# gateway DIR SERVERS [KEY VALUE...]: a ses-milter on SERVERS and a Postfix
# in front of it under DIR.
gateway() {
	local dir=$1 servers=$2
	shift 2
	ses_write_conf "$dir" MemcachedServers "$servers" MemcachedTimeout 300 \
		MemcachedDeadRetry "$DEAD_RETRY" RestoreCheckInterval "$RESTORE_INTERVAL" "$@"
	accounts "$dir"
	ses_start "$dir" || return 1
	# no error throttling or inflow delay: the cases count replies, not time
	pf_start "$dir" "$(t_free_port)" "$(ses_socket "$dir")" \
		"smtpd_error_sleep_time = 0" "smtpd_soft_error_limit = 1000" \
		"smtpd_hard_error_limit = 1000" "in_flow_delay = 0"
}

cleanup() {
	local d
	for d in "$A" "$B" "$C"; do
		[ -n "$d" ] || continue
		pf_stop "$d"
		ses_stop "$d"
	done
	mc_stop_all
	if [ "$T_FAILED" -gt 0 ]; then
		for d in "$A" "$B" "$C"; do
			[ -f "$d/ses/ses-milter.log" ] || continue
			echo "--- last lines of $d/ses/ses-milter.log"; tail -n 15 "$d/ses/ses-milter.log"
		done
	fi
	if [ "$T_FAILED" -gt 0 ] && [ -n "$WORK" ]; then
		echo "--- transcripts kept in $WORK"
	elif [ -n "$WORK" ] && [ -z "$KEEP" ]; then
		rm -rf "$WORK"
	fi
}

# setup: starts m1..m4 and gateways A, B and C; returns non-zero with the
# reason on stderr.
setup() {
	local n
	WORK=$(mktemp -d /tmp/ses-shared.XXXXXX) && chmod 755 "$WORK" || return 1
	A=$WORK/a B=$WORK/b C=$WORK/c
	MC_DIR=$WORK/memcached
	for n in m1 m2 m3 m4; do
		mc_start "$MC_DIR" "$n" > /dev/null || return 1
	done
	gateway "$A" "$(mc_servers m1 m2 m3)" || return 1
	gateway "$B" "$(mc_servers m1 m2 m3)" || return 1
	gateway "$C" "$(mc_servers m4)" OverQuota hold OnFailure accept || return 1
}

main() {
	local c
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (private Postfix instances)"; t_done; return
	fi
	for c in postfix postqueue swaks memcached python3; do
		command -v "$c" >/dev/null || { t_skip all "no $c (run tests/install-deps)"; t_done; return; }
	done
	SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}
	for c in "$SES_MILTER" "$SESCTL"; do
		[ -x "$c" ] || { t_skip all "no program $c (set top_builddir)"; t_done; return; }
	done
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
	SESCTL=$(cd "$(dirname "$SESCTL")" && pwd)/$(basename "$SESCTL")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! setup; then
		t_fail setup "the gateways did not start (see above)"; t_done; return
	fi
	for c in "${CASES[@]}"; do
		[ -z "$ONLY" ] || [ "$c" = "$ONLY" ] || continue
		run_case "$c"
	done
	t_done
}

main "$@"
