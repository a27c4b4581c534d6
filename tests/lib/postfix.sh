# postfix.sh - a private Postfix instance for the end-to-end tests and the
# demo, and the Postfix driver of the shared cases (sourced, not run; needs
# root; the functions work under set -e as well).  Uses testlib.sh's
# t_wait_port; sources mta.sh (swaks, mailboxes) and ses.sh (ses-milter).
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
#   DIR/ses/        ses-milter.conf, accounts/, ses-milter.log (ses.sh)
#
# Mail for every domain is delivered locally (one mbox file per address);
# default_transport is error:, so no message ever leaves the machine.
#
# Functions (each documented below):
#   pf_start DIR SMTP_PORT MILTER [main.cf lines...]   pf_stop DIR
#   pf_listen DIR PORT [-o name=value...]
#   pf_send DIR OUT [swaks options...]     pf_reply OUT STAGE     pf_status OUT STAGE
#   pf_replies OUT STAGE                   pf_queue_id OUT        pf_sent_data OUT
#   pf_wait_mail DIR ADDR [SECONDS]        pf_mailbox DIR ADDR    pf_delivered DIR ADDR
#   pf_sendmail DIR ARGS...                pf_add_user DIR USER PASSWORD
#   pf_queue_of DIR QUEUEID                pf_log DIR
# and the driver interface of tests/lib/mta_cases.sh (mta_*, MTA_*).

_pf_lib=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=tests/lib/mta.sh
. "$_pf_lib/mta.sh"
# shellcheck source=tests/lib/ses.sh
. "$_pf_lib/ses.sh"

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

# pf_listen DIR PORT [-o NAME=VALUE...]: adds a second smtpd on
# 127.0.0.1:PORT to the running instance under DIR, with the given -o
# overrides (e.g. "-o myhostname=mx.other.test", so that the instance's own
# SMTP client does not take it for itself), reloads it and waits for the
# port.  Returns non-zero with the reason on stderr.
pf_listen() {
	local dir=$1 port=$2
	shift 2
	postconf -c "$dir/etc" -M "127.0.0.1:$port/inet=127.0.0.1:$port inet n - n - - smtpd $*" ||
		return 1
	postfix -c "$dir/etc" reload >>"$dir/start.log" 2>&1 || {
		echo "pf_listen: postfix reload failed:" >&2; cat "$dir/start.log" >&2; return 1; }
	t_wait_port "$port" 20 || {
		echo "pf_listen: nothing listens on 127.0.0.1:$port" >&2; tail -n 20 "$dir/maillog" >&2
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
# instance under DIR (see smtp_send).  Returns swaks's status.
pf_send() {
	local dir=$1
	shift
	smtp_send "$(cat "$dir/smtp_port")" "$@"
}

# pf_replies, pf_reply, pf_status, pf_sent_data: smtp_replies, smtp_reply,
# smtp_status, smtp_sent_data (mta.sh) under the names the suites use.
pf_replies() { smtp_replies "$@"; }
pf_reply() { smtp_reply "$@"; }
pf_status() { smtp_status "$@"; }
pf_sent_data() { smtp_sent_data "$@"; }

# pf_queue_id OUT: prints the queue ID from the reply to the end of data.
pf_queue_id() {
	smtp_reply "$1" dot | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p'
}

# pf_delivered, pf_wait_mail, pf_mailbox: mbox_first, mbox_wait, mbox_cat
# (mta.sh): Postfix's mailbox service writes the mailboxes that they read.
pf_delivered() { mbox_first "$@"; }
pf_wait_mail() { mbox_wait "$@"; }
pf_mailbox() { mbox_cat "$@"; }

# pf_sendmail DIR ARG...: submits a message read from stdin with the
# instance's sendmail(1) (goes through non_smtpd_milters).
pf_sendmail() {
	local dir=$1
	shift
	sendmail -C "$dir/etc" "$@"
}

# pf_queue_of DIR QUEUEID: prints the queue that holds QUEUEID (hold,
# deferred, ...; nothing once delivered).
pf_queue_of() {
	postqueue -c "$1/etc" -j 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("queue_id") == sys.argv[1]:
        print(m.get("queue_name"))' "$2"
}

# pf_log DIR: prints Postfix's log of the instance.
pf_log() {
	cat "$1/maillog" 2>/dev/null
}

# ---- the driver of the shared cases (tests/lib/mta_cases.sh) -----------------

MTA_NAME=postfix
# the reply to the end of data of an accepted message
MTA_QUEUED_RE='^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'
# what the client is told while the milter cannot be reached
# (milter_default_action = tempfail): at MAIL, Postfix's own text
MTA_DOWN_STAGE=mail
MTA_DOWN_REPLY='451 4.7.1 Service unavailable - try again later'

# mta_start DIR PORT SOCKET: Postfix as examples/postfix-main.cf sets it up:
# smtpd_milters and non_smtpd_milters both ses-milter's SOCKET (libmilter's
# form, as in ses-milter.conf), milter_default_action = tempfail.
mta_start() {
	local milter
	milter=$(ses_postfix_socket "$3")
	pf_start "$1" "$2" "$milter" "non_smtpd_milters = $milter"
}

mta_stop() { pf_stop "$@"; }
mta_add_user() { pf_add_user "$@"; }
mta_send() { pf_send "$@"; }
mta_reply() { smtp_reply "$@"; }
mta_replies() { smtp_replies "$@"; }
mta_status() { smtp_status "$@"; }
mta_queue_id() { pf_queue_id "$@"; }
mta_held() { [ "$(pf_queue_of "$@")" = hold ]; }
mta_wait_mail() { mbox_wait "$@"; }
mta_mailbox() { mbox_cat "$@"; }
mta_delivered() { mbox_first "$@"; }
mta_log() { pf_log "$@"; }

# mta_refusal STAGE ADDRESS REPLY: the line the client reads when ses-milter
# refuses with REPLY: Postfix passes it on as it is, at every stage.
mta_refusal() {
	printf '%s\n' "$3"
}
