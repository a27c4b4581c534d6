#!/bin/bash
# t_templates.sh - end-to-end: template-only sending through a real Postfix.
# An account without custom content names an approved template with
# X-SES-Template and gives its data with X-SES-Template-Data; what reaches
# the mailbox is the rendered template (text and HTML alternatives, the
# client's attachment intact, no X-SES-* header), and Python's email
# package, a MIME parser other than ours, reads it without defects.
#
#   127.0.0.2  account news: templates only
#   127.0.0.3  account free: custom content
#
# Run as root: bash tests/e2e/t_templates.sh (top_builddir: the build);
# KEEP=1 keeps the work directory; ONLY=NAME runs one case.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/e2e.sh
. "$here/../lib/e2e.sh"

NEWS=(--local-interface 127.0.0.2 --from news@news.example)
FREE=(--local-interface 127.0.0.3 --from hello@free.example)
SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}

# ---- the cases ------------------------------------------------------------------

case_templated_message_is_delivered_rendered_with_its_attachment() {
	head -c 3000 /dev/urandom > "$T/report.pdf"
	pf_send "$A" "$T/out" "${NEWS[@]}" --to ann@example.net --header "Subject: Your code" \
		--header "X-SES-Template: $WELCOME" \
		--header 'X-SES-Template-Data: {"name":"Ann <ann@example.net>","code":"4711"}' \
		--header "X-SES-Unsubscribe: 1" --body "ignored client body" \
		--attach-type application/pdf --attach-name report.pdf --attach "@$T/report.pdf"
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	mbox_take "$A" ann@example.net "$T/delivered"
	expect "parsed by python email" "$(check_mime "$T/delivered" "$T/report.pdf")" \
		"mixed:alternative=text/plain,text/html;attachment=report.pdf:same-bytes;x-ses=0;defects=0"
	expect_match "text part rendered" "$(msg_part_text "$T/delivered" text/plain)" \
		"Hello Ann <ann@example.net>, your code is 4711\."
	expect_match "html part escaped" "$(msg_part_text "$T/delivered" text/html)" \
		"Hello <b>Ann &lt;ann@example.net&gt;</b>"
	expect_nomatch "client body replaced" "$(cat "$T/delivered")" "ignored client body"
}

case_message_without_template_is_refused() {
	pf_send "$A" "$T/out" "${NEWS[@]}" --to bob@example.net --header "Subject: Plain"
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.7.1 FailedOperation.WithOutPermission"
}

case_template_under_review_is_refused() {
	pf_send "$A" "$T/out" "${NEWS[@]}" --to bob@example.net --header "Subject: Pending" \
		--header "X-SES-Template: $PENDING" --header 'X-SES-Template-Data: {}'
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.7.1 OperationDenied.TemplateStatusError"
}

case_data_that_is_not_json_is_refused() {
	pf_send "$A" "$T/out" "${NEWS[@]}" --to bob@example.net --header "Subject: Bad" \
		--header "X-SES-Template: $WELCOME" --header 'X-SES-Template-Data: {name: Ann}'
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.TemplateDataError"
}

case_data_not_matching_the_template_is_refused() {
	pf_send "$A" "$T/out" "${NEWS[@]}" --to bob@example.net --header "Subject: Bad" \
		--header "X-SES-Template: $WELCOME" --header 'X-SES-Template-Data: {"name":"Ann","extra":"x"}'
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.TemplateNotMatchData"
}

case_data_over_800_bytes_is_refused() {
	local long
	long=$(printf 'x%.0s' $(seq 1 800))
	pf_send "$A" "$T/out" "${NEWS[@]}" --to bob@example.net --header "Subject: Long" \
		--header "X-SES-Template: $WELCOME" \
		--header "X-SES-Template-Data: {\"name\":\"$long\",\"code\":\"1\"}"
	expect "end of data" "$(pf_status "$T/out" dot)" "550 5.6.0 InvalidParameterValue.TemplateDataLenLimit"
}

case_custom_content_is_delivered_unchanged_without_control_headers() {
	pf_send "$A" "$T/out" "${FREE[@]}" --to carol@example.net --header "Subject: Own words" \
		--header "X-SES-Trigger-Type: 1" --body "My own content."
	expect "end of data" "$(pf_status "$T/out" dot)" "250 2.0.0 Ok:"
	mbox_take "$A" carol@example.net "$T/delivered"
	expect_match "own body kept" "$(cat "$T/delivered")" "My own content\."
	expect "no control header" "$(grep -ci '^X-SES-' "$T/delivered")" "0"
}

# ---- helpers --------------------------------------------------------------------

# check_mime FILE ATTACHMENT: the structure as Python's email package sees it.
check_mime() {
	python3 - "$1" "$2" <<'PY'
import sys, email, email.policy
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=email.policy.default)
want = open(sys.argv[2], 'rb').read()
parts, att, defects = [], '-', len(m.defects)
top = m.get_content_subtype()
for p in m.walk():
    defects += len(p.defects)
    if p.get_content_type() == 'multipart/alternative':
        parts = [c.get_content_type() for c in p.iter_parts()]
    elif p.get_filename():
        att = p.get_filename() + ':' + ('same-bytes' if p.get_payload(decode=True) == want else 'changed')
xses = sum(1 for k in m.keys() if k.lower().startswith('x-ses-'))
print('%s:alternative=%s;attachment=%s;x-ses=%d;defects=%d' % (top, ','.join(parts), att, xses, defects))
PY
}

cleanup() {
	e2e_cleanup
}

setup() {
	local words
	e2e_work tpl || return 1
	MC_DIR=$WORK/mc
	MC=$(mc_start "$MC_DIR" main) || return 1
	ses_write_conf "$A" MemcachedServers "$MC" RecipientHourlyLimit 1000 MaxSendsPerSecond 1000000
	ses_add_account "$A" news "Network 127.0.0.2/32" "Domain news.example verified"
	ses_add_account "$A" free "CustomContent yes" "Network 127.0.0.3/32" "Domain free.example verified"
	words="Thank you for joining our service. We are glad to have you with us and we hope you enjoy every day of it. Your account is ready now and you can sign in at any time from any device you own. Keep this message for your records."
	WELCOME=$(e2e_template news welcome transactional "Hello {{name}}, your code is {{code}}. $words" \
		"<p>Hello <b>{{name}}</b>, your code is {{code}}.</p><p>$words</p>") || return 1
	PENDING=$(e2e_template_add news pending transactional "Pending. $words" "<p>Pending. $words</p>") || return 1
	[ -n "$WELCOME" ] && [ -n "$PENDING" ] || { echo "setup: template add failed" >&2; return 1; }
	ses_start "$A" || return 1
	pf_start "$A" "$(t_free_port)" "$(ses_socket "$A")" || return 1
}

main() {
	e2e_ready python3 memcached
	e2e_run
}

main "$@"
