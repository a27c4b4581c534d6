# dnsstub.sh - a DNS stub for the shell suites (sourced after testlib.sh):
# dnsmasq on a free loopback port, answering from records given on its
# command line, restarted on the same port with other records, frozen so
# that queries go unanswered, and stopped by its PID.  Needs dnsmasq
# (Debian package dnsmasq-base), python3 and ss.
#
#   dns_free_port              prints a loopback port free for UDP and TCP
#   dns_args RECORDS           sets DNS_ARGS (an array) to the dnsmasq options
#                              serving the zone-file lines RECORDS
#   dns_start LOG PORT [OPT...]  (re)starts the stub on PORT; queries are
#                              logged to LOG; sets DNS_PID
#   dns_freeze, dns_thaw       SIGSTOP and SIGCONT: a frozen stub keeps its
#                              port but answers nothing (lookups time out)
#   dns_stop                   stops it (the caller's EXIT trap calls this)
#
# Names under the zones of DNS_ZONES (default: example.com example.net
# example.org) that the stub does not know get NXDOMAIN, not REFUSED.

DNS_PID=
DNS_ZONES=${DNS_ZONES:-example.com example.net example.org}

dns_free_port() {
	python3 -c '
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]; t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()'
}

# dns_args RECORDS: TXT strings are joined (dnsmasq splits a long text into
# 255-byte strings itself); MX records get preference 10.
dns_args() {
	local line name rest text host
	DNS_ARGS=()
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		name=${line%%. IN *}
		rest=${line#* IN }
		case $rest in
		TXT*)	text=$(printf '%s' "$rest" | grep -o '"[^"]*"' | tr -d '"\n')
			DNS_ARGS+=("--txt-record=$name,$text") ;;
		MX*)	host=$(printf '%s' "$rest" | awk '{print $3}')
			DNS_ARGS+=("--mx-host=$name,${host%.},10") ;;
		esac
	done <<<"$1"
}

dns_start() {
	local log=$1 port=$2 zone i=0
	local locals=()
	shift 2
	dns_stop
	for zone in $DNS_ZONES; do locals+=("--local=/$zone/"); done
	dnsmasq --keep-in-foreground --port "$port" --listen-address 127.0.0.1 \
		--bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
		--log-queries --log-facility="$log" --pid-file="$log.pid" "${locals[@]}" "$@" &
	DNS_PID=$!
	while [ $i -lt 50 ] && ! ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; do
		kill -0 "$DNS_PID" 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	[ $i -lt 50 ]
}

dns_freeze() { [ -n "$DNS_PID" ] && kill -STOP "$DNS_PID"; }
dns_thaw() { [ -n "$DNS_PID" ] && kill -CONT "$DNS_PID"; }

dns_stop() {
	if [ -n "$DNS_PID" ]; then
		kill -CONT "$DNS_PID" 2>/dev/null
		kill "$DNS_PID" 2>/dev/null
		wait "$DNS_PID" 2>/dev/null
		DNS_PID=
	fi
	return 0
}
