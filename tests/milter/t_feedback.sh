#!/bin/bash
# t_feedback.sh - the feedback loop at the milter protocol: outbound mail
# leaves with a VERP envelope sender (and List-Unsubscribe when asked);
# bounces, complaints and unsubscribe mails sent back to those addresses
# become blocklist, suppression and unsubscribe entries in memcached that
# the next send to the recipient meets; forged addresses are refused; an
# account whose hard bounces reach 8 % of a sample (SuspendMinSample 20
# here) is suspended.
#
# The cases live in feedback_cases.py (one function per behaviour).  The
# daemon runs with the inbound checks off: DMARC of the reports is
# t_inbound.sh's business.
#
#     bash t_feedback.sh [CASE...]      (no CASE: all of them)
#
# Environment: top_builddir (holding ses-milter), top_srcdir.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
T_SUITE=feedback
. "$top_srcdir/tests/lib/testlib.sh"

here=$top_srcdir/tests/milter
bin=$top_builddir/ses-milter
only=" $* "

if ! command -v memcached >/dev/null 2>&1; then
	t_skip all "memcached is not installed"
	t_done
	exit
fi

tmp=$(mktemp -d /tmp/ses-feedback.XXXXXX) || exit 1
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mc_port=$(t_free_port)
memcached -l 127.0.0.1 -p "$mc_port" -U 0 -u nobody -m 16 >"$tmp/memcached.log" 2>&1 </dev/null &
pids+=($!)
t_wait_port "$mc_port" 10 || { t_fail memcached "did not start on port $mc_port"; t_done; exit 1; }

http_port=$(t_free_port)
d=$tmp/main
mkdir -p "$d/data/accounts"
cat >"$d/conf" <<CONF
Socket unix:$d/sock
LogTo stderr
LogLevel debug
DataDir $d/data
MemcachedServers 127.0.0.1:$mc_port
InboundChecks no
RecipientHourlyLimit 1000
MaxSendsPerSecond 1000000
SuspendMinSample 20
DsnNotifySuccess yes
UnsubscribeListen 127.0.0.1:$http_port
UnsubscribeUrl http://127.0.0.1:$http_port/unsub
CONF
printf 'CustomContent yes\nNetwork 192.0.2.0/24\nDomain acme.example verified\n' >"$d/data/accounts/acme"
printf 'CustomContent yes\nNetwork 198.51.100.0/24\nDomain bouncy.example verified\n' >"$d/data/accounts/bouncy"
"$bin" -f -c "$d/conf" 2>>"$d/log" &
pids+=($!)
if ! t_wait_file "$d/sock" 10; then
	t_fail start "got no listening daemon ($(tail -3 "$d/log")), want one"
	t_done
	exit 1
fi
n=0
until grep -q "listening on" "$d/log" 2>/dev/null || [ $n -ge 100 ]; do sleep 0.1; n=$((n + 1)); done

for c in $(python3 "$here/feedback_cases.py" --list); do
	case $only in "  " | *" $c "*) ;; *) continue ;; esac
	out=$(MT_SOCKET="unix:$d/sock" MT_LOG="$d/log" MT_HTTP=$http_port python3 "$here/feedback_cases.py" "$c" 2>&1)
	rc=$?
	if grep -q "killed by signal" "$d/log"; then
		t_fail "$c" "got a crashed milter process: $(grep 'killed by signal' "$d/log" | tail -1)"
	elif [ $rc -eq 0 ]; then
		t_pass "$c"
	else
		t_fail "$c" "$(printf '%s' "$out" | head -20 | tr '\n' ';')"
	fi
done

# The key was made on first use, private to the daemon's user.
if [ "$only" = "  " ]; then
	t_eq feedback_key_is_private "$(stat -c '%a %s' "$d/data/feedback.key" 2>/dev/null)" "600 32"
	t_match suspension_logged "$(grep -m1 'account bouncy suspended' "$d/log")" \
		"account bouncy suspended: 2 hard bounces for 20 accepted recipients today and yesterday \(limit 8%\)"
	t_match bounce_logged "$(grep -m1 'bounce: <gone' "$d/log")" \
		"bounce: <gone\.user\.with\.a\.long\.name@example\.net> 5\.1\.1 \(hard\) for message .*: blocklisted"
	# the events of what came back, in the event log
	ev=$d/data/events.log
	t_match bounce_event "$(grep '"event":"bounce"' "$ev" | grep -m1 'gone.user')" \
		'"email":"gone\.user\.with\.a\.long\.name@example\.net".*"reason":"5\.1\.1 .*"bounceType":"hard_bounce".*"fromDomain":"acme\.example".*"account":"acme"'
	t_match deferred_event "$(grep -m1 '"event":"deferred"' "$ev")" '"email":"busy@example\.net"'
	t_match delivered_event "$(grep -m1 '"event":"delivered"' "$ev")" '"email":"happy\.reader@example\.net"'
	t_match spamreport_event "$(grep -m1 '"event":"spamreport"' "$ev")" '"email":"angry\.reader@example\.net"'
	t_match unsubscribe_event "$(grep '"event":"unsubscribe"' "$ev" | grep -m1 leaving)" '"email":"leaving\.reader@example\.net"'
	t_match one_click_event "$(grep '"event":"unsubscribe"' "$ev" | grep -m1 one.click)" '"email":"one\.click@example\.net"'
	# the daily volumes every gateway shares, counted by the daemon
	today=$(date -u +%F)
	st=$("$top_builddir/sesctl/sesctl" -c "$d/conf" stats --from "$today" --to "$today" \
		--domain acme.example --json 2>&1)
	t_match stats_count_what_came_back "$st" \
		'"accepted":[1-9][0-9]*,.*"delivered":[1-9][0-9]*,.*"bounced":[1-9][0-9]*,"unsubscribed":2\}'
	t_eq forged_addresses_make_no_event "$(grep -c 'forge@example.net"' "$ev" | tr -d ' ')" \
		"$(grep '"event":"accepted"' "$ev" | grep -c 'forge@example.net"' | tr -d ' ')"
fi

t_done
