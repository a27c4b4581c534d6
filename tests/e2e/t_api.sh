#!/bin/bash
# t_api.sh - end-to-end: the HTTP API (Tencent Cloud API 3.0 for SES) with
# Tencent's own Node SDK (tencentcloud-sdk-nodejs-ses, installed by npm
# into a cache directory) pointed at the gateway, SendEmail going through
# a real Postfix with XCLIENT LOGIN= as the key's account.
#
#   account news: Login news-api, templates only, an API key; also
#                 Network 127.0.0.2 so the SMTP path can be compared
#
# The suite skips (counted, with the reason) when npm cannot fetch the SDK
# and no cached copy is there.  SES_NPM_CACHE: the cache directory
# (default /var/tmp/ses-milter-npm).
#
# Run as root: bash tests/e2e/t_api.sh (top_builddir: the build);
# KEEP=1 keeps the work directory; ONLY=NAME runs one case.

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

SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}
NPM_CACHE=${SES_NPM_CACHE:-/var/tmp/ses-milter-npm}

# api ACTION JSON: the SDK's answer (JSON, or "ERROR CODE MESSAGE").
api() {
	NODE_PATH=$NPM_CACHE/node_modules node "$here/tc_api.js" "$ENDPOINT" "$KEY_ID" "$KEY_SECRET" "$@"
}

# api_raw ACTION BODY [SKEW] [TIMES]: signed by the SDK's signer, sent as is.
api_raw() {
	NODE_PATH=$NPM_CACHE/node_modules node "$here/tc_api.js" --raw "$ENDPOINT" "$KEY_ID" \
		"$KEY_SECRET" "$@"
}

# code ANSWER: the error code of an answer, or "OK".
code() {
	case $1 in
	"ERROR "*) set -- $1; printf '%s' "$2" ;;
	*'"Error"'*) printf '%s' "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Response"]["Error"]["Code"])' ;;
	"") printf 'no answer' ;;
	*) printf OK ;;
	esac
}

# field ANSWER NAME: a top-level field of a JSON answer.
field() {
	printf '%s' "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2"
}

send_body() {
	printf '{"FromEmailAddress":"News <hello@news.example>","Destination":["%s"],"Subject":"%s","Template":{"TemplateID":%s,"TemplateData":"{\\"name\\":\\"Ann\\",\\"code\\":\\"4711\\"}"}}' \
		"$1" "$2" "$WELCOME"
}

# ---- the cases ------------------------------------------------------------------

case_templated_send_is_delivered_rendered_and_signed() {
	local out id
	out=$(api SendEmail "$(send_body ann@example.net "Your code")")
	expect "answer" "$(code "$out")" "OK"
	id=$(field "$out" MessageId)
	expect_match "MessageId is a queue ID" "$id" '^[0-9A-Za-z]+$'
	pf_wait_mail "$A" ann@example.net
	pf_delivered "$A" ann@example.net > "$T/msg"
	expect_match "text rendered" "$(part_text "$T/msg" text/plain)" "Hello Ann, your code is 4711\."
	expect "no control header" "$(grep -ci '^X-SES-' "$T/msg")" "0"
	expect "DKIM verifies" "$(dkim_verify "$T/msg" "$WORK/dns")" "0:ok:a=rsa-sha256"
	expect_match "queued under that ID" "$(grep -c "$id" "$A/maillog")" '^[1-9]'
}

case_attachment_and_utf8_subject_arrive_intact() {
	local out
	head -c 2000 /dev/urandom > "$T/report.bin"
	out=$(api SendEmail "{\"FromEmailAddress\":\"Caf\u00e9 News <hello@news.example>\",\"Destination\":[\"gus@example.net\"],\"Subject\":\"Caf\u00e9 \u2713\",\"Template\":{\"TemplateID\":$WELCOME,\"TemplateData\":\"{\\\"name\\\":\\\"Gus\\\",\\\"code\\\":\\\"1\\\"}\"},\"Attachments\":[{\"FileName\":\"report.bin\",\"Content\":\"$(base64 -w0 "$T/report.bin")\"}]}")
	expect "answer" "$(code "$out")" "OK"
	pf_wait_mail "$A" gus@example.net
	pf_delivered "$A" gus@example.net > "$T/msg"
	expect "as Python's email package reads it" "$(python3 - "$T/msg" "$T/report.bin" <<'PY'
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
att = [p for p in m.walk() if p.get_filename()]
same = len(att) == 1 and att[0].get_payload(decode=True) == open(sys.argv[2], 'rb').read()
print('%s|%s|%s|%d' % (m['Subject'], m['From'].addresses[0].display_name, same, len(m.defects)))
PY
)" "Café ✓|Café News|True|0"
}

case_cc_and_bcc_are_delivered_bcc_unseen() {
	local out
	out=$(api SendEmail "{\"FromEmailAddress\":\"hello@news.example\",\"Destination\":[\"hal@example.net\"],\"Cc\":[\"ida@example.net\"],\"Bcc\":[\"jo@example.net\"],\"Subject\":\"Copies\",\"Template\":{\"TemplateID\":$WELCOME,\"TemplateData\":\"{\\\"name\\\":\\\"Hal\\\",\\\"code\\\":\\\"2\\\"}\"}}")
	expect "answer" "$(code "$out")" "OK"
	pf_wait_mail "$A" hal@example.net
	pf_wait_mail "$A" ida@example.net
	pf_wait_mail "$A" jo@example.net
	pf_delivered "$A" jo@example.net > "$T/msg"
	expect_match "Cc header" "$(grep -i '^Cc:' "$T/msg")" "ida@example.net"
	expect "Bcc address in no header" "$(sed '/^$/q' "$T/msg" | grep -v '^Delivered-To:\|^X-Original-To:\|^Return-Path:\|^Received:\|^	' | grep -c 'jo@example.net')" "0"
}

case_send_status_is_known_after_delivery() {
	local out id
	out=$(api SendEmail "$(send_body dora@example.net "Status")")
	id=$(field "$out" MessageId)
	pf_wait_mail "$A" dora@example.net
	out=$(api GetSendEmailStatus "{\"RequestDate\":\"$(date -u +%F)\",\"Offset\":0,\"Limit\":10,\"MessageId\":\"$id\"}")
	expect "answer" "$(code "$out")" "OK"
	expect_match "status of that message" "$out" "\"MessageId\":\"$id\".*\"ToEmailAddress\":\"dora@example.net\""
}

case_blocklisted_recipient_gets_the_smtp_code() {
	local out smtp
	"$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload blocklist add bad@example.net >/dev/null
	out=$(api SendEmail "$(send_body bad@example.net "Blocked")")
	pf_send "$A" "$T/smtp" --local-interface 127.0.0.2 --from hello@news.example \
		--to bad@example.net --header "Subject: Blocked" --header "X-SES-Template: $WELCOME" \
		--header 'X-SES-Template-Data: {"name":"Ann","code":"1"}'
	smtp=$(pf_status "$T/smtp" rcpt | awk '{ print $3 }')
	expect "SMTP path" "$smtp" "FailedOperation.EmailAddrInBlacklist"
	expect "API answer" "$(code "$out")" "$smtp"
}

case_blocklist_is_listed_and_deleted() {
	local out
	"$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload blocklist add gone@example.net >/dev/null
	out=$(api ListBlackEmailAddress '{"StartDate":"2020-01-01","EndDate":"2099-12-31","Limit":100,"Offset":0}')
	expect "list answer" "$(code "$out")" "OK"
	expect_match "entry listed" "$out" '"EmailAddress":"gone@example.net"'
	out=$(api DeleteBlackList '{"EmailAddressList":["gone@example.net"]}')
	expect "delete answer" "$(code "$out")" "OK"
	expect_match "gone from the blocklist" \
		"$("$SESCTL" -c "$A/ses/ses-milter.conf" blocklist query gone@example.net 2>&1)" "^absent"
}

case_template_is_created_listed_and_read() {
	local out id words
	words="Thank you for joining our service. We are glad to have you with us and we hope you enjoy every day of it. Your account is ready now and you can sign in at any time from any device you own. Keep this message for your records."
	out=$(api CreateEmailTemplate "$(python3 -c 'import json,sys,base64
b=lambda s: base64.b64encode(s.encode()).decode()
print(json.dumps({"TemplateName":"api-made","TemplateContent":{"Text":b("Hi {{name}}. "+sys.argv[1]),"Html":b("<p>Hi {{name}}. "+sys.argv[1]+"</p>")}}))' "$words")")
	expect "create answer" "$(code "$out")" "OK"
	id=$(field "$out" TemplateID)
	expect_match "TemplateID" "$id" '^[0-9]+$'
	out=$(api ListEmailTemplates '{"Limit":100,"Offset":0}')
	expect_match "listed" "$out" "\"TemplatesName\":\"api-made\""
	out=$(api GetEmailTemplate "{\"TemplateID\":$id}")
	expect "get answer" "$(code "$out")" "OK"
	expect_match "text given back" "$(printf '%s' "$out" | python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(sys.stdin)["TemplateContent"]["Text"]).decode())')" "^Hi \{\{name\}\}\."
}

case_template_is_updated_and_deleted() {
	local out id b
	b=$(printf 'Short text. {{x}}' | base64 -w0)
	out=$(api CreateEmailTemplate "{\"TemplateName\":\"to-go\",\"TemplateContent\":{\"Text\":\"$b\"}}")
	id=$(field "$out" TemplateID)
	expect_match "created" "$id" '^[0-9]+$'
	out=$(api UpdateEmailTemplate "{\"TemplateID\":$id,\"TemplateName\":\"renamed\",\"TemplateContent\":{\"Text\":\"$b\"}}")
	expect "update answer" "$(code "$out")" "OK"
	expect_match "renamed" "$(api GetEmailTemplate "{\"TemplateID\":$id}")" '"TemplateName":"renamed"'
	expect "delete answer" "$(code "$(api DeleteEmailTemplate "{\"TemplateID\":$id}")")" "OK"
	expect "gone" "$(code "$(api GetEmailTemplate "{\"TemplateID\":$id}")")" "ResourceNotFound"
	expect "not base64" "$(code "$(api CreateEmailTemplate '{"TemplateName":"x","TemplateContent":{"Text":"!!"}}')")" \
		"InvalidParameterValue"
}

case_own_content_without_permission_gets_the_smtp_code() {
	local out
	out=$(api SendEmail "{\"FromEmailAddress\":\"hello@news.example\",\"Destination\":[\"fay@example.net\"],\"Subject\":\"Own\",\"Simple\":{\"Text\":\"$(printf 'My words' | base64 -w0)\"}}")
	expect "answer" "$(code "$out")" "FailedOperation.WithOutPermission"
}

case_identities_and_statistics_are_the_accounts() {
	local out
	out=$(api ListEmailIdentities '{}')
	expect_match "the account's domain" "$out" '"IdentityName":"news.example","IdentityType":"DOMAIN","SendingEnabled":true'
	out=$(api GetEmailIdentity '{"EmailIdentity":"news.example"}')
	expect_match "DKIM record to publish" "$out" '"SendField":"ses._domainkey.news.example"'
	expect "another's domain" "$(code "$(api GetEmailIdentity '{"EmailIdentity":"other.example"}')")" \
		"ResourceNotFound"
	out=$(api GetStatisticsReport "{\"StartDate\":\"$(date -u +%F)\",\"EndDate\":\"$(date -u +%F)\"}")
	expect_match "today's volume" "$out" '"DailyVolumes":\[\{"SendDate":"[0-9-]+","Domain":"news.example","RequestCount":[0-9]+'
}

case_requests_are_counted_by_action_and_result() {
	local before after
	before=$(metric 'action="ListEmailIdentities",result="success"')
	api ListEmailIdentities '{}' >/dev/null
	after=$(metric 'action="ListEmailIdentities",result="success"')
	expect "one more success" "$((after - ${before:-0}))" 1
	KEY_SECRET=${KEY_SECRET}0 api ListEmailIdentities '{}' >/dev/null
	expect_match "auth failures counted" "$(metric 'action="ListEmailIdentities",result="auth_failure"')" '^[1-9]'
}

# metric LABELS: the value of ses_milter_api_requests_total{LABELS} (0 when absent).
metric() {
	curl -s "http://$METRICS/metrics" | awk -v want="ses_milter_api_requests_total{$1}" \
		'$1 == want { v = $2 } END { print v + 0 }'
}

case_wrong_key_is_refused() {
	local out
	out=$(KEY_SECRET=${KEY_SECRET}0 api SendEmail "$(send_body eve@example.net "Forged")")
	expect "answer" "$(code "$out")" "AuthFailure.SignatureFailure"
	out=$(KEY_ID=AKIDnosuchkey0000000000 api SendEmail "$(send_body eve@example.net "Forged")")
	expect "unknown SecretId" "$(code "$out")" "AuthFailure.SecretIdNotFound"
}

case_old_timestamp_and_replay_are_refused() {
	local out
	out=$(api_raw ListEmailTemplates '{"Limit":1,"Offset":0}' -400)
	expect "six minutes old" "$(code "$out")" "AuthFailure.SignatureExpire"
	out=$(api_raw DeleteEmailTemplate '{"TemplateID":999999}' 0 2 | tr '\n' ' ')
	expect_match "a change sent again" "$out" \
		'"Code":"ResourceNotFound".*"Code":"AuthFailure.SignatureFailure"'
	out=$(api_raw GetEmailTemplate "{\"TemplateID\":$WELCOME}" 0 2 | tail -n 1)
	expect "a read sent again" "$(code "$out")" "OK"
}

case_bad_requests_get_precise_codes() {
	expect "unknown action" "$(code "$(api_raw NoSuchThing '{}')")" "InvalidAction"
	expect "not JSON" "$(code "$(api_raw SendEmail '{"Subject":')")" "InvalidParameter"
	expect "wrong type" "$(code "$(api_raw SendEmail '{"FromEmailAddress":"hello@news.example","Destination":"x@example.net","Subject":"s","Template":{"TemplateID":1}}')")" \
		"InvalidParameterValue"
	expect "missing field" "$(code "$(api_raw SendEmail '{"Destination":["x@example.net"],"Subject":"s","Template":{"TemplateID":1}}')")" \
		"MissingParameter"
	expect "attachment not base64" "$(code "$(api_raw SendEmail "{\"FromEmailAddress\":\"hello@news.example\",\"Destination\":[\"x@example.net\"],\"Subject\":\"s\",\"Template\":{\"TemplateID\":$WELCOME},\"Attachments\":[{\"FileName\":\"a.txt\",\"Content\":\"!!\"}]}")")" \
		"InvalidParameterValue"
	head -c 9000000 /dev/zero | tr '\0' 'a' > "$T/big"
	expect "body over the limit" "$(code "$(api_raw SendEmail "@$T/big")")" \
		"RequestSizeLimitExceeded"
}

# ---- helpers --------------------------------------------------------------------

# part_text FILE TYPE: the decoded content of the first part of TYPE.
part_text() {
	python3 - "$1" "$2" <<'PY'
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
for p in m.walk():
    if p.get_content_type() == sys.argv[2]:
        print(p.get_content()); break
PY
}

# sdk_install: the SDK in NPM_CACHE, fetched when missing; false when npm cannot.
sdk_install() {
	[ -d "$NPM_CACHE/node_modules/tencentcloud-sdk-nodejs-ses" ] && return 0
	mkdir -p "$NPM_CACHE" || return 1
	(cd "$NPM_CACHE" && timeout 300 npm install --no-audit --no-fund --no-save \
		tencentcloud-sdk-nodejs-ses >"$NPM_CACHE/npm.log" 2>&1)
}

cleanup() {
	[ -n "$A" ] && { pf_stop "$A"; ses_stop "$A"; }
	mc_stop_all
	if [ "$T_FAILED" -gt 0 ] && [ -f "$A/ses/ses-milter.log" ]; then
		echo "--- last lines of $A/ses/ses-milter.log"; tail -n 30 "$A/ses/ses-milter.log"
	fi
	if [ -n "$WORK" ] && [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}

# template NAME TEXT HTML: adds and approves a template of account news; prints its ID.
template() {
	local id
	printf '%s' "$2" > "$WORK/$1.txt"
	printf '%s' "$3" > "$WORK/$1.html"
	id=$("$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload template add --account news --name "$1" \
		--type transactional --text "$WORK/$1.txt" --html "$WORK/$1.html" |
		sed -n 's/^template \([0-9]*\) added.*/\1/p')
	[ -n "$id" ] && "$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload template approve "$id" >/dev/null &&
		printf '%s' "$id"
}

setup() {
	local words smtp api_port keys
	WORK=$(mktemp -d /tmp/ses-api.XXXXXX) && chmod 755 "$WORK" || return 1
	A=$WORK/a
	MC=$(mc_start "$WORK/mc" main) || return 1
	smtp=$(t_free_port)
	api_port=$(t_free_port)
	METRICS=127.0.0.1:$(t_free_port)
	ENDPOINT=127.0.0.1:$api_port
	ses_write_conf "$A" MemcachedServers "$MC" RecipientHourlyLimit 1000 MaxSendsPerSecond 1000000 \
		ApiListen "$ENDPOINT" ApiSubmit "127.0.0.1:$smtp" MetricsListen "$METRICS"
	ses_add_account "$A" news "Login news-api" "Network 127.0.0.2/32" "Domain news.example verified"
	: > "$WORK/dns"
	dkim_key "$A/ses" "$WORK/dns" news.example ses rsa || return 1
	words="Thank you for joining our service. We are glad to have you with us and we hope you enjoy every day of it. Your account is ready now and you can sign in at any time from any device you own. Keep this message for your records."
	WELCOME=$(template welcome "Hello {{name}}, your code is {{code}}. $words" \
		"<p>Hello <b>{{name}}</b>, your code is {{code}}.</p><p>$words</p>")
	[ -n "$WELCOME" ] || { echo "setup: template add failed" >&2; return 1; }
	keys=$("$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload account key new news) || return 1
	KEY_ID=$(printf '%s\n' "$keys" | awk '$1 == "SecretId:" { print $2 }')
	KEY_SECRET=$(printf '%s\n' "$keys" | awk '$1 == "SecretKey:" { print $2 }')
	[ -n "$KEY_ID" ] && [ -n "$KEY_SECRET" ] || { echo "setup: no key in: $keys" >&2; return 1; }
	ses_start "$A" || return 1
	t_wait_port "$api_port" 20 || { echo "setup: no API on $ENDPOINT" >&2; return 1; }
	pf_start "$A" "$smtp" "$(ses_socket "$A")" "smtpd_authorized_xclient_hosts = 127.0.0.1" || return 1
}

main() {
	local c
	if [ "$(id -u)" -ne 0 ]; then t_skip all "needs root (private Postfix)"; t_done; return; fi
	for c in postfix swaks python3 memcached node npm curl; do
		command -v "$c" >/dev/null || { t_skip all "no $c (run tests/install-deps)"; t_done; return; }
	done
	SES_MILTER=${SES_MILTER:-${top_builddir:-.}/ses-milter}
	[ -x "$SES_MILTER" ] && [ -x "$SESCTL" ] ||
		{ t_skip all "no $SES_MILTER or $SESCTL (set top_builddir)"; t_done; return; }
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
	if ! sdk_install; then
		t_skip all "npm cannot fetch tencentcloud-sdk-nodejs-ses: $(grep -m 1 -E 'npm (ERR|error)' "$NPM_CACHE/npm.log" 2>/dev/null)"
		t_done; return
	fi
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! setup; then t_fail setup "the instance did not start (see above)"; t_done; return; fi
	for c in $(declare -F | awk '$3 ~ /^case_/ { print substr($3, 6) }'); do
		[ -z "$ONLY" ] || [ "$c" = "$ONLY" ] || continue
		run_case "$c"
	done
	t_done
}

main "$@"
