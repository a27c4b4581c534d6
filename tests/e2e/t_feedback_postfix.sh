#!/bin/bash
# t_feedback_postfix.sh - end-to-end: the feedback loop through real
# Postfix instances.  Outbound mail leaves the gateway with a VERP envelope
# sender; a next hop refuses one recipient with 550, the gateway's own DSN
# comes back to the VERP address through its MX listener, and the
# recipient lands on the blocklist; an ARF complaint and a mailto
# unsubscribe sent back to the service's addresses do the same for the
# suppression and unsubscribe lists.  Each loop ends with the next send to
# the recipient refused at RCPT.
#
# The instances, all on loopback:
#
#   G  the gateway: Postfix with smtpd_milters = ses-milter (account acme:
#      clients from 127.0.0.2, sender domain example.com with a DKIM key).
#      Its smtpd on G_PORT takes the customers' mail; a second smtpd on
#      MX_PORT is the MX of example.com (myhostname mx.ses.example.test, so
#      G's SMTP client does not take it for G itself and bounce the mail as
#      a loop).  transport_maps: example.net goes to N, example.com to G's
#      MX listener, so G's own DSNs reach ses-milter as inbound SMTP mail
#      from 127.0.0.1, a client outside every account.
#   N  the next hop for example.net: Postfix without a milter that refuses
#      gone@ and gone-too@example.net with 550 5.1.1 at RCPT and delivers
#      the rest to N/mail/ADDR.
#
# Run as root: bash tests/e2e/t_feedback_postfix.sh (top_builddir: the
# build); KEEP=1 keeps the work directory; ONLY=NAME runs one case.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/e2e.sh
. "$here/../lib/e2e.sh"

SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}
ACME=(--local-interface 127.0.0.2 --from news@example.com)
VERP_RE='^b-[a-z2-7]+-[a-z2-7]{10}@example\.com$'

# sesctl ARGS...: sesctl with G's configuration.
sesctl() {
	"$SESCTL" -c "$G/ses/ses-milter.conf" --no-reload "$@"
}

# send OUT TO [swaks options...]: acme sends a message to TO through G.
send() {
	local out=$1 to=$2
	shift 2
	pf_send "$G" "$out" "${ACME[@]}" --to "$to" --header "Subject: News for $to" "$@"
}

# report OUT FROM TO [swaks options...]: a mail from outside (127.0.0.1, no
# account) to G's MX listener.
report() {
	local out=$1 from=$2 to=$3
	shift 3
	smtp_send "$MX_PORT" "$out" --helo mx.isp.example --from "$from" --to "$to" "$@"
}

# delivered_header ADDR NAME: the first NAME header of ADDR's first message
# at N, unfolded, without the name.
delivered_header() {
	mbox_cat "$N" "$1" | tr -d '\r' | awk -v want="$2" '
		/^$/ { exit }
		/^[ \t]/ { if (keep) { sub(/^[ \t]+/, " "); v = v $0 } next }
		{ if (keep) exit; n = tolower($0); sub(/:.*/, "", n)
		  if (n == tolower(want)) { keep = 1; v = $0; sub(/^[^:]*:[ \t]*/, "", v) } }
		END { if (keep) print v }'
}

# return_path ADDR: the envelope sender of ADDR's first message at N.
return_path() {
	delivered_header "$1" Return-Path | tr -d '<>'
}

# until_ok SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds.
until_ok() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2; n=$((n - 1))
	done
	return 1
}

# event TYPE EMAIL FIELD: FIELD of the last TYPE event about EMAIL in G's
# event log ("none" when there is no such event).
event() {
	python3 - "$G/ses/events.log" "$@" <<-'PY'
	import json, sys
	path, typ, email, field = sys.argv[1:]
	got = "none"
	try:
	    for line in open(path):
	        e = json.loads(line)
	        if e.get("event") == typ and e.get("email") == email:
	            got = str(e.get(field))
	except FileNotFoundError:
	    pass
	print(got)
	PY
}

# signed_headers FILE: the h= tags of FILE's DKIM-Signatures, lower case,
# one line each.
signed_headers() {
	python3 - "$1" <<-'PY'
	import email, re, sys
	msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
	for v in msg.get_all("DKIM-Signature") or []:
	    m = re.search(r"\bh=([^;]*)", re.sub(r"\s+", "", str(v)))
	    print(m.group(1).lower() if m else "")
	PY
}

# arf VERP RCPT: an RFC 5965 complaint about RCPT, sent to VERP.
arf() {
	cat <<-EOF
		From: feedback@isp.example
		To: $1
		Subject: complaint about a message to $2
		MIME-Version: 1.0
		Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

		--ARF
		Content-Type: text/plain

		A reader marked this message as spam.
		--ARF
		Content-Type: message/feedback-report

		Feedback-Type: abuse
		User-Agent: isp-fbl/1.0
		Version: 1
		Original-Mail-From: <$1>
		Original-Rcpt-To: <$2>

		--ARF
		Content-Type: text/rfc822-headers

		From: news@example.com
		To: $2
		Subject: News for $2

		--ARF--
	EOF
}

# dsn VERP RCPT: an RFC 3464 report that delivery to RCPT failed for good.
dsn() {
	cat <<-EOF
		From: MAILER-DAEMON@mx.isp.example
		To: $1
		Subject: Undelivered Mail Returned to Sender
		MIME-Version: 1.0
		Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"

		--DSN
		Content-Type: text/plain

		Your message could not be delivered.
		--DSN
		Content-Type: message/delivery-status

		Reporting-MTA: dns; mx.isp.example

		Final-Recipient: rfc822; $2
		Original-Recipient: rfc822; $2
		Action: failed
		Status: 5.1.1
		Diagnostic-Code: smtp; 550 5.1.1 no such user

		--DSN
		Content-Type: text/rfc822-headers

		From: news@example.com
		To: $2

		--DSN--
	EOF
}

# ---- the cases ---------------------------------------------------------------

case_delivered_message_has_verp_sender_and_signed_list_unsubscribe() {
	send "$T/out" reader@example.net --header "X-SES-Unsubscribe: 1"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$N" reader@example.net || ERRS+=("delivery: got no mail at N, want one")
	expect_match "Return-Path" "$(return_path reader@example.net)" "$VERP_RE"
	expect_match "List-Unsubscribe" "$(delivered_header reader@example.net List-Unsubscribe)" \
		'^<mailto:u-[a-z2-7-]+@example\.com>$'
	pf_delivered "$N" reader@example.net > "$T/msg"
	expect "DKIM" "$(dkim_verify "$T/msg" "$WORK/dns")" "0:ok:a=rsa-sha256"
	expect_match "signed headers" "$(signed_headers "$T/msg")" '(^|:)list-unsubscribe(:|$)'
}

case_hard_bounce_from_next_hop_blocklists_recipient() {
	send "$T/out" gone@example.net
	# G takes the message; N refuses the recipient; G's DSN goes to the VERP
	# address, that is to G's MX listener and ses-milter
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	until_ok 20 sesctl blocklist query gone@example.net ||
		ERRS+=("blocklist: got gone@example.net absent after 20 s, want present")
	expect_match "N refused" "$(pf_log "$G")" \
		"to=<gone@example.net>.*status=bounced .*550 5\.1\.1"
	expect_match "DSN to the VERP address" "$(pf_log "$G")" \
		"to=<b-[a-z2-7]+-[a-z2-7]+@example\.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$MX_PORT,.*status=sent"
	expect_match "milter log" "$(cat "$G/ses/ses-milter.log")" \
		"bounce: <gone@example\.net> 5\.1\.1 \(hard\) for message .*: blocklisted"
	expect "bounce event" "$(event bounce gone@example.net bounceType)" hard_bounce
	expect "mailbox at N" "$(mbox_cat "$N" gone@example.net | wc -c)" 0
	send "$T/again" gone@example.net
	expect "next send" "$(pf_reply "$T/again" rcpt)" \
		"550 5.7.1 FailedOperation.EmailAddrInBlacklist gone@example.net is on the blocklist"
}

case_bounce_of_several_recipient_message_names_only_its_recipients() {
	local verp
	# a message to several recipients has one VERP address for all of them
	send "$T/out" team@example.net,gone-too@example.net
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$N" team@example.net || ERRS+=("delivery: got no mail at N, want one")
	until_ok 20 sesctl blocklist query gone-too@example.net ||
		ERRS+=("blocklist: got gone-too@example.net absent after 20 s, want present")
	expect "bounce event" "$(event bounce gone-too@example.net bounceType)" hard_bounce
	# a recipient who saw the address cannot use it to blocklist others
	verp=$(return_path team@example.net)
	expect_match "Return-Path" "$verp" "$VERP_RE"
	dsn "$verp" victim@example.org > "$T/dsn"
	report "$T/report" "<>" "$verp" --data "$T/dsn"
	expect "report's end of data" "$(pf_status "$T/report" dot)" "250 2.0.0 Ok:"
	sesctl blocklist query victim@example.org >/dev/null 2>&1
	expect "blocklist query victim@example.org" "$?" 1
	expect "bounce event for victim@example.org" "$(event bounce victim@example.org event)" none
}

case_complaint_suppresses_recipient() {
	local verp
	send "$T/out" angry@example.net
	pf_wait_mail "$N" angry@example.net || ERRS+=("delivery: got no mail at N, want one")
	verp=$(return_path angry@example.net)
	expect_match "Return-Path" "$verp" "$VERP_RE"
	arf "$verp" angry@example.net > "$T/arf"
	report "$T/report" "<>" "$verp" --data "$T/arf"
	expect "report's end of data" "$(pf_status "$T/report" dot)" "250 2.0.0 Ok:"
	until_ok 10 sesctl suppression query acme angry@example.net ||
		ERRS+=("suppression: got angry@example.net absent, want present")
	expect "spamreport event" "$(event spamreport angry@example.net event)" spamreport
	send "$T/again" angry@example.net
	expect_match "next send" "$(pf_reply "$T/again" rcpt)" \
		"^550 5\.7\.1 FailedOperation\.EmailAddrInSuppressionList"
}

case_mailto_unsubscribe_unsubscribes_recipient() {
	local lu addr
	send "$T/out" leaving@example.net --header "X-SES-Unsubscribe: 1"
	pf_wait_mail "$N" leaving@example.net || ERRS+=("delivery: got no mail at N, want one")
	lu=$(delivered_header leaving@example.net List-Unsubscribe)
	addr=$(printf '%s' "$lu" | sed -n 's/^<mailto:\([^>]*\)>.*/\1/p')
	expect_match "mailto address" "$addr" '^u-[a-z2-7-]+@example\.com$'
	report "$T/request" leaving@example.net "$addr" --header "Subject: unsubscribe" \
		--body "unsubscribe"
	expect "request's end of data" "$(pf_status "$T/request" dot)" "250 2.0.0 Ok:"
	until_ok 10 sesctl unsubscribe query example.com leaving@example.net ||
		ERRS+=("unsubscribe: got leaving@example.net absent, want present")
	expect "unsubscribe event" "$(event unsubscribe leaving@example.net event)" unsubscribe
	send "$T/again" leaving@example.net
	expect_match "next send" "$(pf_reply "$T/again" rcpt)" \
		"^550 5\.7\.1 FailedOperation\.ReceiverHasUnsubscribed"
}

case_forged_verp_address_refused_at_rcpt() {
	local verp tag forged
	send "$T/out" forge@example.net
	pf_wait_mail "$N" forge@example.net || ERRS+=("delivery: got no mail at N, want one")
	verp=$(return_path forge@example.net)
	tag=${verp%@*}
	tag=${tag: -10}
	forged=${verp%@*}
	forged=${forged:0:${#forged}-10}$([ "${tag:0:1}" = a ] && echo b || echo a)${tag:1}@example.com
	arf "$forged" forge@example.net > "$T/arf"
	report "$T/report" "<>" "$forged" --data "$T/arf"
	expect_match "RCPT" "$(pf_reply "$T/report" rcpt)" \
		"^550 5\.1\.1 FailedOperation\.InvalidFeedbackAddress"
	sesctl suppression query acme forge@example.net >/dev/null 2>&1
	expect "suppression query" "$?" 1
}

# ---- fixture -----------------------------------------------------------------

cleanup() {
	if [ -n "$G" ]; then pf_stop "$G"; ses_stop "$G"; fi
	[ -n "$N" ] && pf_stop "$N"
	mc_stop_all
	if [ "$T_FAILED" -gt 0 ] && [ -n "$G" ]; then
		echo "--- last lines of $G/maillog"; tail -n 15 "$G/maillog" 2>/dev/null
		echo "--- last lines of $G/ses/ses-milter.log"; tail -n 15 "$G/ses/ses-milter.log" 2>/dev/null
	fi
	if [ -n "$WORK" ] && [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}

# setup: starts memcached, ses-milter, N and G; returns non-zero with the
# reason on stderr.
setup() {
	local mc n_port
	e2e_work feedback-pf || return 1
	G=$WORK/g
	N=$WORK/n
	mc=$(mc_start "$WORK/mc" main) || return 1
	ses_write_conf "$G" MemcachedServers "$mc" RecipientHourlyLimit 1000 MaxSendsPerSecond 1000000
	ses_add_account "$G" acme "CustomContent yes" "Network 127.0.0.2/32" "Domain example.com verified"
	: > "$WORK/dns"
	dkim_key "$G/ses" "$WORK/dns" example.com ses rsa || return 1
	ses_start "$G" || return 1

	n_port=$(t_free_port)
	mkdir -p "$N/etc" &&
		printf '%s 550 5.1.1 <%s>: no such user here\n' gone@example.net gone@example.net \
			gone-too@example.net gone-too@example.net > "$N/etc/refuse" || return 1
	pf_start "$N" "$n_port" "" "myhostname = mx.example.net.test" \
		"smtpd_recipient_restrictions = check_recipient_access texthash:$N/etc/refuse" || return 1

	MX_PORT=$(t_free_port)
	pf_start "$G" "$(t_free_port)" "$(ses_socket "$G")" \
		"transport_maps = inline:{example.net=smtp:[127.0.0.1]:$n_port, example.com=smtp:[127.0.0.1]:$MX_PORT}" ||
		return 1
	pf_listen "$G" "$MX_PORT" -o myhostname=mx.ses.example.test
}

main() {
	e2e_ready python3 memcached openssl
	$DKIM_PY -c 'import dkim' 2>/dev/null || { t_skip all "no python3-dkim"; t_done; return; }
	e2e_run
}

main "$@"
