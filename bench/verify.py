#!/usr/bin/python3
"""verify.py - checks messages the benchmark's dumping sink received.

    verify.py CFG RECORDS.zone MESSAGE...

CFG is the configuration number (see bench/lib/filters.sh).  RECORDS
holds the published DKIM keys as zone lines
("sel._domainkey.dom. IN TXT "..."").  For each message it checks what the
configuration must have done:

  1  nothing: no DKIM-Signature, X-SES-Template still there
  2  the null milter's X-Bench-Null header
  3  one valid rsa-sha256 signature (s=ses3), the template rendered
     (multipart/alternative), no X-SES-* header left
  4  valid rsa-sha256 (s=ses4) and ed25519-sha256 (s=ses4-ed25519)
     signatures, the template rendered
  5  one valid rsa-sha256 signature by OpenDKIM (s=odkim)
  6  one valid rsa-sha256 signature by Rspamd (s=rspamd)

Signatures are verified with python3-dkim against RECORDS (a DNS stub).
Prints one line: "N messages: <what was found>"; exit status 1 when a
message misses an expectation, with the first miss.
"""
import re
import sys

import dkim

WANT = {
    1: {"algs": [], "header": None, "rendered": False},
    2: {"algs": [], "header": b"x-bench-null", "rendered": False},
    3: {"algs": [("rsa-sha256", "ses3")], "header": None, "rendered": True},
    4: {"algs": [("rsa-sha256", "ses4"), ("ed25519-sha256", "ses4-ed25519")],
        "header": None, "rendered": True},
    5: {"algs": [("rsa-sha256", "odkim")], "header": None, "rendered": False},
    6: {"algs": [("rsa-sha256", "rspamd")], "header": None, "rendered": False},
}


def load_records(path):
    """Zone lines to {name: TXT value}."""
    txt = {}
    for line in open(path):
        m = re.match(r'(\S+?)\.?\s+IN\s+TXT\s+(.*)', line)
        if m:
            txt[m.group(1)] = ''.join(re.findall(r'"([^"]*)"', m.group(2)))
    return txt


def message_bytes(path):
    """The message with CRLF line ends, without a leading From_ line."""
    raw = open(path, 'rb').read()
    if raw.startswith(b'From '):
        raw = raw[raw.index(b'\n') + 1:]
    return raw.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')


def header_names(msg):
    head = msg.split(b'\r\n\r\n', 1)[0]
    return [line.split(b':', 1)[0].strip().lower()
            for line in head.split(b'\r\n') if line and line[:1] not in (b' ', b'\t')]


def check(msg, want, txt):
    """Returns (problems, found) for one message."""
    def dnsfunc(name, timeout=5):
        return txt.get(name.decode().rstrip('.'), '').encode()

    problems, found = [], []
    names = header_names(msg)
    sigs = [v for k, v in dkim.DKIM(msg).headers if k.lower() == b'dkim-signature']
    got = []
    for i, sig in enumerate(sigs):
        alg = re.search(rb'a=([^;\s]+)', sig).group(1).decode()
        sel = re.search(rb's=([^;\s]+)', sig).group(1).decode()
        ok = dkim.DKIM(msg).verify(idx=i, dnsfunc=dnsfunc)
        got.append((alg, sel))
        found.append('%s s=%s %s' % (alg, sel, 'pass' if ok else 'FAIL'))
        if not ok:
            problems.append('signature %s s=%s does not verify' % (alg, sel))
    if sorted(got) != sorted(want["algs"]):
        problems.append('signatures %s, want %s' % (got, want["algs"]))
    if want["header"] and want["header"] not in names:
        problems.append('no %s header' % want["header"].decode())
    if want["header"]:
        found.append(want["header"].decode())
    rendered = re.search(rb'(?im)^content-type:\s*multipart/alternative', msg) is not None
    ses_left = any(n.startswith(b'x-ses-') for n in names)
    if want["rendered"]:
        found.append('template rendered' if rendered else 'NOT rendered')
        if not rendered or ses_left:
            problems.append('template not rendered or X-SES-* header left')
    elif not ses_left:
        problems.append('X-SES-* headers gone, want the message untouched')
    return problems, found


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    cfg = int(sys.argv[1])
    txt = load_records(sys.argv[2])
    files = sys.argv[3:]
    bad, seen = [], {}
    for path in files:
        problems, found = check(message_bytes(path), WANT[cfg], txt)
        bad += problems
        for f in found:
            seen[f] = seen.get(f, 0) + 1
    summary = ', '.join('%s %d/%d' % (k, v, len(files)) for k, v in sorted(seen.items()))
    print('%d messages: %s%s' % (len(files), summary or 'no signature',
                                 '; ' + bad[0] if bad else ''))
    return 1 if bad or not files else 0


if __name__ == '__main__':
    sys.exit(main())
