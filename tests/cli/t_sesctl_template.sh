#!/bin/bash
# t_sesctl_template.sh - behaviour of "sesctl template": adding templates
# with the automatic review, listing, showing, checking, approving,
# rejecting, deleting, the checked atomic edits of DataDir/templates, the
# reload signal, and rendering the MIME message ses-milter would send
# (parsed back with Python's email package).
#
# Needs the built binary: $SESCTL, default "$top_builddir/sesctl/sesctl".
# Every case works in a private DataDir under mktemp -d.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/cli.sh"

cli_start t_sesctl_template
TPL=$DATA/templates

# fresh [CONFIG LINES...]: empty DataDir with account acme, a config naming it.
fresh() {
	cli_fresh "$@"
	ok account add acme
	ok account add beta
}

# t_no_stage NAME: no .tmp-* staging directory is left.
t_no_stage() { t_eq "$1" "$(find "$TPL" -maxdepth 1 -name '.tmp-*' 2>/dev/null | wc -l)" 0; }

# words N: N words of text.
words() { python3 -c "import sys; print(' '.join(['word'] * int(sys.argv[1])))" "$1"; }

# py_mime CODE: runs CODE with m = the message parsed from the last OUT.
py_mime() {
	printf '%s' "$OUT" | python3 -c "import email, sys
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
$1"
}

# Parts used below.
{ words 60; echo 'Hello {{name}}, your code is {{ code }}.'; } >"$T/good.txt"
printf '<p>%s</p>\n<p>Hi {{name}}, code {{code}}</p>\n' "$(words 60)" >"$T/good.html"
{ words 60; echo 'see https://evil.example/x'; } >"$T/link.txt"
printf 'short text\n' >"$T/short.txt"
printf 'caf\xe9 latin-1\n' >"$T/latin1.txt"
: >"$T/empty.txt"

# ---- usage -----------------------------------------------------------------------
fresh
run -h
t_match "help_lists_template_commands" "$OUT" 'template add --account NAME --name NAME --type TYPE'
run template
t_rc "template_without_subcommand_is_usage_error" 2
t_match "template_without_subcommand_prints_usage" "$ERR" 'usage: sesctl template render ID --data JSON'
run template frob
t_rc "unknown_template_subcommand_is_usage_error" 2
t_match "unknown_template_subcommand_is_named" "$ERR" 'unknown command "template frob"'

# ---- add ---------------------------------------------------------------------------
run template add --account acme --name Welcome --text "$T/good.txt"
t_rc "add_without_type_is_usage_error" 2
run template add --account acme --name Welcome --type transactional
t_rc "add_without_parts_is_usage_error" 2
run template add --account acme --name Welcome --type test --text "$T/good.txt"
t_rc "add_refuses_unknown_type" 1
t_match "add_unknown_type_lists_types" "$ERR" '--type must be one of trigger, transactional, notification, marketing'
run template add --account ghost --name Welcome --type trigger --text "$T/good.txt"
t_rc "add_refuses_unknown_account" 1
t_match "add_unknown_account_is_named" "$ERR" 'no account ghost'
run template add --account acme --name ' padded' --type trigger --text "$T/good.txt"
t_rc "add_refuses_blank_edged_name" 1
run template add --account acme --name "$(printf 'two\nlines')" --type trigger --text "$T/good.txt"
t_rc "add_refuses_multiline_name" 1
run template add --account acme --name W --type trigger --text "$T/nope.txt"
t_rc "add_refuses_missing_file" 1
t_match "add_missing_file_is_named" "$ERR" "--text $T/nope.txt: cannot open"
run template add --account acme --name W --type trigger --text "$T/latin1.txt"
t_rc "add_refuses_non_utf8_part" 1
t_match "add_non_utf8_explains" "$ERR" 'not valid UTF-8'
run template add --account acme --name W --type trigger --html "$T/empty.txt"
t_rc "add_refuses_empty_part" 1
head -c 1048577 /dev/zero | tr '\0' a >"$T/big.txt"
run template add --account acme --name W --type trigger --text "$T/big.txt"
t_rc "add_refuses_part_over_1_mib" 1
t_match "add_big_part_explains" "$ERR" 'larger than 1048576 bytes'
t_eq "refused_adds_create_no_template" "$(ls "$TPL" 2>/dev/null)" ""

run template add --account acme --name 'Welcome mail' --type transactional \
	--text "$T/good.txt" --html "$T/good.html"
t_rc "add_succeeds" 0
t_match "add_says_added_under_review" "$OUT" '^template 1 added \(under review\)$'
t_match "add_prints_review_findings" "$OUT" 'pass words: 64 words, at least 50 for transactional'
t_eq "add_prints_six_findings" "$(printf '%s\n' "$OUT" | grep -cE '^(pass|FAIL) ')" 6
t_eq "add_templates_dir_mode_0750" "$(stat -c %a "$TPL")" 750
t_eq "add_template_dir_mode_0750" "$(stat -c %a "$TPL/1")" 750
t_eq "add_files_mode_0640" "$(stat -c %a "$TPL/1/template" "$TPL/1/text" "$TPL/1/html" | sort -u)" 640
t_match "add_writes_status_1" "$(cat "$TPL/1/template")" '^Status 1$'
t_match "add_writes_account" "$(cat "$TPL/1/template")" '^Account acme$'
t_match "add_writes_name" "$(cat "$TPL/1/template")" '^Name Welcome mail$'
t_match "add_writes_allow_links_no" "$(cat "$TPL/1/template")" '^AllowLinks no$'
t_eq "add_copies_text_byte_for_byte" "$(cmp "$T/good.txt" "$TPL/1/text" && echo same)" same
t_no_stage "add_leaves_no_staging_dir"

run template add --account beta --name 'Link mail' --type notification --text "$T/link.txt"
t_rc "add_failing_review_still_adds" 0
t_match "add_takes_next_id" "$OUT" '^template 2 added'
t_match "add_reports_failed_check" "$OUT" 'FAIL links: link "https://evil.example/x" \(needs AllowLinks yes\)'
run template add --account beta --name 'Allowed' --type trigger --text "$T/link.txt" --allow-links
t_match "add_allow_links_passes_links" "$OUT" 'pass links: .*allowed'
t_match "add_allow_links_writes_yes" "$(cat "$TPL/3/template")" '^AllowLinks yes$'

# ---- list and show ---------------------------------------------------------------
run template list
t_rc "list_succeeds" 0
t_match "list_has_header" "$OUT" '^ID +ACCOUNT +TYPE +STATUS +NAME$'
t_match "list_shows_template" "$OUT" '^1 +acme +transactional +under-review +Welcome mail$'
t_eq "list_shows_every_template" "$(printf '%s\n' "$OUT" | tail -n +2 | wc -l)" 3
run template list --account beta
t_eq "list_filters_by_account" "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1}' | tr '\n' ' ')" "2 3 "
run template show 1
t_rc "show_succeeds" 0
t_match "show_prints_variables" "$OUT" '^Variables +code, name$'
t_match "show_prints_status" "$OUT" '^Status +1 \(under-review\)$'
t_match "show_prints_text_part" "$OUT" '^Hello \{\{name\}\}, your code is \{\{ code \}\}\.$'
t_match "show_prints_html_part" "$OUT" '^--- html ---$'
run template show 99
t_rc "show_unknown_id_fails" 1
t_match "show_unknown_id_explains" "$ERR" 'no template 99'
run template show 01
t_rc "show_bad_id_fails" 1
t_match "show_bad_id_explains" "$ERR" '"01" is not a template ID'

# ---- check --------------------------------------------------------------------------
run template check 1
t_rc "check_passing_template_exits_0" 0
t_eq "check_prints_six_passes" "$(printf '%s\n' "$OUT" | grep -c '^pass ')" 6
run template check 2
t_rc "check_failing_template_exits_1" 1
t_match "check_prints_failed_check" "$OUT" '^FAIL links: '

# ---- approve and reject --------------------------------------------------------------
sed -i '1a # reviewed by the operator' "$TPL/2/template"
run template approve 2
t_rc "approve_failing_template_succeeds" 0
t_match "approve_says_approved" "$OUT" '^template 2 approved$'
t_match "approve_warns_about_failed_checks" "$ERR" 'warning: template 2 fails the automatic review: links: '
t_match "approve_writes_status_0" "$(cat "$TPL/2/template")" '^Status 0$'
t_match "approve_keeps_comments" "$(cat "$TPL/2/template")" '^# reviewed by the operator$'
t_eq "approve_keeps_parts" "$(cmp "$T/link.txt" "$TPL/2/text" && echo same)" same
t_no_stage "approve_leaves_no_staging_dir"
run template approve 1
t_eq "approve_passing_template_does_not_warn" "$ERR" ""
run template list
t_match "list_shows_approved" "$OUT" '^1 +acme +transactional +approved '
run template reject 2
t_rc "reject_without_reason_is_usage_error" 2
run template reject 2 --reason "$(printf 'a\tb')"
t_rc "reject_refuses_control_characters_in_reason" 1
run template reject 2 --reason 'Links are not allowed'
t_rc "reject_succeeds" 0
t_match "reject_says_rejected" "$OUT" '^template 2 rejected$'
t_match "reject_writes_status_2" "$(cat "$TPL/2/template")" '^Status 2$'
t_match "reject_writes_reason" "$(cat "$TPL/2/template")" '^Reason Links are not allowed$'
run template show 2
t_match "show_prints_reason" "$OUT" '^Reason +Links are not allowed$'
run template approve 2
t_nomatch "approve_removes_reason" "$(cat "$TPL/2/template")" '^Reason'
run template approve 42
t_rc "approve_unknown_id_fails" 1

# ---- refusals when the data would not load ----------------------------------------------
mkdir "$TPL/junk"
run template add --account acme --name X --type trigger --text "$T/short.txt"
t_rc "add_refuses_when_templates_do_not_load" 1
t_match "add_broken_data_names_entry" "$ERR" "$TPL: \"junk\" is not a template ID"
t_match "add_broken_data_says_nothing_changed" "$ERR" 'nothing changed: fix the template data first'
run template list
t_rc "list_fails_when_templates_do_not_load" 1
rmdir "$TPL/junk"
cp -p "$TPL/3/template" "$T/meta3"
printf 'Account acme\nName X\nStatus 5\n' >"$TPL/3/template"
run template approve 1
t_rc "approve_refuses_when_another_template_is_broken" 1
t_match "broken_template_names_file_and_line" "$ERR" "$TPL/3/template:3: Status must be between 0 and 2"
cp -p "$T/meta3" "$TPL/3/template"

# ---- del ---------------------------------------------------------------------------------
run template del 3
t_rc "del_succeeds" 0
t_match "del_says_deleted" "$OUT" '^template 3 deleted$'
t_eq "del_removes_directory" "$(ls -A "$TPL" | tr '\n' ' ')" "1 2 "
run template del 3
t_rc "del_unknown_id_fails" 1
run template del
t_rc "del_without_id_is_usage_error" 2

# ---- reload --------------------------------------------------------------------------------
# A stand-in ses-milter: a copy of sleep(1) with that name; SIGHUP ends it
# (its default action restored: a test run under nohup ignores it).
start_fake() {
	cp "$(command -v sleep)" "$T/ses-milter"
	rm -f "$T/ses-milter.pid" "$T/fake.status"
	sh -c 'env --default-signal=HUP "$1" 60 & echo $! >"$2"; wait $!; echo $? >"$3"' sh \
		"$T/ses-milter" "$T/ses-milter.pid" "$T/fake.status" 2>/dev/null &
	FAKE_SH=$!
	t_wait_file "$T/ses-milter.pid" 5
	FAKE_PID=$(cat "$T/ses-milter.pid")
	t_wait_exec "$FAKE_PID" ses-milter 5
}
fake_end() {
	# a SIGHUP sesctl sent is pending or delivered by now; pending together
	# with the SIGTERM, the lower-numbered SIGHUP is delivered first
	kill -TERM "$FAKE_PID" 2>/dev/null
	wait "$FAKE_SH"
	_st=$(cat "$T/fake.status" 2>/dev/null)
	case $_st in 129) FAKE_END=hup ;; 143) FAKE_END=alive ;; *) FAKE_END="exit $_st" ;; esac
	FAKE_PID=
}
printf 'PidFile %s\n' "$T/ses-milter.pid" >>"$CONF"
start_fake
run template add --account acme --name Reloaded --type trigger --text "$T/short.txt"
t_match "add_reloads_running_milter" "$OUT" "ses-milter \\(pid $FAKE_PID\\) reloaded"
fake_end
t_eq "add_sends_sighup" "$FAKE_END" hup
start_fake
run template check 1
fake_end
t_eq "check_sends_nothing" "$FAKE_END" alive
start_fake
run --no-reload template reject 1 --reason 'later'
fake_end
t_eq "no_reload_sends_nothing" "$FAKE_END" alive

# ---- render ------------------------------------------------------------------------------------
fresh
ok template add --account acme --name Both --type transactional --text "$T/good.txt" --html "$T/good.html"
ok template approve 1
run template render 1 --data '{"name":"Zoë <b>&","code":"42"}'
t_rc "render_succeeds" 0
t_eq "render_is_not_noisy_for_approved" "$ERR" ""
t_eq "render_first_header_is_mime_version" "$(printf '%s\n' "$OUT" | head -1 | tr -d '\r')" "MIME-Version: 1.0"
t_eq "render_is_multipart_alternative" "$(py_mime 'print(m.get_content_type())')" multipart/alternative
t_eq "render_parts_are_text_then_html" "$(py_mime 'print(" ".join(p.get_content_type() for p in m.iter_parts()))')" \
	"text/plain text/html"
t_match "render_text_has_raw_value" "$(py_mime 'print(list(m.iter_parts())[0].get_content())')" \
	'Hello Zoë <b>&, your code is 42\.'
t_match "render_html_has_escaped_value" "$(py_mime 'print(list(m.iter_parts())[1].get_content())')" \
	'Hi Zoë &lt;b&gt;&amp;, code 42'
t_eq "render_parses_without_defects" "$(py_mime 'print(sum(len(p.defects) for p in m.walk()))')" 0
t_eq "render_uses_crlf_line_ends" "$(printf '%s' "$OUT" | grep -c $'[^\r]$')" 0
run template render 1 --data '{"name":"x"}'
t_rc "render_missing_variable_fails" 1
t_match "render_missing_variable_names_error" "$ERR" 'InvalidParameterValue\.TemplateNotMatchData'
t_eq "render_error_prints_no_message" "$OUT" ""
run template render 1 --data '{"name":"x","code":"1","extra":"y"}'
t_match "render_unknown_variable_names_error" "$ERR" 'InvalidParameterValue\.TemplateNotMatchData'
run template render 1 --data 'not json'
t_rc "render_non_json_fails" 1
t_match "render_non_json_names_error" "$ERR" 'InvalidParameterValue\.TemplateDataError'
run template render 1 --data '{"name":1,"code":"1"}'
t_match "render_non_string_value_names_error" "$ERR" 'InvalidParameterValue\.TemplateDataError'
run template render 1 --data "{\"name\":\"$(head -c 800 /dev/zero | tr '\0' x)\",\"code\":\"1\"}"
t_rc "render_data_over_800_bytes_fails" 1
t_match "render_long_data_names_error" "$ERR" 'InvalidParameterValue\.TemplateDataLenLimit'
run template render 1
t_rc "render_without_data_is_usage_error" 2
ok template add --account acme --name TextOnly --type trigger --text "$T/short.txt"
run template render 2 --data '{}'
t_rc "render_unapproved_template_still_renders" 0
t_match "render_unapproved_notes_refusal" "$ERR" 'OperationDenied\.TemplateStatusError'
t_eq "render_text_only_is_text_plain" "$(py_mime 'print(m.get_content_type())')" text/plain
t_eq "render_text_only_body" "$(py_mime 'print(m.get_content().strip())')" "short text"

t_done
