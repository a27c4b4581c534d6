# inbound.sh - the inbound step: SPF, DKIM verification and DMARC on
# signed mail, ses-milter against OpenDKIM (verifying) plus OpenDMARC
# (sourced by bench/run, not run).
#
# The sender domain in.bench.example is published by a dnsmasq stub on
# 127.0.0.153 port 53 (loopback only): SPF "ip4:192.0.2.0/24 -all" for the
# domain and its HELO name, its DKIM key (selector sel, RSA-2048) and
# "v=DMARC1; p=reject".  ses-milter is pointed at it by DnsServer.
# OpenDKIM and OpenDMARC have no resolver setting OpenDMARC honours, so both
# run in a mount namespace of their own (unshare -m) in which
# /etc/resolv.conf is a file naming only the stub; OpenDKIM's libunbound
# gets the stub as its forwarder too (Nameservers; its ResolverConfiguration
# file is parsed again at every lookup, by several threads at once, which
# crashes it).  The machine's own /etc/resolv.conf is not touched.
#
# Every filter gets the same signed message straight over the milter
# protocol (bench/milterload) from client 192.0.2.10, HELO
# mx.in.bench.example: SPF, DKIM and DMARC all pass.  OpenDMARC reads the
# DKIM result from the Authentication-Results header OpenDKIM adds in
# front of it in a real chain, so its copy carries that header.  Their
# work is the sum of both filters' CPU for the same messages.
#
#   inbound_setup            keys, the signed message, the stub's records
#   inbound_test ROUND N     N messages through each      -> inbound.tsv

INB_DNS=127.0.0.153
INB_DOMAIN=in.bench.example
INB_CLIENT=192.0.2.10
INB_HELO=mx.in.bench.example
INB_AUTHSERV=mx.bench.test

# inbound_setup: W/inb with the RSA key, W/inb/message.txt (signed) and
# W/inb/message-ar.txt (the same with OpenDKIM's result on top), and the
# stub started.
inbound_setup() {
	local d=$W/inb p
	mkdir -p "$d" && chmod 755 "$d"
	openssl genrsa -out "$d/rsa.pem" 2048 2>/dev/null || return 1
	p=$(openssl rsa -in "$d/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
	/usr/bin/python3 - "$d" "$INB_DOMAIN" <<-'EOF' || return 1
		import dkim, sys
		d, dom = sys.argv[1], sys.argv[2]
		body = b"".join(b"Line %04d of the monthly statement; nothing in it needs an answer.\r\n" % i
		                for i in range(24))
		hdrs = [("From", "Statements <news@%s>" % dom), ("To", "reader@rcpt.bench.example"),
		        ("Subject", "Your monthly statement"), ("Message-ID", "<stmt.1@%s>" % dom),
		        ("Date", "Sun, 22 Nov 2026 12:00:00 +0000"), ("MIME-Version", "1.0"),
		        ("Content-Type", "text/plain; charset=us-ascii")]
		raw = "".join("%s: %s\r\n" % h for h in hdrs).encode() + b"\r\n" + body
		key = open(d + "/rsa.pem", "rb").read()
		sig = dkim.sign(raw, b"sel", dom.encode(), key, canonicalize=(b"relaxed", b"relaxed"),
		                include_headers=[b"From", b"To", b"Subject", b"Message-ID", b"Date"])
		msg = (sig + raw).replace(b"\r\n", b"\n")
		open(d + "/message.txt", "wb").write(msg)
		ar = ("Authentication-Results: mx.bench.test; dkim=pass (2048-bit key) "
		      "header.d=%s header.i=@%s header.b=x\n" % (dom, dom)).encode()
		open(d + "/message-ar.txt", "wb").write(ar + msg)
	EOF
	printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$INB_DNS" > "$d/resolv.conf"
	dnsmasq --keep-in-foreground --port 53 --listen-address "$INB_DNS" --bind-interfaces \
		--no-resolv --no-hosts --conf-file=/dev/null --local=/example/ --local=/test/ \
		--pid-file="$d/dnsmasq.pid" --log-facility="$d/dnsmasq.log" --log-queries \
		--txt-record="$INB_DOMAIN,v=spf1 ip4:192.0.2.0/24 -all" \
		--txt-record="$INB_HELO,v=spf1 ip4:192.0.2.0/24 -all" \
		--txt-record="sel._domainkey.$INB_DOMAIN,v=DKIM1; k=rsa; p=$p" \
		--txt-record="_dmarc.$INB_DOMAIN,v=DMARC1; p=reject" 2>>"$d/dnsmasq.log" &
	INB_DNS_PID=$!
	t_wait_until 5 inb_dns_settled
	inb_dns_listening && return 0
	echo "bench: the DNS stub on $INB_DNS:53 did not start (see $d/dnsmasq.log)" >&2
	return 1
}

# inbound_stop_dns: stops the stub (for the EXIT trap).
inbound_stop_dns() {
	[ -n "${INB_DNS_PID:-}" ] || return 0
	kill "$INB_DNS_PID" 2>/dev/null && wait "$INB_DNS_PID" 2>/dev/null
	INB_DNS_PID=
}

# in_private_resolv CMD...: runs CMD in a mount namespace whose
# /etc/resolv.conf names only the stub.
in_private_resolv() {
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' \
		sh "$W/inb/resolv.conf" "$@"
}

# inb_start WHICH: starts ses | odkim | odmarc verifying on a unix socket;
# sets FILTER_PIDS and MILTER_SPEC.
inb_start() {
	local d=$W/inb
	FILTER_PIDS= BACKEND_PIDS= MILTER_SPEC=
	case $1 in
	ses)
		ses3_start InboundChecks yes DnsServer "$INB_DNS:53" AuthservId "$INB_AUTHSERV" \
			DnsTimeout 2
		return ;;
	odkim)
		rm -f "$d/odkim.sock"
		cat > "$d/opendkim.conf" <<-EOF
			# private OpenDKIM of the benchmark: verifying only
			Mode                  v
			Socket                local:$d/odkim.sock
			AuthservID            $INB_AUTHSERV
			Nameservers           $INB_DNS
			UMask                 000
			PidFile               $d/opendkim.pid
			Background            no
			Syslog                no
		EOF
		in_private_resolv opendkim -f -x "$d/opendkim.conf" >>"$d/opendkim.log" 2>&1 </dev/null &
		FILTER_PIDS=$!
		MILTER_SPEC=unix:$d/odkim.sock ;;
	odmarc)
		rm -f "$d/odmarc.sock"
		: > "$d/ignore-hosts"
		cat > "$d/opendmarc.conf" <<-EOF
			# private OpenDMARC of the benchmark: SPF by itself, DKIM from
			# OpenDKIM's Authentication-Results
			Socket              local:$d/odmarc.sock
			AuthservID          $INB_AUTHSERV
			TrustedAuthservIDs  $INB_AUTHSERV
			SPFSelfValidate     true
			IgnoreHosts         $d/ignore-hosts
			RejectFailures      false
			UMask               000
			PidFile             $d/opendmarc.pid
			Background          false
			Syslog              false
		EOF
		in_private_resolv opendmarc -f -c "$d/opendmarc.conf" >>"$d/opendmarc.log" 2>&1 </dev/null &
		FILTER_PIDS=$!
		MILTER_SPEC=unix:$d/odmarc.sock ;;
	esac
	filter_wait_socket "$MILTER_SPEC" 20
}

# inb_stop WHICH: stops it by PID (ses_stop for ses-milter).
inb_stop() {
	local pid=${FILTER_PIDS%% *} tree p
	[ -n "$pid" ] || return 0
	if [ "$1" = ses ]; then
		ses_stop "$W/ses3" >/dev/null 2>&1
	else
		tree=$(proc_tree "$pid")
		kill $tree 2>/dev/null
		t_wait_until 5 sh -c "! kill -0 $pid 2>/dev/null"
		for p in $tree; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null; done
		wait "$pid" 2>/dev/null
	fi
	FILTER_PIDS=
}

# inb_dns_listening: the DNS stub answers on INB_DNS:53.
inb_dns_listening() {
	ss -Hlun "src $INB_DNS:53" 2>/dev/null | grep -q .
}

# inb_dns_settled: the stub listens, or it has exited.
inb_dns_settled() {
	inb_dns_listening || ! kill -0 "$INB_DNS_PID" 2>/dev/null
}

# inbound_test ROUND MESSAGES: each of ses, odkim, odmarc in turn gets
# MESSAGES messages (8 connections); appends round, filter, messages,
# accepted, dkim_pass, dmarc_pass, filter ticks, CLK_TCK, spf_pass to
# W/inbound.tsv.
inbound_test() {
	local r=$1 m=$2 f out msg
	for f in ses odkim odmarc; do
		inb_start "$f" || { echo "bench: $f did not start for the inbound step" >&2;
			inb_stop "$f"; continue; }
		msg=$W/inb/message.txt
		[ "$f" = odmarc ] && msg=$W/inb/message-ar.txt
		# warm-up on one connection, not timed
		"$BUILD/bench/milterload" -S "$MILTER_SPEC" -F "$msg" -c 1 -n 5 -a "$INB_CLIENT" \
			-H "$INB_HELO" -f "news@$INB_DOMAIN" -t "inw$RANDOM." >/dev/null 2>>"$W/milterload.log"
		milterload_cpu 0 out -F "$msg" -c 8 -n "$m" -a "$INB_CLIENT" -H "$INB_HELO" \
			-f "news@$INB_DOMAIN" -t "in$r$RANDOM."
		inb_stop "$f"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$f" "$m" "$(kv accepted "$out")" \
			"$(kv dkim_pass "$out")" "$(kv dmarc_pass "$out")" "$(kv filter_ticks "$out")" \
			"$CLK_TCK" "$(kv spf_pass "$out")" >> "$W/inbound.tsv"
		printf '  inbound round %s %-7s %s\n' "$r" "$f" "$out"
	done
}
