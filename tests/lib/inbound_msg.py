#!/usr/bin/python3
"""inbound_msg - messages for the inbound-check suites, signed by python3-dkim
(Debian's, /usr/bin/python3): an implementation independent of the one under
test.  Keys are those of authdns.sh (KEYS=DIR/keys).

As a module: message(), sign().  As a command, prints one message:

    inbound_msg.py KEYS FROM [--sign DOMAIN SELECTOR rsa|ed25519] [--header "Name: value"]...
                   [--canon simple|relaxed] [--edit OLD NEW] [--tamper OLD NEW]

--canon sets the header and body canonicalisation of the signature,
--edit replaces the first OLD by NEW before signing, --tamper after.
"""

import os
import sys

import dkim


def message(from_addr, body="Hello.\r\n", extra=()):
    """A small message from from_addr, CRLF line ends; extra: (name, value) pairs."""
    hdrs = [("From", from_addr), ("To", "postmaster@service.example"),
            ("Subject", "inbound test"), ("Message-ID", "<%s@test>" % os.urandom(6).hex()),
            ("Date", "Sun, 22 Nov 2026 12:00:00 +0000")] + list(extra)
    raw = "".join("%s: %s\r\n" % h for h in hdrs) + "\r\n" + body
    return raw.encode()


def sign(raw, keys, domain, selector, kind="rsa", canon=(b"relaxed", b"relaxed")):
    """raw with a DKIM-Signature of domain/selector on top."""
    path = os.path.join(keys, "rsa.pem" if kind == "rsa" else "ed25519.key")
    with open(path, "rb") as f:
        key = f.read()
    algo = b"rsa-sha256" if kind == "rsa" else b"ed25519-sha256"
    sig = dkim.sign(raw, selector.encode(), domain.encode(), key, canonicalize=canon,
                    signature_algorithm=algo,
                    include_headers=[b"From", b"To", b"Subject", b"Message-ID", b"Date"])
    return sig + raw


def main(argv):
    keys, from_addr, extra, signing = argv[0], argv[1], [], None
    canon, edits, tampers = b"relaxed", [], []
    i = 2
    while i < len(argv):
        if argv[i] == "--sign":
            signing = argv[i + 1:i + 4]
            i += 4
        elif argv[i] in ("--edit", "--tamper"):
            (edits if argv[i] == "--edit" else tampers).append(
                (argv[i + 1].encode(), argv[i + 2].encode()))
            i += 3
        elif argv[i] == "--canon":
            canon = argv[i + 1].encode()
            i += 2
        elif argv[i] == "--header":
            n, _, v = argv[i + 1].partition(": ")
            extra.append((n, v))
            i += 2
        else:
            raise SystemExit("inbound_msg.py: unknown option %s" % argv[i])
    raw = message(from_addr, extra=extra)
    for old, new in edits:
        raw = raw.replace(old, new, 1)
    if signing:
        raw = sign(raw, keys, signing[0], signing[1], signing[2], (canon, canon))
    for old, new in tampers:
        raw = raw.replace(old, new, 1)
    sys.stdout.buffer.write(raw)


if __name__ == "__main__":
    main(sys.argv[1:])
