#!/bin/bash
# t_sesctl_state.sh - sesctl(8) and the long-lived shared entries: blocklist,
# unsubscribes, suppressions and suspensions in a real memcached, their
# journal, a memcached killed with SIGKILL and restored from the journal,
# and two gateways (two journals, --origin/--stamp) converging.
#
# Needs the built sesctl (see t_sesctl.sh) and memcached(1); the server runs
# on a free loopback port and is stopped by its PID (tests/lib/memcached.sh).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/memcached.sh"

cli_start t_sesctl_state memcached
mkdir -p "$DATA"
# gateway NAME: writes $T/NAME.conf, sharing DataDir and memcached, own journal.
gateway() {
	printf 'DataDir %s\nMemcachedServers %s\nJournalFile %s/%s.journal\n' \
		"$DATA" "$MC" "$T" "$1" >"$T/$1.conf"
}
gateway gw1
gateway gw2
CONF=$T/gw1.conf

# on GATEWAY ARGS...: run as that gateway.
on() {
	local saved=$CONF
	CONF=$T/$1.conf
	shift
	run "$@"
	CONF=$saved
}
# kill9_restart: SIGKILL memcached, start it again empty on the same port.
kill9_restart() {
	mc_kill9 mc 2>/dev/null	# no "Killed" notice
	mc_run mc || t_fail "memcached_restarts" "got no server on $MC"
}

# ---- help ------------------------------------------------------------------
run -h
t_match "help_lists_blocklist_commands" "$OUT" 'blocklist add ADDR \[--days N\]'
t_match "help_lists_state_restore" "$OUT" 'state restore'

# ---- blocklist -------------------------------------------------------------
run blocklist add '<User@Example.COM>'
t_rc "blocklist_add_exits_0" 0
t_match "blocklist_add_normalises_address" "$OUT" '^blocklist user@example\.com added, expires .* \(recorded\)$'
run blocklist query user@example.com
t_rc "blocklist_query_present_exits_0" 0
t_match "blocklist_query_prints_stamp_expiry_origin" "$OUT" \
	"^present: blocklist user@example\.com \(added; stamp [0-9]{16} = .* UTC, expires .* UTC, origin $(hostname | cut -c1-63 | sed 's/\./\\./g')\)$"
run blocklist query '<USER@example.com>'
t_rc "blocklist_query_normalises_address" 0
run blocklist query nobody@example.com
t_rc "blocklist_query_absent_exits_1" 1
t_match "blocklist_query_absent_says_no_record" "$OUT" '^absent: blocklist nobody@example\.com \(no record\)$'

run blocklist add days@example.com --days 2
t_match "blocklist_days_sets_expiry" "$OUT" "expires $(date -u -d '+2 days' +%Y-%m-%d) "
run blocklist add default@example.com
t_match "blocklist_default_is_blocklist_days" "$OUT" "expires $(date -u -d '+180 days' +%Y-%m-%d) "
run blocklist add bad@example.com --days 0
t_rc "blocklist_days_0_refused" 1
run blocklist add bad@example.com --days many
t_rc "blocklist_days_word_refused" 1
run blocklist del bad@example.com --days 3
t_rc "option_of_another_command_is_usage_error" 2
run blocklist add '  <>  '
t_rc "empty_address_refused" 1
t_match "empty_address_explained" "$ERR" 'empty address'

run blocklist add 'gone@example.com'
run blocklist del 'Gone@Example.com'
t_rc "blocklist_del_exits_0" 0
t_match "blocklist_del_says_removed" "$OUT" '^blocklist gone@example\.com removed \(recorded\)$'
run blocklist query gone@example.com
t_rc "blocklist_removed_is_absent" 1
t_match "blocklist_removed_says_removed" "$OUT" '^absent: blocklist gone@example\.com \(removed;'

run blocklist add 'a b"%@x.example'
t_rc "hostile_address_accepted" 0
run blocklist query 'a b"%@x.example'
t_rc "hostile_address_found" 0
run blocklist list
t_match "blocklist_list_shows_hostile_address_escaped" "$OUT" '^a%20b"%25@x\.example +'
t_match "blocklist_list_shows_entry" "$OUT" '^user@example\.com +[0-9-]+ [0-9:]+ UTC'
t_nomatch "blocklist_list_hides_removed" "$OUT" '^gone@example\.com'

# ---- unsubscribes and suppressions -----------------------------------------
run unsubscribe add Example.COM U@X.example
t_rc "unsubscribe_add_exits_0" 0
t_match "unsubscribe_add_lower_cases" "$OUT" '^unsubscribe example\.com u@x\.example added \(recorded\)$'
run unsubscribe query example.com u@x.example
t_rc "unsubscribe_query_present" 0
run unsubscribe query example.org u@x.example
t_rc "unsubscribe_is_per_domain" 1
run unsubscribe add 'not a domain' u@x.example
t_rc "unsubscribe_bad_domain_refused" 1
run unsubscribe list --domain example.com
t_match "unsubscribe_list_by_domain" "$OUT" '^example\.com +u@x\.example +never '
run unsubscribe list --domain example.org
t_nomatch "unsubscribe_list_other_domain_empty" "$OUT" 'u@x'

run suppression add acme c@x.example --until 2099-12-31
t_rc "suppression_add_exits_0" 0
t_match "suppression_until_covers_the_day" "$OUT" 'expires 2100-01-01 00:00:00 UTC'
run suppression add acme p@x.example
t_match "suppression_default_is_permanent" "$OUT" '^suppression acme p@x\.example added \(recorded\)$'
run suppression add acme c@x.example --until 2001-01-01
t_rc "suppression_past_date_refused" 1
t_match "suppression_past_date_explained" "$ERR" 'is in the past'
run suppression add acme c@x.example --until 2025-02-30
t_rc "suppression_impossible_date_refused" 1
run suppression add 'bad name!' c@x.example
t_rc "suppression_bad_account_refused" 1
run suppression list --account acme
t_match "suppression_list_shows_until" "$OUT" '^acme +c@x\.example +2100-01-01 00:00:00 UTC'
run suppression query acme c@x.example
t_rc "suppression_query_present" 0

# ---- suspensions ------------------------------------------------------------
run --no-reload account add acme
run account suspend acme
t_rc "account_suspend_exits_0" 0
t_match "account_suspend_records_entry" "$OUT" '^suspension acme added \(recorded\)$'
run account show acme
t_match "account_show_gives_shared_suspension" "$OUT" '^Suspended \(shared\) +yes'
run account suspend nosuch
t_rc "account_suspend_unknown_refused" 1
run account resume acme
t_match "account_resume_records_removal" "$OUT" '^suspension acme removed \(recorded\)$'
run account show acme
t_match "account_show_after_resume" "$OUT" '^Suspended \(shared\) +no$'
run account suspend acme

# ---- the journal ------------------------------------------------------------
J1=$T/gw1.journal
t_eq "journal_has_a_line_per_change" "$(wc -l <"$J1")" 12
t_eq "journal_lines_have_seven_fields" "$(awk 'NF != 7' "$J1" | wc -l)" 0
t_match "journal_escapes_hostile_bytes" "$(cat "$J1")" '^blocklist - a%20b%22%25@x\.example 1 '

# ---- memcached killed with SIGKILL, restored from the journal ---------------
mc_kill9 mc 2>/dev/null
run blocklist add down@example.com
t_rc "write_with_memcached_down_exits_0" 0
t_match "write_with_memcached_down_says_will_restore" "$OUT" 'recorded; memcached unreachable, will be restored'
t_match "write_with_memcached_down_warns" "$ERR" 'warning: memcached .* did not answer'
run blocklist query down@example.com
t_rc "query_with_memcached_down_exits_3" 3
run state restore
t_rc "restore_with_memcached_down_fails" 1
mc_run mc || t_fail "memcached_restarts" "got no server on $MC"
run blocklist query user@example.com
t_rc "restarted_memcached_is_empty" 1
run state restore
t_rc "state_restore_exits_0" 0
t_match "state_restore_counts" "$OUT" "^restored 1[0-9] entries from $J1 \(0 malformed lines skipped\)$"
for a in user@example.com days@example.com 'a b"%@x.example' down@example.com; do
	run blocklist query "$a"
	t_rc "restore_brings_back_blocklist_$a" 0
done
run blocklist query gone@example.com
t_rc "restore_keeps_removal_removed" 1
t_match "restore_brings_back_the_removal_record" "$OUT" '\(removed;'
run unsubscribe query example.com u@x.example
t_rc "restore_brings_back_unsubscribe" 0
run suppression query acme c@x.example
t_rc "restore_brings_back_suppression" 0

# ---- two gateways: the newest record wins, in any restore order -------------
on gw1 blocklist add x@example.com --stamp 1000 --origin gw-a
on gw2 blocklist del x@example.com --stamp 2000 --origin gw-b
on gw1 blocklist query x@example.com
t_rc "later_removal_from_other_gateway_wins" 1
on gw2 blocklist del y@example.com --stamp 1000 --origin gw-b
on gw1 blocklist add y@example.com --stamp 2000 --origin gw-a
on gw1 blocklist add y@example.com --stamp 1500 --origin gw-c
on gw2 blocklist query y@example.com
t_rc "later_add_wins_and_older_write_is_ignored" 0
t_match "query_shows_the_winning_origin" "$OUT" 'stamp 2000 .*origin gw-a\)$'
on gw1 blocklist add z@example.com --stamp 3000 --origin gw-a
on gw2 blocklist del z@example.com --stamp 3000 --origin gw-b
on gw1 blocklist query z@example.com
t_rc "same_stamp_tie_broken_by_origin" 1
run blocklist add bad@example.com --origin 'bad origin'
t_rc "bad_origin_refused" 1
run blocklist add bad@example.com --stamp -5
t_rc "bad_stamp_refused" 1

for order in "gw1 gw2" "gw2 gw1"; do
	kill9_restart
	for g in $order; do on "$g" state restore; done
	on gw1 blocklist query x@example.com
	t_rc "restore_${order// /_then_}_keeps_later_removal" 1
	on gw1 blocklist query y@example.com
	t_rc "restore_${order// /_then_}_keeps_later_add" 0
	on gw1 blocklist query z@example.com
	t_rc "restore_${order// /_then_}_keeps_tie_winner" 1
done
run state restore "$T/gw2.journal"
t_rc "state_restore_of_named_journal" 0

# ---- malformed lines and compaction ------------------------------------------
printf 'garbage line\n' >>"$J1"
run state restore
t_rc "restore_with_malformed_line_exits_0" 0
t_match "restore_counts_malformed_line" "$OUT" '\(1 malformed lines skipped\)'
t_match "restore_names_malformed_line" "$ERR" "warning: $J1:[0-9]+: too few fields"
lines_before=$(wc -l <"$J1")
run state compact
t_rc "state_compact_exits_0" 0
t_match "state_compact_counts" "$OUT" "^compacted $J1: $lines_before lines, [0-9]+ kept$"
t_eq "compact_leaves_one_line_per_entry" "$(awk '{print $1, $2, $3}' "$J1" | sort | uniq -d | wc -l)" 0
t_nomatch "compact_drops_malformed_line" "$(cat "$J1")" '^garbage'
kill9_restart
run state restore
run blocklist query user@example.com
t_rc "compacted_journal_restores_entries" 0
run blocklist query gone@example.com
t_rc "compacted_journal_keeps_removals" 1
t_match "compacted_journal_keeps_removal_record" "$OUT" '\(removed;'
run blocklist list
t_match "list_after_compaction" "$OUT" '^down@example\.com '

# ---- quotas -----------------------------------------------------------------

# mc_set KEY VALUE: stores a counter in the suite's memcached (text protocol).
mc_set() {
	python3 - "$MC" "$1" "$2" <<'PY'
import socket, sys
host, port = sys.argv[1].split(':')
s = socket.create_connection((host, int(port)), timeout=2)
v = sys.argv[3].encode()
s.sendall(b'set %s 0 600 %d\r\n%s\r\n' % (sys.argv[2].encode(), len(v), v))
assert s.recv(64).startswith(b'STORED')
PY
}

today=$(date -u +%Y-%m-%d)
yesterday=$(date -u -d yesterday +%Y%m%d)
run --no-reload account add warm --network 198.51.100.0/24
run quota show warm
t_rc "quota_show_exits_0" 0
t_match "quota_show_gives_level_1_quota" "$OUT" 'quota: +500 per day'
t_match "quota_show_gives_use_today" "$OUT" 'used today: 0'
mc_set "dq:warm:$(date -u +%Y%m%d)" 120
run quota show warm --rcpt someone@example.net
t_match "quota_show_counts_today" "$OUT" 'left today: 380'
t_match "quota_show_counts_recipient_hour" "$OUT" 'last hour: +0 of 10 to someone@example.net'
mc_set "dq:warm:$yesterday" 100
mc_set "bn:warm:$yesterday" 1
run --no-reload quota warmup --dry-run
t_match "warmup_dry_run_says_what_it_would_do" "$OUT" 'warm: level 1 -> 2 .*\[dry run\]'
t_match "warmup_dry_run_changes_nothing" "$(cat "$DATA/accounts/warm")" '^Network'
t_nomatch "warmup_dry_run_writes_no_level" "$(cat "$DATA/accounts/warm")" 'ReputationLevel'
run --no-reload quota warmup
t_rc "warmup_exits_0" 0
t_match "warmup_raises_healthy_account" "$(cat "$DATA/accounts/warm")" 'ReputationLevel +2'
t_match "warmup_records_the_day" "$(cat "$DATA/accounts/warm")" "LevelDate +$today"
run --no-reload quota warmup
t_match "warmup_runs_once_a_day" "$OUT" 'warm: level 2, already set today'
mc_set "bn:warm:$yesterday" 10
run --no-reload quota warmup --date "$(date -u -d "2 days" +%Y-%m-%d)"
t_match "warmup_leaves_account_that_sent_nothing" "$OUT" 'warm: level 2 -> 2'
run --no-reload account set warm LevelDate 2000-01-01
run --no-reload quota warmup
t_match "warmup_lowers_unhealthy_account" "$OUT" 'warm: level 2 -> 1 \(yesterday: 100 accepted, 10 bounced'
run quota warmup --date 2026-13-40
t_rc "warmup_refuses_bad_date" 2

t_done
