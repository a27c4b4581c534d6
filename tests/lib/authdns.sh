# authdns.sh - the DNS world of the inbound-check suites (sourced): DKIM
# keys made for the run and a dnsmasq stub on a free loopback port that
# publishes SPF, DKIM and DMARC records for these domains:
#
#   good.example        SPF pass for 192.0.2.0/24 (also mx.good.example),
#                       DKIM keys sel (RSA 2048) and ed (Ed25519),
#                       DMARC p=reject
#   reject.example      SPF -all, DMARC p=reject
#   quarantine.example  SPF -all, DMARC p=quarantine
#   pnone.example       SPF -all, DMARC p=none
#   strict.example      SPF pass at mail.strict.example, DMARC p=reject aspf=s
#   broken.example      every lookup times out (forwarded to a dead port)
#   anything else under .example: NXDOMAIN
#
# authdns_start DIR: makes DIR/keys/{rsa.pem,ed25519.key} and starts the
# stub (dnsstub.sh's, so dns_stop stops it); sets AUTHDNS_PORT.  Needs
# dnsmasq, openssl and Debian's /usr/bin/python3 with python3-nacl.

# shellcheck source=tests/lib/dnsstub.sh
. "$(dirname "${BASH_SOURCE[0]}")/dnsstub.sh"

AUTHDNS_PY=/usr/bin/python3

authdns_start() {
	local dir=$1 rsa_p ed_p dead
	local spf_good="v=spf1 ip4:192.0.2.0/24 -all"

	mkdir -p "$dir/keys"
	openssl genrsa -out "$dir/keys/rsa.pem" 2048 2>/dev/null || return 1
	rsa_p=$(openssl rsa -in "$dir/keys/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
	# python3-dkim takes an Ed25519 key as its base64 seed
	ed_p=$("$AUTHDNS_PY" -c '
import base64, nacl.signing, sys
k = nacl.signing.SigningKey.generate()
open(sys.argv[1], "wb").write(base64.b64encode(bytes(k)))
print(base64.b64encode(bytes(k.verify_key)).decode())' "$dir/keys/ed25519.key") || return 1
	AUTHDNS_PORT=$(dns_free_port)
	dead=$(dns_free_port)
	DNS_ZONES=example dns_start "$dir/dnsmasq.log" "$AUTHDNS_PORT" \
		--server="/broken.example/127.0.0.1#$dead" \
		--txt-record="good.example,$spf_good" \
		--txt-record="mx.good.example,$spf_good" \
		--txt-record="sel._domainkey.good.example,v=DKIM1; k=rsa; p=$rsa_p" \
		--txt-record="ed._domainkey.good.example,v=DKIM1; k=ed25519; p=$ed_p" \
		--txt-record="_dmarc.good.example,v=DMARC1; p=reject" \
		--txt-record="reject.example,v=spf1 -all" \
		--txt-record="_dmarc.reject.example,v=DMARC1; p=reject" \
		--txt-record="quarantine.example,v=spf1 -all" \
		--txt-record="_dmarc.quarantine.example,v=DMARC1; p=quarantine" \
		--txt-record="pnone.example,v=spf1 -all" \
		--txt-record="_dmarc.pnone.example,v=DMARC1; p=none" \
		--txt-record="mail.strict.example,$spf_good" \
		--txt-record="_dmarc.strict.example,v=DMARC1; p=reject; aspf=s" \
		--txt-record="testing.example,v=spf1 -all" \
		--txt-record="_dmarc.testing.example,v=DMARC1; t=y; p=reject" \
		--txt-record="_dmarc.np.example,v=DMARC1; p=none; np=quarantine"
}
