#!/bin/bash
# t_metrics.sh - /metrics and /healthz on MetricsListen, against a real
# memcached, the real daemon driven by miltertest, promtool and a real
# Prometheus that scrapes the daemon.
#
# The daemon and its memcached run on free loopback ports in a temporary
# directory; a few messages go through miltertest (the cases of
# t_miltertest.sh: one accepted, one from a suspended account, refusals of
# foreign sender domains); then the exposition must pass `promtool check
# metrics`, the counters must have moved, Prometheus (started here with its
# own storage) must report the target up, the examples (alert rules,
# Grafana dashboard) must load and name only metrics the daemon exposes,
# a refused reload and a killed milter process must show, and /healthz
# must turn from 200 to 503 when memcached stops.
#
#     bash t_metrics.sh
#
# Environment: top_builddir (the build directory holding ses-milter),
# top_srcdir.  Needs miltertest, memcached, curl, promtool and prometheus
# (Debian package prometheus); skips without them.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
T_SUITE=metrics
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/memcached.sh"

here=$top_srcdir/tests/milter
bin=$top_builddir/ses-milter

t_need miltertest memcached curl promtool prometheus python3 openssl
if [ ! -x "$bin" ]; then
	t_fail all "got no executable $bin, want the built daemon"
	t_done
	exit 1
fi

tmp=$(mktemp -d /tmp/ses-metrics.XXXXXX) || exit 1
d=$tmp/inst
ses_pid= prom_pid=

cleanup() {
	t_stop "$prom_pid"
	t_stop "$ses_pid"
	mc_stop_all
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mc_start "$tmp/mc" main >/dev/null || { t_fail memcached "got no memcached, want one"; t_done; exit 1; }

m_port=$(t_free_port)
mkdir -p "$d/data/accounts"
cat >"$d/conf" <<EOF
Socket unix:$d/sock
LogTo stderr
LogLevel debug
DataDir $d/data
MemcachedServers $(mc_addr main)
InboundChecks no
MetricsListen 127.0.0.1:$m_port
EOF
cat >"$d/data/accounts/acme" <<EOF
CustomContent yes
Login acme-smtp
Network 192.0.2.0/24
Domain acme.example verified
EOF
cat >"$d/data/accounts/one" <<EOF
Login one-smtp
Domain one.example verified
EOF
cat >"$d/data/accounts/sleepy" <<EOF
Login sleepy-smtp
Domain sleepy.example verified
Suspended yes
EOF

# acme.example signs with both algorithms
mkdir -p "$d/data/keys/acme.example"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$d/data/keys/acme.example/s1.rsa.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$d/data/keys/acme.example/s1.ed25519.pem" 2>/dev/null
chmod 600 "$d/data/keys/acme.example/"*.pem

"$bin" -f -c "$d/conf" 2>>"$d/log" &
ses_pid=$!
metrics() { curl -sf "http://127.0.0.1:$m_port/metrics"; }
metrics_quiet() { metrics >/dev/null; }
if ! t_wait_until 15 grep -q "listening on" "$d/log" || ! t_wait_until 10 metrics_quiet; then
	t_fail start "got no daemon serving /metrics ($(tail -3 "$d/log")), want one"
	t_done
	exit 1
fi
t_match metrics_endpoint_logged "$(cat "$d/log")" "metrics endpoint on 127\.0\.0\.1:$m_port"

# ---- the exposition before and after a few messages ----------------------
metrics >"$tmp/before.txt"
if promtool check metrics <"$tmp/before.txt" >"$tmp/promtool.out" 2>&1; then
	t_pass promtool_accepts_metrics_at_start
else
	t_fail promtool_accepts_metrics_at_start "got $(head -5 "$tmp/promtool.out" | tr '\n' ';'), want no problem"
fi

mt() {
	env MT_SOCKET="unix:$d/sock" MT_LOG="$d/log" MT_PID="$ses_pid" MT_CONF="$d/conf" \
		MT_DATADIR="$d/data" MT_LIB="$here/lib.lua" miltertest -s "$here/$1.lua" </dev/null 2>&1
}
for c in subject_998_chars_accepted suspended_account_refused foreign_domain_refused; do
	out=$(trap '' PIPE; mt "$c") && t_pass "message_$c" ||
		t_fail "message_$c" "$(printf '%s' "$out" | head -5 | tr '\n' ';')"
done

metrics >"$tmp/after.txt"
if promtool check metrics <"$tmp/after.txt" >"$tmp/promtool.out" 2>&1; then
	t_pass promtool_accepts_metrics_after_messages
else
	t_fail promtool_accepts_metrics_after_messages "got $(head -5 "$tmp/promtool.out" | tr '\n' ';'), want no problem"
fi

# value NAME{LABELS}: the sample's value in after.txt (empty when absent).
value() { awk -v k="$1" '$1 == k { print $2 }' "${2:-$tmp/after.txt}"; }
t_eq accepted_message_counted "$(value 'ses_milter_decisions_total{rule="policy",class="accept"}')" 1
t_eq suspended_refusal_counted "$(value 'ses_milter_decisions_total{rule="suspended",class="5xx"}')" 1
t_eq sender_domain_refusals_counted "$(value 'ses_milter_decisions_total{rule="sender_domain",class="5xx"}')" 2
mail=$(value 'ses_milter_stage_duration_seconds_count{stage="mail"}')
t_eq mail_stage_timed_once_per_mail "$mail" 5
t_eq eom_stage_timed "$(value 'ses_milter_stage_duration_seconds_count{stage="eom"}')" 1
t_eq eom_inf_bucket_equals_count \
	"$(value 'ses_milter_stage_duration_seconds_bucket{stage="eom",le="+Inf"}')" 1
t_eq signatures_by_algorithm "$(value 'ses_milter_dkim_signatures_total{algorithm="rsa-sha256"}') $(value 'ses_milter_dkim_signatures_total{algorithm="ed25519-sha256"}') $(value 'ses_milter_stage_duration_seconds_count{stage="sign"}')" "1 1 1"
mc=$(value 'ses_milter_stage_duration_seconds_count{stage="memcached"}')
if [ "${mc:-0}" -gt 0 ]; then t_pass memcached_round_trips_timed
else t_fail memcached_round_trips_timed "got '${mc}', want more than 0"; fi
t_eq no_memcached_errors "$(value 'ses_milter_memcached_errors_total{kind="error"}')" 0
t_eq suspended_account_gauge "$(value 'ses_milter_account_suspended{account="sleepy"}') $(value 'ses_milter_account_suspended{account="acme"}') $(value ses_milter_accounts_suspended)" "1 0 1"
"$top_builddir/sesctl/sesctl" -c "$d/conf" --no-reload account suspend one >"$tmp/sesctl.out" 2>&1 ||
	t_fail shared_suspension_in_gauge "sesctl account suspend: $(head -2 "$tmp/sesctl.out" | tr '\n' ';')"
metrics >"$tmp/suspend.txt"
t_eq shared_suspension_in_gauge "$(value 'ses_milter_account_suspended{account="one"}' "$tmp/suspend.txt") $(value ses_milter_accounts_suspended "$tmp/suspend.txt")" "1 2"
t_eq api_requests_declared_at_zero "$(value 'ses_milter_api_requests_total{action="SendEmail",result="success"}')" 0
t_eq backend_up "$(value ses_milter_backend_up) $(value ses_milter_journal_writable)" "1 1"
t_nomatch no_address_in_labels "$(grep -v '^#' "$tmp/after.txt")" '@|192\.0\.2\.|example'

# ---- the examples name only metrics the daemon exposes -------------------
if python3 -m json.tool "$top_srcdir/examples/grafana-ses-milter.json" >/dev/null 2>"$tmp/json.err"; then
	t_pass grafana_dashboard_parses
else
	t_fail grafana_dashboard_parses "got $(head -2 "$tmp/json.err" | tr '\n' ';'), want JSON"
fi
if promtool check rules "$top_srcdir/examples/prometheus-alerts.yml" >"$tmp/rules.out" 2>&1; then
	t_pass alert_rules_check
else
	t_fail alert_rules_check "got $(head -5 "$tmp/rules.out" | tr '\n' ';'), want SUCCESS"
fi
missing=""
for name in $(cat "$top_srcdir/examples/grafana-ses-milter.json" "$top_srcdir/examples/prometheus-alerts.yml" |
	      grep -o 'ses_milter_[a-z_]*' | sort -u); do
	grep -q "^# TYPE ${name%_bucket} " "$tmp/after.txt" || missing="$missing $name"
done
t_eq examples_name_exposed_metrics "${missing:-none}" none

# ---- a real Prometheus scrapes MetricsListen ------------------------------
p_port=$(t_free_port)
mkdir -p "$tmp/prom"
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $top_srcdir/examples/prometheus-alerts.yml
scrape_configs:
  - job_name: ses-milter
    static_configs:
      - targets: ['127.0.0.1:$m_port']
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom/data" \
	--web.listen-address="127.0.0.1:$p_port" >"$tmp/prom/log" 2>&1 </dev/null &
prom_pid=$!
prom_up() {
	curl -sf "http://127.0.0.1:$p_port/api/v1/targets" 2>/dev/null | grep -q '"health":"up"'
}
if t_wait_until 60 prom_up; then t_pass prometheus_scrapes_target
else t_fail prometheus_scrapes_target "got $(curl -s "http://127.0.0.1:$p_port/api/v1/targets" | head -c 300; tail -2 "$tmp/prom/log"), want health up"; fi
prom_has() {
	curl -sf "http://127.0.0.1:$p_port/api/v1/query" \
		--data-urlencode 'query=ses_milter_decisions_total{rule="suspended",class="5xx"}' |
		grep -q '"value":\[[0-9.]*,"1"\]'
}
if t_wait_until 20 prom_has; then t_pass prometheus_has_decision_series
else t_fail prometheus_has_decision_series "got no ses_milter_decisions_total{rule=\"suspended\"} of 1 in Prometheus"; fi
t_stop "$prom_pid"; prom_pid=

# ---- reloads, restarts, health ---------------------------------------------
cp "$d/conf" "$d/conf.good"
echo "NoSuchKey 1" >>"$d/conf"
kill -HUP "$ses_pid"
reload_failed() { [ "$(metrics | awk '$1 == "ses_milter_config_reload_failures_total" { print $2 }')" = 1 ]; }
if t_wait_until 10 reload_failed; then t_pass refused_reload_counted
else t_fail refused_reload_counted "got $(metrics | grep '^ses_milter_config_reload'), want 1 failure"; fi
metrics >"$tmp/reload.txt"
t_eq refused_reload_flagged "$(value ses_milter_config_last_reload_failed "$tmp/reload.txt")" 1
cp "$d/conf.good" "$d/conf"

child=$(pgrep -P "$ses_pid" | head -1)
kill -KILL "$child" 2>/dev/null
restarted() { [ "$(metrics 2>/dev/null | awk '$1 == "ses_milter_worker_restarts_total" { print $2 }')" = 1 ]; }
if [ -n "$child" ] && t_wait_until 20 restarted; then t_pass worker_restart_counted
else t_fail worker_restart_counted "got $(metrics | grep '^ses_milter_worker_restarts'), want 1"; fi

status=$(curl -s -o "$tmp/healthz" -w '%{http_code}' "http://127.0.0.1:$m_port/healthz")
t_eq healthz_ok_with_memcached "$status $(cat "$tmp/healthz")" "200 ok"
t_eq unknown_path_not_found "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$m_port/other")" 404

mc_stop main
status=$(curl -s -o "$tmp/healthz" -w '%{http_code}' "http://127.0.0.1:$m_port/healthz")
t_eq healthz_503_without_memcached "$status $(cat "$tmp/healthz")" "503 memcached does not answer"
metrics >"$tmp/down.txt"
t_eq backend_down_in_metrics "$(value ses_milter_backend_up "$tmp/down.txt")" 0
errs=$(( $(value 'ses_milter_memcached_errors_total{kind="error"}' "$tmp/down.txt") + \
	 $(value 'ses_milter_memcached_errors_total{kind="timeout"}' "$tmp/down.txt") ))
if [ "$errs" -gt 0 ]; then t_pass memcached_errors_counted_when_down
else t_fail memcached_errors_counted_when_down "got $errs, want more than 0"; fi

t_done
