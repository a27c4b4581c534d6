# filters.sh - the six configurations the benchmark compares (sourced by
# bench/run, not run).  Each filter runs as a private instance with its own
# configuration under W, on a unix socket or a loopback port, and is
# stopped by its PID.
#
#   1  Postfix alone, no milter
#   2  nullmilter: libmilter, adds one header (bench/nullmilter.c)
#   3  ses-milter: account by trusted network, memcached, template, RSA-2048
#   4  ses-milter as 3, signing with RSA-2048 and Ed25519
#   5  OpenDKIM (Debian), signing only, RSA-2048
#   6  Rspamd (Debian) as a milter: per-recipient ratelimit in Redis, DKIM
#      signing RSA-2048
#   7  ses-milter as 3 with ContentReplies end (headers and body sent with
#      no reply each); the direct step only
#
# Functions:
#   filters_setup            makes keys, accounts, the template, configs
#   filter_start CFG SOCK    starts CFG on SOCK (unix or inet); sets
#                            FILTER_PIDS (what CPU and RSS count),
#                            BACKEND_PIDS and MILTER_SPEC (for Postfix)
#   filter_stop CFG          stops it
#   filter_name CFG          prints its name

FILTER_NAMES=([1]="Postfix alone" [2]="null milter" [3]="ses-milter (rsa)"
	[4]="ses-milter (rsa+ed25519)" [5]="OpenDKIM" [6]="Rspamd"
	[7]="ses-milter (rsa, ContentReplies end)")
DOMAIN=bench.example
FROM=news@bench.example

filter_name() {
	printf '%s\n' "${FILTER_NAMES[$1]}"
}

# filters_setup: everything the filters need before the first start; the
# DKIM records of every key go to W/records.zone for the checks.
filters_setup() {
	: > "$W/records.zone"
	ses_setup 3 benchrsa "" || return 1
	ses_setup 4 benchdual --ed25519 || return 1
	[ "$(cat "$W/ses3/template.id")" = "$(cat "$W/ses4/template.id")" ] || {
		echo "bench: the two ses-milter data directories gave different template IDs" >&2
		return 1; }
	TEMPLATE_ID=$(cat "$W/ses3/template.id")
	odkim_setup || return 1
	rspamd_setup || return 1
}

# ---- 2: the null milter ------------------------------------------------------

# null_start SOCK [-d]: the null milter; -d answers HELO and DATA.
null_start() {
	local spec
	if [ "$1" = unix ]; then
		spec=unix:$W/null.sock
		rm -f "$W/null.sock"
		MILTER_SPEC=$spec
	else
		local port
		port=$(t_free_port)
		spec=inet:$port@127.0.0.1
		MILTER_SPEC=inet:127.0.0.1:$port
	fi
	"$BUILD/bench/nullmilter" ${2:-} "$spec" >>"$W/null.log" 2>&1 </dev/null &
	FILTER_PIDS=$!
	filter_wait_socket "$MILTER_SPEC"
}

# ---- 3 and 4: ses-milter -----------------------------------------------------

# ses_conf N SOCKET [KEY VALUE...]: writes W/sesN's ses-milter.conf with the bench limits:
# the per-second rate, the daily quota and the hourly per-recipient cap
# raised (every recipient is distinct anyway), one summary line per message
# logged (LogLevel info) to a file, and DKIM selector sesN (configurations
# 3 and 4 publish different keys for the same domain); KEY VALUE pairs
# replace or add keys (the rtt and inbound steps).
ses_conf() {
	ses_write_conf "$W/ses$1" Socket "$2" LogTo stderr LogLevel info DkimSelector "ses$1" \
		MemcachedServers "$MEMCACHED" MaxSendsPerSecond 1000000 \
		DailyQuota 100000000 RecipientHourlyLimit 1000 \
		ServiceSpfInclude _spf.ses.bench.example ServiceMx mx.ses.bench.example "${@:3}"
}

# ses_setup N ACCOUNT [--ed25519]: data directory W/sesN with the account
# (trusted network 127.0.0.0/8), its verified domain and keys and an
# approved template whose ID goes to W/sesN/template.id.
ses_setup() {
	local dir=$W/ses$1 acct=$2 ed=$3 conf id
	conf=$dir/ses/ses-milter.conf
	ses_conf "$1" "unix:$dir/ses/sock"
	ses_add_account "$dir" "$acct" "Network 127.0.0.0/8"
	"$SESCTL" -c "$conf" --no-reload domain add "$DOMAIN" --account "$acct" $ed \
		>"$dir/domain-add.txt" || return 1
	"$SESCTL" -c "$conf" --no-reload domain set-verified "$DOMAIN" yes >/dev/null || return 1
	"$SESCTL" -c "$conf" domain records "$DOMAIN" | grep '_domainkey' >>"$W/records.zone"
	id=$("$SESCTL" -c "$conf" --no-reload template add --account "$acct" --name Report \
		--type transactional --text "$W/template.txt" --html "$W/template.html" |
		sed -n 's/^template \([0-9]*\) added.*/\1/p')
	[ -n "$id" ] || { echo "bench: sesctl template add gave no ID" >&2; return 1; }
	"$SESCTL" -c "$conf" --no-reload template approve "$id" >/dev/null || return 1
	printf '%s\n' "$id" > "$dir/template.id"
	"$SES_MILTER" -n -c "$conf" || return 1
}

ses_filter_start() {
	local n=$1 sock=$2 dir=$W/ses$1 port
	if [ "$sock" = unix ]; then
		ses_conf "$n" "unix:$dir/ses/sock" "${@:3}"
	else
		port=$(t_free_port)
		ses_conf "$n" "inet:$port@127.0.0.1" "${@:3}"
	fi
	ses_start "$dir" || return 1
	FILTER_PIDS=$(cat "$dir/ses/test.pid")
	BACKEND_PIDS=$MC_PID
	MILTER_SPEC=$(ses_socket "$dir")
}

# ---- 5: OpenDKIM -----------------------------------------------------------------

# odkim_zone DIR SELECTOR: converts opendkim-genkey's SELECTOR.txt into one
# zone line in W/records.zone.
odkim_zone() {
	local value
	value=$(tr -d '\n' < "$1/$2.txt" | grep -o '"[^"]*"' | tr -d '"\n')
	printf '%s._domainkey.%s. IN TXT "%s"\n' "$2" "$DOMAIN" "$value" >> "$W/records.zone"
}

odkim_setup() {
	mkdir -p "$W/odkim"
	opendkim-genkey -b 2048 -d "$DOMAIN" -s odkim -D "$W/odkim" || return 1
	chmod 600 "$W/odkim/odkim.private"
	odkim_zone "$W/odkim" odkim
}

odkim_start() {
	local conf=$W/odkim/opendkim.conf socket port
	if [ "$1" = unix ]; then
		rm -f "$W/odkim/sock"
		socket=local:$W/odkim/sock
		MILTER_SPEC=unix:$W/odkim/sock
	else
		port=$(t_free_port)
		socket=inet:$port@127.0.0.1
		MILTER_SPEC=inet:127.0.0.1:$port
	fi
	cat > "$conf" <<-EOF
		# private OpenDKIM instance of the benchmark: signing only
		Mode                s
		Domain              $DOMAIN
		Selector            odkim
		KeyFile             $W/odkim/odkim.private
		Canonicalization    relaxed/simple
		SignatureAlgorithm  rsa-sha256
		Socket              $socket
		UMask               000
		PidFile             $W/odkim/opendkim.pid
		Background          no
		Syslog              no
	EOF
	opendkim -f -x "$conf" >>"$W/odkim/opendkim.log" 2>&1 </dev/null &
	FILTER_PIDS=$!
	filter_wait_socket "$MILTER_SPEC"
}

# ---- 6: Rspamd ---------------------------------------------------------------------

rspamd_setup() {
	local r=$W/rspamd
	mkdir -p "$r/keys" "$r/db"
	opendkim-genkey -b 2048 -d "$DOMAIN" -s rspamd -D "$r/keys" || return 1
	mv "$r/keys/rspamd.private" "$r/keys/$DOMAIN.rspamd.key"
	odkim_zone "$r/keys" rspamd
	chown -R _rspamd: "$r" && chmod 600 "$r/keys/$DOMAIN.rspamd.key"
	RSPAMD_DNS_PORT=$(t_free_port)
}

# rspamd_conf BIND: a configuration of its own (not Debian's, whose modules
# would query DNS blocklists and fuzzy servers on the Internet): the proxy
# worker in milter mode scanning by itself, and only the two modules under
# test.  The ratelimit bucket multipliers are pinned to 1, so the limit is
# the configured one whatever the message's score.  DNS goes to a loopback
# port where nothing answers.
rspamd_conf() {
	local r=$W/rspamd
	cat <<-EOF
		# private Rspamd instance of the benchmark
		options {
		    pidfile = "$r/rspamd.pid";
		    filters = "dkim";
		    local_addrs = ["127.0.0.0/8"];
		    dns { nameserver = ["127.0.0.1:$RSPAMD_DNS_PORT"]; timeout = 1s; retransmits = 1; }
		    hs_cache_dir = "$r/db/";
		    cache_file = "$r/db/symbols.cache";
		    dynamic_conf = "$r/db/rspamd_dynamic";
		    history_file = "$r/db/rspamd.history";
		    control_socket = "$r/db/rspamd.sock mode=0600";
		    stats_file = "$r/db/stats.ucl";
		}
		logging { type = "file"; filename = "$r/rspamd.log"; level = "warning"; }
		modules { path = "\${PLUGINSDIR}"; }
		actions { reject = 150; add_header = 100; greylist = 80; }
		worker "rspamd_proxy" {
		    bind_socket = "$1";
		    milter = yes;
		    timeout = 120s;
		    count = $(nproc);
		    upstream "local" { default = yes; self_scan = yes; }
		}
		ratelimit {
		    servers = "127.0.0.1:$REDIS_PORT";
		    rates { to = { bucket = { burst = 10; rate = "10 / 1h"; } } }
		    max_rate_mult = 1;
		    max_bucket_mult = 1;
		    ham_factor_rate = 1;
		    spam_factor_rate = 1;
		    ham_factor_burst = 1;
		    spam_factor_burst = 1;
		}
		# the C module gives dkim_signing its signer; no message arrives signed,
		# so it verifies nothing
		dkim { }
		dkim_signing {
		    path = "$r/keys/\$domain.\$selector.key";
		    selector = "rspamd";
		    sign_local = true;
		    sign_networks = ["127.0.0.0/8"];
		    allow_username_mismatch = true;
		    use_esld = false;
		}
	EOF
}

rspamd_start() {
	local r=$W/rspamd port
	if [ "$1" = unix ]; then
		rm -f "$r/sock"
		rspamd_conf "$r/sock mode=0666 owner=_rspamd" > "$r/rspamd.conf"
		MILTER_SPEC=unix:$r/sock
	else
		port=$(t_free_port)
		rspamd_conf "127.0.0.1:$port" > "$r/rspamd.conf"
		MILTER_SPEC=inet:127.0.0.1:$port
	fi
	rspamd -f -u _rspamd -g _rspamd -c "$r/rspamd.conf" >>"$r/stdout.log" 2>&1 </dev/null &
	FILTER_PIDS=$!
	BACKEND_PIDS=$REDIS_PID
	filter_wait_socket "$MILTER_SPEC" 30
}

# ---- common ------------------------------------------------------------------------

# filter_wait_socket SPEC [SECONDS]: waits until Postfix's milter SPEC
# (unix:PATH or inet:HOST:PORT) accepts connections.
filter_wait_socket() {
	local spec=$1 secs=${2:-10} i
	case $spec in
	inet:*) t_wait_port "${spec##*:}" "$secs" && return 0 ;;
	unix:*)
		for i in $(seq $((secs * 10))); do
			[ -S "${spec#unix:}" ] && return 0
			sleep 0.1
		done ;;
	esac
	echo "bench: no filter listens on $spec" >&2
	return 1
}

filter_start() {
	FILTER_PIDS=
	BACKEND_PIDS=
	MILTER_SPEC=
	case $1 in
	1) return 0 ;;
	2) null_start "$2" ;;
	3 | 4) ses_filter_start "$1" "$2" ;;
	7) ses_filter_start 3 "$2" ContentReplies end ;;
	5) odkim_start "$2" ;;
	6) rspamd_start "$2" ;;
	esac
}

# filter_stop CFG: TERM to the filter's first process, KILL after 10 s;
# then KILL to any of its processes that outlived it.
filter_stop() {
	local pid i tree p
	case $1 in
	1) return 0 ;;
	esac
	pid=${FILTER_PIDS%% *}
	[ -n "$pid" ] || return 0
	tree=$(proc_tree "$pid")
	if [ "$1" = 3 ] || [ "$1" = 4 ]; then
		ses_stop "$W/ses$1" >/dev/null 2>&1
	else
		kill "$pid" 2>/dev/null
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	for p in $tree; do
		kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	done
	FILTER_PIDS=
	return 0
}
