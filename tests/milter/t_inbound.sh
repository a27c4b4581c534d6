#!/bin/bash
# t_inbound.sh - the checks of inbound mail at the milter protocol: SPF,
# DKIM and DMARC against the DNS stub of tests/lib/authdns.sh (the daemon's
# DnsServer), the Authentication-Results header, forged ones
# removed, and what DMARC asks for (reject, hold, tempfail on DNS failure).
#
# The cases live in inbound_cases.py (one function per behaviour, run by
# Debian's /usr/bin/python3, which has python3-dkim to sign the messages).
# A second daemon with DmarcReject report and AuthDnsFailure accept checks
# that the header is all that changes then; a third, with DmarcDiscovery
# psl, that the Public Suffix List discovery still finds a parent's record.
#
#     bash t_inbound.sh [CASE...]      (no CASE: all of them)
#
# Environment: top_builddir (holding ses-milter), top_srcdir.
# Needs dnsmasq (dnsmasq-base), memcached, python3-dkim and python3-nacl.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
T_SUITE=inbound
. "$top_srcdir/tests/lib/testlib.sh"
. "$top_srcdir/tests/lib/authdns.sh"

here=$top_srcdir/tests/milter
bin=$top_builddir/ses-milter
PY=/usr/bin/python3
only=" $* "

for need in dnsmasq memcached openssl; do
	if ! command -v "$need" >/dev/null 2>&1; then
		t_skip all "$need is not installed"
		t_done
		exit
	fi
done
if ! "$PY" -c 'import dkim, nacl' 2>/dev/null; then
	t_skip all "python3-dkim and python3-nacl are not installed for $PY"
	t_done
	exit
fi

tmp=$(mktemp -d /tmp/ses-inbound.XXXXXX) || exit 1
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	dns_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! authdns_start "$tmp"; then
	t_fail dns_stub "got no DNS stub, want one"
	t_done
	exit 1
fi
dns_port=$AUTHDNS_PORT

mc_port=$(dns_free_port)
memcached -l 127.0.0.1 -p "$mc_port" -U 0 -u nobody -m 16 >"$tmp/memcached.log" 2>&1 </dev/null &
pids+=($!)
t_wait_port "$mc_port" 10 || { t_fail memcached "did not start on port $mc_port"; t_done; exit 1; }

# start NAME [CONFIG LINE...]: a daemon with the stub as its DnsServer.
start() {
	local d=$tmp/$1 l
	shift
	mkdir -p "$d/data/accounts"
	{
		echo "Socket unix:$d/sock"
		echo "LogTo stderr"
		echo "LogLevel debug"
		echo "DataDir $d/data"
		echo "MemcachedServers 127.0.0.1:$mc_port"
		echo "DnsServer 127.0.0.1:$dns_port"
		echo "DnsTimeout 1"
		echo "DnsTries 1"
		echo "AuthservId mx.test"
		for l in "$@"; do echo "$l"; done
	} >"$d/conf"
	printf 'Login acme\nDomain acme.example verified\n' >"$d/data/accounts/acme"
	"$bin" -f -c "$d/conf" 2>>"$d/log" &
	pids+=($!)
	t_wait_file "$d/sock" 10 && t_wait_file_text "$d/log" "listening on" 10
}

# t_wait_file_text FILE TEXT SECONDS: waits until FILE holds TEXT.
t_wait_file_text() {
	local n=0
	until grep -q "$2" "$1" 2>/dev/null; do
		[ $n -ge $(($3 * 10)) ] && return 1
		sleep 0.1; n=$((n + 1))
	done
}

# run INSTANCE CASE: runs one case of inbound_cases.py.
run() {
	local out rc
	case $only in "  " | *" $2 "*) ;; *) return 0 ;; esac
	out=$(MT_SOCKET="unix:$tmp/$1/sock" MT_LOG="$tmp/$1/log" MT_KEYS="$tmp/keys" \
		"$PY" "$here/inbound_cases.py" "$2" 2>&1)
	rc=$?
	if grep -q "killed by signal" "$tmp/$1/log"; then
		t_fail "$2" "got a crashed milter process: $(grep 'killed by signal' "$tmp/$1/log" | tail -1)"
	elif [ $rc -eq 0 ]; then
		t_pass "$2"
	else
		t_fail "$2" "$(printf '%s' "$out" | head -20 | tr '\n' ';')"
	fi
}

if ! start main; then
	t_fail start "got no listening daemon ($(tail -3 "$tmp/main/log")), want one"
	t_done
	exit 1
fi
for c in $("$PY" "$here/inbound_cases.py" --list); do
	case $c in report_* | psl_*) continue ;; esac
	run main "$c"
done

# Summary lines carry the results.
if [ "$only" = "  " ]; then
	t_match summary_line_has_results "$(grep ' summary ' "$tmp/main/log" | grep -m1 'dmarc=')" \
		"spf=[a-z]+ dkim=[a-z]+.* dmarc=[a-z]+ decision="
fi

# ---- DmarcDiscovery psl: RFC 7489's discovery by the Public Suffix List ----
if start psl "DmarcDiscovery psl"; then
	run psl psl_subdomain_uses_org_domain_record
else
	t_fail start_psl "got no listening daemon ($(tail -3 "$tmp/psl/log")), want one"
fi

# ---- DmarcReject report, AuthDnsFailure accept: only the header changes ----
if start report "DmarcReject report" "DmarcQuarantine report" "AuthDnsFailure accept"; then
	run report report_dmarc_reject_only_reported
	run report report_dns_failure_accepted
else
	t_fail start_report "got no listening daemon ($(tail -3 "$tmp/report/log")), want one"
fi

t_done
