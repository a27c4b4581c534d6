# mta_cases.sh - the behavioural end-to-end cases every MTA integration
# passes, written once against a driver (sourced, not run).  t_postfix.sh
# runs them through Postfix and t_sendmail.sh through Sendmail, so the two
# integrations cannot drift apart.  A suite sources testlib.sh, cases.sh,
# memcached.sh, dkim.sh and one driver (postfix.sh or sendmail.sh), then
# this file; it calls mta_cases_setup (then starts its own instances),
# mta_cases_run (every case_NAME defined, its own too, with
# case_ses_milter_stops_cleanly last) and, on exit, mta_cases_cleanup.
#
# The driver provides:
#   MTA_NAME                      postfix or sendmail
#   MTA_QUEUED_RE                 the reply to the end of data of an accepted
#                                 message (an extended regular expression)
#   MTA_DOWN_STAGE MTA_DOWN_REPLY the stage and the reply with which the MTA
#                                 refuses while ses-milter cannot be reached
#   mta_start DIR PORT SOCKET     an instance under DIR on 127.0.0.1:PORT that
#                                 consults ses-milter on SOCKET (libmilter's
#                                 form) as examples/ sets the MTA up
#   mta_stop DIR                  mta_add_user DIR USER PASSWORD (SMTP AUTH)
#   mta_send DIR OUT [swaks options...]
#   mta_reply OUT STAGE           the last reply of STAGE as the client read it
#   mta_replies OUT STAGE         all of them (smtp_replies in mta.sh)
#   mta_status OUT STAGE          its code, enhanced code and SES error name
#   mta_refusal STAGE ADDR REPLY  the line the client reads when ses-milter
#                                 refuses with REPLY at STAGE (ADDR: the
#                                 address of that MAIL or RCPT)
#   mta_queue_id OUT              from the reply to the end of data
#   mta_held DIR QUEUEID          true while the message waits on hold (the
#                                 filter's smfi_quarantine)
#   mta_wait_mail DIR ADDR [SECONDS]   mta_mailbox DIR ADDR
#   mta_delivered DIR ADDR        ADDR's first message without what delivery added
#   mta_log DIR                   the MTA's log, for failures
#
# The instances, under $WORK (which the suite makes):
#   A  ses-milter on a unix socket; LocalAccount local, OverQuota hold; SMTP
#      AUTH login beta; DKIM keys for beta.example and tpl.example
#   B  ses-milter on inet:PORT@127.0.0.1
#   C  no ses-milter running behind the MTA
#
# Senders are told apart by their client address (swaks --local-interface):
# 127.0.0.2 is account acme's trusted network, .3 small's, .4 frozen's,
# .5 tpl's, .6 capped's; 127.0.0.1 belongs to no account, so it is inbound
# mail unless the client logs in.

ACME=(--local-interface 127.0.0.2)
SMALL=(--local-interface 127.0.0.3)
FROZEN=(--local-interface 127.0.0.4)
TPL=(--local-interface 127.0.0.5)
CAPPED=(--local-interface 127.0.0.6)
INBOUND=(--local-interface 127.0.0.1)
BETA=(--local-interface 127.0.0.1 --auth PLAIN --auth-user beta --auth-password beta-secret)
SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}

# ---- the cases: each shows only the conversation -----------------------------

case_trusted_client_message_reaches_mailbox() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to trusted@example.net \
		--header "Subject: Welcome" --body "Hello from acme"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" trusted@example.net
	expect_match "mailbox" "$(mta_mailbox "$A" trusted@example.net)" "^Subject: Welcome"
	expect_match "summary" "$(ses_summary "$A" "$(mta_queue_id "$T/out")")" \
		"account=acme .*decision=accept"
}

case_authenticated_login_selects_account() {
	mta_send "$A" "$T/out" "${BETA[@]}" --from news@beta.example --to authed@example.net \
		--header "Subject: Welcome"
	expect "auth" "$(mta_status "$T/out" auth | cut -d' ' -f1)" "235"
	expect_queued "end of data" "$T/out"
	expect_match "summary" "$(ses_summary "$A" "$(mta_queue_id "$T/out")")" "account=beta .*login=beta "
	mta_send "$A" "$T/out2" "${BETA[@]}" --from news@example.com --to authed@example.net \
		--header "Subject: Welcome"
	expect "MAIL from acme's domain" "$(mta_reply "$T/out2" mail)" "$(mta_refusal mail news@example.com \
		"550 5.7.1 OperationDenied.DomainNotVerified domain example.com is not a sender domain of account beta")"
}

case_authenticated_message_is_changed_and_signed() {
	mta_send "$A" "$T/out" "${BETA[@]}" --from news@beta.example --to signed@example.net \
		--header "Subject: A subject that is long enough to be folded by a careful client, one hopes" \
		--header "X-SES-Trigger-Type: 1" --body "First line.
Second line with trailing spaces   
"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" signed@example.net && mta_delivered "$A" signed@example.net > "$T/msg"
	expect "control headers" "$(grep -ci '^X-SES-' "$T/msg")" 0
	expect "signatures" "$(dkim_verify "$T/msg" "$WORK/dns")" "0:ok:a=rsa-sha256;1:ok:a=ed25519-sha256"
	expect_match "relaxed/relaxed" "$(grep -i '^DKIM-Signature' "$T/msg")" "c=relaxed/relaxed"
	# the milter takes SMFIP_HDR_LEADSPC, so the blank after the colon is its to send
	expect "headers written \"DKIM-Signature: v=\"" "$(grep -c '^DKIM-Signature: v=' "$T/msg")" 2
	expect_match "summary" "$(ses_summary "$A" "$(mta_queue_id "$T/out")")" \
		"account=beta .*login=beta .*decision=accept"
}

case_rendered_template_is_signed() {
	mta_send "$A" "$T/out" "${TPL[@]}" --from news@tpl.example --to bob@example.net \
		--header "Subject: Welcome" --header "X-SES-Template: $WELCOME" \
		--header 'X-SES-Template-Data: {"name":"Bob"}' --body "replaced by the template"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" bob@example.net && mta_delivered "$A" bob@example.net > "$T/msg"
	expect "signature" "$(dkim_verify "$T/msg" "$WORK/dns")" "0:ok:a=rsa-sha256"
	expect "control headers" "$(grep -ci '^X-SES-' "$T/msg")" 0
	expect_match "rendered body" "$(cat "$T/msg")" "Hello Bob\\. Thank you"
	expect_nomatch "client's body" "$(cat "$T/msg")" "replaced by the template"
}

case_template_missing_refused_at_end_of_data() {
	mta_send "$A" "$T/out" "${TPL[@]}" --from news@tpl.example --to notpl@example.net \
		--header "Subject: Own content"
	expect "end of data" "$(mta_reply "$T/out" dot)" "$(mta_refusal dot "" \
		"550 5.7.1 FailedOperation.WithOutPermission account tpl sends templates only: X-SES-Template is missing")"
}

case_unverified_domain_refused_at_mail() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@unverified.example --to nobody1@example.net
	expect "MAIL" "$(mta_reply "$T/out" mail)" "$(mta_refusal mail news@unverified.example \
		"550 5.7.1 OperationDenied.DomainNotVerified domain unverified.example is not verified")"
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@stranger.example --to nobody1@example.net
	expect "MAIL from a domain of no account" "$(mta_status "$T/out" mail)" \
		"550 5.7.1 OperationDenied.DomainNotVerified"
}

case_suspended_account_refused_at_mail() {
	mta_send "$A" "$T/out" "${FROZEN[@]}" --from news@frozen.example --to nobody2@example.net
	expect "MAIL" "$(mta_reply "$T/out" mail)" "$(mta_refusal mail news@frozen.example \
		"550 5.7.1 FailedOperation.HighRejectionRate account frozen is suspended")"
}

case_fifty_first_recipient_refused_452() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com \
		--to "$(seq -f 'r%g@example.org' -s , 51)" --header "Subject: Fifty"
	expect "accepted RCPTs" "$(mta_replies "$T/out" rcpt | grep -c '^250 2.1.5')" 50
	expect "51st RCPT" "$(mta_reply "$T/out" rcpt)" "$(mta_refusal rcpt r51@example.org \
		"452 4.5.3 FailedOperation.TooManyRecipients at most 50 recipients per message")"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" r50@example.org
	expect "51st mailbox" "$(mta_mailbox "$A" r51@example.org | wc -c)" 0
}

case_blocklisted_recipient_refused_at_rcpt() {
	"$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload blocklist add bounced@example.net >/dev/null
	expect "sesctl blocklist add" "$?" 0
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com \
		--to bounced@example.net,fine@example.net --header "Subject: Two"
	expect "RCPT replies" "$(mta_replies "$T/out" rcpt | head -n 1)" "$(mta_refusal rcpt \
		bounced@example.net "550 5.7.1 FailedOperation.EmailAddrInBlacklist bounced@example.net is on the blocklist")"
	expect "other RCPT" "$(mta_status "$T/out" rcpt | cut -d' ' -f1,2)" "250 2.1.5"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" fine@example.net
	expect "blocklisted mailbox" "$(mta_mailbox "$A" bounced@example.net | wc -c)" 0
}

case_over_quota_message_is_held() {
	# account capped: DailyQuota 1; A: OverQuota hold
	mta_send "$A" "$T/first" "${CAPPED[@]}" --from news@capped.example --to capped1@example.net \
		--header "Subject: first"
	expect_queued "first: end of data" "$T/first"
	mta_send "$A" "$T/second" "${CAPPED[@]}" --from news@capped.example --to capped2@example.net \
		--header "Subject: second"
	expect "second: RCPT" "$(mta_status "$T/second" rcpt | cut -d' ' -f1,2)" "250 2.1.5"
	expect_queued "second: end of data" "$T/second"
	expect "second: held" "$(mta_held "$A" "$(mta_queue_id "$T/second")" && echo held)" held
	expect_match "second: summary" "$(ses_summary "$A" "$(mta_queue_id "$T/second")")" \
		"account=capped .*decision=hold"
	mta_wait_mail "$A" capped1@example.net
	expect "second's mailbox" "$(mta_mailbox "$A" capped2@example.net | wc -c)" 0
}

case_subject_998_chars_accepted() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(chars 998)"
	expect_queued "end of data" "$T/out"
}

case_subject_999_chars_refused() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(chars 999)"
	expect "end of data" "$(mta_reply "$T/out" dot)" "$(mta_refusal dot "" \
		"550 5.6.0 InvalidParameterValue.SubjectLengthError Subject has 999 characters, at most 998 allowed")"
}

case_encoded_subject_counts_decoded_chars() {
	# 998 two-byte characters: 1996 bytes of UTF-8, 998 characters
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(encoded_subject 998)"
	expect_queued "998 characters" "$T/out"
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(encoded_subject 999)"
	expect "999 characters" "$(mta_status "$T/out" dot)" \
		"550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_empty_subject_refused() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject:"
	expect "end of data" "$(mta_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_missing_subject_refused() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--data "$(printf 'From: news@example.com\nTo: subject@example.net\n\nno subject\n')"
	expect "end of data" "$(mta_reply "$T/out" dot)" "$(mta_refusal dot "" \
		"550 5.6.0 InvalidParameterValue.SubjectLengthError Subject is missing")"
}

case_subject_invalid_utf8_refused() {
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: =?UTF-8?B?/w==?="
	expect "end of data" "$(mta_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_message_at_size_limit_accepted() {
	send_sized "$T/out" 4096 --to size@example.net
	expect_queued "end of data" "$T/out"
	expect_match "summary" "$(ses_summary "$A")" "account=small .* size=4096 "
}

case_message_one_byte_over_limit_refused() {
	send_sized "$T/out" 4097 --to size@example.net
	expect "end of data" "$(mta_reply "$T/out" dot)" "$(mta_refusal dot "" \
		"552 5.3.4 FailedOperation.EmailContentToolarge message exceeds 4096 bytes")"
	expect_match "summary" "$(ses_summary "$A")" "account=small .* size=4097 "
}

case_ten_attachments_accepted() {
	attachments 10
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to attach@example.net \
		--header "Subject: Ten" "${ATTACH[@]}"
	expect_queued "end of data" "$T/out"
}

case_eleven_attachments_refused() {
	attachments 11
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to attach@example.net \
		--header "Subject: Eleven" "${ATTACH[@]}"
	expect "end of data" "$(mta_reply "$T/out" dot)" "$(mta_refusal dot "" \
		"550 5.6.0 FailedOperation.TooManyAttachments 11 attachments, at most 10 allowed")"
}

case_inbound_mail_passes_untouched() {
	# no account's client, no AUTH: nothing of the outbound policy applies
	mta_send "$A" "$T/out" "${INBOUND[@]}" --from someone@unverified.example --to inbound@example.com \
		--header "Subject:" --header "X-Note: would fail every outbound rule"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" inbound@example.com
	expect "delivered message" "$(mta_delivered "$A" inbound@example.com)" "$(smtp_sent_data "$T/out")"
}

case_unix_and_inet_sockets_both_work() {
	expect_match "A socket" "$(ses_milter_socket "$A")" "^unix:/"
	expect_match "B socket" "$(ses_milter_socket "$B")" "^inet:[0-9]+@127.0.0.1$"
	mta_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to unix@example.net
	expect_queued "unix: end of data" "$T/out"
	mta_send "$B" "$T/out" "${ACME[@]}" --from news@example.com --to inet@example.net
	expect_queued "inet: end of data" "$T/out"
	mta_send "$B" "$T/out" "${ACME[@]}" --from news@unverified.example --to inet@example.net
	expect "inet: MAIL" "$(mta_status "$T/out" mail)" "550 5.7.1 OperationDenied.DomainNotVerified"
	mta_wait_mail "$B" inet@example.net
	expect_match "inet: summary" "$(ses_summary "$B")" "account=acme .*decision=reject"
}

case_milter_down_tempfails() {
	mta_send "$C" "$T/out" "${ACME[@]}" --from news@example.com --to down@example.net
	expect "$MTA_DOWN_STAGE" "$(mta_reply "$T/out" "$MTA_DOWN_STAGE")" "$MTA_DOWN_REPLY"
	expect "mailbox" "$(mta_mailbox "$C" down@example.net | wc -c)" 0
}

# runs last: the daemons stop on TERM with status 0 and nothing from the
# sanitizers (a -fsanitize build reports leaks and errors on stderr)
case_ses_milter_stops_cleanly() {
	local d
	for d in "$A" "$B"; do
		ses_stop "$d"
		expect "$(basename "$d"): exit status" "$?" 0
		expect "$(basename "$d"): sanitizer reports" \
			"$(grep -cE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$d/ses/ses-milter.log")" 0
	done
}

# ---- helpers for the cases -----------------------------------------------------

# expect_queued WHAT OUT: the end of data in transcript OUT was accepted.
expect_queued() {
	expect_match "$1" "$(mta_reply "$2" dot)" "$MTA_QUEUED_RE"
}

# chars N: N ASCII characters.
chars() {
	head -c "$1" /dev/zero | tr '\0' 's'
}

# encoded_subject N: a Subject of N "é" in RFC 2047 B encoded words of 30
# characters each, folded one word a line.
encoded_subject() {
	python3 -c '
import base64, sys
n = int(sys.argv[1])
words = []
while n > 0:
    k = min(n, 30); n -= k
    words.append("=?UTF-8?B?" + base64.b64encode(("\u00e9" * k).encode()).decode() + "?=")
print("\r\n ".join(words), end="")' "$1"
}

# attachments N: sets ATTACH to the swaks options for N small files.
attachments() {
	local i
	ATTACH=()
	for i in $(seq "$1"); do
		printf 'attachment %d\n' "$i" > "$T/file$i.txt"
		ATTACH+=(--attach "$T/file$i.txt")
	done
}

# body_of N: a body whose size on the wire (CRLF line ends) is N >= 2 bytes.
body_of() {
	python3 -c '
import sys
n = int(sys.argv[1]) - 2
lines = []
while n > 78:
    lines.append("x" * 76); n -= 78
lines.append("x" * n)
print("\n".join(lines), end="")' "$1"
}

# send_sized OUT SIZE [swaks options]: sends from account small a message of
# SIZE bytes as ses-milter counts them: one message of known body size
# measures the fixed part (headers, the MTA's own included), the second has
# the body that makes up the rest.
send_sized() {
	local out=$1 size=$2 base qid fixed
	shift 2
	local fixedhdr=(--from news@small.example --header "Subject: Sized"
		--header "Date: Mon, 02 Mar 2026 10:00:00 +0000"
		--header "Message-Id: <sized@small.example>")
	mta_send "$A" "$out.base" "${SMALL[@]}" "${fixedhdr[@]}" --body "$(body_of 100)" "$@"
	qid=$(mta_queue_id "$out.base")
	base=$(ses_summary "$A" "$qid" | sed -n 's/.* size=\([0-9]*\) .*/\1/p')
	fixed=$((${base:-0} - 100))
	mta_send "$A" "$out" "${SMALL[@]}" "${fixedhdr[@]}" --body "$(body_of $((size - fixed)))" "$@"
}

# ---- fixture -----------------------------------------------------------------

# mta_accounts DIR: the accounts every ses-milter of the suites knows.
mta_accounts() {
	ses_add_account "$1" acme "CustomContent yes" "Network 127.0.0.2/32" "Domain example.com verified" \
		"Domain unverified.example unverified"
	ses_add_account "$1" beta "CustomContent yes" "Login beta" "Domain beta.example verified"
	ses_add_account "$1" small "CustomContent yes" "Network 127.0.0.3/32" "Domain small.example verified" \
		"MaxMessageSize 4096"
	ses_add_account "$1" frozen "CustomContent yes" "Network 127.0.0.4/32" "Domain frozen.example verified" \
		"Suspended yes"
	ses_add_account "$1" tpl "Network 127.0.0.5/32" "Domain tpl.example verified"
	# the default per-second rate: a sendmail(1) burst must still leave
	ses_add_account "$1" local "CustomContent yes" "Domain local.example verified" \
		"MaxSendsPerSecond 20"
	ses_add_account "$1" capped "CustomContent yes" "Network 127.0.0.6/32" \
		"Domain capped.example verified" "DailyQuota 1"
}

# mta_template DIR: adds and approves tpl's template "Welcome" with sesctl;
# sets WELCOME to its ID.
mta_template() {
	local words="Thank you for joining our service. We are glad to have you with us and we hope you enjoy every day of it. Your account is ready now and you can sign in at any time from any device you own. Keep this message for your records. With best regards from all of us."
	printf 'Hello {{name}}. %s' "$words" > "$WORK/welcome.txt"
	WELCOME=$("$SESCTL" -c "$1/ses/ses-milter.conf" --no-reload template add --account tpl \
		--name Welcome --type transactional --text "$WORK/welcome.txt" |
		sed -n 's/^template \([0-9]*\) added.*/\1/p')
	[ -n "$WELCOME" ] &&
		"$SESCTL" -c "$1/ses/ses-milter.conf" --no-reload template approve "$WELCOME" >/dev/null
}

# mta_cases_setup: memcached, the ses-milters of A and B with the fixture,
# and the instances A, B and C; returns non-zero with the reason on stderr.
mta_cases_setup() {
	A=$WORK/a B=$WORK/b C=$WORK/c
	# shared state for the daemons; the shared limits are kept out of reach
	# here (t_shared_state.sh is about them)
	MC_DIR=$WORK/mc
	MC=$(mc_start "$MC_DIR" main) || return 1
	local shared=(MemcachedServers "$MC" RecipientHourlyLimit 1000 MaxSendsPerSecond 1000000)
	# SES_CONTENT_REPLIES=end: the same cases with headers and body sent
	# with no reply per packet (t_postfix_content_end.sh)
	[ -z "${SES_CONTENT_REPLIES:-}" ] || shared+=(ContentReplies "$SES_CONTENT_REPLIES")
	: > "$WORK/dns"
	ses_write_conf "$A" LocalAccount local OverQuota hold "${shared[@]}"
	mta_accounts "$A"
	dkim_key "$A/ses" "$WORK/dns" beta.example ses rsa &&
		dkim_key "$A/ses" "$WORK/dns" beta.example ses-ed25519 ed25519 &&
		dkim_key "$A/ses" "$WORK/dns" tpl.example ses rsa || return 1
	mta_template "$A" || { echo "mta_cases_setup: sesctl template add failed" >&2; return 1; }
	ses_start "$A" || return 1
	mta_start "$A" "$(t_free_port)" "$(ses_milter_socket "$A")" || return 1
	mta_add_user "$A" beta beta-secret || return 1

	ses_write_conf "$B" Socket "inet:$(t_free_port)@127.0.0.1" "${shared[@]}"
	mta_accounts "$B"
	ses_start "$B" || return 1
	mta_start "$B" "$(t_free_port)" "$(ses_milter_socket "$B")" || return 1

	mkdir -p "$C" && chmod 755 "$C"
	mta_start "$C" "$(t_free_port)" "unix:$C/no-milter.sock" || return 1
}

# mta_cases_cleanup: stops what mta_cases_setup started; on failures shows
# the ends of the logs.
mta_cases_cleanup() {
	local d
	for d in "$A" "$B" "$C"; do
		[ -n "$d" ] || continue
		mta_stop "$d"
		ses_stop "$d"
	done
	if [ "$T_FAILED" -gt 0 ]; then
		for d in "$A" "$B"; do
			[ -f "$d/ses/ses-milter.log" ] || continue
			echo "--- last lines of $d/ses/ses-milter.log"; tail -n 20 "$d/ses/ses-milter.log"
			echo "--- last lines of $MTA_NAME's log in $d"; mta_log "$d" | tail -n 20
		done
	fi
	mc_stop_all
}

# mta_cases_run: runs every case_NAME defined (ONLY=NAME: just that one),
# case_ses_milter_stops_cleanly last.
mta_cases_run() {
	local c
	for c in $(declare -F | awk '$3 ~ /^case_/ { print substr($3, 6) }'); do
		[ "$c" != ses_milter_stops_cleanly ] || continue
		[ -z "$ONLY" ] || [ "$c" = "$ONLY" ] || continue
		run_case "$c"
	done
	run_case ses_milter_stops_cleanly
}
