#!/usr/bin/env python3
"""Converts an SPF test suite in the YAML format of the public RFC 7208
suite (zonedata + tests per scenario) to the scenario format that
tests/unit/test_spf_rfc7208 reads (see tests/unit/spfsuite.h), so the same
runner can measure it:

    python3 tests/spf/yml2scn.py rfc7208-tests.yml > /tmp/public.scn
    SPF_SUITE=/tmp/public.scn SPF_KNOWN=tests/spf/known-failures-public \\
        _build/tests/unit/test_spf_rfc7208

SPF records (type 99) stand in for TXT where a name has no TXT record, as
the suite's own harness does; ids are prefixed with nothing.  Needs
python3-yaml."""
import sys

import yaml


def esc(s, keep_blanks=False):
    if isinstance(s, bytes):
        b = s
    else:
        b = str(s).encode('utf-8')
    out = []
    for c in b:
        if c == 0x5c:
            out.append('\\\\')
        elif c < 0x20 or c >= 0x7f or (c == 0x20 and not keep_blanks):
            out.append('\\x%02x' % c)
        else:
            out.append(chr(c))
    r = ''.join(out)
    if keep_blanks and (r.startswith(' ') or r.endswith(' ')):
        r = r.replace(' ', '\\x20')
    return r


def records(name, rrs):
    has_txt = any(isinstance(r, dict) and 'TXT' in r for r in rrs)
    for r in rrs:
        if r == 'TIMEOUT':
            yield 'rr %s TIMEOUT' % esc(name)
            continue
        for t, v in r.items():
            if t == 'SPF':
                if has_txt:
                    continue
                t = 'TXT'
            if v == 'TIMEOUT':
                yield 'rr %s TIMEOUT %s' % (esc(name), t)
                continue
            if t == 'TXT':
                if v == 'NONE':
                    continue
                if isinstance(v, list):
                    v = ''.join(v)
                yield 'rr %s TXT %s' % (esc(name), esc(v, True))
            elif t == 'MX':
                yield 'rr %s MX %d %s' % (esc(name), v[0], esc(v[1]))
            else:
                yield 'rr %s %s %s' % (esc(name), t, esc(v))


def main():
    with open(sys.argv[1], 'rb') as f:
        docs = list(yaml.safe_load_all(f))
    for i, d in enumerate(docs):
        print('zone %d' % i)
        for name, rrs in (d.get('zonedata') or {}).items():
            for line in records(name, rrs):
                print(line)
        for tid, t in d['tests'].items():
            print('test %s' % tid)
            print('host %s' % t['host'])
            print('helo %s' % esc(t.get('helo', '')))
            print('mailfrom %s' % esc(t.get('mailfrom', '')))
            res = t['result']
            if isinstance(res, str):
                res = [res]
            print('result %s' % ' '.join(res))
            if 'explanation' in t:
                if t['explanation'] == 'DEFAULT':
                    print('exp-default')
                else:
                    print('exp %s' % esc(t['explanation'], True))


if __name__ == '__main__':
    main()
