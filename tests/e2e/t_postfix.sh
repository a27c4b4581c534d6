#!/bin/bash
# t_postfix.sh - end-to-end: SMTP clients talk to private Postfix instances
# that consult ses-milter, and each case checks the replies the client gets
# and the mailboxes.
#
# The behavioural cases are tests/lib/mta_cases.sh, shared with
# t_sendmail.sh; their instances A, B and C are Postfix set up as
# examples/postfix-main.cf says (smtpd_milters and non_smtpd_milters, so
# sendmail(1) submissions to A go through ses-milter too).  This file adds
# what only Postfix has:
#
#   D  Postfix whose milter is not running, milter_default_action accept
#
# and the cases of local submission with Postfix's sendmail(1).
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
# shellcheck source=tests/lib/dkim.sh
. "$here/../lib/dkim.sh"
# shellcheck source=tests/lib/mta_cases.sh
. "$here/../lib/mta_cases.sh"

# ---- the cases only Postfix has ----------------------------------------------

case_milter_down_accepts_with_default_action_accept() {
	pf_send "$D" "$T/out" "${ACME[@]}" --from news@unverified.example --to down@example.net
	expect_queued "end of data" "$T/out"
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

# All recipients of a sendmail(1) message arrive in one second: at
# MaxSendsPerSecond 20 a message to 21 is delivered to all of them.
case_local_sendmail_21_recipients_delivered() {
	local i rcpts=()
	for i in $(seq 1 21); do rcpts+=("burst$i@example.net"); done
	printf 'From: burst@local.example\nSubject: Burst\n\nhello\n' |
		pf_sendmail "$A" -f burst@local.example "${rcpts[@]}"
	expect "sendmail status" "$?" 0
	pf_wait_mail "$A" burst21@example.net
	expect_match "21st mailbox" "$(pf_mailbox "$A" burst21@example.net)" "^Subject: Burst"
	expect_match "summary" "$(grep -E 'from=<?burst@local.example' "$A/ses/ses-milter.log")" \
		"account=local submission=local .* accepted=21 refused=0 .*decision=accept"
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

# ---- fixture -----------------------------------------------------------------

cleanup() {
	[ -n "$D" ] && pf_stop "$D"
	mta_cases_cleanup
	if [ -n "$WORK" ] && [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}

# setup: starts A, B, C and D; returns non-zero with the reason on stderr.
setup() {
	WORK=$(mktemp -d /tmp/ses-e2e.XXXXXX) && chmod 755 "$WORK" || return 1
	mta_cases_setup || return 1
	D=$WORK/d
	pf_start "$D" "$(t_free_port)" "unix:$D/no-milter.sock" \
		"milter_default_action = accept" || return 1
}

main() {
	local c
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (private Postfix instances)"; t_done; return
	fi
	for c in postfix swaks saslpasswd2 python3 memcached openssl; do
		command -v "$c" >/dev/null || { t_skip all "no $c (run tests/install-deps)"; t_done; return; }
	done
	$DKIM_PY -c 'import dkim' 2>/dev/null || { t_skip all "no python3-dkim"; t_done; return; }
	if [ ! -x "$SES_MILTER" ] || [ ! -x "$SESCTL" ]; then
		t_skip all "no program $SES_MILTER or $SESCTL (set top_builddir)"; t_done; return
	fi
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! setup; then
		t_fail setup "the instances did not start (see above)"; t_done; return
	fi
	mta_cases_run
	t_done
}

main "$@"
