#!/bin/bash
# t_sesctl_feedback.sh - sesctl(8) feedback classify: how the gateway would
# read a bounce or complaint (the DSN fixtures of the unit tests, a
# complaint, a plain message, stdin), in human and JSON output, and what it
# says about the VERP check with and without a feedback key.  Nothing is
# written: the data directory is compared before and after.
#
# Needs the built sesctl only (no memcached: classify never touches it).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"

cli_start t_sesctl_feedback
cli_fresh "BlocklistDays 14"
FIX=$top_srcdir/tests/unit/fixtures

run feedback classify "$FIX/dsn/qmail_embedded.eml"
t_rc "classify_dsn_exits_0" 0
t_match "classify_qmail_style_is_dsn" "$OUT" '^kind: dsn$'
t_match "classify_names_recipient" "$OUT" '^recipient: nobody@example\.net$'
t_match "classify_three_digit_status_is_5_0_0" "$OUT" '^  status: 5\.0\.0$'
t_match "classify_hard_class" "$OUT" '^  class: hard$'
t_match "classify_hard_blocklists_for_blocklist_days" "$OUT" '^  effect: blocklist for 14 days'
t_match "classify_without_rcpt_says_verp_not_checked" "$OUT" '^verp: not checked'
t_match "classify_recipient_check_needs_rcpt" "$OUT" '^  check: needs the VERP address'

run feedback classify "$FIX/dsn/gmail_delayed.eml" --json
t_rc "classify_json_exits_0" 0
t_match "classify_json_delay_is_deferred" "$OUT" '^\{"kind":"dsn","forwarded":0,"reporting_mta":"googlemail.com","verp":"not checked","recipients":\[\{"address":"slow@example.org","action":"delayed","status":"4.4.1","class":"soft","effect":"deferred event",'
t_eq "classify_json_is_one_line" "$(printf '%s\n' "$OUT" | wc -l)" 1

run feedback classify "$FIX/dsn/forwarded.eml"
t_match "classify_forwarded_says_so" "$OUT" '^forwarded: 1 levels down, sent to b-cefdiwlygjvvimdqkf5ge33cibsxqylnobwgkltpojtq-2c6jg7ox3o@example\.com$'
run feedback classify "$FIX/dsn/forwarded.eml" --rcpt '<b-other-aaaaaaaaaa@example.com>'
t_match "classify_forwarded_to_other_address_ignored" "$OUT" 'not sent to --rcpt: the gateway ignores it'

OUT=$("$SESCTL" -c "$CONF" feedback classify - <"$FIX/dsn/cr_only.eml" 2>"$T/stderr"); RC=$?
t_rc "classify_stdin_exits_0" 0
t_match "classify_stdin_cr_only_recipient" "$OUT" '^recipient: closed@example\.org$'

run feedback classify "$FIX/arf/yahoo.eml"
t_match "classify_complaint_is_arf" "$OUT" '^kind: arf$'
t_match "classify_complaint_suppresses" "$OUT" 'effect: suppression for the sender domain'\''s account'

run feedback classify "$FIX/dsn/qmail_plain.eml"
t_rc "classify_plain_bounce_exits_0" 0
t_match "classify_plain_bounce_is_other" "$OUT" '^kind: other$'
t_nomatch "classify_plain_bounce_has_no_recipient" "$OUT" '^recipient:'

run feedback classify "$FIX/dsn/postfix_hard.eml" --rcpt '<b-aaaa-bbbbbbbbbb@example.com>'
t_match "classify_without_key_says_not_verified" "$OUT" '^verp: not verified: '
t_match "classify_without_key_recipient_not_verified" "$OUT" 'check: not verified: no readable feedback key'

head -c 32 /dev/urandom >"$DATA/feedback.key"
chmod 600 "$DATA/feedback.key"
before=$(cd "$DATA" && find . -type f -exec md5sum {} + | sort)
run feedback classify "$FIX/dsn/postfix_hard.eml" --rcpt 'b-cefdiwlygjvvimdqkf5ge33cibsxqylnobwgkltpojtq-2c6jg7ox3o@example.com'
t_rc "classify_with_key_exits_0" 0
t_match "classify_with_key_refuses_address_of_another_key" "$OUT" '^verp: (forged|malformed)$'
t_match "classify_with_key_recipient_refused" "$OUT" 'check: refused: --rcpt is (forged|malformed)'
t_eq "classify_writes_nothing" "$(cd "$DATA" && find . -type f -exec md5sum {} + | sort)" "$before"

# verp_for RCPT: the VERP address of message Q1 from example.com for RCPT,
# made as policy/feedback/verp.c makes it (inline form) with the key in DataDir.
verp_for() {
	python3 - "$DATA/feedback.key" "$1" <<'PY'
import hmac, hashlib, struct, sys
key = open(sys.argv[1], "rb").read()
payload = bytes([0x11, 2]) + b"Q1" + sys.argv[2].lower().encode()
def b32(data):
    abc, acc, bits, out = "abcdefghijklmnopqrstuvwxyz234567", 0, 0, ""
    for b in data:
        acc, bits = (acc << 8) | b, bits + 8
        while bits >= 5:
            bits -= 5
            out += abc[(acc >> bits) & 31]
    return out + (abc[(acc << (5 - bits)) & 31] if bits else "")
msg = b"".join(struct.pack(">I", len(f)) + f for f in (b"verp", b"example.com", payload))
tag = b32(hmac.new(key, msg, hashlib.sha256).digest()[:7])[:10]
print("b-%s-%s@example.com" % (b32(payload), tag))
PY
}
run feedback classify "$FIX/dsn/exchange_failure.eml" --rcpt "<$(verp_for nobody@example.org)>"
t_match "classify_with_key_verifies_verp_address" "$OUT" '^verp: ok$'
t_match "classify_with_key_recipient_named_by_address" "$OUT" 'check: ok: the VERP address names it'
run feedback classify "$FIX/dsn/exchange_failure.eml" --rcpt "$(verp_for someone@example.org)" --json
t_match "classify_with_key_other_recipient_refused" "$OUT" '"verp":"ok".*"check":"refused: the VERP address names another recipient"'

run feedback classify "$T/missing.eml"
t_rc "classify_missing_file_exits_1" 1
t_match "classify_missing_file_says_so" "$ERR" 'missing\.eml: No such file'
run feedback classify
t_rc "classify_without_file_is_usage" 2
run feedback classify a b
t_rc "classify_two_files_is_usage" 2
run feedback nothing
t_rc "feedback_unknown_subcommand_is_usage" 2

t_done
