# services.sh - the benchmark's surroundings (sourced by bench/run, not run):
# packages, the build, and the private services every configuration shares:
# memcached, Redis, two smtp-sink next hops and one Postfix instance.
# Everything listens on 127.0.0.1 only, on free ports, under the work
# directory W, and is stopped by the PID it was started with.
#
# Uses tests/lib/{testlib,postfix,memcached}.sh (t_free_port, t_wait_port,
# pf_start, pf_stop, mc_start, mc_stop_all).
#
# Functions:
#   svc_install               svc_build BUILD_DIR
#   svc_start_memcached       svc_start_redis       svc_start_sinks
#   svc_start_postfix         svc_postfix_milter SPEC      svc_queue_count
#   svc_wait_drained SECONDS  svc_stop_all
#   proc_tree PID...          proc_cpu_ticks PID...  proc_rss_kb FIELD PID...
#   proc_rss_max_kb FIELD PID...

BENCH_PACKAGES=(opendkim opendkim-tools rspamd redis-server gnuplot-nox postfix memcached
	python3-dkim python3-nacl procps openssl opendmarc linux-perf dnsmasq-base)

# svc_missing: prints the bench packages dpkg does not list as installed.
svc_missing() {
	local p status
	for p in "${BENCH_PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$status" = "install ok installed" ] || printf '%s\n' "$p"
	done
}

# svc_install: installs the build dependencies (tests/install-deps) and the
# bench's own packages.  Services the packages would start are kept from
# starting: a policy-rc.d that denies every start is put in place for the
# duration of apt-get when the machine has none.
svc_install() {
	local todo policy=/usr/sbin/policy-rc.d own_policy=0
	bash "$top/tests/install-deps" || return 1
	mapfile -t todo < <(svc_missing)
	[ ${#todo[@]} -gt 0 ] || return 0
	echo "bench: installing ${todo[*]}"
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# bench/run: no service starts while it installs packages\nexit 101\n' > "$policy"
		chmod 755 "$policy"
		own_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get install -y -q --no-install-recommends "${todo[@]}"
	local rc=$?
	[ "$own_policy" -eq 0 ] || rm -f "$policy"
	[ $rc -eq 0 ] || return 1
	mapfile -t todo < <(svc_missing)
	[ ${#todo[@]} -eq 0 ] || { echo "bench: still missing: ${todo[*]}" >&2; return 1; }
}

# svc_build DIR: configures (default optimisation, no sanitizers) and
# builds ses-milter and the bench programs in DIR.
svc_build() {
	local dir=$1
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) || return 1
	mkdir -p "$dir" || return 1
	if [ ! -f "$dir/Makefile" ]; then
		(cd "$dir" && "$top/configure" -q) || return 1
	fi
	make -C "$dir" -s -j1 ses-milter sesctl/sesctl bench/nullmilter bench/milterload bench/rtt
}

# svc_start_memcached: memcached on a free port; sets MEMCACHED and MC_PID.
svc_start_memcached() {
	MEMCACHED=$(mc_start "$W/memcached" bench) || return 1
	MC_PID=$(mc_pid bench)
}

# svc_start_redis: a private Redis on a free port, no persistence; sets
# REDIS_PORT and REDIS_PID.
svc_start_redis() {
	REDIS_PORT=$(t_free_port)
	mkdir -p "$W/redis"
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
		--dir "$W/redis" --daemonize no --logfile "$W/redis/redis.log" </dev/null &
	REDIS_PID=$!
	t_wait_port "$REDIS_PORT" 10 || { echo "bench: redis does not listen" >&2; return 1; }
}

# svc_start_sinks: the next hops.  SINK_PORT takes the timed mail and keeps
# nothing; DUMP_PORT writes each message to W/dump/ for the checks.
svc_start_sinks() {
	SINK_PORT=$(t_free_port)
	DUMP_PORT=$(t_free_port)
	mkdir -p "$W/dump" && chown postfix: "$W/dump"
	smtp-sink -u postfix -m 1024 127.0.0.1:"$SINK_PORT" 1024 >"$W/sink.log" 2>&1 </dev/null &
	SINK_PID=$!
	smtp-sink -u postfix -d "$W/dump/msg." 127.0.0.1:"$DUMP_PORT" 64 \
		>"$W/dump-sink.log" 2>&1 </dev/null &
	DUMP_PID=$!
	t_wait_port "$SINK_PORT" 10 && t_wait_port "$DUMP_PORT" 10
}

# svc_start_postfix: the Postfix instance under W/pf on SMTP_PORT, relaying
# everything to the sink (check.bench.example to the dumping sink), no
# milter yet.  in_flow_delay is off so submission is not paced by delivery.
svc_start_postfix() {
	SMTP_PORT=$(t_free_port)
	PF=$W/pf
	pf_start "$PF" "$SMTP_PORT" "" \
		"virtual_mailbox_domains =" \
		"default_transport = smtp" "relay_transport = smtp" \
		"relayhost = [127.0.0.1]:$SINK_PORT" \
		"transport_maps = inline:{check.bench.example=smtp:[127.0.0.1]:$DUMP_PORT}" \
		"in_flow_delay = 0s" \
		"default_process_limit = 1200" \
		"smtpd_client_connection_count_limit = 0" \
		"smtp_destination_concurrency_limit = 50"
}

# svc_postfix_milter SPEC: restarts Postfix with smtpd_milters = SPEC (empty:
# none), so no smtpd process of an earlier configuration lingers.
svc_postfix_milter() {
	pf_stop "$PF"
	postconf -c "$PF/etc" -e "smtpd_milters = $1" || return 1
	postfix -c "$PF/etc" start >>"$PF/start.log" 2>&1 || return 1
	t_wait_port "$SMTP_PORT" 20
}

# svc_queue_count: messages in the instance's queue.
svc_queue_count() {
	find "$PF/queue/maildrop" "$PF/queue/incoming" "$PF/queue/active" \
		"$PF/queue/deferred" "$PF/queue/hold" -type f 2>/dev/null | wc -l
}

# svc_wait_drained SECONDS: waits until the queue is empty; 1 on timeout.
svc_wait_drained() {
	local i
	for i in $(seq $(($1 * 10))); do
		[ "$(svc_queue_count)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# svc_stop_all: stops everything svc_* started, by PID (for an EXIT trap).
svc_stop_all() {
	local p
	[ -z "${PF:-}" ] || pf_stop "$PF"
	for p in "${SINK_PID:-}" "${DUMP_PID:-}" "${REDIS_PID:-}"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	mc_stop_all
	return 0
}

# proc_tree PID...: prints each PID and all its descendants.
proc_tree() {
	ps -e -o pid=,ppid= | awk -v roots="$*" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
		{ parent[$1] = $2 }
		END {
			do {
				changed = 0
				for (p in parent)
					if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 }
			} while (changed)
			for (p in keep) print p
		}'
}

# proc_cpu_ticks PID...: user+sys clock ticks of the processes and their
# descendants (waited-for children included).
proc_cpu_ticks() {
	local p total=0 t
	for p in $(proc_tree "$@"); do
		t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }')
		total=$((total + ${t:-0}))
	done
	echo "$total"
}

# proc_rss_max_kb FIELD PID...: the largest FIELD (VmHWM, VmRSS) in kB
# of one of the processes and their descendants.
proc_rss_max_kb() {
	local field=$1 p max=0 v
	shift
	for p in $(proc_tree "$@"); do
		v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ "${v:-0}" -le "$max" ] || max=$v
	done
	echo "$max"
}

# proc_rss_kb FIELD PID...: sum of FIELD (VmRSS or VmHWM) in kB over the
# processes and their descendants.
proc_rss_kb() {
	local field=$1 p total=0 v
	shift
	for p in $(proc_tree "$@"); do
		v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}
