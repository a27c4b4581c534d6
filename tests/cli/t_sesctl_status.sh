#!/bin/bash
# t_sesctl_status.sh - sesctl(8) stats and status: the shared day counters
# in a real memcached (written here as every gateway writes them, and by
# nothing else), and the status of messages joined from hand-written
# event logs: each DeliverStatus, the user booleans, the filters, JSON
# output, UTC day boundaries, empty results and hostile log lines.
#
# Needs the built sesctl (see t_sesctl.sh) and memcached(1); the server runs
# on a free loopback port and is stopped by its PID (tests/lib/memcached.sh).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/memcached.sh"

cli_start t_sesctl_status memcached
LOG=$T/events.log
mkdir -p "$DATA"
printf 'DataDir %s\nMemcachedServers %s\nEventLog %s\n' "$DATA" "$MC" "$LOG" >"$T/ses.conf"
CONF=$T/ses.conf

# mc_set KEY VALUE: stores one counter in the suite's memcached.
mc_set() {
	python3 - "$MC" "$1" "$2" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=5)
v = sys.argv[3].encode()
s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (sys.argv[2].encode(), len(v), v))
r = s.recv(100)
sys.exit(0 if r.startswith(b"STORED") else 1)
PY
}

ok --no-reload account add acme
ok --no-reload domain add example.com --account acme --no-keys
ok --no-reload domain add news.example --account acme --no-keys

# ---- stats -----------------------------------------------------------------
mc_set st:example.com:20240501:requests 3
mc_set st:example.com:20240501:accepted 2
mc_set st:example.com:20240501:rejected 1
mc_set st:example.com:20240501:delivered 2
mc_set st:example.com:20240502:bounced 1
mc_set st:example.com:20240502:unsubscribed 4
mc_set st:news.example:20240502:requests 1234567

run stats --from 2024-05-01 --to 2024-05-01 --domain example.com
t_rc "stats_one_day_exits_0" 0
t_match "stats_table_has_header" "$OUT" '^DATE +DOMAIN +REQUESTS +ACCEPTED +REJECTED +DELIVERED +OPENED +CLICKED +BOUNCED +UNSUBSCRIBED$'
t_match "stats_table_row_counts" "$OUT" '2024-05-01 +example\.com +3 +2 +1 +2 +0 +0 +0 +0$'
t_eq "stats_one_day_one_domain_one_row" "$(printf '%s\n' "$OUT" | wc -l)" 2

run stats --from 2024-05-01 --to 2024-05-02 --json
t_rc "stats_all_domains_exits_0" 0
t_eq "stats_all_domains_two_days_four_rows" "$(printf '%s\n' "$OUT" | wc -l)" 4
t_match "stats_json_row" "$OUT" '^\{"date":"2024-05-02","domain":"example.com","requests":0,"accepted":0,"rejected":0,"delivered":0,"opened":0,"clicked":0,"bounced":1,"unsubscribed":4\}$'
t_match "stats_json_other_domain" "$OUT" '"date":"2024-05-02","domain":"news.example","requests":1234567,'
t_match "stats_days_in_order" "$(printf '%s\n' "$OUT" | head -1)" '"date":"2024-05-01"'

run stats --from 2024-05-01 --to 2024-05-02 --domain news.example
t_match "stats_table_widens_for_big_numbers" "$OUT" '2024-05-02 +news\.example +1234567 +0'

run stats --from 2024-04-30 --to 2024-04-30 --domain EXAMPLE.COM --json
t_rc "stats_empty_day_exits_0" 0
t_match "stats_domain_lower_cased_and_zero" "$OUT" '^\{"date":"2024-04-30","domain":"example.com","requests":0,'

run stats --from 2024-05-02 --to 2024-05-01
t_rc "stats_reversed_range_is_usage" 2
t_match "stats_reversed_range_says_so" "$ERR" 'to is before --from'
run stats --from 2024-02-30 --to 2024-03-01
t_rc "stats_impossible_date_is_usage" 2
t_match "stats_impossible_date_says_so" "$ERR" 'not a date \(want YYYY-MM-DD\): 2024-02-30'
run stats --from 2024-05-01
t_rc "stats_without_to_is_usage" 2
run stats --from 2023-01-01 --to 2024-12-31
t_rc "stats_range_over_400_days_is_usage" 2

printf 'DataDir %s\nMemcachedServers 127.0.0.1:%s\nMemcachedTimeout 200\n' "$DATA" "$(t_free_port)" >"$T/down.conf"
CONF=$T/down.conf run stats --from 2024-05-01 --to 2024-05-01
t_rc "stats_memcached_down_exits_3" 3
t_match "stats_memcached_down_says_so" "$ERR" 'did not answer'
t_eq "stats_memcached_down_prints_nothing" "$OUT" ""

# ---- status ----------------------------------------------------------------
# ev EVENT EMAIL MSGID TIMESTAMP [REASON [BOUNCETYPE]]: one event line.
ev() {
	printf '{"event":"%s","email":"%s","bulkId":"%s","messageId":"%s","timestamp":%s,"reason":"%s","bounceType":"%s","from":"news@example.com","fromDomain":"example.com","templateId":"","subject":"Hi","eventid":"0","account":"acme"}\n' \
		"$1" "$2" "$3" "$3" "$4" "${5:-}" "${6:-}"
}
D=1714521600	# 2024-05-01 00:00:00 UTC
{
	ev accepted q@example.net M1 $((D + 10))
	ev accepted d@example.net M1 $((D + 10))
	ev accepted h@example.net M1 $((D + 10))
	ev accepted s@example.net M1 $((D + 10))
	ev rejected r@example.net M1 $((D + 10)) '550 5.1.1 FailedOperation.EmailAddressInBlacklist'
	ev accepted late@example.net M0 $((D - 1))
	ev accepted edge@example.net M2 $((D + 86399))
	ev accepted next@example.net M3 $((D + 86400))
	ev delivered d@example.net M1 $((D + 60)) '2.0.0 ok'
	ev bounce h@example.net M1 $((D + 70)) '5.1.1 no such user' hard_bounce
	ev deferred s@example.net M1 $((D + 80)) '4.2.2 mailbox full' soft_bounce
	ev deferred d@example.net M1 $((D + 90)) '4.4.1 later'
	ev spamreport D@EXAMPLE.NET M1 $((D + 100))
	ev open d@example.net M1 $((D + 110))
	ev click d@example.net M1 $((D + 120))
	printf '{"event":"unsubscribe","email":"q@example.net","bulkId":"","messageId":"","timestamp":%s,"reason":"","bounceType":"","from":"","fromDomain":"example.com","templateId":"","subject":"","eventid":"1","account":"acme"}\n' $((D + 130))
	printf '{"event":"unsubscribe","email":"h@example.net","bulkId":"","messageId":"","timestamp":%s,"reason":"","bounceType":"","from":"","fromDomain":"other.example","templateId":"","subject":"","eventid":"2","account":"x"}\n' $((D + 130))
	ev delivered other@example.net M1 $((D + 140))
} >"$LOG"

run status --date 2024-05-01 --json
t_rc "status_day_exits_0" 0
t_eq "status_day_has_six_rows" "$(printf '%s\n' "$OUT" | wc -l)" 6
row() { printf '%s\n' "$OUT" | grep "\"ToEmailAddress\":\"$1\""; }
t_match "status_queued_is_0" "$(row q@example.net)" '"SendStatus":"accepted","SendMessage":"","DeliverStatus":0,'
t_match "status_delivered_is_1_not_undone_by_deferral" "$(row d@example.net)" '"DeliverStatus":1,"DeliverMessage":"2.0.0 ok"'
t_match "status_hard_bounce_is_2" "$(row h@example.net)" '"DeliverStatus":2,"DeliverMessage":"5.1.1 no such user"'
t_match "status_rejected_is_3_with_reply" "$(row r@example.net)" '"SendStatus":"rejected","SendMessage":"550 5.1.1 FailedOperation.EmailAddressInBlacklist","DeliverStatus":3,'
t_match "status_soft_bounce_deferral_is_8" "$(row s@example.net)" '"DeliverStatus":8,"DeliverMessage":"4.2.2 mailbox full"'
t_match "status_booleans_from_events" "$(row d@example.net)" '"UserOpened":true,"UserClicked":true,"UserUnsubscribed":false,"UserComplained":true,'
t_match "status_unsubscribe_joins_by_email_and_domain" "$(row q@example.net)" '"UserUnsubscribed":true,'
t_match "status_unsubscribe_of_other_domain_not_joined" "$(row h@example.net)" '"UserUnsubscribed":false,'
t_match "status_times" "$(row d@example.net)" "\"RequestTime\":$((D + 10)),\"UpdateTime\":$((D + 120))\\}$"
t_match "status_last_second_of_day_included" "$(row edge@example.net)" '"MessageId":"M2"'
t_eq "status_day_before_excluded" "$(row late@example.net)" ""
t_eq "status_day_after_excluded" "$(row next@example.net)" ""

run status --date 2024-05-01
t_rc "status_table_exits_0" 0
t_match "status_table_header" "$OUT" '^REQUESTED +MESSAGE-ID +TO +SEND +DELIVER +OPENED +CLICKED +UNSUBSCRIBED +COMPLAINED +UPDATED +REASON$'
t_match "status_table_row" "$OUT" '^2024-05-01 00:00:10  M1 +h@example\.net +accepted +2 dropped +no +no +no +no +2024-05-01 00:01:10  5\.1\.1 no such user$'

run status --date 2024-05-01 --message-id M2 --json
t_eq "status_filter_message_id" "$(printf '%s\n' "$OUT" | wc -l)" 1
run status --date 2024-05-01 --to H@Example.NET --json
t_match "status_filter_to_case_insensitive" "$OUT" '^\{"MessageId":"M1","ToEmailAddress":"h@example.net"'
t_eq "status_filter_to_one_row" "$(printf '%s\n' "$OUT" | wc -l)" 1

run status --date 2024-05-03
t_rc "status_nothing_found_exits_1" 1
t_match "status_nothing_found_says_so" "$ERR" 'no messages found'
t_eq "status_nothing_found_prints_nothing" "$OUT" ""
run status --date 2024-05-01 --message-id NOPE
t_rc "status_unknown_message_exits_1" 1
run status
t_rc "status_without_date_is_usage" 2
run status --date 05/01/2024
t_rc "status_bad_date_is_usage" 2

# hostile lines: truncated, not JSON, wrong types, a huge line, binary
{
	ev accepted ok@example.net H1 $((D + 5))
	printf '{"event":"accepted","email":"cut@exa\n'
	printf 'not json at all\n'
	printf '{"event":"accepted","email":7,"messageId":null,"timestamp":"soon"}\n'
	printf '{"event":42,"timestamp":1}\n'
	printf '[1,2,3]\n'
	printf '{"event":"accepted","email":"big@example.net","messageId":"H2","timestamp":%s,"subject":"' $((D + 6))
	head -c 3000000 /dev/zero | tr '\0' 'x'
	printf '"}\n'
	printf '\x00\xff\xfe{"event":"accepted"}\n'
	printf '{"event":"accepted","email":"esc\\u001b[31m@example.net","messageId":"H3","timestamp":%s}\n' $((D + 7))
	printf '{"event":"delivered","email":"ok@example.net","messageId":"H1","timestamp":%s}\n' $((D + 8))
	printf '{"event":"accepted","email":"tail@example.net","messageId":"H4","timestamp":%s' $((D + 9))
} >"$T/hostile.log"
printf 'DataDir %s\nMemcachedServers %s\nEventLog %s\n' "$DATA" "$MC" "$T/hostile.log" >"$T/hostile.conf"
CONF=$T/hostile.conf run status --date 2024-05-01
t_rc "status_hostile_log_exits_0" 0
t_match "status_hostile_log_keeps_good_rows" "$OUT" 'H1 +ok@example\.net +accepted +1 delivered'
t_match "status_hostile_log_huge_line_read" "$OUT" 'H2 +big@example\.net'
t_match "status_hostile_log_control_bytes_shown_as_question_marks" "$OUT" 'esc\?\[31m@example\.net'
t_nomatch "status_hostile_log_unfinished_line_left_out" "$OUT" 'tail@example'
t_match "status_hostile_log_counts_skipped_lines" "$ERR" 'lines are not events, skipped'
CONF=$T/hostile.conf run status --date 2024-05-01 --json
t_match "status_hostile_json_escapes_control_bytes" "$OUT" '"ToEmailAddress":"esc\\u001[bB]\[31m@example.net"'

printf 'DataDir %s\nMemcachedServers %s\nEventLog %s\n' "$DATA" "$MC" "$T/missing.log" >"$T/missing.conf"
CONF=$T/missing.conf run status --date 2024-05-01
t_rc "status_missing_log_finds_nothing" 1

t_done
