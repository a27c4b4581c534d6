#!/bin/bash
# t_events.sh - the event log and the callbacks (SPEC section 7): outbound
# messages sent through the milter protocol give accepted and rejected
# events that reach the account's and the sender's callback URLs over
# HTTPS, signed (the signature is checked here); a receiver that is down
# for a while gets them after a retry; events not yet delivered when the
# daemon stops arrive after its restart, none lost (duplicates are
# counted and reported); a slow receiver does not delay the milter's
# replies; the daemon stops promptly while a POST hangs.
#
# The receiver is callback_receiver.py, an HTTPS server on a free loopback
# port with a self-signed certificate made here with openssl; the daemon
# trusts it through CallbackCaFile.  Messages are sent by events_send.py
# (rawmilter.py's client).  Every server started here is stopped by PID.
#
#     bash t_events.sh
#
# Environment: top_builddir (holding ses-milter), top_srcdir.
# Needs memcached, openssl and python3.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
T_SUITE=events
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/memcached.sh"

here=$top_srcdir/tests/milter
bin=$top_builddir/ses-milter
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

t_need memcached openssl python3
if [ ! -x "$bin" ]; then
	t_fail all "got no executable $bin, want the built daemon"
	t_done
	exit 1
fi

T=$(mktemp -d /tmp/ses-events.XXXXXX) || exit 1
DAEMON= RECV=

cleanup() {
	local p
	for p in $DAEMON $RECV; do kill -TERM "$p" 2>/dev/null; done
	for p in $DAEMON $RECV; do t_reap "$p"; done
	mc_stop_all
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- memcached, certificate, config, account --------------------------------
mc_start "$T/mc" main >/dev/null || { t_fail memcached "got no memcached, want one"; t_done; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
	{ t_fail certificate "got no self-signed certificate from openssl"; t_done; exit 1; }

PORT=$(t_free_port)
SECRET=s3cret-acme
mkdir -p "$T/data/accounts"
cat >"$T/conf" <<EOF
Socket unix:$T/sock
LogTo stderr
LogLevel debug
DataDir $T/data
MemcachedServers $(mc_addr main)
InboundChecks no
RecipientHourlyLimit 1000
MaxSendsPerSecond 1000000
CallbackCaFile $T/cert.pem
CallbackTimeout 2
EOF
cat >"$T/data/accounts/acme" <<EOF
CustomContent yes
Network 192.0.2.0/24
Domain acme.example verified
Domain pending.example unverified
MaxRecipients 2
CallbackUrl https://127.0.0.1:$PORT/acme
CallbackSecret $SECRET
SenderCallbackUrl news@acme.example https://127.0.0.1:$PORT/news
EOF
LOG=$T/daemon.log
REC=$T/received.jsonl
EVENTS=$T/data/events.log

# start_daemon: starts ses-milter in the foreground; false unless it listens.
# listening_lines: how many "listening on" lines the log has (0 without a log).
listening_lines() {
	local n
	n=$(grep -c 'listening on' "$LOG" 2>/dev/null)
	echo "${n:-0}"
}

start_daemon() {
	local i=0 before
	before=$(listening_lines)
	"$bin" -f -c "$T/conf" 2>>"$LOG" &
	DAEMON=$!
	while [ "$(listening_lines)" = "$before" ]; do
		[ $i -ge 100 ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# stop_daemon: SIGTERM; sets STOP_MS and STOP_RC.
stop_daemon() {
	local start i=0
	start=$(date +%s%N)
	kill -TERM "$DAEMON"
	while kill -0 "$DAEMON" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
	STOP_MS=$((($(date +%s%N) - start) / 1000000))
	if kill -0 "$DAEMON" 2>/dev/null; then STOP_RC=running; t_reap "$DAEMON"
	else wait "$DAEMON"; STOP_RC=$?; fi
	DAEMON=
}

# start_receiver [OPTIONS]: the HTTPS receiver on $PORT.
start_receiver() {
	python3 "$here/callback_receiver.py" "$PORT" "$T/cert.pem" "$T/key.pem" "$REC" "$@" \
		2>>"$T/receiver.log" &
	RECV=$!
	t_wait_port "$PORT" 10
}

stop_receiver() {
	kill -TERM "$RECV" 2>/dev/null
	t_reap "$RECV"
	RECV=
}

# send QUEUEID SENDER SUBJECT RCPT...: one message; sets SENT (replies, EOM seconds).
send() {
	SENT=$(python3 "$here/events_send.py" "$T/sock" "$@" 2>&1)
}

# received_for QUEUEID: lines the receiver recorded for that message.
received_for() {
	python3 -c 'import json, sys
n = 0
try:
    for l in open(sys.argv[1], encoding="utf-8"):
        n += json.loads(json.loads(l)["body"])["bulkId"] == sys.argv[2]
except FileNotFoundError:
    pass
print(n)' "$REC" "$1"
}

# wait_received QUEUEID N SECONDS: waits until N deliveries of QUEUEID arrived.
wait_received() {
	local i=0
	while [ "$(received_for "$1")" -lt "$2" ]; do
		[ $i -ge $(($3 * 10)) ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# check QUEUEID: verifies the signature of every delivery of QUEUEID and
# prints one line per delivery: "PATH EVENT EMAIL | REASON".
check() {
	python3 - "$REC" "$SECRET" "$1" <<'PY'
import hashlib, hmac, json, sys
recs, secret, qid = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
for line in open(recs, encoding="utf-8"):
    r = json.loads(line)
    ev = json.loads(r["body"])
    if ev["bulkId"] != qid:
        continue
    t, v1 = dict(p.split("=", 1) for p in r["signature"].split(",")).values()
    want = hmac.new(secret, (t + "." + r["body"]).encode(), hashlib.sha256).hexdigest()
    ok = "signed" if hmac.compare_digest(v1, want) and r["eventid"] == ev["eventid"] else "BADSIG"
    print(r["path"], ev["event"], ev["email"] or "-", ok, r["type"], "|", ev["reason"])
PY
}

if ! start_receiver; then
	t_fail receiver_starts "got no HTTPS receiver on port $PORT"
	t_done
	exit 1
fi
if ! start_daemon; then
	t_fail daemon_starts "got no listening daemon ($(tail -3 "$LOG"))"
	t_done
	exit 1
fi
t_match "start_logs_the_delivery" "$(cat "$LOG")" \
	"info: delivering events of $T/data/events.log to callback URLs, 0 waiting for a retry"

# ---- accepted and rejected events, signed ------------------------------------
send Q1 sender@acme.example "Hello one" a@example.net b@example.net c@example.net
t_eq "third_recipient_refused_message_accepted" "${SENT% *}" "c c c c y a"
wait_received Q1 3 10
OUT=$(check Q1)
t_eq "three_events_for_three_recipients" "$(printf '%s\n' "$OUT" | grep -c .)" 3
t_match "accepted_event_per_accepted_recipient" "$(printf '%s\n' "$OUT" | sort)" \
	'^/acme accepted a@example\.net signed application/json \| 
/acme accepted b@example\.net signed application/json \| 
/acme rejected c@example\.net signed application/json \| 452 4\.5\.3 '
t_nomatch "every_delivery_signed" "$OUT" 'BADSIG'
t_match "event_carries_the_contract_fields" "$(grep -m1 '"Q1"' "$EVENTS")" \
	'^\{"event":"accepted","email":"a@example\.net","bulkId":"Q1","messageId":"Q1","timestamp":[0-9]{10},"reason":"","bounceType":"","from":"sender@acme\.example","fromDomain":"acme\.example","templateId":"","subject":"Hello one","eventid":"[0-9a-f]{32}","account":"acme"\}$'

send Q2 someone@pending.example "Refused" a@example.net
t_eq "unverified_sender_refused_at_mail" "${SENT% *}" "c y"
wait_received Q2 1 10
t_match "refused_message_gives_one_rejected_event" "$(check Q2)" \
	'^/acme rejected - signed application/json \| 5[0-9][0-9] 5\.[0-9]+\.[0-9]+ '

send Q3 news@acme.example "News" n@example.net
wait_received Q3 2 10
t_eq "sender_url_gets_the_sender_events_too" "$(check Q3 | cut -d' ' -f1-3 | sort | tr '\n' ' ')" \
	"/acme accepted n@example.net /news accepted n@example.net "

# ---- receiver down for a while ------------------------------------------------
stop_receiver
send Q4 sender@acme.example "While down" d@example.net
i=0; until grep -q 'callback https://.*/acme failed for event' "$LOG" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
t_match "failed_delivery_logged_with_next_try" "$(cat "$LOG")" \
	"notice: callback https://127\\.0\\.0\\.1:$PORT/acme failed for event [0-9a-f]{32}: .*; next try in 10s"
start_receiver
if wait_received Q4 1 25; then t_pass "event_arrives_after_receiver_comes_back"
else t_fail "event_arrives_after_receiver_comes_back" "got $(received_for Q4) deliveries of Q4 within 25 s, want 1"; fi

# ---- a slow receiver does not delay the milter ------------------------------
stop_receiver
start_receiver --delay 6
send Q5 sender@acme.example "Slow one" s1@example.net
send Q6 sender@acme.example "Slow two" s2@example.net
EOM_SECONDS=${SENT##* }
if awk "BEGIN { exit !($EOM_SECONDS < 1.0) }"; then t_pass "slow_receiver_does_not_delay_milter_reply"
else t_fail "slow_receiver_does_not_delay_milter_reply" "got end of message answered in $EOM_SECONDS s, want under 1 s"; fi
# wait until the delivery thread is inside a POST that will time out
t_wait_until 10 grep -q '^holding POST' "$T/receiver.log"
stop_daemon
if [ "$STOP_RC" = 0 ] && [ "$STOP_MS" -lt 10000 ]; then t_pass "stops_promptly_during_a_hanging_post"; echo "  ($STOP_MS ms)"
else t_fail "stops_promptly_during_a_hanging_post" "got exit $STOP_RC after $STOP_MS ms, want 0 within 10000 ms"; fi
stop_receiver

# ---- undelivered events survive a restart ------------------------------------
start_daemon || t_fail daemon_restarts "got no listening daemon"
send Q7 sender@acme.example "Before restart" r1@example.net r2@example.net
i=0; until [ "$(grep -c 'failed for event' "$LOG")" -ge 3 ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
stop_daemon
t_match "queued_deliveries_saved_on_disk" "$(cat "$T/data/events.log.retry" 2>/dev/null)" '"url":"https://'
start_receiver
start_daemon || t_fail daemon_restarts_again "got no listening daemon"
t_match "restart_finds_waiting_deliveries" "$(tail -n 30 "$LOG")" \
	'delivering events of .* to callback URLs, [1-9][0-9]* waiting for a retry'
for q in Q5 Q6 Q7; do
	want=1; [ $q = Q7 ] && want=2
	if wait_received $q $want 15; then t_pass "events_of_${q}_arrive_after_restart"
	else t_fail "events_of_${q}_arrive_after_restart" "got $(received_for $q) deliveries, want $want"; fi
done

# ---- nothing lost; duplicates counted ----------------------------------------
# with the daemon and the receiver stopped no delivery is still on its way
stop_daemon
stop_receiver
RESULT=$(python3 - "$EVENTS" "$REC" <<'PY'
import json, sys
logged = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = {}
for l in open(sys.argv[2], encoding="utf-8"):
    r = json.loads(l)
    key = (r["path"], json.loads(r["body"])["eventid"])
    got[key] = got.get(key, 0) + 1
want = set()
for e in logged:
    want.add(("/acme", e["eventid"]))
    if e["from"] == "news@acme.example":
        want.add(("/news", e["eventid"]))
lost = sorted(k for k in want if k not in got)
dups = sum(n - 1 for n in got.values())
print("logged=%d deliveries_wanted=%d lost=%d duplicates=%d" % (len(logged), len(want), len(lost), dups))
PY
)
echo "  ($RESULT)"
t_match "no_event_lost" "$RESULT" ' lost=0 '
t_nomatch "no_milter_process_crashed" "$(cat "$LOG")" 'milter process (exited|killed|died)|signal 11|AddressSanitizer|runtime error'

t_done
