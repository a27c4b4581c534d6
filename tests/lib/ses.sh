# ses.sh - a ses-milter daemon for the end-to-end tests and the demo
# (sourced, not run; uses testlib.sh's t_wait_port; the functions work
# under set -e as well).  The MTA drivers (postfix.sh, sendmail.sh) source
# it; the daemon's files live under DIR/ses/ of an MTA instance DIR:
#
#   DIR/ses/ses-milter.conf   written by ses_write_conf
#   DIR/ses/accounts/         one file per account (ses_add_account)
#   DIR/ses/ses-milter.log    the daemon's stderr (LogTo stderr)
#   DIR/ses/test.pid          the PID of the process ses_start started
#
# Functions (each documented below):
#   ses_write_conf DIR [KEY VALUE...]      ses_add_account DIR NAME LINES...
#   ses_start DIR    ses_stop DIR          ses_summary DIR [QUEUEID]
#   ses_socket DIR   ses_milter_socket DIR ses_postfix_socket SOCKET

SES_MILTER=${SES_MILTER:-${top_builddir:-.}/ses-milter}

# ses_write_conf DIR [KEY VALUE]...: writes DIR/ses/ses-milter.conf: a unix
# socket DIR/ses/sock reachable by group postfix, log to stderr at debug,
# DataDir DIR/ses, the inbound checks off (their DNS lookups belong to
# the suites about them, which turn them on) and no metrics listener (suites
# run daemons side by side); each KEY VALUE pair replaces a
# default or adds a key.
ses_write_conf() {
	local dir=$1 k
	shift
	local -A conf=(
		[Socket]="unix:$dir/ses/sock" [SocketGroup]=postfix [SocketMode]=0660
		[LogTo]=stderr [LogLevel]=debug [DataDir]="$dir/ses" [InboundChecks]=no
		[MetricsListen]=off
	)
	local order=(Socket SocketGroup SocketMode LogTo LogLevel DataDir InboundChecks
		MetricsListen)
	while [ $# -ge 2 ]; do
		[ -n "${conf[$1]+set}" ] || order+=("$1")
		conf[$1]=$2
		shift 2
	done
	mkdir -p "$dir/ses/accounts" && chmod 755 "$dir" "$dir/ses"
	for k in "${order[@]}"; do
		printf '%-16s %s\n' "$k" "${conf[$k]}"
	done > "$dir/ses/ses-milter.conf"
}

# ses_add_account DIR NAME [LINE...]: writes account NAME's file, one LINE
# ("Network 127.0.0.2/32", "Domain example.com verified", ...) a line.
ses_add_account() {
	local dir=$1 name=$2
	shift 2
	mkdir -p "$dir/ses/accounts"
	printf '%s\n' "# account $name" "$@" > "$dir/ses/accounts/$name"
}

# ses_milter_socket DIR: prints the configured Socket as written, in
# libmilter's form (unix:PATH or inet:PORT@HOST), which is also the form of
# Sendmail's S= equate.
ses_milter_socket() {
	awk '$1 == "Socket" { print $2 }' "$1/ses/ses-milter.conf"
}

# ses_postfix_socket SOCKET: prints a libmilter socket in the form of
# Postfix's smtpd_milters (unix:PATH or inet:HOST:PORT).
ses_postfix_socket() {
	local s=$1
	case $s in
	unix:* | local:*) printf 'unix:%s\n' "${s#*:}" ;;
	/*) printf 'unix:%s\n' "$s" ;;
	inet:*@*) s=${s#inet:}; printf 'inet:%s:%s\n' "${s#*@}" "${s%@*}" ;;
	inet:*) printf '%s\n' "$s" ;;
	esac
}

# ses_socket DIR: prints the Postfix milter address of the configured Socket
# (unix:PATH or inet:HOST:PORT).
ses_socket() {
	ses_postfix_socket "$(ses_milter_socket "$1")"
}

# ses_start DIR: starts ses-milter in the foreground mode in the background
# with DIR/ses/ses-milter.conf, stderr to DIR/ses/ses-milter.log, and waits
# until its socket accepts connections.
ses_start() {
	local dir=$1 sock i=0
	sock=$(ses_socket "$dir")
	[ -x "$SES_MILTER" ] || { echo "ses_start: no program $SES_MILTER" >&2; return 1; }
	rm -f "$dir/ses/sock"
	"$SES_MILTER" -f -c "$dir/ses/ses-milter.conf" >>"$dir/ses/ses-milter.log" 2>&1 &
	echo $! > "$dir/ses/test.pid"
	while [ $i -lt 100 ]; do
		kill -0 "$(cat "$dir/ses/test.pid")" 2>/dev/null || {
			echo "ses_start: ses-milter exited:" >&2; cat "$dir/ses/ses-milter.log" >&2; return 1; }
		case $sock in
		unix:*) [ -S "${sock#unix:}" ] && return 0 ;;
		inet:*) t_wait_port "${sock##*:}" 1 && return 0 ;;
		esac
		sleep 0.1; i=$((i + 1))
	done
	echo "ses_start: no socket $sock after 10 s" >&2
	return 1
}

# ses_stop DIR: stops the ses-milter started by ses_start with TERM (KILL
# after 5 s).  Returns its exit status: 0 for a clean stop.
ses_stop() {
	local pid i rc
	pid=$(cat "$1/ses/test.pid" 2>/dev/null) || return 0
	rm -f "$1/ses/test.pid"
	kill "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "ses_stop: ses-milter $pid ignored TERM" >&2
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return 1
	fi
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	[ $rc -eq 127 ] && rc=0	# not this shell's child: its status is unknown
	return $rc
}

# ses_summary DIR [QUEUEID]: prints ses-milter's last summary line (the one
# for QUEUEID when given).
ses_summary() {
	grep -E "${2:-[A-Za-z0-9]+}: summary " "$1/ses/ses-milter.log" 2>/dev/null | tail -n 1
}
