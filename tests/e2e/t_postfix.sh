#!/bin/bash
# t_postfix.sh - end-to-end: SMTP clients talk to private Postfix instances
# that consult ses-milter, and each case checks the replies the client gets
# and the mailboxes.
#
#   A  ses-milter on a unix socket; Postfix with smtpd_milters and
#      non_smtpd_milters (sendmail(1) submissions)
#   B  ses-milter on inet:PORT@127.0.0.1; Postfix with smtpd_milters
#   C  Postfix whose milter is not running, milter_default_action tempfail
#   D  the same with milter_default_action accept
#
# Senders are told apart by their client address (swaks --local-interface):
# 127.0.0.2 is account acme's trusted network, 127.0.0.3 small's, 127.0.0.4
# frozen's; 127.0.0.1 belongs to no account, so it is inbound mail.
#
# Run as root: bash tests/e2e/t_postfix.sh; SES_MILTER names the program
# (default $top_builddir/ses-milter); KEEP=1 keeps the work directory;
# ONLY=NAME runs one case (and the final clean-stop check).

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/testlib.sh
. "$here/../lib/testlib.sh"
# shellcheck source=tests/lib/postfix.sh
. "$here/../lib/postfix.sh"
# shellcheck source=tests/lib/memcached.sh
. "$here/../lib/memcached.sh"
# shellcheck source=tests/lib/cases.sh
. "$here/../lib/cases.sh"

ACME=(--local-interface 127.0.0.2)
SMALL=(--local-interface 127.0.0.3)
FROZEN=(--local-interface 127.0.0.4)
INBOUND=(--local-interface 127.0.0.1)

# ---- the cases: each shows only the conversation -----------------------------

case_trusted_client_message_reaches_mailbox() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to trusted@example.net \
		--header "Subject: Welcome" --body "Hello from acme"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" trusted@example.net
	expect_match "mailbox" "$(pf_mailbox "$A" trusted@example.net)" "^Subject: Welcome"
	expect_match "summary" "$(ses_summary "$A" "$(pf_queue_id "$T/out")")" \
		"account=acme .*decision=accept"
}

case_authenticated_login_selects_account() {
	pf_send "$A" "$T/out" "${INBOUND[@]}" --auth PLAIN --auth-user beta --auth-password beta-secret \
		--from news@beta.example --to authed@example.net --header "Subject: Welcome"
	expect "auth" "$(pf_status "$T/out" auth)" "235 2.7.0 Authentication"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	expect_match "summary" "$(ses_summary "$A" "$(pf_queue_id "$T/out")")" "account=beta .*login=beta "
	pf_send "$A" "$T/out2" "${INBOUND[@]}" --auth PLAIN --auth-user beta --auth-password beta-secret \
		--from news@example.com --to authed@example.net --header "Subject: Welcome"
	expect "MAIL from acme's domain" "$(pf_status "$T/out2" mail)" \
		"550 5.7.1 OperationDenied.DomainNotVerified"
}

case_unverified_domain_refused_at_mail() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@unverified.example --to nobody1@example.net
	expect "MAIL" "$(pf_status "$T/out" mail)" "550 5.7.1 OperationDenied.DomainNotVerified"
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@stranger.example --to nobody1@example.net
	expect "MAIL from a domain of no account" "$(pf_status "$T/out" mail)" \
		"550 5.7.1 OperationDenied.DomainNotVerified"
}

case_suspended_account_refused_at_mail() {
	pf_send "$A" "$T/out" "${FROZEN[@]}" --from news@frozen.example --to nobody2@example.net
	expect "MAIL" "$(pf_status "$T/out" mail)" "550 5.7.1 FailedOperation.HighRejectionRate"
}

case_fifty_first_recipient_refused_452() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com \
		--to "$(seq -f 'r%g@example.org' -s , 51)" --header "Subject: Fifty"
	expect "accepted RCPTs" "$(pf_replies "$T/out" rcpt | grep -c '^250 2.1.5')" 50
	expect "51st RCPT" "$(pf_status "$T/out" rcpt)" "452 4.5.3 FailedOperation.TooManyRecipients"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" r50@example.org
	expect "51st mailbox" "$(pf_mailbox "$A" r51@example.org | wc -c)" 0
}

case_subject_998_chars_accepted() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(chars 998)"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
}

case_subject_999_chars_refused() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(chars 999)"
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_encoded_subject_counts_decoded_chars() {
	# 998 two-byte characters: 1996 bytes of UTF-8, 998 characters
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(encoded_subject 998)"
	expect "998 characters" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: $(encoded_subject 999)"
	expect "999 characters" "$(pf_status "$T/out" dot)" \
		"550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_empty_subject_refused() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject:"
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_missing_subject_refused() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--data "$(printf 'From: news@example.com\nTo: subject@example.net\n\nno subject\n')"
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_subject_invalid_utf8_refused() {
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to subject@example.net \
		--header "Subject: =?UTF-8?B?/w==?="
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.SubjectLengthError"
}

case_message_at_size_limit_accepted() {
	send_sized "$T/out" 4096 --to size@example.net
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	expect_match "summary" "$(ses_summary "$A")" "account=small .* size=4096 "
}

case_message_one_byte_over_limit_refused() {
	send_sized "$T/out" 4097 --to size@example.net
	expect "end of data" "$(pf_status "$T/out" dot)" "552 5.3.4 FailedOperation.EmailContentToolarge"
	expect_match "summary" "$(ses_summary "$A")" "account=small .* size=4097 "
}

case_ten_attachments_accepted() {
	attachments 10
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to attach@example.net \
		--header "Subject: Ten" "${ATTACH[@]}"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
}

case_eleven_attachments_refused() {
	attachments 11
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to attach@example.net \
		--header "Subject: Eleven" "${ATTACH[@]}"
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 FailedOperation.TooManyAttachments"
}

case_inbound_mail_passes_untouched() {
	# no account's client, no AUTH: nothing of the outbound policy applies
	pf_send "$A" "$T/out" "${INBOUND[@]}" --from someone@unverified.example --to inbound@example.com \
		--header "Subject:" --header "X-Note: would fail every outbound rule"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" inbound@example.com
	expect "delivered message" "$(pf_delivered "$A" inbound@example.com)" "$(pf_sent_data "$T/out")"
}

case_unix_and_inet_sockets_both_work() {
	expect_match "A socket" "$(ses_socket "$A")" "^unix:/"
	expect_match "B socket" "$(ses_socket "$B")" "^inet:127.0.0.1:[0-9]+$"
	pf_send "$A" "$T/out" "${ACME[@]}" --from news@example.com --to unix@example.net
	expect "unix: end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_send "$B" "$T/out" "${ACME[@]}" --from news@example.com --to inet@example.net
	expect "inet: end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_send "$B" "$T/out" "${ACME[@]}" --from news@unverified.example --to inet@example.net
	expect "inet: MAIL" "$(pf_status "$T/out" mail)" "550 5.7.1 OperationDenied.DomainNotVerified"
	pf_wait_mail "$B" inet@example.net
	expect_match "inet: summary" "$(ses_summary "$B")" "account=acme .*decision=reject"
}

case_milter_down_tempfails() {
	pf_send "$C" "$T/out" "${ACME[@]}" --from news@example.com --to down@example.net
	expect "MAIL" "$(pf_reply "$T/out" mail)" "451 4.7.1 Service unavailable - try again later"
}

case_milter_down_accepts_with_default_action_accept() {
	pf_send "$D" "$T/out" "${ACME[@]}" --from news@unverified.example --to down@example.net
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$D" down@example.net
	expect_match "mailbox" "$(pf_mailbox "$D" down@example.net)" "^From: news@unverified.example"
}

case_local_sendmail_submission_uses_local_account() {
	printf 'From: news@local.example\nTo: local@example.net\nSubject: Local\n\nhello\n' |
		pf_sendmail "$A" -f news@local.example local@example.net
	expect "sendmail status" "$?" 0
	pf_wait_mail "$A" local@example.net
	expect_match "mailbox" "$(pf_mailbox "$A" local@example.net)" "^Subject: Local"
	expect_match "summary" "$(grep -E 'from=<?news@local.example' "$A/ses/ses-milter.log")" \
		"account=local submission=local .*decision=accept"
}

case_local_sendmail_unverified_domain_bounces() {
	printf 'From: news@unverified.example\nTo: local2@example.net\nSubject: Local\n\nhello\n' |
		pf_sendmail "$A" -f news@unverified.example local2@example.net
	# sendmail(1) cannot refuse: the refusal reaches the sender as a bounce
	pf_wait_mail "$A" news@unverified.example
	expect_match "bounce status" "$(pf_mailbox "$A" news@unverified.example)" "^Status: 5.7.1"
	expect_match "bounce reason" "$(pf_mailbox "$A" news@unverified.example)" \
		"^Diagnostic-Code: X-Postfix; OperationDenied.DomainNotVerified"
	expect "recipient's mailbox" "$(pf_mailbox "$A" local2@example.net | wc -c)" 0
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
# measures the fixed part (headers), the second has the body that makes up
# the rest.
send_sized() {
	local out=$1 size=$2 base qid fixed
	shift 2
	local fixedhdr=(--from news@small.example --header "Subject: Sized"
		--header "Date: Mon, 02 Mar 2026 10:00:00 +0000"
		--header "Message-Id: <sized@small.example>")
	pf_send "$A" "$out.base" "${SMALL[@]}" "${fixedhdr[@]}" --body "$(body_of 100)" "$@"
	qid=$(pf_queue_id "$out.base")
	base=$(ses_summary "$A" "$qid" | sed -n 's/.* size=\([0-9]*\) .*/\1/p')
	fixed=$((${base:-0} - 100))
	pf_send "$A" "$out" "${SMALL[@]}" "${fixedhdr[@]}" --body "$(body_of $((size - fixed)))" "$@"
}

# ---- fixture -----------------------------------------------------------------

# accounts DIR: the accounts every ses-milter of this suite knows.
accounts() {
	ses_add_account "$1" acme "CustomContent yes" "Network 127.0.0.2/32" "Domain example.com verified" \
		"Domain unverified.example unverified"
	ses_add_account "$1" beta "CustomContent yes" "Login beta" "Domain beta.example verified"
	ses_add_account "$1" small "CustomContent yes" "Network 127.0.0.3/32" "Domain small.example verified" \
		"MaxMessageSize 4096"
	ses_add_account "$1" frozen "CustomContent yes" "Network 127.0.0.4/32" "Domain frozen.example verified" \
		"Suspended yes"
	ses_add_account "$1" local "CustomContent yes" "Domain local.example verified"
}

cleanup() {
	local d
	for d in "$A" "$B" "$C" "$D"; do
		[ -n "$d" ] || continue
		pf_stop "$d"
		ses_stop "$d"
	done
	if [ "$T_FAILED" -gt 0 ]; then
		for d in "$A" "$B"; do
			[ -f "$d/ses/ses-milter.log" ] || continue
			echo "--- last lines of $d/ses/ses-milter.log"; tail -n 20 "$d/ses/ses-milter.log"
			echo "--- last lines of $d/maillog"; tail -n 20 "$d/maillog"
		done
	fi
	mc_stop_all
	if [ -n "$WORK" ] && [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}

# setup: starts A, B, C and D; returns non-zero with the reason on stderr.
setup() {
	WORK=$(mktemp -d /tmp/ses-e2e.XXXXXX) && chmod 755 "$WORK" || return 1
	A=$WORK/a B=$WORK/b C=$WORK/c D=$WORK/d
	# shared state for the daemons; the shared limits are kept out of reach
	# here (this suite is about the message rules, t_shared_state.sh about them)
	MC_DIR=$WORK/mc
	MC=$(mc_start "$MC_DIR" main) || return 1
	SHARED=(MemcachedServers "$MC" RecipientHourlyLimit 1000 MaxSendsPerSecond 1000000)
	ses_write_conf "$A" LocalAccount local "${SHARED[@]}"
	accounts "$A"
	ses_start "$A" || return 1
	pf_start "$A" "$(t_free_port)" "$(ses_socket "$A")" \
		"non_smtpd_milters = $(ses_socket "$A")" || return 1
	pf_add_user "$A" beta beta-secret || return 1

	ses_write_conf "$B" Socket "inet:$(t_free_port)@127.0.0.1" "${SHARED[@]}"
	accounts "$B"
	ses_start "$B" || return 1
	pf_start "$B" "$(t_free_port)" "$(ses_socket "$B")" || return 1

	pf_start "$C" "$(t_free_port)" "unix:$C/no-milter.sock" || return 1
	pf_start "$D" "$(t_free_port)" "unix:$D/no-milter.sock" \
		"milter_default_action = accept" || return 1
}

main() {
	local c
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (private Postfix instances)"; t_done; return
	fi
	for c in postfix swaks saslpasswd2 python3 memcached; do
		command -v "$c" >/dev/null || { t_skip all "no $c (run tests/install-deps)"; t_done; return; }
	done
	if [ ! -x "$SES_MILTER" ]; then
		t_skip all "no program $SES_MILTER (set SES_MILTER or top_builddir)"; t_done; return
	fi
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! setup; then
		t_fail setup "the instances did not start (see above)"; t_done; return
	fi
	for c in $(declare -F | awk '$3 ~ /^case_/ { print substr($3, 6) }'); do
		[ "$c" != ses_milter_stops_cleanly ] || continue
		[ -z "$ONLY" ] || [ "$c" = "$ONLY" ] || continue
		run_case "$c"
	done
	run_case ses_milter_stops_cleanly
	t_done
}

main "$@"
