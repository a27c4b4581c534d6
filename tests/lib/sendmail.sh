# sendmail.sh - private Sendmail 8.17 instances for the end-to-end tests,
# and the Sendmail driver of the shared cases (sourced, not run; needs
# root).  Uses testlib.sh's t_wait_port; sources mta.sh (swaks, mailboxes)
# and ses.sh (ses-milter).
#
# Installing Debian's sendmail would remove Postfix, so the programs come
# from the packages themselves: sm_fetch downloads sendmail-bin,
# sendmail-cf, m4 and libwrap0 with "apt-get download" into a cache
# directory and unpacks them with "dpkg -x".  The unpacked sendmail loses
# its setgid bit (a setgid program ignores LD_LIBRARY_PATH, which finds the
# unpacked libwrap).
#
# Sendmail looks up its own host name before it reads its configuration
# and waits a minute when the name is not fully qualified, so the
# instances run in a network and UTS namespace of their own with only the
# loopback interface and the host name mx.example.test (the suite enters
# it; see t_sendmail.sh).  For SMTP AUTH, Cyrus SASL reads Sendmail.conf
# from /usr/lib/sasl2: sm_sasl_setup bind-mounts a private directory there,
# inside a mount namespace of the suite's own.
#
# Each instance lives under one directory DIR:
#
#   DIR/etc/sendmail.mc   the instance's .mc; it includes DIR/etc/milter.m4,
#                         which is examples/sendmail.mc with the socket put in
#   DIR/etc/sendmail.cf   built with the unpacked m4 and cf.m4
#   DIR/queue/            QueueDirectory
#   DIR/mail/ADDR         one mailbox file per recipient address (mta.sh)
#   DIR/sendmail.log      the daemon's stdout and stderr
#   DIR/ses/              ses-milter.conf, accounts/, ses-milter.log (ses.sh)
#
# The daemon listens on 127.0.0.1:PORT (-bD: in the foreground, so its PID
# is the one sm_start started).  Mail for every domain goes to the mailer
# "testbox", which appends it to DIR/mail/ADDRESS; nothing leaves the
# machine.
#
# Functions (each documented below):
#   sm_fetch CACHE        sm_sasl_setup DIR      sm_add_user USER PASSWORD
#   sm_start DIR PORT SOCKET [SED-EXPRESSION...]  sm_stop DIR
#   sm_send DIR OUT [swaks options...]            sm_submit DIR OUT [swaks options...]
#   sm_queue_id OUT       sm_status OUT STAGE    sm_cf DIR
#   sm_sendmail DIR ARG...
# and the driver interface of tests/lib/mta_cases.sh (mta_*, MTA_*).

_sm_lib=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=tests/lib/mta.sh
. "$_sm_lib/mta.sh"
# shellcheck source=tests/lib/ses.sh
. "$_sm_lib/ses.sh"

SM_HOSTNAME=mx.example.test
SM_PACKAGES=(sendmail-bin sendmail-cf m4 libwrap0)
SM_ROOT=${SM_ROOT:-}
SM_SASL_DIR=${SM_SASL_DIR:-}
# the example the instances are built from
SM_EXAMPLE=${SM_EXAMPLE:-$_sm_lib/../../examples/sendmail.mc}
# the socket the example names, replaced by each instance's
SM_EXAMPLE_SOCKET=unix:/run/ses-milter/ses-milter.sock

# sm_fetch CACHE: makes sure CACHE/debs holds the packages and CACHE/root
# the unpacked tree, and sets SM_ROOT to it.  Downloads only what is
# missing (after "apt-get update" when the package lists are too old to
# find them).  Returns non-zero with the reason on stderr.
sm_fetch() {
	local cache=$1 p missing=() deb
	mkdir -p "$cache/debs" || return 1
	cache=$(cd "$cache" && pwd) || return 1
	for p in "${SM_PACKAGES[@]}"; do
		compgen -G "$cache/debs/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		sm_download "$cache/debs" "${missing[@]}" >"$cache/download.log" 2>&1 ||
		{ apt-get update -q && sm_download "$cache/debs" "${missing[@]}"; } \
			>>"$cache/download.log" 2>&1 || {
			echo "sm_fetch: apt-get download ${missing[*]} failed:" >&2
			tail -n 5 "$cache/download.log" >&2
			return 1; }
		rm -rf "$cache/root"
	fi
	if [ ! -x "$cache/root/usr/libexec/sendmail/sendmail" ]; then
		rm -rf "$cache/root" && mkdir -p "$cache/root" || return 1
		for deb in "$cache"/debs/*.deb; do
			dpkg -x "$deb" "$cache/root" || return 1
		done
		chmod g-s "$cache/root/usr/libexec/sendmail/sendmail" || return 1
	fi
	SM_ROOT=$cache/root
}

# sm_download DIR PACKAGE...: apt-get download into DIR.
sm_download() {
	local dir=$1
	shift
	# as root into a directory user _apt cannot write: no sandbox user
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$@")
}

# sm_libdir: the unpacked directory that holds libwrap.so.0.
sm_libdir() {
	local lib
	lib=$(find "$SM_ROOT/usr/lib" -name 'libwrap.so.0' -print -quit)
	dirname "${lib:-$SM_ROOT/usr/lib/libwrap.so.0}"
}

# sm_sasl_setup DIR: SMTP AUTH for every instance: DIR/Sendmail.conf
# (PLAIN and LOGIN against DIR/sasldb2) bind-mounted over /usr/lib/sasl2.
# Only inside a mount namespace of the suite's own (unshare --mount).
sm_sasl_setup() {
	SM_SASL_DIR=$1
	mkdir -p "$SM_SASL_DIR" || return 1
	[ -d /usr/lib/sasl2 ] || {
		echo "sm_sasl_setup: no /usr/lib/sasl2 to mount over (libsasl2-2)" >&2; return 1; }
	cat > "$SM_SASL_DIR/Sendmail.conf" <<-EOF
		pwcheck_method: auxprop
		auxprop_plugin: sasldb
		mech_list: PLAIN LOGIN
		sasldb_path: $SM_SASL_DIR/sasldb2
	EOF
	mount --bind "$SM_SASL_DIR" /usr/lib/sasl2
}

# sm_add_user USER PASSWORD: adds an SMTP AUTH login (realm mx.example.test)
# to the sasldb of sm_sasl_setup.
sm_add_user() {
	printf '%s' "$2" | saslpasswd2 -p -c -f "$SM_SASL_DIR/sasldb2" -u "$SM_HOSTNAME" "$1" &&
		chmod 600 "$SM_SASL_DIR/sasldb2"
}

# sm_write_mc DIR PORT: prints the instance's .mc.  The milter lines are
# the example's (DIR/etc/milter.m4); the rest keeps the instance private:
# its own queue, no aliases, host names from /etc/hosts only, one daemon
# (no MSA on port 587), relaying for every client (they all are on
# loopback), no ident lookups, mail to the testbox mailer.
# TrustStickyBit: the work directory may be under /tmp, and Sendmail
# refuses a milter socket or a queue below a world-writable directory.
sm_write_mc() {
	local dir=$1 port=$2
	cat <<-EOF
		divert(-1)
		# private test instance written by tests/lib/sendmail.sh
		divert(0)dnl
		VERSIONID(\`ses-milter end-to-end test')dnl
		OSTYPE(\`linux')dnl
		define(\`QUEUE_DIR', \`$dir/queue')dnl
		define(\`ALIAS_FILE', \`')dnl
		define(\`STATUS_FILE', \`')dnl
		define(\`confHELP_FILE', \`')dnl
		define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
		define(\`confSERVICE_SWITCH_FILE', \`$dir/etc/service.switch')dnl
		define(\`confDONT_PROBE_INTERFACES', \`True')dnl
		define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
		define(\`confTO_IDENT', \`0')dnl
		define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
		TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
		FEATURE(\`nocanonify')dnl
		FEATURE(\`accept_unresolvable_domains')dnl
		FEATURE(\`promiscuous_relay')dnl
		FEATURE(\`no_default_msa')dnl
		DAEMON_OPTIONS(\`Family=inet, Addr=127.0.0.1, Port=$port, Name=MTA')dnl
		include(\`$dir/etc/milter.m4')dnl
		MAILER(\`local')dnl
		MAILER(\`smtp')dnl
		MAILER_DEFINITIONS
		Mtestbox, P=/usr/bin/dd, F=DFMPSEu, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP/HdrFromSMTP,
		 	T=DNS/RFC822/SMTP, A=dd status=none conv=notrunc oflag=append of=$dir/mail/\$u
		LOCAL_RULE_0
		R\$+ < @ \$+ . > \$*	\$#testbox \$@ \$2 \$: \$1 < @ \$2 >
		R\$+ < @ \$+ > \$*	\$#testbox \$@ \$2 \$: \$1 < @ \$2 >
	EOF
}

# sm_start DIR PORT SOCKET [SED-EXPRESSION...]: writes an instance under DIR
# whose milter lines are examples/sendmail.mc with ses-milter's SOCKET
# (libmilter's form, as in ses-milter.conf) in S=, each SED-EXPRESSION
# applied to them too (e.g. 's/, F=T,/,/'); builds its sendmail.cf, starts
# the daemon on 127.0.0.1:PORT and waits for the port.  Returns non-zero
# with the reason on stderr.
sm_start() {
	local dir=$1 port=$2 sock=$3 e i sed_args=() cf=$SM_ROOT/usr/share/sendmail/cf
	shift 3
	[ -n "$SM_ROOT" ] || { echo "sm_start: no Sendmail unpacked (sm_fetch)" >&2; return 1; }
	mkdir -p "$dir/etc" "$dir/queue" "$dir/mail" || return 1
	chmod 700 "$dir/queue"
	printf '%s\n' "$port" > "$dir/smtp_port"
	printf 'hosts\tfiles\naliases\tfiles\n' > "$dir/etc/service.switch"
	grep -q "S=$SM_EXAMPLE_SOCKET," "$SM_EXAMPLE" || {
		echo "sm_start: $SM_EXAMPLE names no S=$SM_EXAMPLE_SOCKET" >&2; return 1; }
	sed_args=(-e "s|S=$SM_EXAMPLE_SOCKET,|S=$sock,|")
	for e in "$@"; do sed_args+=(-e "$e"); done
	sed "${sed_args[@]}" "$SM_EXAMPLE" > "$dir/etc/milter.m4" || return 1
	sm_write_mc "$dir" "$port" > "$dir/etc/sendmail.mc"
	"$SM_ROOT/usr/bin/m4" -D_CF_DIR_="$cf/" "$cf/m4/cf.m4" "$dir/etc/sendmail.mc" \
		> "$dir/etc/sendmail.cf" 2> "$dir/etc/m4.log" || {
		echo "sm_start: m4 failed:" >&2; cat "$dir/etc/m4.log" >&2; return 1; }
	grep -q "^Xses-milter, S=$sock," "$dir/etc/sendmail.cf" || {
		echo "sm_start: sendmail.cf has no Xses-milter line with S=$sock" >&2; return 1; }
	# a simple command, so that $! is sendmail's own PID
	LD_LIBRARY_PATH=$(sm_libdir) "$SM_ROOT/usr/libexec/sendmail/sendmail" \
		-C "$dir/etc/sendmail.cf" -bD -odb >"$dir/sendmail.log" 2>&1 </dev/null &
	echo $! > "$dir/daemon.pid"
	for i in $(seq 20); do
		t_wait_port "$port" 1 && return 0
		kill -0 "$(cat "$dir/daemon.pid")" 2>/dev/null || break
	done
	echo "sm_start: nothing listens on 127.0.0.1:$port" >&2
	head -n 20 "$dir/sendmail.log" >&2
	return 1
}

# sm_stop DIR: stops the daemon started by sm_start (TERM, KILL after 5 s).
sm_stop() {
	local pid i
	pid=$(cat "$1/daemon.pid" 2>/dev/null) || return 0
	rm -f "$1/daemon.pid"
	kill "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "sm_stop: sendmail $pid ignored TERM" >&2
		kill -9 "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

# sm_sendmail DIR ARG...: runs the unpacked sendmail with the instance's
# sendmail.cf in the foreground (-bp -qQ lists the quarantined messages,
# -qQ -Q releases them).
sm_sendmail() {
	local dir=$1
	shift
	LD_LIBRARY_PATH=$(sm_libdir) "$SM_ROOT/usr/libexec/sendmail/sendmail" \
		-C "$dir/etc/sendmail.cf" "$@"
}

# sm_cf DIR: prints the instance's sendmail.cf.
sm_cf() {
	cat "$1/etc/sendmail.cf"
}

# sm_send DIR OUT [OPTION...]: one SMTP session with swaks against the
# instance under DIR (see smtp_send).  Returns swaks's status.
sm_send() {
	local dir=$1
	shift
	smtp_send "$(cat "$dir/smtp_port")" "$@"
}

# sm_submit DIR OUT [OPTION...]: one SMTP session with "sendmail -bs" of the
# instance under DIR, as a local program submits mail: SMTP on stdin, no
# client address, delivery in the foreground (-odi).
sm_submit() {
	local dir=$1 out=$2
	shift 2
	LD_LIBRARY_PATH=$(sm_libdir) swaks --pipe \
		"$SM_ROOT/usr/libexec/sendmail/sendmail -C $dir/etc/sendmail.cf -odi -bs" \
		--helo client.example.test --timeout 60 "$@" > "$out" 2>&1 </dev/null
}

# sm_queue_id OUT: prints the queue ID from the reply to the end of data.
sm_queue_id() {
	smtp_reply "$1" dot | sed -n 's/^250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p'
}

# sm_status OUT STAGE: smtp_status without the "<address>... " that
# Sendmail puts before the text of a reply at MAIL and RCPT.
sm_status() {
	smtp_reply "$1" "$2" |
		sed -E 's/^([0-9]{3}[ -][0-9]\.[0-9]{1,3}\.[0-9]{1,3} )<[^>]*>\.\.\. /\1/' |
		awk '{ print $1, $2, $3 }'
}

# ---- the driver of the shared cases (tests/lib/mta_cases.sh) -----------------

MTA_NAME=sendmail
# the reply to the end of data of an accepted message
MTA_QUEUED_RE='^250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$'
# what the client is told while the milter cannot be reached (F=T): at
# MAIL, Sendmail's own text
MTA_DOWN_STAGE=mail
MTA_DOWN_REPLY='451 4.3.2 Please try again later'

# mta_start DIR PORT SOCKET: Sendmail with examples/sendmail.mc's milter
# lines, S= naming ses-milter's SOCKET.
mta_start() { sm_start "$@"; }
mta_stop() { sm_stop "$@"; }
mta_add_user() { sm_add_user "$2" "$3"; }
mta_send() { sm_send "$@"; }
mta_reply() { smtp_reply "$@"; }
mta_replies() { smtp_replies "$@"; }
mta_status() { sm_status "$@"; }
mta_queue_id() { sm_queue_id "$@"; }
mta_held() { sm_sendmail "$1" -bp -qQ | grep -q "^$2 "; }
mta_wait_mail() { mbox_wait "$@"; }
mta_mailbox() { mbox_cat "$@"; }
mta_delivered() { mbox_first "$@"; }
mta_log() { cat "$1/sendmail.log" 2>/dev/null; }

# mta_refusal STAGE ADDRESS REPLY: the line the client reads when ses-milter
# refuses with REPLY.  At MAIL and RCPT, Sendmail puts the address in front
# of the text of a 450, 550 or 553 reply ("550 5.7.1 <a@example.com>...
# OperationDenied..."), as it does for its own; other codes and the end of
# data it passes on as they are.
mta_refusal() {
	case $1:${3%% *} in
	mail:450 | mail:550 | mail:553 | rcpt:450 | rcpt:550 | rcpt:553)
		printf '%s\n' "$3" | sed -E "s/^([0-9]{3} [0-9]\.[0-9]{1,3}\.[0-9]{1,3}) /\1 <$2>... /" ;;
	*) printf '%s\n' "$3" ;;
	esac
}
