# direct.sh - the steps that drive ses-milter straight over the milter
# protocol with bench/milterload, no MTA (sourced by bench/run, not run).
# Each appends tab-separated figures to a file under W for bench/report.py.
#
#   make_sized_message BYTES FILE  a message of BYTES bytes, no template
#   sizes_test ROUND          filter CPU per message by message size and
#                             recipients (ses-milter rsa)       -> sizes.tsv
#                             and the null milter's by size (the
#                             protocol's own cost)         -> sizes-null.tsv
#   rtt_test                  memcached round trips per accepted recipient,
#                             counted by bench/mcproxy.py, and
#                             memcached's own stats              -> rtt.tsv
#                             (and bench/rtt.sh's engine-level count ->
#                             rtt-engine.txt)
#   perf_test                 perf's top functions of ses-milter under the
#                             direct load                        -> perf.txt
#   sha256_speed SECONDS      openssl speed sha256, bytes/s at 16 KB blocks

SIZES=(2048 102400 1048576 4194304)
SIZE_RCPTS=(1 10 50)
declare -A SIZE_MESSAGES=([2048]=300 [102400]=150 [1048576]=100 [4194304]=30)

# make_sized_message BYTES FILE: the bench's header without the template
# (the body is signed as it is, so its size is what the signer hashes),
# then a body of 78-character lines; BYTES in all, LF line ends.
make_sized_message() {
	local bytes=$1 f=$2 head
	{
		printf 'From: Bench News <%s>\n' "$FROM"
		printf 'To: <reader@rcpt.bench.example>\n'
		printf 'Subject: A message of %s bytes\n' "$bytes"
		printf 'Date: %s\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <size%s.%s@bench.example>\n' "$bytes" "$(date +%s)"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n'
		printf '\n'
	} > "$f"
	head=$(stat -c %s "$f")
	yes 'The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.' |
		head -c $((bytes - head)) >> "$f"
	truncate -s $((bytes - 1)) "$f" && printf '\n' >> "$f"
}

# milterload_cpu CFG OUTVAR ARGS...: runs milterload ARGS against the
# running filter CFG's socket; sets OUTVAR (not one named _*) to its summary line with the filter's
# and its backend's CPU ticks appended (filter_ticks=, backend_ticks=).
milterload_cpu() {
	local _var=$2 _out _f0 _f1 _b0 _b1
	shift 2
	_f0=$(proc_cpu_ticks $FILTER_PIDS); _b0=$(proc_cpu_ticks $BACKEND_PIDS)
	_out=$("$BUILD/bench/milterload" -S "$MILTER_SPEC" "$@" 2>>"$W/milterload.log")
	_f1=$(proc_cpu_ticks $FILTER_PIDS); _b1=$(proc_cpu_ticks $BACKEND_PIDS)
	printf -v "$_var" '%s filter_ticks=%s backend_ticks=%s' "$_out" $((_f1 - _f0)) \
		$((_b1 - _b0))
}

# kv KEY LINE: the value of KEY=VALUE in LINE.
kv() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# ses3_start [KEY VALUE...]: ses-milter (rsa, configuration 3) on its unix
# socket with the bench's configuration and KEY VALUE pairs on top; sets
# FILTER_PIDS, BACKEND_PIDS (the memcached of MEMCACHED) and MILTER_SPEC.
ses3_start() {
	ses_conf 3 "unix:$W/ses3/ses/sock" "$@" && ses_start "$W/ses3" || return 1
	FILTER_PIDS=$(cat "$W/ses3/ses/test.pid")
	BACKEND_PIDS=$MC_PID
	[ "$MEMCACHED" = "${RTT_PROXY:-}" ] && BACKEND_PIDS=$RTT_MC_PID
	MILTER_SPEC=unix:$W/ses3/ses/sock
}

# ses3_custom yes|no: gives account benchrsa the custom-content permission
# (messages without a template), or takes it away again.
ses3_custom() {
	local f=$W/ses3/ses/accounts/benchrsa
	sed -i '/^CustomContent /d' "$f"
	[ "$1" = no ] || printf 'CustomContent yes\n' >> "$f"
}

# sizes_test ROUND: ses-milter (rsa) on its unix socket, its account
# allowed messages without a template (so the body signed is the body
# sent) and MaxMessageSize 8M, for every size and recipient count
# SIZE_MESSAGES messages over 4 connections; appends round,
# bytes, recipients, messages, accepted, signed, filter ticks, CLK_TCK.
# Then the null milter for every size at one recipient, the same columns
# (signed 0) to sizes-null.tsv.
sizes_test() {
	local r=$1 b n m out
	ses3_custom yes
	ses3_start MaxMessageSize 8M || return 1
	for b in "${SIZES[@]}"; do
		[ -f "$W/size-$b.txt" ] || make_sized_message "$b" "$W/size-$b.txt"
		for n in "${SIZE_RCPTS[@]}"; do
			m=${SIZE_MESSAGES[$b]}
			milterload_cpu 3 out -F "$W/size-$b.txt" -c 4 -n "$m" -r "$n" -t "sz$r.$b.$n.$RANDOM."
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$b" "$n" "$m" \
				"$(kv accepted "$out")" "$(kv signed "$out")" \
				"$(kv filter_ticks "$out")" "$CLK_TCK" >> "$W/sizes.tsv"
			printf '  sizes round %s %8s bytes %2s rcpts: %s/%s accepted, %s ms CPU/message\n' \
				"$r" "$b" "$n" "$(kv accepted "$out")" "$m" \
				"$(awk -v t="$(kv filter_ticks "$out")" -v m="$m" -v hz="$CLK_TCK" \
					'BEGIN { printf "%.2f", 1000 * t / hz / m }')"
		done
	done
	filter_stop 3
	ses3_custom no
	# the floor: the null milter takes the same bodies over the same
	# protocol (64 KiB packets, a reply each) and does nothing with them
	filter_start 2 unix || return 1
	for b in "${SIZES[@]}"; do
		m=${SIZE_MESSAGES[$b]}
		milterload_cpu 2 out -F "$W/size-$b.txt" -c 4 -n "$m" -r 1 -t "szn$r.$b.$RANDOM."
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$b" 1 "$m" \
			"$(kv accepted "$out")" 0 "$(kv filter_ticks "$out")" "$CLK_TCK" >> "$W/sizes-null.tsv"
		printf '  sizes round %s %8s bytes, null milter: %s/%s accepted, %s ms CPU/message\n' \
			"$r" "$b" "$(kv accepted "$out")" "$m" \
			"$(awk -v t="$(kv filter_ticks "$out")" -v m="$m" -v hz="$CLK_TCK" \
				'BEGIN { printf "%.2f", 1000 * t / hz / m }')"
	done
	filter_stop 2
}

# rtt_mc_start NAME: a memcached of its own on a free port, and bench/mcproxy.py
# in front of it logging every round trip to W/rtt-NAME.trips; sets RTT_MC
# (the memcached itself, for its stats), RTT_MC_PID, RTT_PROXY (the
# address ses-milter is given) and RTT_PROXY_PID.  Restarted empty for
# every case.
rtt_mc_start() {
	local port pport
	rtt_mc_stop
	port=$(t_free_port)
	memcached -l 127.0.0.1 -p "$port" -U 0 -u nobody -m 64 \
		>"$W/rtt-memcached.log" 2>&1 </dev/null &
	RTT_MC_PID=$!
	RTT_MC=127.0.0.1:$port
	t_wait_port "$port" 10 || return 1
	pport=$(t_free_port)
	: > "$W/rtt-$1.trips"
	python3 "$top/bench/mcproxy.py" "$pport" "$RTT_MC" "$W/rtt-$1.trips" \
		2>>"$W/rtt-proxy.log" </dev/null &
	RTT_PROXY_PID=$!
	RTT_PROXY=127.0.0.1:$pport
	t_wait_port "$pport" 10
}

# rtt_mc_stop: stops the memcached and proxy of rtt_mc_start, by PID.
rtt_mc_stop() {
	local p
	for p in ${RTT_PROXY_PID:-} ${RTT_MC_PID:-}; do
		kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
	done
	RTT_PROXY_PID= RTT_MC_PID=
}

# mc_stats ADDR: memcached's "stats" as NAME VALUE lines.
mc_stats() {
	timeout 5 bash -c '
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "stats\r\nquit\r\n" >&3
		tr -d "\r" <&3' _ "${1##*:}" | awk '$1 == "STAT" { print $2, $3 }'
}

# RTT_RCPT_PREFIXES: the key prefixes of the RCPT stage's requests (the
# blocklist, unsubscribe and suppression entries, the frequency slots, the
# rate and day counters): a round trip carrying any of them is the RCPT
# stage's (its multi-get, its write batch, a release of what it reserved).
RTT_RCPT_PREFIXES="bl un sp fq rt dq"

# rtt_trips LOG OFFSET: from bench/mcproxy.py's LOG after byte OFFSET,
# prints "ROUND_TRIPS RCPT_STAGE_ROUND_TRIPS REQUESTS".
rtt_trips() {
	tail -c +"$(($2 + 1))" "$1" | awk -v pre="$RTT_RCPT_PREFIXES" '
		BEGIN { n = split(pre, p, " "); for (i = 1; i <= n; i++) rcpt[p[i]] = 1 }
		{
			trips++; requests += $2
			k = split($4, keys, ",")
			for (i = 1; i <= k; i++)
				if (keys[i] in rcpt) { rcpt_trips++; break }
		}
		END { printf "%d %d %d\n", trips, rcpt_trips, requests }'
}

# rtt_case NAME LIMIT RCPTS MESSAGES [-s]: a fresh memcached behind
# bench/mcproxy.py and ses-milter (rsa) with RecipientHourlyLimit LIMIT; 5
# warm-up messages, then MESSAGES of RCPTS recipients each (-s: always the
# same ones) over one connection (concurrent messages to one recipient
# would add retries of its compare-and-swap, not round trips of the path);
# appends name, limit, recipients, messages, accepted, round trips (whole
# message), round trips of the RCPT stage, requests, and the deltas of
# memcached's cmd_get cmd_set incr decr delete cas touch counters.
rtt_case() {
	local name=$1 limit=$2 n=$3 m=$4 same=${5:-} out off s0 s1 rt
	rtt_mc_start "$name" || return 1
	MEMCACHED=$RTT_PROXY
	ses3_start RecipientHourlyLimit "$limit" || return 1
	"$BUILD/bench/milterload" -S "$MILTER_SPEC" -F "$W/message.txt" -c 1 -n 5 \
		-t "rttw$name$RANDOM." >/dev/null 2>>"$W/milterload.log"
	s0=$(mc_stats "$RTT_MC")
	off=$(stat -c %s "$W/rtt-$name.trips")
	out=$("$BUILD/bench/milterload" -S "$MILTER_SPEC" -F "$W/message.txt" -c 1 -n "$m" \
		-r "$n" $same -t "rtt$name$RANDOM." 2>>"$W/milterload.log")
	s1=$(mc_stats "$RTT_MC")
	rt=$(rtt_trips "$W/rtt-$name.trips" "$off")
	ses_stop "$W/ses3" >/dev/null 2>&1
	FILTER_PIDS=
	printf '%s\n' "$s0" > "$W/rtt-s0"; printf '%s\n' "$s1" > "$W/rtt-s1"
	awk -v name="$name" -v limit="$limit" -v n="$n" -v m="$m" -v acc="$(kv accepted "$out")" \
		-v rt="$rt" '
		NR == FNR { a[$1] = $2; next } { b[$1] = $2 }
		END {
			split(rt, t, " ")
			d["get"] = b["cmd_get"] - a["cmd_get"]; d["set"] = b["cmd_set"] - a["cmd_set"]
			d["incr"] = b["incr_hits"] + b["incr_misses"] - a["incr_hits"] - a["incr_misses"]
			d["decr"] = b["decr_hits"] + b["decr_misses"] - a["decr_hits"] - a["decr_misses"]
			d["delete"] = b["delete_hits"] + b["delete_misses"] - a["delete_hits"] - a["delete_misses"]
			d["cas"] = b["cas_hits"] + b["cas_misses"] + b["cas_badval"] - a["cas_hits"] - a["cas_misses"] - a["cas_badval"]
			d["touch"] = b["cmd_touch"] - a["cmd_touch"]
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", name,
				limit, n, m, acc, t[1], t[2], t[3], d["get"], d["set"], d["incr"],
				d["decr"], d["delete"], d["cas"], d["touch"]
		}' "$W/rtt-s0" "$W/rtt-s1" >> "$W/rtt.tsv"
	tail -n 1 "$W/rtt.tsv" | awk -F'\t' '{
		k = $5 * $3
		printf "  rtt %-10s limit %4s, %2s rcpts x %4s: %s accepted, round trips per accepted recipient: %.2f whole message, %.2f RCPT stage\n",
			$1, $2, $3, $4, $5, (k > 0 ? $6 / k : 0), (k > 0 ? $7 / k : 0) }'
}

# rtt_test: the three cases of bench/rtt.sh through the whole milter, then
# bench/rtt.sh itself (the engine's own count of its requests).
rtt_test() {
	local saved=$MEMCACHED
	rtt_case common 10 1 "$RTT_MESSAGES" || return 1
	rtt_case rcpt10 10 10 $((RTT_MESSAGES / 10 + 1)) || return 1
	rtt_case limit1000 1000 1 "$RTT_SAME" -s || return 1
	MEMCACHED=$saved
	rtt_mc_stop
	ses_conf 3 "unix:$W/ses3/ses/sock"
	TMPDIR=$W bash "$top/bench/rtt.sh" "$BUILD" > "$W/rtt-engine.txt" 2>&1 ||
		echo "bench: bench/rtt.sh failed (see rtt-engine.txt)" >&2
	return 0
}

# perf_test MESSAGES: perf record, system-wide (libmilter starts a thread
# per connection, which "perf record -p" would miss), during a direct
# load; ses-milter's samples by shared object and its top functions by
# self time go to W/perf.txt, or the reason perf could not run.
perf_test() {
	local m=$1 pid ppid out
	filter_start 3 unix || return 1
	pid=${FILTER_PIDS%% *}
	if ! command -v perf >/dev/null 2>&1; then
		echo "perf is not installed" > "$W/perf.txt"
		filter_stop 3
		return 0
	fi
	perf record -F 999 -a -g -o "$W/perf.data" >"$W/perf-record.log" 2>&1 &
	ppid=$!
	# perf writes its file's header once it records, or exits when it cannot
	t_wait_until 10 sh -c "[ -s '$W/perf.data' ] || ! kill -0 $ppid 2>/dev/null"
	if ! kill -0 "$ppid" 2>/dev/null; then
		{ echo "perf record could not run in this environment:"; tail -n 5 "$W/perf-record.log"; } \
			> "$W/perf.txt"
		filter_stop 3
		return 0
	fi
	milterload_cpu 3 out -F "$W/message.txt" -c "$DIRECT_CONNECTIONS" -n "$m" -t "pf$RANDOM."
	# the daemon and the milter process it forks
	pid=$(proc_tree $FILTER_PIDS | paste -sd, -)
	kill -INT "$ppid" 2>/dev/null; wait "$ppid" 2>/dev/null
	filter_stop 3
	{
		printf 'load: %s\n\nses-milter (PIDs %s) samples by shared object:\n' "$out" "$pid"
		# summed from the per-symbol lines: "--sort dso" alone drops libc's
		# and the kernel's samples when filtered by --pid
		perf report -i "$W/perf.data" --pid "$pid" --percentage relative --stdio \
			--no-children --sort dso,symbol -g none 2>/dev/null | grep -v '^#' |
			awk 'NF > 1 { sub("%", "", $1); t[$2] += $1 }
				END { for (d in t) if (t[d] >= 0.5) printf "%7.2f%%  %s\n", t[d], d }' |
			sort -rn
		printf '\ntop functions by self time (unresolved addresses: stripped libraries):\n'
		perf report -i "$W/perf.data" --pid "$pid" --percentage relative --stdio \
			--no-children --sort symbol,dso -g none --percent-limit 0.5 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 30
	} > "$W/perf.txt"
	grep -q '%' "$W/perf.txt" || { echo "perf report gave no samples of ses-milter:";
		tail -n 5 "$W/perf-record.log"; } >> "$W/perf.txt"
	echo "  perf: $(grep -c '%' "$W/perf.txt") lines of samples in perf.txt"
}

# sha256_speed SECONDS: SHA-256 bytes per second on one core, 16 KB blocks.
sha256_speed() {
	openssl speed -seconds "$1" -bytes 16384 sha256 2>/dev/null |
		awk '$1 == "sha256" && $NF ~ /k$/ { sub(/k$/, "", $NF); printf "%.0f\n", $NF * 1000 }'
}
