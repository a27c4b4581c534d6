#!/bin/sh
# t_miltertest.sh - milter-protocol tests: the real ses-milter daemon driven
# by Debian's miltertest(8).
#
# Each case is one file named after the behaviour it checks: NAME.lua, run
# by miltertest with the helpers of lib.lua, or a function of rawmilter.py
# for what miltertest cannot send (header values over 1 KB, client port 0,
# reply texts before end of message).  The daemon runs in the foreground on
# a unix socket in a temporary directory, with its own config and account
# files, logging at debug level to a file that the cases read for reply
# texts.  Cases that signal or reconfigure the daemon get a fresh one.
# After every case the log is checked for a crashed (and restarted)
# milter process.
#
#     sh t_miltertest.sh [CASE...]     (no CASE: all of them)
#
# Environment: top_builddir (the build directory holding ses-milter;
# default the current directory), top_srcdir (default: this checkout).
# Needs miltertest and python3.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
T_SUITE=miltertest
. "$top_srcdir/tests/lib/testlib.sh"

here=$top_srcdir/tests/milter
bin=$top_builddir/ses-milter

if ! command -v miltertest >/dev/null 2>&1; then
	t_skip all "miltertest is not installed (apt-get install miltertest)"
	t_done
	exit
fi
if [ ! -x "$bin" ]; then
	t_fail all "got no executable $bin, want the built daemon"
	t_done
	exit 1
fi

only=" $* "

# wanted CASE: true when CASE is to run.
wanted() {
	[ "$only" = "  " ] && return 0
	case $only in *" $1 "*) return 0 ;; esac
	return 1
}

tmp=$(mktemp -d /tmp/ses-miltertest.XXXXXX) || exit 1
daemons=""	# supervisor PIDs started here

# reap PID: waits up to 10 s for a signalled daemon, then SIGKILLs it and
# its milter process.
reap() {
	_n=0
	while kill -0 "$1" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.1; _n=$((_n + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		# the milter process first, so that the supervisor reaps it
		for _c in $(pgrep -P "$1"); do kill -KILL "$_c" 2>/dev/null; done
		_n=0
		while kill -0 "$1" 2>/dev/null && [ $_n -lt 20 ]; do
			sleep 0.1; _n=$((_n + 1))
		done
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	return 0
}

# Daemons still running are stopped together: libmilter takes up to 5 s
# (its listener's poll) to notice SIGTERM.
cleanup() {
	for _p in $daemons; do kill -TERM "$_p" 2>/dev/null; done
	for _p in $daemons; do reap "$_p"; done
	[ -n "${mc_pid:-}" ] && kill -TERM "$mc_pid" 2>/dev/null && wait "$mc_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The shared-state rules need memcached: one private server for the suite.
if ! command -v memcached >/dev/null 2>&1; then
	t_skip all "memcached is not installed (apt-get install memcached)"
	t_done
	exit $?
fi
mc_port=$(t_free_port)
memcached -l 127.0.0.1 -p "$mc_port" -U 0 -u nobody -m 64 >"$tmp/memcached.log" 2>&1 </dev/null &
mc_pid=$!
t_wait_port "$mc_port" 10 || { t_fail memcached "did not start on port $mc_port"; t_done; exit 1; }

# make_instance NAME [CONFIG LINE...]: config and account data in $tmp/NAME.
make_instance() {
	_d=$tmp/$1
	shift
	mkdir -p "$_d/data/accounts"
	{
		echo "Socket unix:$_d/sock"
		echo "LogTo stderr"
		echo "LogLevel debug"
		echo "DataDir $_d/data"
		echo "LocalAccount local"
		echo "MemcachedServers 127.0.0.1:$mc_port"
		# these cases are about other rules: keep the shared limits out of reach
		echo "RecipientHourlyLimit 1000"
		# inbound mail is checked in t_inbound.sh, against its DNS stub
		echo "InboundChecks no"
		echo "MaxSendsPerSecond 1000000"
		for _l in "$@"; do echo "$_l"; done
	} >"$_d/conf"
	cat >"$_d/data/accounts/acme" <<-EOF
		CustomContent yes
		# the main customer: SMTP AUTH or its own network
		Login acme-smtp
		Network 192.0.2.0/24
		Domain acme.example verified
		Domain pending.example unverified
	EOF
	cat >"$_d/data/accounts/one" <<-EOF
		CustomContent yes
		Login one-smtp
		Domain one.example verified
		MaxRecipients 1
	EOF
	cat >"$_d/data/accounts/sleepy" <<-EOF
		Login sleepy-smtp
		Domain sleepy.example verified
		Suspended yes
	EOF
	cat >"$_d/data/accounts/local" <<-EOF
		CustomContent yes
		# what sendmail(1) on this host sends
		Domain local.example verified
	EOF
	cat >"$_d/data/accounts/tmpl" <<-EOF
		# templates only: the client's Content-Type reaches the MIME builder
		Login tmpl-smtp
		Domain tmpl.example verified
	EOF
	mkdir -p "$_d/data/templates/1"
	printf 'Account tmpl\nName Welcome\nType transactional\nStatus 0\n' \
		>"$_d/data/templates/1/template"
	printf 'Hello {{name}}, welcome.\n' >"$_d/data/templates/1/text"
}

# start_instance NAME: starts the daemon; returns 1 when it does not listen.
start_instance() {
	_d=$tmp/$1
	# start_nofile: the open files limit (soft and hard) of a case's daemon
	( [ -n "${start_nofile:-}" ] && ulimit -n "$start_nofile"; exec "$bin" -f -c "$_d/conf" ) \
		2>>"$_d/log" &
	echo $! >"$_d/pid"
	daemons="$daemons $!"
	t_wait_file "$_d/sock" 10 || return 1
	_n=0
	until grep -q "listening on" "$_d/log" 2>/dev/null; do
		[ $_n -ge 100 ] && return 1
		sleep 0.1; _n=$((_n + 1))
	done
}

crashes() { grep -c "killed by signal\|milter process [0-9]* stopped" "$tmp/$1/log" 2>/dev/null; }

# report NAME RC OUTPUT INSTANCE CRASHES_BEFORE
report() {
	_after=$(crashes "$4")
	if [ "${_after:-0}" -gt "${5:-0}" ]; then
		t_fail "$1" "got the milter process killed by a signal ($(grep "killed by signal" "$tmp/$4/log" | tail -1)), want no crash"
	elif [ "$2" -eq 0 ]; then
		t_pass "$1"
	elif [ "$2" -eq 77 ]; then
		t_skip "$1" "$3"
	elif [ -z "$3" ]; then
		t_fail "$1" "got exit status $2 and no output, want the case to pass"
	else
		t_fail "$1" "$(printf '%s' "$3" | head -20 | tr '\n' '|' | sed 's/|$//; s/|/; /g')"
	fi
}

# case_env INSTANCE: the environment a case reads.
case_env() {
	_d=$tmp/$1
	echo "MT_SOCKET=unix:$_d/sock MT_LOG=$_d/log MT_PID=$(cat "$_d/pid") MT_CONF=$_d/conf MT_DATADIR=$_d/data MT_LIB=$here/lib.lua MT_SESCTL=$top_builddir/sesctl/sesctl"
}

# lua INSTANCE CASE: runs CASE.lua with miltertest.  SIGPIPE is ignored so
# that a connection the daemon drops is an error the case reports.
lua() {
	wanted "$2" || return 0
	_before=$(crashes "$1")
	_out=$(trap '' PIPE; env $(case_env "$1") miltertest -s "$here/$2.lua" </dev/null 2>&1)
	report "$2" $? "$_out" "$1" "$_before"
}

# raw INSTANCE CASE: runs a case of rawmilter.py.
raw() {
	wanted "$2" || return 0
	_before=$(crashes "$1")
	_out=$(env $(case_env "$1") python3 "$here/rawmilter.py" "$2" </dev/null 2>&1)
	report "$2" $? "$_out" "$1" "$_before"
}

# guard INSTANCE CASE: runs a case of guard_cases.py.
guard() {
	wanted "$2" || return 0
	_before=$(crashes "$1")
	_out=$(env $(case_env "$1") MT_STALLED="${stalled:-300}" python3 "$here/guard_cases.py" "$2" </dev/null 2>&1)
	report "$2" $? "$_out" "$1" "$_before"
}

# fresh KIND CASE [CONFIG LINE...]: CASE with a daemon of its own.
fresh() {
	_kind=$1 _case=$2
	shift 2
	wanted "$_case" || return 0
	make_instance "$_case" "$@"
	if start_instance "$_case"; then
		$_kind "$_case" "$_case"
	else
		t_fail "$_case" "got no listening daemon ($(tail -3 "$tmp/$_case/log")), want one"
	fi
}

# ---- config check mode (-n): a function per case, each its own files ----

# check_rc NAME CASE: runs -n on instance NAME's config into $out and $rc.
check_rc() {
	out=$("$bin" -n -c "$tmp/$1/conf" 2>&1)
	rc=$?
}

config_check_accepts_good_config() {
	make_instance "$1"
	check_rc "$1"
	t_eq "$1" "exit $rc, $(printf '%s\n' "$out" | grep -c 'configuration OK') 'configuration OK' line" \
		"exit 0, 1 'configuration OK' line"
}

config_check_reports_every_error_with_file_line() {
	make_instance "$1"
	printf 'NoSuchKey 1\nMaxRecipients 0\n' >>"$tmp/$1/conf"
	n=$(wc -l <"$tmp/$1/conf")
	check_rc "$1"
	first=$(printf '%s\n' "$out" | grep -c "^$tmp/$1/conf:$((n - 1)): .*NoSuchKey")
	second=$(printf '%s\n' "$out" | grep -c "^$tmp/$1/conf:$n: .*MaxRecipients")
	t_eq "$1" \
		"exit $([ $rc -ne 0 ] && echo non-zero || echo 0), line $((n - 1)) reported $first, line $n reported $second" \
		"exit non-zero, line $((n - 1)) reported 1, line $n reported 1"
}

config_check_reports_account_file_errors() {
	make_instance "$1"
	printf 'Domain not_a_domain verified\n' >>"$tmp/$1/data/accounts/one"
	check_rc "$1"
	if [ $rc -eq 0 ]; then
		t_fail "$1" "got exit status 0, want non-zero"
	else
		t_match "$1" "$out" "$tmp/$1/data/accounts/one:5: "
	fi
}

config_check_names_file_line_of_duplicate_domain() {
	make_instance "$1"
	printf 'Domain acme.example verified\n' >"$tmp/$1/data/accounts/copycat"
	check_rc "$1"
	if [ $rc -eq 0 ]; then
		t_fail "$1" "got exit status 0, want non-zero"
	else
		t_match "$1" "$out" "$tmp/$1/data/accounts/(copycat|acme):[0-9]+: .*acme\\.example"
	fi
}

for c in config_check_accepts_good_config config_check_reports_every_error_with_file_line \
	config_check_reports_account_file_errors config_check_names_file_line_of_duplicate_domain; do
	wanted "$c" && "$c" "$c"
done

# ---- the main instance: default limits ----

make_instance main
if ! start_instance main; then
	t_fail start "got no listening daemon ($(tail -3 "$tmp/main/log")), want one"
	t_done
	exit 1
fi

lua main inbound_client_accepted_at_mail
lua main localhost_tcp_client_is_inbound
lua main trusted_network_selects_account
lua main auth_login_selects_account
lua main auth_login_takes_precedence_over_network
lua main unknown_auth_login_refused
lua main unverified_domain_refused
lua main foreign_domain_refused
lua main null_sender_refused_for_account
lua main suspended_account_refused
lua main fiftieth_recipient_accepted_fifty_first_refused
lua main message_state_resets_between_transactions
lua main subject_998_chars_accepted
lua main subject_999_chars_refused
lua main subject_invalid_utf8_refused
lua main subject_missing_refused
lua main subject_empty_refused
lua main two_subjects_refused
lua main subject_over_78_chars_logged_not_refused
lua main message_4mib_at_default_limit_accepted
lua main message_4mib_one_byte_over_refused
lua main ten_attachments_accepted
lua main eleven_attachments_refused
lua main local_submission_defers_recipient_refusal_to_eom
lua main local_submission_refused_recipient_deleted
lua main hostile_addresses_no_crash
lua main hostile_10k_headers_no_crash
lua main hostile_binary_body_no_crash
raw main subject_998_cjk_chars_rfc2047_accepted
raw main subject_999_cjk_chars_rfc2047_refused
raw main subject_998_raw_utf8_chars_accepted
raw main reply_text_reaches_the_mta_at_mail
raw main reply_text_reaches_the_mta_at_rcpt
raw main reply_text_is_sanitized
raw main local_submission_postfix_port0_uses_local_account
raw main header_100kb_value_no_crash
raw main body_with_nul_bytes_no_crash
raw main hostile_content_type_refused_next_session_served
raw main refused_edit_tempfails_and_logs_tempfail
raw main content_replies_each_answers_every_header

# ---- local submission at the default rate (MaxSendsPerSecond 20) ----

if wanted local_submission_21_recipients_accepted ||
   wanted local_submission_50_recipients_accepted ||
   wanted local_submission_51_recipients_too_many; then
	make_instance rate
	echo "MaxSendsPerSecond 20" >>"$tmp/rate/data/accounts/local"
	if start_instance rate; then
		raw rate local_submission_21_recipients_accepted
		raw rate local_submission_50_recipients_accepted
		raw rate local_submission_51_recipients_too_many
	else
		t_fail start_rate "got no listening daemon ($(tail -3 "$tmp/rate/log")), want one"
	fi
fi

# ---- MaxMessageSize 2048 in the config ----

if wanted message_exactly_at_limit_accepted || wanted message_one_byte_over_refused; then
	make_instance small "MaxMessageSize 2048"
	if start_instance small; then
		lua small message_exactly_at_limit_accepted
		lua small message_one_byte_over_refused
	else
		t_fail start_small "got no listening daemon ($(tail -3 "$tmp/small/log")), want one"
	fi
fi

# ---- ContentReplies end: headers and body sent with no reply ----

if wanted no_reply_stages_message_accepted_at_eom ||
   wanted no_reply_header_refusal_given_at_eom ||
   wanted no_reply_end_of_header_refusal_given_at_eom ||
   wanted no_reply_refusal_then_abort_forgotten ||
   wanted no_reply_mta_without_it_gets_continue_refusal_at_eom; then
	make_instance noreply "ContentReplies end"
	if start_instance noreply; then
		raw noreply no_reply_stages_message_accepted_at_eom
		raw noreply no_reply_header_refusal_given_at_eom
		raw noreply no_reply_end_of_header_refusal_given_at_eom
		raw noreply no_reply_refusal_then_abort_forgotten
		raw noreply no_reply_mta_without_it_gets_continue_refusal_at_eom
	else
		t_fail start_noreply "got no listening daemon ($(tail -3 "$tmp/noreply/log")), want one"
	fi
fi

# ---- reload and stop: a daemon each ----

fresh lua reload_keeps_old_config_on_error
fresh lua reload_applies_new_data

# A storm of macro packets with an odd string count (libmilter's
# smfi_getsymval would read past its array): the same daemon serves on.
guard main odd_macro_storm_keeps_serving
if wanted odd_macro_storm_keeps_serving; then
	t_eq odd_macro_storm_logged_rate_limited \
		"$(grep -c 'malformed macro packet' "$tmp/main/log") line(s)" "1 line(s)"
fi

# 300 connections that never send a byte, with an open files limit of 128:
# the idle ones are shut down, oldest first, and normal sessions are served.
start_nofile=128 stalled=300
fresh guard stalled_connections_shed_normal_sessions_served
start_nofile="" stalled=""

# worker_pid SUPERVISOR: the milter process's PID, or nothing.
worker_pid() { pgrep -P "$1" | head -1; }

# The milter process killed six times (SIGKILL, SIGSEGV): the supervisor
# restarts it every time, each restart later than the one before, and the
# last one serves.
supervisor_restarts_with_backoff() {
	make_instance "$1"
	# under AddressSanitizer a SIGSEGV must stay a signal, not become exit 1
	if ! ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}handle_segv=0" start_instance "$1"; then
		t_fail "$1" "got no listening daemon, want one"
		return
	fi
	_sup=$(cat "$tmp/$1/pid")
	for _i in 1 2 3 4 5 6; do
		_w=$(worker_pid "$_sup")
		[ -z "$_w" ] && break
		[ $((_i % 2)) -eq 0 ] && kill -SEGV "$_w" || kill -KILL "$_w"
		_n=0
		until [ "$(grep -c 'listening on' "$tmp/$1/log")" -gt "$_i" ] || [ $_n -ge 300 ]; do
			sleep 0.1; _n=$((_n + 1))
		done
	done
	_delays=$(sed -n 's/.*killed by signal.*restarting in \([0-9]*\) ms.*/\1/p' "$tmp/$1/log" | tr '\n' ' ')
	t_eq "$1" "$(grep -c 'listening on' "$tmp/$1/log") starts, delays ${_delays}" \
		"7 starts, delays 100 200 400 800 1600 3200 "
	_out=$(env $(case_env "$1") python3 -c 'import sys; sys.path.insert(0, sys.argv[1])
from guard_cases import served
from rawmilter import Case
sys.exit(0 if served(Case(), "after-restarts") else 1)' "$here" 2>&1)
	t_eq supervisor_restarted_milter_serves "exit $? $_out" "exit 0 "
	t_match supervisor_logs_crash_at_crit "$(grep 'killed by signal 11' "$tmp/$1/log" | head -1)" \
		'crit: milter process [0-9]+ killed by signal 11 \(Segmentation fault\)'
}
wanted supervisor_restarts_with_backoff && supervisor_restarts_with_backoff supervisor_restarts_with_backoff

# After SIGTERM the session in flight ends, then the daemon exits.
if wanted sigterm_finishes_session_in_flight; then
	make_instance sigterm
	if start_instance sigterm; then
		pid=$(cat "$tmp/sigterm/pid")
		lua sigterm sigterm_finishes_session_in_flight
		n=0
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
		if kill -0 "$pid" 2>/dev/null; then
			t_fail sigterm_exits_after_session "got process $pid running 15 s after SIGTERM, want it gone"
		else
			wait "$pid"
			rc=$?
			t_eq sigterm_exits_after_session \
				"status $rc, $(grep -c 'ses-milter stopped' "$tmp/sigterm/log") 'stopped' line" \
				"status 0, 1 'stopped' line"
		fi
	else
		t_fail sigterm_finishes_session_in_flight "got no listening daemon, want one"
	fi
fi

t_done
