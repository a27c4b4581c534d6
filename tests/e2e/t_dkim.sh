#!/bin/bash
# t_dkim.sh - end-to-end: outbound mail through a real Postfix is
# DKIM-signed by ses-milter (rsa-sha256, and ed25519-sha256 where the
# domain has an Ed25519 key), and an independent verifier, Debian's
# python3-dkim with the public keys served by a stub resolver function,
# accepts the signatures of the message as delivered.
#
#   127.0.0.2  account signer: example.com with RSA and Ed25519 keys,
#              custom content
#   127.0.0.3  account tpl: tpl.example with an RSA key, templates only
#   127.0.0.4  account plain: plain.example without keys (not signed)
#
# Run as root: bash tests/e2e/t_dkim.sh (top_builddir: the build).

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/e2e.sh
. "$here/../lib/e2e.sh"

SIGNER=(--local-interface 127.0.0.2 --from news@example.com)
TPL=(--local-interface 127.0.0.3 --from news@tpl.example)
PLAIN=(--local-interface 127.0.0.4 --from news@plain.example)
SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}

# ---- the cases ------------------------------------------------------------------

case_custom_content_is_signed_with_rsa_and_ed25519() {
	pf_send "$A" "$T/out" "${SIGNER[@]}" --to ann@example.net \
		--header "Subject: A subject that is long enough to be folded by a careful client, one hopes" \
		--body "First line.
Second line with trailing spaces   

"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	mbox_take "$A" ann@example.net "$T/msg"
	expect "signatures" "$(verify "$T/msg")" "0:ok:a=rsa-sha256;1:ok:a=ed25519-sha256"
	expect_match "From oversigned" "$(grep -A3 -i '^DKIM-Signature' "$T/msg" | tr -d '\r\n\t ')" \
		"h=[^;]*[Ff]rom[^;]*:[Ff]rom"
	expect_match "relaxed/relaxed" "$(grep -i '^DKIM-Signature' "$T/msg")" "c=relaxed/relaxed"
}

case_rendered_template_is_signed() {
	pf_send "$A" "$T/out" "${TPL[@]}" --to bob@example.net --header "Subject: Welcome" \
		--header "X-SES-Template: $WELCOME" --header 'X-SES-Template-Data: {"name":"Bob"}'
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	mbox_take "$A" bob@example.net "$T/msg"
	expect "signature" "$(verify "$T/msg")" "0:ok:a=rsa-sha256"
	expect "no control header" "$(grep -ci '^X-SES-' "$T/msg")" "0"
}

case_changed_message_fails_verification() {
	pf_send "$A" "$T/out" "${SIGNER[@]}" --to carol@example.net --header "Subject: Tamper" \
		--body "Pay 10 euros."
	pf_wait_mail "$A" carol@example.net && pf_delivered "$A" carol@example.net |
		sed 's/Pay 10 euros/Pay 1000 euros/' > "$T/msg"
	expect "signatures" "$(verify "$T/msg")" "0:fail:a=rsa-sha256;1:fail:a=ed25519-sha256"
}

case_domain_without_keys_is_not_signed() {
	pf_send "$A" "$T/out" "${PLAIN[@]}" --to dave@example.net --header "Subject: Unsigned"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	mbox_take "$A" dave@example.net "$T/msg"
	expect "DKIM-Signature headers" "$(grep -ci '^DKIM-Signature' "$T/msg")" "0"
}

# ---- helpers --------------------------------------------------------------------

# verify FILE: "IDX:ok|fail:a=ALG" per signature, checked against $WORK/dns.
verify() {
	dkim_verify "$1" "$WORK/dns"
}

# key DOMAIN SELECTOR TYPE: makes a key in DataDir/keys and its TXT record.
key() {
	dkim_key "$A/ses" "$WORK/dns" "$@"
}

cleanup() {
	e2e_cleanup
}

setup() {
	local words
	e2e_work dkim || return 1
	: > "$WORK/dns"
	MC_DIR=$WORK/mc
	MC=$(mc_start "$MC_DIR" main) || return 1
	ses_write_conf "$A" MemcachedServers "$MC" RecipientHourlyLimit 1000 MaxSendsPerSecond 1000000
	ses_add_account "$A" signer "CustomContent yes" "Network 127.0.0.2/32" "Domain example.com verified"
	ses_add_account "$A" tpl "Network 127.0.0.3/32" "Domain tpl.example verified"
	ses_add_account "$A" plain "CustomContent yes" "Network 127.0.0.4/32" "Domain plain.example verified"
	key example.com ses rsa && key example.com ses-ed25519 ed25519 && key tpl.example ses rsa || return 1
	words="Thank you for joining our service. We are glad to have you with us and we hope you enjoy every day of it. Your account is ready now and you can sign in at any time from any device you own. Keep this message for your records."
	WELCOME=$(e2e_template tpl Welcome transactional "Hello {{name}}. $words") || return 1
	ses_start "$A" || return 1
	pf_start "$A" "$(t_free_port)" "$(ses_socket "$A")" || return 1
}

main() {
	e2e_ready python3 memcached openssl
	$DKIM_PY -c 'import dkim' 2>/dev/null || { t_skip all "no python3-dkim"; t_done; return; }
	e2e_run
}

main "$@"
