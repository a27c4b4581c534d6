#!/bin/bash
# t_inbound_postfix.sh - end-to-end: inbound mail through a real Postfix
# gets one Authentication-Results header from ses-milter for SPF, DKIM and
# DMARC pass, fail and none; forged ones are gone; a DMARC p=reject
# failure is refused at end of data.
#
# SPF needs clients that are not loopback (libspf2 passes loopback, so the
# milter does not evaluate it), so the suite runs in a network namespace
# of its own (unshare --net) whose lo also holds 192.0.2.10 (inside
# good.example's SPF range) and 198.51.100.7 (outside it).  The records
# come from the DNS stub of tests/lib/authdns.sh; messages are signed by
# tests/lib/inbound_msg.py (python3-dkim).
#
# Run as root: bash tests/e2e/t_inbound_postfix.sh (top_builddir: the build).

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/e2e.sh
. "$here/../lib/e2e.sh"
# shellcheck source=tests/lib/authdns.sh
. "$here/../lib/authdns.sh"

PY=/usr/bin/python3
GOOD_CLIENT=(--local-interface 192.0.2.10 --helo mx.good.example)
STRANGER=(--local-interface 198.51.100.7 --helo mx.stranger.example)

# msg FILE FROM [inbound_msg.py options...]: writes a message to FILE.
msg() {
	local f=$1
	shift
	"$PY" "$here/../lib/inbound_msg.py" "$WORK/keys" "$@" > "$f"
}

# authres ADDR: the Authentication-Results headers delivered to ADDR, unfolded.
authres() {
	pf_delivered "$A" "$1" | tr -d '\r' | awk '
		/^$/ { exit }
		/^[ \t]/ { if (keep) printf " %s", $0; next }
		{ if (keep) print ""; keep = tolower($0) ~ /^authentication-results:/
		  if (keep) printf "%s", $0 }
		END { if (keep) print "" }' | tr -s ' \t' ' '
}

# ---- the cases ------------------------------------------------------------------

case_signed_mail_from_aligned_client_passes_all() {
	msg "$T/m" "News <news@good.example>" --sign good.example sel rsa
	pf_send "$A" "$T/out" "${GOOD_CLIENT[@]}" --from bounce@good.example --to pass@service.example \
		--data "$T/m"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" pass@service.example
	local ar
	ar=$(authres pass@service.example)
	expect "headers" "$(printf '%s\n' "$ar" | grep -c .)" 1
	expect_match "spf" "$ar" "^Authentication-Results: mx\.test; spf=pass smtp\.mailfrom=bounce@good\.example;"
	expect_match "dkim" "$ar" "dkim=pass header\.d=good\.example header\.s=sel header\.a=rsa-sha256"
	expect_match "dmarc" "$ar" "dmarc=pass \(p=reject dis=none\) header\.from=good\.example"
	expect_match "summary" "$(ses_summary "$A" "$(pf_queue_id "$T/out")")" "spf=pass dkim=pass\(good\.example\) dmarc=pass decision=accept"
}

case_spf_and_dmarc_fail_reported_under_p_none() {
	msg "$T/m" "a@pnone.example"
	pf_send "$A" "$T/out" "${STRANGER[@]}" --from a@pnone.example --to pnone@service.example \
		--data "$T/m"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" pnone@service.example
	local ar
	ar=$(authres pnone@service.example)
	expect_match "spf" "$ar" "spf=fail smtp\.mailfrom=a@pnone\.example"
	expect_match "dkim" "$ar" "dkim=none"
	expect_match "dmarc" "$ar" "dmarc=fail \(p=none dis=none\) header\.from=pnone\.example"
}

case_forged_sender_refused_by_dmarc_reject() {
	msg "$T/m" "PayPal <service@good.example>"
	pf_send "$A" "$T/out" "${STRANGER[@]}" --from service@good.example --to victim@service.example \
		--data "$T/m"
	expect_match "end of data" "$(pf_reply "$T/out" dot)" \
		"^550 5\.7\.1 FailedOperation\.DmarcPolicyReject .*good\.example"
	expect "mailbox" "$(pf_mailbox "$A" victim@service.example | wc -c)" 0
}

case_unknown_domain_gives_none() {
	msg "$T/m" "x@none.example"
	pf_send "$A" "$T/out" "${STRANGER[@]}" --from x@none.example --to none@service.example \
		--data "$T/m"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" none@service.example
	local ar
	ar=$(authres none@service.example)
	expect_match "all none" "$ar" "spf=none smtp\.mailfrom=x@none\.example; spf=none smtp\.helo=mx\.stranger\.example; dkim=none; dmarc=none"
}

case_forged_authentication_results_removed() {
	msg "$T/m" "news@good.example" --header "Authentication-Results: mx.test; dmarc=pass header.from=bank.example" \
		--header "Authentication-Results: elsewhere.example; spf=pass"
	pf_send "$A" "$T/out" "${GOOD_CLIENT[@]}" --from bounce@good.example --to forged@service.example \
		--data "$T/m"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" forged@service.example
	local ar
	ar=$(authres forged@service.example)
	expect "headers claiming mx.test" "$(printf '%s\n' "$ar" | grep -c 'Results: mx\.test;')" 1
	expect_nomatch "forged one gone" "$ar" "bank\.example"
	expect_match "other server's kept" "$ar" "elsewhere\.example; spf=pass"
}

# Postfix passes header values as after the colon (SMFIP_HDR_LEADSPC), so
# simple header canonicalisation verifies fields exactly as written.
case_simple_signature_verifies_blanks_after_colon_exactly() {
	msg "$T/m" "news@good.example" --canon simple --edit "Subject: " "Subject:" \
		--sign good.example sel rsa
	msg "$T/t" "news@good.example" --canon simple --tamper "Subject: " "Subject:  " \
		--sign good.example sel rsa
	pf_send "$A" "$T/out" "${GOOD_CLIENT[@]}" --from bounce@good.example --to nospace@service.example \
		--data "$T/m"
	expect "end of data (no blank)" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	pf_send "$A" "$T/out2" "${GOOD_CLIENT[@]}" --from bounce@good.example --to twospace@service.example \
		--data "$T/t"
	expect "end of data (two blanks)" "$(pf_status "$T/out2" dot)" "250 2.0.0 Ok:"
	pf_wait_mail "$A" nospace@service.example
	pf_wait_mail "$A" twospace@service.example
	expect_match "signed without blank" "$(authres nospace@service.example)" "dkim=pass header\.d=good\.example"
	expect_match "a blank added" "$(authres twospace@service.example)" "dkim=fail [^;]*header\.d=good\.example"
}

# ---- setup ------------------------------------------------------------------------

cleanup() {
	dns_stop
	e2e_cleanup
}

setup() {
	e2e_work inbound-pf || return 1
	authdns_start "$WORK" || return 1
	MC=$(mc_start "$WORK/mc" main) || return 1
	ses_write_conf "$A" MemcachedServers "$MC" InboundChecks yes AuthservId mx.test \
		DnsServer "127.0.0.1:$AUTHDNS_PORT" DnsTimeout 1 DnsTries 1
	ses_add_account "$A" acme "CustomContent yes" "Network 127.0.0.2/32" "Domain example.com verified"
	ses_start "$A" || return 1
	pf_start "$A" "$(t_free_port)" "$(ses_socket "$A")" || return 1
}

main() {
	e2e_ready memcached openssl dnsmasq unshare ip
	$PY -c 'import dkim, nacl' 2>/dev/null || { t_skip all "no python3-dkim/python3-nacl"; t_done; return; }
	if [ -z "${SES_IN_NETNS:-}" ]; then
		# a namespace of our own: only lo, which also holds the test clients
		SES_IN_NETNS=1 exec unshare --net bash -c \
			'ip link set lo up && ip addr add 192.0.2.10/32 dev lo &&
			 ip addr add 198.51.100.7/32 dev lo && exec bash "$0" "$@"' "$0" "$@"
	fi
	e2e_run
}

main "$@"
