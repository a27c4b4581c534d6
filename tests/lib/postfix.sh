# postfix.sh - a private Postfix instance and a ses-milter daemon for the
# end-to-end tests and the demo (sourced, not run; needs root; the
# functions work under set -e as well).  Uses testlib.sh's t_wait_port.
#
# Everything lives under one directory DIR, so several instances can run at
# once and nothing touches /etc/postfix:
#
#   DIR/etc/        main.cf, master.cf, maps           (postfix -c DIR/etc)
#   DIR/queue/      queue_directory
#   DIR/data/       data_directory (master.lock, caches)
#   DIR/mail/ADDR   one mailbox file per recipient address
#   DIR/maillog     Postfix's log (maillog_file through postlogd)
#   DIR/etc/sasl/   Cyrus SASL smtpd.conf and sasldb2 for SMTP AUTH (Debian's
#                   smtpd reads $config_directory/sasl/smtpd.conf)
#   DIR/ses/        ses-milter.conf, accounts/, ses-milter.log
#
# Mail for every domain is delivered locally (one mbox file per address);
# default_transport is error:, so no message ever leaves the machine.
#
# Functions (each documented below):
#   pf_start DIR SMTP_PORT MILTER [main.cf lines...]   pf_stop DIR
#   pf_send DIR OUT [swaks options...]     pf_reply OUT STAGE     pf_status OUT STAGE
#   pf_replies OUT STAGE                   pf_queue_id OUT        pf_sent_data OUT
#   pf_wait_mail DIR ADDR [SECONDS]        pf_mailbox DIR ADDR    pf_delivered DIR ADDR
#   pf_sendmail DIR ARGS...                pf_add_user DIR USER PASSWORD
#   pf_log DIR
#   ses_write_conf DIR [KEY VALUE...]      ses_add_account DIR NAME LINES...
#   ses_start DIR    ses_stop DIR          ses_socket DIR         ses_summary DIR [QUEUEID]

PF_HOSTNAME=mx.example.test
PF_MAIL_USER=nobody

# pf_start DIR SMTP_PORT MILTER [LINE...]: writes a Postfix instance under DIR
# with smtpd on 127.0.0.1:SMTP_PORT and smtpd_milters = MILTER (empty: none),
# applies each LINE ("name = value") with postconf -e, checks and starts it
# and waits for the port.  Returns non-zero with the reason on stderr.
pf_start() {
	local dir=$1 port=$2 milter=$3 line
	shift 3
	mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/mail" "$dir/etc/sasl" || return 1
	chmod 755 "$dir" "$dir/etc" "$dir/etc/sasl"
	pf_reachable "$dir" || {
		echo "pf_start: user postfix cannot reach $dir (a parent directory is closed)" >&2
		return 1; }
	chown "$PF_MAIL_USER:" "$dir/mail" && chmod 755 "$dir/mail" || return 1
	chown postfix:postfix "$dir/data"
	printf '%s\n' "$port" > "$dir/smtp_port"
	pf_write_main "$dir" "$milter" > "$dir/etc/main.cf"
	pf_write_master "$port" "$dir" > "$dir/etc/master.cf"
	printf '/^(.+)$/ OK\n' > "$dir/etc/vdomains"
	printf '/^.+@.+$/ any\n' > "$dir/etc/vmailbox"
	cat > "$dir/etc/sasl/smtpd.conf" <<-EOF
		pwcheck_method: auxprop
		auxprop_plugin: sasldb
		mech_list: PLAIN LOGIN
		sasldb_path: $dir/etc/sasl/sasldb2
	EOF
	for line in "$@"; do
		postconf -c "$dir/etc" -e "$line" || return 1
	done
	postfix -c "$dir/etc" check >"$dir/check.log" 2>&1 || {
		echo "pf_start: postfix check failed:" >&2; cat "$dir/check.log" >&2; return 1; }
	postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 || {
		echo "pf_start: postfix start failed:" >&2; cat "$dir/start.log" "$dir/maillog" >&2 2>/dev/null
		return 1; }
	t_wait_port "$port" 20 || {
		echo "pf_start: nothing listens on 127.0.0.1:$port" >&2; cat "$dir/maillog" >&2 2>/dev/null
		return 1; }
}

# pf_reachable DIR: true when user postfix can enter DIR (Postfix's daemons
# run as postfix and need the queue and the milter's unix socket).
pf_reachable() {
	runuser -u postfix -- test -x "$1" 2>/dev/null
}

# pf_write_main DIR MILTER: prints main.cf for pf_start.
pf_write_main() {
	cat <<-EOF
		# private test instance written by tests/lib/postfix.sh
		compatibility_level = 3.6
		config_directory = $1/etc
		queue_directory = $1/queue
		data_directory = $1/data
		mail_owner = postfix
		setgid_group = postdrop
		maillog_file = $1/maillog
		maillog_file_prefixes = $1
		myhostname = $PF_HOSTNAME
		mydomain = example.test
		myorigin = \$myhostname
		mydestination =
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		relayhost =
		smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
		smtpd_peername_lookup = no
		smtp_host_lookup = native
		biff = no
		append_dot_mydomain = no
		alias_maps =
		alias_database =
		local_recipient_maps =
		default_transport = error:mail leaves no test instance
		relay_transport = error:mail leaves no test instance
		virtual_mailbox_domains = regexp:$1/etc/vdomains
		virtual_mailbox_maps = regexp:$1/etc/vmailbox
		virtual_transport = mailbox
		mailbox_destination_recipient_limit = 1
		mailbox_destination_concurrency_limit = 1
		message_size_limit = 20480000
		smtpd_milters = $2
		non_smtpd_milters =
		milter_protocol = 6
		milter_default_action = tempfail
		milter_connect_macros = j {daemon_name} {daemon_addr} v _ {client_addr} {client_name}
		milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
		smtpd_sasl_auth_enable = yes
		smtpd_sasl_type = cyrus
		smtpd_sasl_path = smtpd
		cyrus_sasl_config_path = $1/etc/sasl
		smtpd_sasl_local_domain =
		smtpd_sasl_security_options = noanonymous
		broken_sasl_auth_clients = no
		smtputf8_enable = yes
		delay_warning_time = 0
		queue_run_delay = 10s
		minimal_backoff_time = 10s
	EOF
}

# pf_write_master PORT DIR: prints master.cf for pf_start; nothing is
# chrooted.  The mailbox service appends each recipient's copy to
# DIR/mail/ADDRESS: virtual(8) would be the natural choice, but it refuses
# $1 substitutions from a regexp virtual_mailbox_maps, so a per-address file
# for any address needs pipe(8).
pf_write_master() {
	cat <<-EOF
		# service type  private unpriv  chroot  wakeup  maxproc command
		127.0.0.1:$1 inet n   -       n       -       -       smtpd
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		proxywrite unix -       -       n       -       1       proxymap
		smtp      unix  -       -       n       -       -       smtp
		relay     unix  -       -       n       -       -       smtp
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		local     unix  -       n       n       -       -       local
		virtual   unix  -       n       n       -       -       virtual
		lmtp      unix  -       -       n       -       -       lmtp
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
		mailbox   unix  -       n       n       -       -       pipe
		  flags=FDR> user=$PF_MAIL_USER argv=/bin/dd status=none conv=notrunc oflag=append of=$2/mail/\${recipient}
	EOF
}

# pf_stop DIR: stops the instance under DIR; kills a master left behind by PID.
pf_stop() {
	local dir=$1 pid i
	[ -f "$dir/etc/main.cf" ] || return 0
	pid=$(tr -dc 0-9 2>/dev/null < "$dir/queue/pid/master.pid") || pid=
	postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
	[ -n "$pid" ] || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	return 0
}

# pf_add_user DIR USER PASSWORD: adds an SMTP AUTH login (realm mx.example.test)
# to the instance's sasldb, readable by smtpd running as user postfix.
pf_add_user() {
	printf '%s' "$3" | saslpasswd2 -p -c -f "$1/etc/sasl/sasldb2" -u "$PF_HOSTNAME" "$2" || return 1
	chown root:postfix "$1/etc/sasl/sasldb2" && chmod 640 "$1/etc/sasl/sasldb2"
}

# pf_send DIR OUT [OPTION...]: one SMTP session with swaks against the
# instance under DIR; the whole transcript goes to OUT.  The options are
# swaks's (--from, --to a,b,..., --header "Subject: x", --body, --attach,
# --auth PLAIN --auth-user U --auth-password P, --local-interface 127.0.0.2).
# Returns swaks's status (0: message accepted).
pf_send() {
	local dir=$1 out=$2
	shift 2
	swaks --server 127.0.0.1 --port "$(cat "$dir/smtp_port")" \
		--helo client.example.test --timeout 60 "$@" > "$out" 2>&1 </dev/null
}

# pf_replies OUT STAGE: prints every server reply of STAGE in the swaks
# transcript OUT, one line each (the last line of a multi-line reply).
# STAGE is connect, ehlo, auth, mail, rcpt, data (the 354) or dot (the reply
# to the end of the message).
pf_replies() {
	awk -v want="$2" '
		{ sub(/\r$/, "") }
		/^ -> / { if (!indata) { verb = tolower($2); sub(/:.*/, "", verb) } next }
		/^(<-|<\*\*)  ?[0-9][0-9][0-9] / {
			line = $0; sub(/^(<-|<\*\*) +/, "", line)
			stage = verb == "" ? "connect" : verb
			if (indata) { stage = "dot"; indata = 0 }
			else if (stage == "data" && line ~ /^354/) indata = 1
			if (stage == want) print line
			if (stage == "dot") verb = "dotdone"
		}' "$1"
}

# pf_reply OUT STAGE: prints the last server reply of STAGE (see pf_replies).
pf_reply() {
	pf_replies "$1" "$2" | tail -n 1
}

# pf_status OUT STAGE: prints the code, enhanced code and first word of the
# text of STAGE's last reply, e.g. "550 5.7.1 OperationDenied.DomainNotVerified".
pf_status() {
	pf_reply "$1" "$2" | awk '{ print $1, $2, $3 }'
}

# pf_queue_id OUT: prints the queue ID from the reply to the end of data.
pf_queue_id() {
	pf_reply "$1" dot | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p'
}

# pf_sent_data OUT: prints the message as swaks sent it in OUT (LF line ends).
pf_sent_data() {
	awk '{ sub(/\r$/, "") }
		/^ -> DATA$/ { d = 1; next }
		d && /^ -> \.$/ { exit }
		d && /^ -> / { print substr($0, 5) }' "$1"
}

# pf_delivered DIR ADDRESS: prints ADDRESS's first message without what
# delivery added (the From_ line, Return-Path, Delivered-To, and Postfix's
# own Received header).
pf_delivered() {
	# the mailbox's flags=F> escape a body's "From " lines, so a From_ line
	# always starts the next message
	awk 'NR == 1 && /^From / { next }
		!done && /^(Return-Path|Delivered-To):/ { next }
		!done && !rcvd && /^Received:/ { rcvd = 1; skip = 1; next }
		skip && /^[ \t]/ { next }
		{ skip = 0; done = 1 }
		/^From / { exit }
		{ print }' "$1/mail/$2"
}

# pf_wait_mail DIR ADDRESS [SECONDS]: waits until ADDRESS's mailbox file is
# non-empty (default 20 s).
pf_wait_mail() {
	local f=$1/mail/$2 i=0
	while [ $i -lt $((${3:-20} * 10)) ]; do
		[ -s "$f" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# pf_mailbox DIR ADDRESS: prints ADDRESS's mailbox file (nothing if none).
pf_mailbox() {
	cat "$1/mail/$2" 2>/dev/null
}

# pf_sendmail DIR ARG...: submits a message read from stdin with the
# instance's sendmail(1) (goes through non_smtpd_milters).
pf_sendmail() {
	local dir=$1
	shift
	sendmail -C "$dir/etc" "$@"
}

# pf_log DIR: prints Postfix's log of the instance.
pf_log() {
	cat "$1/maillog" 2>/dev/null
}

# ---- ses-milter -------------------------------------------------------------

SES_MILTER=${SES_MILTER:-${top_builddir:-.}/ses-milter}

# ses_write_conf DIR [KEY VALUE]...: writes DIR/ses/ses-milter.conf: a unix
# socket DIR/ses/sock reachable by group postfix, log to stderr at debug,
# DataDir DIR/ses; each KEY VALUE pair replaces a default or adds a key.
ses_write_conf() {
	local dir=$1 k
	shift
	local -A conf=(
		[Socket]="unix:$dir/ses/sock" [SocketGroup]=postfix [SocketMode]=0660
		[LogTo]=stderr [LogLevel]=debug [DataDir]="$dir/ses"
	)
	local order=(Socket SocketGroup SocketMode LogTo LogLevel DataDir)
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

# ses_socket DIR: prints the Postfix milter address of the configured Socket
# (unix:PATH or inet:HOST:PORT).
ses_socket() {
	local s
	s=$(awk '$1 == "Socket" { print $2 }' "$1/ses/ses-milter.conf")
	case $s in
	unix:* | local:*) printf 'unix:%s\n' "${s#*:}" ;;
	/*) printf 'unix:%s\n' "$s" ;;
	inet:*@*) s=${s#inet:}; printf 'inet:%s:%s\n' "${s#*@}" "${s%@*}" ;;
	inet:*) printf '%s\n' "$s" ;;
	esac
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
