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

T=$(mktemp -d "${TMPDIR:-/tmp}/t_sesctl_status.XXXXXX")
chmod 755 "$T"	# memcached drops to nobody
MC_DIR=$T/mc
cleanup() {
	mc_stop_all
	rm -rf "$T"
}
trap cleanup EXIT

if [ ! -x "$SESCTL" ]; then
	t_fail "sesctl_binary_exists" "got no executable at $SESCTL, want the built sesctl"
	t_done
	exit 1
fi
if ! command -v memcached >/dev/null; then
	t_skip "all" "memcached(1) is not installed"
	t_done
	exit 0
fi

MC=$(mc_start "$MC_DIR" mc) || { t_fail "memcached_starts" "got no server"; t_done; exit 1; }
DATA=$T/data
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

t_done
