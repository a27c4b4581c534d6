# dkim.sh - DKIM keys for ses-milter and an independent verifier for the
# end-to-end tests (sourced, not run).  The verifier is Debian's
# python3-dkim run by /usr/bin/python3 (whatever python3 is first on PATH),
# with the public keys served from a file instead of DNS.
#
#   DNSFILE   one "NAME<TAB>TXT value" line per record, e.g.
#             "ses._domainkey.example.com<TAB>v=DKIM1; k=rsa; p=..."
#
# Functions (each documented below):
#   dkim_key DATADIR DNSFILE DOMAIN SELECTOR rsa|ed25519
#   dkim_verify FILE DNSFILE

DKIM_PY=/usr/bin/python3

# dkim_key DATADIR DNSFILE DOMAIN SELECTOR TYPE: makes a key where
# ses-milter looks for it (DATADIR/keys/DOMAIN/SELECTOR.TYPE.pem) and
# appends its TXT record to DNSFILE.
dkim_key() {
	local dir=$1/keys/$3 dns=$2 domain=$3 sel=$4 type=$5 pub
	mkdir -p "$dir" && chmod 750 "$dir" || return 1
	if [ "$type" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$dir/$sel.rsa.pem" 2>/dev/null || return 1
		pub=$(openssl pkey -in "$dir/$sel.rsa.pem" -pubout -outform DER | base64 -w0)
	else
		openssl genpkey -algorithm ed25519 -out "$dir/$sel.ed25519.pem" 2>/dev/null || return 1
		pub=$(openssl pkey -in "$dir/$sel.ed25519.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
	fi
	chmod 640 "$dir/$sel.$type.pem"
	printf '%s._domainkey.%s\tv=DKIM1; k=%s; p=%s\n' "$sel" "$domain" "$type" "$pub" >> "$dns"
}

# dkim_verify FILE DNSFILE: prints "IDX:ok|fail:a=ALG" per DKIM-Signature of
# the message in FILE, joined with ";" (nothing when it has none).
dkim_verify() {
	$DKIM_PY - "$1" "$2" <<'PY'
import sys, re, dkim
msg = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
records = dict(l.rstrip('\n').split('\t', 1) for l in open(sys.argv[2]))
def dnsfunc(name, timeout=5):
    return records.get(name.decode().rstrip('.'), '').encode()
d = dkim.DKIM(msg)
sigs = [v for k, v in d.headers if k.lower() == b'dkim-signature']
out = []
for i, sig in enumerate(sigs):
    alg = re.search(rb'a=([^;\s]+)', sig).group(1).decode()
    try:
        ok = dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)
    except Exception:
        ok = False
    out.append('%d:%s:a=%s' % (i, 'ok' if ok else 'fail', alg))
print(';'.join(out))
PY
}
