# measure.sh - what the benchmark measures (sourced by bench/run, not run).
# Every function appends its figures as tab-separated lines to a file
# under W, which bench/report.py turns into the results.
#
#   make_inputs              the template files and the 2 KB message
#   check_config CFG SOCK    4 messages through the dumping sink, verified
#                            (delivered, signed, rendered)     -> checks.txt
#   run_load R CFG SOCK S M  M messages over S sessions, timed -> runs.tsv
#   rss_test CFG N           peak filter RSS and threads at N
#                            sessions, tempfails counted       -> rss.tsv
#   direct_test R CFG N C    milterload straight to the filter -> direct.tsv
#   rsa_speed                openssl speed rsa2048 sign/s      -> meta.txt

CLK_TCK=$(getconf CLK_TCK)

# make_inputs: W/template.{txt,html} (about 2 KB rendered together) and,
# once TEMPLATE_ID is known, W/message.txt: a 2048-byte message naming
# the template, the same for every configuration (the filters other than
# ses-milter pass it as it is).
make_inputs() {
	cat > "$W/template.txt" <<-'EOF'
	Hello {{name}},

	here is the weekly report for your account {{account}} covering {{period}}.
	During this period your team sent its regular newsletters, a number of
	password reminders and the usual order confirmations.  Delivery went as
	expected for nearly every message, and the few that could not be delivered
	were returned to the sending address with the reason the receiving side
	gave.  Please review the returned messages when you have a moment, remove
	addresses that no longer exist from your lists, and keep the subject lines
	short and clear, so that your readers recognise your mail at a glance.

	Thank you for sending with us, and have a good week.
	EOF
	cat > "$W/template.html" <<-'EOF'
	<html><body>
	<p>Hello <b>{{name}}</b>,</p>
	<p>here is the weekly report for your account <code>{{account}}</code> covering
	{{period}}.  During this period your team sent its regular newsletters, a
	number of password reminders and the usual order confirmations.  Delivery
	went as expected for nearly every message, and the few that could not be
	delivered were returned to the sending address with the reason the
	receiving side gave.</p>
	<p>Please review the returned messages when you have a moment, remove
	addresses that no longer exist from your lists, and keep the subject lines
	short and clear, so that your readers recognise your mail at a glance.</p>
	<p>Thank you for sending with us, and have a good week.</p>
	</body></html>
	EOF
}

# make_message: W/message.txt, exactly 2048 bytes with LF line ends.
make_message() {
	local f=$W/message.txt line
	{
		printf 'From: Bench News <%s>\n' "$FROM"
		printf 'To: <reader@rcpt.bench.example>\n'
		printf 'Subject: Your weekly account report\n'
		printf 'Date: %s\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <report.%s@bench.example>\n' "$(date +%s)"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n'
		printf 'X-SES-Template: %s\n' "$TEMPLATE_ID"
		printf 'X-SES-Template-Data: {"name":"Reader","account":"A-1024","period":"week 47"}\n'
		printf '\n'
	} > "$f"
	line='The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.'
	while [ "$(stat -c %s "$f")" -lt 2048 ]; do
		printf '%s\n' "$line" >> "$f"
	done
	# cut the last line so the file is 2048 bytes and still ends in LF
	truncate -s 2047 "$f" && printf '\n' >> "$f"
}

# source_send SESSIONS MESSAGES TO [OPTIONS...]: smtp-source against the
# instance with the message file; TO gets a sequence number prepended
# (-N), so every recipient is new.  -A: a refused message does not end
# the whole run (smtp-source exits at the first refusal otherwise); the
# delivered count shows what was refused.
source_send() {
	local s=$1 m=$2 to=$3
	shift 3
	smtp-source -A -s "$s" -m "$m" -N -F "$W/message.txt" -f "$FROM" -t "$to" \
		-M client.bench.test "$@" 127.0.0.1:"$SMTP_PORT"
}

# log_size: the size of Postfix's log now (where a run's lines start).
log_size() {
	stat -c %s "$PF/maillog" 2>/dev/null || echo 0
}

# sent_count TAG OFFSET: deliveries to the next hop logged after byte
# OFFSET for recipients NUMBER TAG @ (smtp-source -N prepends the number).
sent_count() {
	tail -c +"$(($2 + 1))" "$PF/maillog" 2>/dev/null |
		grep -E "to=<[0-9]+$1@" | grep -c 'status=sent'
}

# seconds_since T0: seconds from date +%s.%N value T0 until now.
seconds_since() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }'
}

# wait_sent TAG OFFSET WANT: waits (up to 10 s) until WANT deliveries are
# logged (the log is written asynchronously); prints the count.
wait_sent() {
	local i n=0
	for i in $(seq 100); do
		n=$(sent_count "$1" "$2")
		[ "$n" -ge "$3" ] && break
		sleep 0.1
	done
	echo "$n"
}

# filter_extra CFG: a word on the filter's own record of the work.
filter_extra() {
	case $1 in
	3 | 4) printf 'ses-milter summary lines with decision=accept so far: %s' \
		"$(grep -c 'summary .*decision=accept' "$W/ses$1/ses/ses-milter.log")" ;;
	6) printf 'Redis ratelimit buckets so far: %s' \
		"$(redis-cli -p "$REDIS_PORT" --scan --pattern 'RL*' | wc -l)" ;;
	esac
}

# check_config CFG SOCK: sends 4 messages to check.bench.example (kept by
# the dumping sink) and verifies each: delivered, the expected header or
# valid DKIM signatures (python3-dkim against the published keys), the
# template rendered for ses-milter.  Returns 1 when a check fails.
check_config() {
	local cfg=$1 sock=$2 tag="chk$1$2x" n verdict rc off
	rm -f "$W"/dump/msg.*
	off=$(log_size)
	source_send 2 4 "$tag@check.bench.example" >>"$W/source.log" 2>&1
	svc_wait_drained 60
	n=$(wait_sent "$tag" "$off" 4)
	for _ in $(seq 50); do
		[ "$(find "$W/dump" -name 'msg.*' | wc -l)" -ge "$n" ] && break
		sleep 0.1
	done
	verdict=$(/usr/bin/python3 "$top/bench/verify.py" "$cfg" "$W/records.zone" "$W"/dump/msg.* 2>&1)
	rc=$?
	[ "$n" -eq 4 ] || { rc=1; verdict="only $n of 4 delivered; $verdict"; }
	printf '%s\t%s\t%s\t%s\t%s\n' "$cfg" "$sock" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" \
		"$verdict" "$(filter_extra "$cfg")" >> "$W/checks.tsv"
	printf '  check %-26s %-5s %s: %s\n' "$(filter_name "$cfg")" "$sock" \
		"$([ $rc -eq 0 ] && echo ok || echo FAILED)" "$verdict"
	return $rc
}

# run_load ROUND CFG SOCK SESSIONS MESSAGES: one timed run; appends
# round, cfg, sock, sessions, messages, delivered, seconds and the CPU
# ticks of the filter, its backend and Postfix to W/runs.tsv.
run_load() {
	local round=$1 cfg=$2 sock=$3 s=$4 m=$5 tag f0 f1 b0 b1 p0 p1 t0 secs n master off
	tag="r$1c$2$3s$4x"
	off=$(log_size)
	master=$(tr -dc 0-9 < "$PF/queue/pid/master.pid")
	f0=$(proc_cpu_ticks $FILTER_PIDS); b0=$(proc_cpu_ticks $BACKEND_PIDS)
	p0=$(proc_cpu_ticks "$master")
	t0=$(date +%s.%N)
	source_send "$s" "$m" "$tag@rcpt.bench.example" >>"$W/source.log" 2>&1
	secs=$(seconds_since "$t0")
	svc_wait_drained 120 || echo "bench: queue not empty after 120 s" >&2
	f1=$(proc_cpu_ticks $FILTER_PIDS); b1=$(proc_cpu_ticks $BACKEND_PIDS)
	p1=$(proc_cpu_ticks "$master")
	n=$(wait_sent "$tag" "$off" "$m")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$cfg" "$sock" "$s" "$m" \
		"$n" "$secs" $((f1 - f0)) $((b1 - b0)) $((p1 - p0)) "$CLK_TCK" >> "$W/runs.tsv"
	printf '  round %s %-26s %-5s %2s sessions: %4s/%s delivered in %s s\n' "$round" \
		"$(filter_name "$cfg")" "$sock" "$s" "$n" "$m" "$secs"
}

# smtpd_count: smtpd processes of the instance right now.
smtpd_count() {
	local master
	master=$(tr -dc 0-9 < "$PF/queue/pid/master.pid")
	ps -e -o ppid=,comm= | awk -v m="$master" '$1 == m && $2 == "smtpd"' | wc -l
}

# open_sockets PID...: open sockets of the processes and their descendants
# (the MTA's connections to the filter, its listener, its backend).
open_sockets() {
	local p total=0 v
	for p in $(proc_tree "$@"); do
		v=$(find "/proc/$p/fd" -lname 'socket:*' 2>/dev/null | wc -l)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# thread_count PID...: threads of the processes and their descendants.
thread_count() {
	local p total=0 v
	for p in $(proc_tree "$@"); do
		v=$(awk '$1 == "Threads:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# pss_kb PID...: proportional set size in kB (shared pages divided among
# the processes that map them), summed over the processes and descendants.
pss_kb() {
	local p total=0 v
	for p in $(proc_tree "$@"); do
		v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# rss_test CFG SESSIONS: a fresh filter on the unix socket, SESSIONS SMTP
# sessions held open at once (two messages each, 10 s apart: Postfix
# needs several seconds to start 1000 smtpd processes), sampled
# every 0.5 s; appends cfg, sessions, peak smtpd processes, peak open
# sockets of the filter, peak PSS sampled and the sum of the filter
# processes' VmHWM (kB), messages sent and delivered, the peak thread count
# of the filter's processes (/proc/PID/status Threads, sampled) and the
# 4xx replies Postfix logged for the run (a milter tempfail) and the
# largest VmHWM of one of its processes (kB) to W/rss.tsv.
rss_test() {
	local cfg=$1 s=$2 tag="rss$1x" m hwm hwm1 n samp off tf
	m=$((s * 2))
	off=$(log_size)
	filter_start "$cfg" unix || return 1
	svc_postfix_milter "$MILTER_SPEC" || return 1
	samp=$W/rss-samples.$cfg
	: > "$samp"
	(
		while :; do
			printf '%s\t%s\t%s\t%s\n' "$(smtpd_count)" "$(open_sockets $FILTER_PIDS)" \
				"$(pss_kb $FILTER_PIDS)" "$(thread_count $FILTER_PIDS)" >> "$samp"
			sleep 0.5
		done
	) &
	local sampler=$!
	source_send "$s" "$m" "$tag@rcpt.bench.example" -d -w 10 -C 5 >>"$W/source.log" 2>&1
	kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
	hwm=$(proc_rss_kb VmHWM $FILTER_PIDS)
	hwm1=$(proc_rss_max_kb VmHWM $FILTER_PIDS)
	svc_wait_drained 120
	n=$(wait_sent "$tag" "$off" "$m")
	filter_stop "$cfg"
	tf=$(tail -c +"$((off + 1))" "$PF/maillog" | grep -c -E 'milter-reject: .* 4[0-9][0-9] |reject: .*: 4[0-9][0-9] ')
	awk -F'\t' -v c="$cfg" -v s="$s" -v h="$hwm" -v m="$m" -v n="$n" -v tf="$tf" -v h1="$hwm1" '
		$1 > p { p = $1 } $2 > t { t = $2 } $3 > r { r = $3 } $4 > th { th = $4 }
		END { printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", c, s, p, t, r, h, m, n, th, tf, h1 }' \
		"$samp" >> "$W/rss.tsv"
	tail -n 1 "$W/rss.tsv" | awk -F'\t' -v name="$(filter_name "$cfg")" '{
		printf "  rss   %-26s %s sessions: peak %d smtpd, %d filter sockets, VmHWM %.1f MiB, PSS %.1f MiB, %d threads, %d/%d delivered, %d tempfails\n",
			name, $2, $3, $4, $6 / 1024, $5 / 1024, $9, $8, $7, $10 }'
}

# direct_test ROUND CFG MESSAGES CONNECTIONS: milterload straight to a
# fresh filter on its unix socket (no Postfix); appends cfg, messages,
# accepted, signed, rendered, seconds, filter ticks, backend ticks,
# CLK_TCK and the round to W/direct.tsv.
direct_test() {
	local r=$1 cfg=$2 m=$3 c=$4 sock out f0 f1 b0 b1
	filter_start "$cfg" unix || return 1
	sock=$MILTER_SPEC
	"$BUILD/bench/milterload" -S "$sock" -F "$W/message.txt" -c "$c" -n 50 \
		-t "dw$cfg$RANDOM" >/dev/null 2>>"$W/milterload.log"
	f0=$(proc_cpu_ticks $FILTER_PIDS); b0=$(proc_cpu_ticks $BACKEND_PIDS)
	out=$("$BUILD/bench/milterload" -S "$sock" -F "$W/message.txt" -c "$c" -n "$m" \
		-t "d$cfg$RANDOM" 2>>"$W/milterload.log")
	f1=$(proc_cpu_ticks $FILTER_PIDS); b1=$(proc_cpu_ticks $BACKEND_PIDS)
	filter_stop "$cfg"
	printf '%s\n' "$out" | awk -v c="$cfg" -v f=$((f1 - f0)) -v b=$((b1 - b0)) -v hz="$CLK_TCK" \
		-v r="$r" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c, v["messages"], v["accepted"],
			v["signed"], v["rendered"], v["seconds"], f, b, hz, r }' >> "$W/direct.tsv"
	printf '  direct %-25s %s\n' "$(filter_name "$cfg")" "$out"
}

# stall_test MESSAGES: why TCP costs more.  The null milter as configured
# (HELO and DATA negotiated away, like ses-milter) and with -d (answering
# them), over unix and inet sockets, one session; appends variant, sock,
# messages, delivered, seconds to W/stall.tsv.
stall_test() {
	local m=$1 variant sock t0 secs n off tag
	for variant in skip answer; do
		for sock in unix inet; do
			if [ "$variant" = skip ]; then null_start "$sock"; else null_start "$sock" -d; fi ||
				return 1
			FILTER_CFG=2
			svc_postfix_milter "$MILTER_SPEC" || return 1
			source_send 1 5 "sw$variant${sock}x@rcpt.bench.example" >>"$W/source.log" 2>&1
			tag="st$variant${sock}x"
			off=$(log_size)
			t0=$(date +%s.%N)
			source_send 1 "$m" "$tag@rcpt.bench.example" >>"$W/source.log" 2>&1
			secs=$(seconds_since "$t0")
			svc_wait_drained 60
			n=$(wait_sent "$tag" "$off" "$m")
			filter_stop 2
			printf '%s\t%s\t%s\t%s\t%s\n' "$variant" "$sock" "$m" "$n" "$secs" >> "$W/stall.tsv"
			printf '  null milter, HELO and DATA %-8s %-4s: %s ms per message\n' \
				"$([ "$variant" = skip ] && echo skipped || echo answered)" "$sock" \
				"$(awk -v s="$secs" -v m="$m" 'BEGIN { printf "%.2f", 1000 * s / m }')"
		done
	done
}

# rsa_speed: RSA-2048 signatures per second on one core, by openssl speed.
rsa_speed() {
	openssl speed -seconds "$1" rsa2048 2>/dev/null | awk '$1 == "rsa" && $2 == "2048" { print $6 }'
}
