#!/bin/bash
# t_sendmail.sh - end-to-end: SMTP clients talk to private Sendmail 8.17
# instances that consult ses-milter, and each case checks the replies the
# client gets and the mailboxes.
#
# The behavioural cases are tests/lib/mta_cases.sh, shared with
# t_postfix.sh; their instances A, B and C are Sendmail built from
# examples/sendmail.mc (its milter lines with the instance's socket in S=).
# This file adds what only Sendmail has:
#
#   E  Sendmail whose milter is not running, built from the example
#      without F=T: Sendmail then fails open
#   F  Sendmail in front of A's ses-milter, built from the example with a
#      MAIL FROM macro list that lacks i and {auth_authen}
#
# and the cases of the example's .cf and of "sendmail -bs" submission.
#
# Sendmail comes from Debian's packages, downloaded and unpacked into
# SES_SENDMAIL_CACHE (default $top_builddir/tests/sendmail-pkg; see
# tests/lib/sendmail.sh).  The suite then runs itself again inside
# "unshare --net --uts --mount": only a loopback interface, the host name
# mx.example.test, and a private /usr/lib/sasl2 for SMTP AUTH.
#
# Run as root: bash tests/e2e/t_sendmail.sh; SES_MILTER names the program
# (default $top_builddir/ses-milter); KEEP=1 keeps the work directory;
# ONLY=NAME runs one case (and the final clean-stop check).

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/testlib.sh
. "$here/../lib/testlib.sh"
# shellcheck source=tests/lib/sendmail.sh
. "$here/../lib/sendmail.sh"
# shellcheck source=tests/lib/memcached.sh
. "$here/../lib/memcached.sh"
# shellcheck source=tests/lib/cases.sh
. "$here/../lib/cases.sh"
# shellcheck source=tests/lib/dkim.sh
. "$here/../lib/dkim.sh"
# shellcheck source=tests/lib/mta_cases.sh
. "$here/../lib/mta_cases.sh"

# ---- the cases only Sendmail has ---------------------------------------------

case_cf_has_the_examples_filter_and_macros() {
	local cf
	cf=$(sm_cf "$A")
	expect "filter" "$(printf '%s\n' "$cf" | grep '^Xses-milter')" \
		"Xses-milter, S=$(ses_milter_socket "$A"), F=T, T=C:10s;S:30s;R:30s;E:5m"
	expect "filters in use" "$(printf '%s\n' "$cf" | grep '^O InputMailFilters=')" \
		"O InputMailFilters=ses-milter"
	expect_match "MAIL FROM macros" "$(printf '%s\n' "$cf" | grep '^O Milter.macros.envfrom=')" \
		"=i, .*\\{auth_authen\\}"
	expect_match "RCPT macros" "$(printf '%s\n' "$cf" | grep '^O Milter.macros.envrcpt=')" "[=, ]i(,|$)"
	expect_match "end of message macros" "$(printf '%s\n' "$cf" | grep '^O Milter.macros.eom=')" \
		"[=, ]i(,|$)"
}

case_milter_down_without_f_flag_fails_open() {
	expect "filter" "$(sm_cf "$E" | grep '^Xses-milter')" "Xses-milter, S=unix:$E/no-milter.sock, T=C:10s;S:30s;R:30s;E:5m"
	mta_send "$E" "$T/out" "${ACME[@]}" --from news@unverified.example --to open@example.net \
		--header "Subject: Unfiltered"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$E" open@example.net
	expect_match "mailbox" "$(mta_mailbox "$E" open@example.net)" "^From: news@unverified.example"
}

case_filter_gets_its_macros_whatever_the_site_list() {
	expect "site list" "$(sm_cf "$F" | grep '^O Milter.macros.envfrom=')" \
		"O Milter.macros.envfrom={mail_addr}"
	# ses-milter asks for i and {auth_authen} itself (smfi_setsymlist)
	mta_send "$F" "$T/out" "${BETA[@]}" --from news@beta.example --to sitelist@example.net \
		--header "Subject: Welcome"
	expect_queued "end of data" "$T/out"
	expect_match "summary" "$(ses_summary "$A" "$(mta_queue_id "$T/out")")" \
		"account=beta .*login=beta .*decision=accept"
}

case_bs_submission_uses_local_account() {
	sm_submit "$A" "$T/out" --from news@local.example --to local@example.net --header "Subject: Local"
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" local@example.net
	expect_match "mailbox" "$(mta_mailbox "$A" local@example.net)" "^Subject: Local"
	expect_match "summary" "$(ses_summary "$A" "$(mta_queue_id "$T/out")")" \
		"account=local submission=local .*decision=accept"
}

case_bs_submission_blocklisted_recipient_deleted_at_end() {
	"$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload blocklist add dropped@example.net >/dev/null
	sm_submit "$A" "$T/out" --from news@local.example --to dropped@example.net,kept@example.net \
		--header "Subject: Local"
	# local submission: recipient refusals wait for the end of the message
	expect "RCPTs" "$(mta_replies "$T/out" rcpt | cut -d' ' -f1,2 | tr '\n' ' ')" "250 2.1.5 250 2.1.5 "
	expect_queued "end of data" "$T/out"
	mta_wait_mail "$A" kept@example.net
	expect "dropped mailbox" "$(mta_mailbox "$A" dropped@example.net | wc -c)" 0
	expect_match "summary" "$(ses_summary "$A" "$(mta_queue_id "$T/out")")" \
		"account=local submission=local .*accepted=1 refused=1 .*<dropped@example.net> 550 5.7.1 FailedOperation.EmailAddrInBlacklist"
}

case_bs_submission_unverified_domain_refused_at_mail() {
	sm_submit "$A" "$T/out" --from news@unverified.example --to local2@example.net
	expect "MAIL" "$(mta_reply "$T/out" mail)" "$(mta_refusal mail news@unverified.example \
		"550 5.7.1 OperationDenied.DomainNotVerified domain unverified.example is not a sender domain of account local")"
}

# ---- fixture -----------------------------------------------------------------

cleanup() {
	[ -n "$E" ] && sm_stop "$E"
	[ -n "$F" ] && sm_stop "$F"
	mta_cases_cleanup
	if [ -n "$WORK" ] && [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}

# setup: starts A, B, C, E and F; returns non-zero with the reason on stderr.
setup() {
	WORK=$(mktemp -d /tmp/ses-sendmail.XXXXXX) && chmod 755 "$WORK" || return 1
	sm_sasl_setup "$WORK/sasl" || return 1
	mta_cases_setup || return 1
	E=$WORK/e
	sm_start "$E" "$(t_free_port)" "unix:$E/no-milter.sock" 's/, F=T,/,/' || return 1
	F=$WORK/f
	sm_start "$F" "$(t_free_port)" "$(ses_milter_socket "$A")" \
		"s/^define(\`confMILTER_MACROS_ENVFROM'.*/define(\`confMILTER_MACROS_ENVFROM', \`{mail_addr}')dnl/" ||
		return 1
}

# inside: the suite proper, in the namespaces main made.
inside() {
	ip link set lo up && hostname "$SM_HOSTNAME" || {
		t_fail setup "cannot set up the network namespace"; t_done; return; }
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! setup; then
		t_fail setup "the instances did not start (see above)"; t_done; return
	fi
	mta_cases_run
	t_done
}

main() {
	local c cache
	if [ -n "$SES_SENDMAIL_INSIDE" ]; then inside; return; fi
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (namespaces, private Sendmail instances)"; t_done; return
	fi
	for c in swaks saslpasswd2 python3 memcached openssl unshare ip apt-get dpkg; do
		command -v "$c" >/dev/null || { t_skip all "no $c (run tests/install-deps)"; t_done; return; }
	done
	$DKIM_PY -c 'import dkim' 2>/dev/null || { t_skip all "no python3-dkim"; t_done; return; }
	if [ ! -x "$SES_MILTER" ] || [ ! -x "$SESCTL" ]; then
		t_skip all "no program $SES_MILTER or $SESCTL (set top_builddir)"; t_done; return
	fi
	unshare --net --uts --mount true 2>/dev/null || {
		t_skip all "unshare --net --uts --mount is not permitted here"; t_done; return; }
	cache=${SES_SENDMAIL_CACHE:-${top_builddir:-.}/tests/sendmail-pkg}
	if ! sm_fetch "$cache"; then
		t_fail setup "no Sendmail packages in $cache (see above)"; t_done; return
	fi
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
	SESCTL=$(cd "$(dirname "$SESCTL")" && pwd)/$(basename "$SESCTL")
	SES_SENDMAIL_INSIDE=1 SM_ROOT=$SM_ROOT SES_MILTER=$SES_MILTER SESCTL=$SESCTL \
		exec unshare --net --uts --mount -- bash "$0" "$@"
}

main "$@"
