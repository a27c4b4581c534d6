#!/bin/bash
# t_sesctl_domain_dns.sh - a sender domain's DKIM keys and DNS records:
# "sesctl domain add" makes the keys and prints the records, "domain
# records" prints them again, "domain verify" checks them against a DNS
# stub (dnsmasq on a free loopback port) and marks the domain verified.
#
# Needs the built sesctl ($SESCTL, as in t_sesctl.sh) and dnsmasq (Debian
# package dnsmasq-base); without dnsmasq the DNS cases are skipped.  Every
# case works in a private DataDir under mktemp -d.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"
. "$top_srcdir/tests/lib/dnsstub.sh"

cli_start t_sesctl_domain_dns
ACC=$DATA/accounts
KEYS=$DATA/keys
SERVICE_CONF='ServiceSpfInclude spf.svc.example
ServiceMx mx.svc.example'

# fresh [CONFIG LINES...]: empty DataDir, a config naming it, account acme.
fresh() {
	cli_fresh "$@"
	"$SESCTL" -c "$CONF" account add acme >/dev/null 2>&1
}

# records_of TEXT: the zone-file lines (" IN ") of sesctl's output.
records_of() { printf '%s\n' "$1" | grep -E '^[^;].* IN (TXT|MX) '; }

# stub_args RECORDS, stub_start [DNSMASQ OPTIONS...], stub_stop: the DNS
# stub of tests/lib/dnsstub.sh on a fresh free port ($PORT).
stub_args() { dns_args "$1"; STUB_ARGS=("${DNS_ARGS[@]}"); }
stub_start() { PORT=$(dns_free_port); dns_start "$T/dnsmasq.log" "$PORT" "$@"; }
stub_stop() { dns_stop; }


# ---- domain add: keys and records ------------------------------------------------
fresh "$SERVICE_CONF"
run domain add Example.COM --account acme
t_rc "add_succeeds" 0
t_match "add_still_adds_domain_unverified" "$(cat "$ACC/acme")" '^Domain example\.com unverified$'
t_eq "add_makes_rsa_key_mode_0640" "$(stat -c %a "$KEYS/example.com/ses.rsa.pem" 2>&1)" 640
t_eq "add_makes_key_dirs_mode_0750" "$(stat -c %a "$KEYS" "$KEYS/example.com" | sort -u)" 750
t_match "add_key_is_pem" "$(head -1 "$KEYS/example.com/ses.rsa.pem")" '^-----BEGIN PRIVATE KEY-----$'
t_match "add_says_key_made" "$OUT" "^key $KEYS/example\\.com/ses\\.rsa\\.pem made \\(RSA, 2048 bits\\)$"
t_eq "add_makes_no_ed25519_key_unasked" "$(ls "$KEYS/example.com")" ses.rsa.pem
RECS=$(records_of "$OUT")
t_eq "add_prints_four_records" "$(printf '%s\n' "$RECS" | wc -l)" 4
t_match "add_prints_dkim_txt_at_selector" "$RECS" '^ses\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=MII[A-Za-z0-9+/]+" "[A-Za-z0-9+/=]+" \)$'
t_eq "add_splits_txt_into_255_byte_strings" \
	"$(printf '%s\n' "$RECS" | head -1 | grep -o '"[^"]*"' | head -1 | tr -d '"\n' | wc -c)" 255
t_match "add_prints_spf" "$RECS" '^example\.com\. IN TXT "v=spf1 include:spf\.svc\.example ~all"$'
t_match "add_prints_dmarc" "$RECS" '^_dmarc\.example\.com\. IN TXT "v=DMARC1; p=none"$'
t_match "add_prints_mx" "$RECS" '^example\.com\. IN MX 10 mx\.svc\.example\.$'
t_eq "add_warns_nothing_when_configured" "$ERR" ""
ADD_RECS=$RECS

run domain records EXAMPLE.com
t_rc "records_succeeds" 0
t_eq "records_prints_what_add_printed" "$(records_of "$OUT")" "$ADD_RECS"
run domain records nowhere.example
t_rc "records_unknown_domain_fails" 1
t_match "records_unknown_domain_says_so" "$ERR" 'no account has domain nowhere\.example'

# existing keys are kept, and their records printed
cp "$KEYS/example.com/ses.rsa.pem" "$T/key.before"
"$SESCTL" -c "$CONF" domain del example.com >/dev/null 2>&1
run domain add example.com --account acme
t_rc "add_again_succeeds" 0
t_match "add_again_keeps_existing_key" "$OUT" "^key $KEYS/example\\.com/ses\\.rsa\\.pem exists: kept$"
t_eq "add_again_leaves_key_file_identical" "$(cmp "$T/key.before" "$KEYS/example.com/ses.rsa.pem" && echo same)" same
t_eq "add_again_prints_records_of_existing_key" "$(records_of "$OUT")" "$ADD_RECS"

run domain add example.net --account acme --selector s2024 --rsa-bits 1024
t_rc "add_with_selector_succeeds" 0
t_eq "add_selector_names_key_file" "$(ls "$KEYS/example.net")" s2024.rsa.pem
t_match "add_selector_names_record" "$OUT" '^s2024\._domainkey\.example\.net\. IN TXT "v=DKIM1; k=rsa; p=MIG'
t_match "add_rsa_bits_1024_says_so" "$OUT" 'made \(RSA, 1024 bits\)'
run domain add d3.example --account acme --rsa-bits 512
t_rc "add_refuses_rsa_bits_512" 1
t_match "add_rsa_bits_explains" "$ERR" '--rsa-bits wants 1024 or 2048'
run domain add d3.example --account acme --selector 'bad/sel'
t_rc "add_refuses_bad_selector" 1
t_eq "refused_adds_leave_no_domain_and_no_keys" \
	"$(grep -c d3.example "$ACC/acme"; ls "$KEYS" | grep -c d3)" "$(printf '0\n0')"
run domain add example.com --account acme
t_rc "add_existing_domain_still_refused" 1

run domain add nokeys.example --account acme --no-keys
t_rc "add_no_keys_succeeds" 0
t_eq "add_no_keys_makes_no_key" "$(ls "$KEYS/nokeys.example" 2>/dev/null)" ""
t_eq "add_no_keys_prints_three_records" "$(records_of "$OUT" | wc -l)" 3
t_match "add_no_keys_warns_no_dkim" "$ERR" 'warning: nokeys\.example has no DKIM key'

fresh
run domain add example.com --account acme
t_rc "add_without_service_keys_succeeds" 0
t_match "add_unset_spf_prints_placeholder" "$OUT" '^example\.com\. IN TXT "v=spf1 include:<ServiceSpfInclude> ~all"$'
t_match "add_unset_mx_prints_placeholder" "$OUT" '^example\.com\. IN MX 10 <ServiceMx>$'
t_match "add_unset_spf_warns" "$ERR" 'warning: ServiceSpfInclude is not set in '
t_match "add_unset_mx_warns" "$ERR" 'warning: ServiceMx is not set in '
run domain verify example.com --dns 127.0.0.1:9
t_rc "verify_refuses_with_unset_service_keys" 1
t_match "verify_unset_key_explains" "$ERR" 'cannot verify example\.com: ServiceMx is not set'

# ---- domain verify -----------------------------------------------------------------
if ! command -v dnsmasq >/dev/null 2>&1; then
	t_skip "verify_cases" "dnsmasq is not installed (Debian package dnsmasq-base)"
	t_done
	exit $?
fi

fresh "$SERVICE_CONF"
run domain add example.com --account acme
RECS=$(records_of "$OUT")

stub_start
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_with_nothing_published_fails" 1
t_eq "verify_says_missing_for_each_record" "$(printf '%s\n' "$OUT" | grep -c '^MISSING ')" 4
t_match "verify_missing_shows_expected_and_current" "$OUT" \
	'^MISSING +_dmarc\.example\.com TXT +expected: "v=DMARC1; p=none" +current: \(none\)$'
t_match "verify_failure_says_not_verified" "$OUT" '4 of 4 records do not match: not verified'
t_match "verify_failure_leaves_domain_unverified" "$(cat "$ACC/acme")" '^Domain example\.com unverified$'

stub_args "$(printf '%s\n' "$RECS" | sed 's/p=MII/p=XMII/')"
stub_start "${STUB_ARGS[@]}"
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_with_other_dkim_key_fails" 1
t_match "verify_says_wrong_for_other_dkim_key" "$OUT" '^WRONG +ses\._domainkey\.example\.com TXT +expected: "v=DKIM1; k=rsa; p=MII.* current: "v=DKIM1; k=rsa; p=XMII'
t_eq "verify_other_dkim_key_others_ok" "$(printf '%s\n' "$OUT" | grep -c '^ok ')" 3

stub_args "$(printf '%s\n' "$RECS" | sed 's/"v=spf1 include:spf.svc.example ~all"/"v=spf1 include:other.example ~all"/')"
stub_start "${STUB_ARGS[@]}"
run domain verify example.com --dns "127.0.0.1:$PORT"
t_match "verify_says_wrong_for_other_spf_include" "$OUT" '^WRONG +example\.com TXT +expected: "v=spf1 include:spf\.svc\.example ~all" +current: "v=spf1 include:other\.example ~all"$'

stub_args "$RECS"
stub_start "${STUB_ARGS[@]}"
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_with_printed_records_succeeds" 0
t_eq "verify_says_ok_for_each_record" "$(printf '%s\n' "$OUT" | grep -c '^ok ')" 4
t_match "verify_success_marks_verified" "$OUT" '^domain example\.com marked verified$'
t_match "verify_success_writes_account_file" "$(cat "$ACC/acme")" '^Domain example\.com verified$'
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_when_verified_succeeds" 0
t_match "verify_when_verified_says_already" "$OUT" 'already verified'

# the DnsServer key instead of --dns; what counts, not the exact bytes
fresh "$SERVICE_CONF" "DnsServer 127.0.0.1:$PORT"
run domain add example.com --account acme
P=$(printf '%s\n' "$OUT" | grep '_domainkey' | grep -o '"[^"]*"' | tr -d '"\n' | sed 's/.*p=//')
stub_start "--txt-record=ses._domainkey.example.com,v=DKIM1; t=y; k=rsa; p=${P:0:100} ${P:100}" \
	"--txt-record=example.com,google-site-verification=abc" \
	"--txt-record=example.com,v=spf1 mx include:SPF.svc.example -all" \
	"--txt-record=_dmarc.example.com,v=DMARC1; p=reject; rua=mailto:d@example.com" \
	"--mx-host=example.com,mail.other.example,5" "--mx-host=example.com,MX.SVC.EXAMPLE,20"
sed -i "s/^DnsServer .*/DnsServer 127.0.0.1:$PORT/" "$CONF"
run domain verify example.com
t_rc "verify_uses_dns_server_key_and_tolerates_variants" 0
t_eq "verify_tolerant_all_ok" "$(printf '%s\n' "$OUT" | grep -c '^ok ')" 4

stub_start "--txt-record=example.com,v=spf1 include:spf.svc.example ~all" \
	"--txt-record=example.com,v=spf1 -all"
sed -i "s/^DnsServer .*/DnsServer 127.0.0.1:$PORT/" "$CONF"
run domain verify example.com
t_match "verify_two_spf_records_are_wrong" "$OUT" '^WRONG +example\.com TXT .*current: "v=spf1 [^"]*" \| "v=spf1 [^"]*"$'

# DNS that cannot answer is not a mismatch
"$SESCTL" -c "$CONF" domain set-verified example.com no >/dev/null 2>&1
stub_stop
run domain verify example.com
t_rc "verify_dns_down_exits_3" 3
t_match "verify_dns_down_says_no_answer" "$ERR" "cannot check ses\\._domainkey\\.example\\.com TXT: no answer from DNS server 127\\.0\\.0\\.1:$PORT"
t_nomatch "verify_dns_down_prints_no_verdict" "$OUT" '^(MISSING|WRONG) '
t_match "verify_dns_down_leaves_domain_unverified" "$(cat "$ACC/acme")" '^Domain example\.com unverified$'

stub_start
run domain verify example.org
t_rc "verify_unknown_domain_fails" 1
"$SESCTL" -c "$CONF" domain add other.org --account acme >/dev/null 2>&1
run domain verify other.org --dns "127.0.0.1:$PORT"
t_rc "verify_refused_query_exits_3" 3
t_match "verify_refused_query_says_refused" "$ERR" 'answered REFUSED'
run domain verify example.com --dns 'not a server:x'
t_rc "verify_bad_dns_option_fails" 1
t_match "verify_bad_dns_option_explains" "$ERR" 'bad DNS server "not a server:x"'

# ---- Ed25519 -------------------------------------------------------------------------
fresh "$SERVICE_CONF"
run domain add example.com --account acme --ed25519
t_rc "add_ed25519_succeeds" 0
t_eq "add_ed25519_makes_both_keys" "$(ls "$KEYS/example.com" | tr '\n' ' ')" "ses-ed25519.ed25519.pem ses.rsa.pem "
t_eq "add_ed25519_key_mode_0640" "$(stat -c %a "$KEYS/example.com/ses-ed25519.ed25519.pem")" 640
RECS=$(records_of "$OUT")
t_eq "add_ed25519_prints_five_records" "$(printf '%s\n' "$RECS" | wc -l)" 5
t_match "add_ed25519_prints_own_selector" "$RECS" '^ses-ed25519\._domainkey\.example\.com\. IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="$'

stub_args "$(printf '%s\n' "$RECS" | grep -v ed25519)"
stub_start "${STUB_ARGS[@]}"
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_needs_ed25519_record_too" 1
t_match "verify_says_ed25519_record_missing" "$OUT" '^MISSING +ses-ed25519\._domainkey\.example\.com TXT'
stub_args "$RECS"
stub_start "${STUB_ARGS[@]}"
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_with_both_dkim_records_succeeds" 0
t_eq "verify_ed25519_all_five_ok" "$(printf '%s\n' "$OUT" | grep -c '^ok ')" 5
stub_stop

# ---- the tracking host's CNAME --------------------------------------------------------
fresh "$SERVICE_CONF
TrackingUrl https://track.%d/t
TrackingCname t.svc.example."
run domain add example.com --account acme
t_match "records_print_tracking_cname" "$OUT" '^track\.example\.com\. IN CNAME t\.svc\.example\.$'
RECS=$(records_of "$OUT")
stub_args "$RECS"
stub_start "${STUB_ARGS[@]}"
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_without_tracking_cname_fails" 1
t_match "verify_says_tracking_cname_missing" "$OUT" '^MISSING +track\.example\.com CNAME  expected: t\.svc\.example  current: \(none\)$'
stub_start "${STUB_ARGS[@]}" --host-record=t.svc.example,127.0.0.1 \
	--cname=track.example.com,t.svc.example
run domain verify example.com --dns "127.0.0.1:$PORT"
t_rc "verify_with_tracking_cname_succeeds" 0
t_match "verify_says_tracking_cname_ok" "$OUT" '^ok +track\.example\.com CNAME  expected: t\.svc\.example  current: t\.svc\.example$'
stub_stop
fresh "$SERVICE_CONF
TrackingUrl https://track.example.net"
run domain add example.com --account acme
t_nomatch "records_no_cname_for_one_shared_host" "$OUT" 'CNAME'

t_done
