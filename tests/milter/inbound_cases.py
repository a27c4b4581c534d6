#!/usr/bin/python3
"""inbound_cases - the milter's checks of inbound mail (SPF, DKIM, DMARC,
Authentication-Results), one function per behaviour, run by t_inbound.sh
against a daemon whose DnsServer is a dnsmasq stub holding the records
below (t_inbound.sh publishes them):

  good.example      SPF pass for 192.0.2.0/24, DKIM keys sel (RSA) and
                    ed (Ed25519), DMARC p=reject
  reject.example    SPF -all, DMARC p=reject
  quarantine.example SPF -all, DMARC p=quarantine
  strict.example    SPF pass, DMARC p=reject with aspf=s
  broken.example    every lookup times out
  none.example      nothing at all

Messages are made and signed by tests/lib/inbound_msg.py (python3-dkim).

    inbound_cases.py CASE     (MT_SOCKET, MT_LOG, MT_KEYS from the environment)
    inbound_cases.py --list

A case prints "got X, want Y" for each failed check and exits 1.
"""

import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import inbound_msg  # noqa: E402
import rawmilter  # noqa: E402
from inbound_msg import message  # noqa: E402

AUTHSERV = "mx.test"
CLIENT = "192.0.2.10"	# inside good.example's SPF range


def sign(raw, domain, selector, kind="rsa", canon=(b"relaxed", b"relaxed")):
    return inbound_msg.sign(raw, os.environ["MT_KEYS"], domain, selector, kind, canon)


def split(raw, leadspc=True):
    """Headers (name, value as the MTA passes it) and body of a raw message.

    With SMFIP_HDR_LEADSPC the value is all of the field after the colon,
    as Postfix and Sendmail send it; without, one blank after the colon
    is removed, as they do then.
    """
    head, _, body = raw.partition(b"\r\n\r\n")
    hdrs = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and hdrs:
            hdrs[-1][1] += b"\n" + line
        else:
            n, _, v = line.partition(b":")
            hdrs.append([n, v[1:] if v.startswith(b" ") and not leadspc else v])
    return [(n.decode(), v.decode("latin-1")) for n, v in hdrs], body


def deliver(c, raw, sender, helo="mx.good.example", client=CLIENT, name="inbound"):
    """One inbound transaction; returns (final reply, eom requests)."""
    s = rawmilter.session()
    c.reply("connect", s.connect(name, client), "c")
    c.reply("HELO", s.helo(helo), "c")
    c.reply("MAIL", s.mail(sender), "c")
    c.reply("RCPT", s.rcpt("<postmaster@service.example>"), "c")
    hdrs, body = split(raw, s.leadspc)
    for n, v in hdrs:
        c.reply("header " + n, s.header(n, v), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("body", s.body(body), "c")
    final = s.eom()
    s.quit()
    return final, s.eom_requests


def inserted(reqs, name):
    """Values of the headers inserted (SMFIR_INSHEADER) with that name."""
    out = []
    for r in reqs:
        if r.cmd == "i":
            n, v = r.data[4:].rstrip(b"\0").split(b"\0", 1)
            if n.decode().lower() == name.lower():
                out.append(rawmilter.unspace(v.decode("latin-1")))
    return out


def changed(reqs, name):
    """(index, value) of the header changes (SMFIR_CHGHEADER) of that name; "" deletes."""
    out = []
    for r in reqs:
        if r.cmd == "m":
            (idx,) = struct.unpack(">I", r.data[:4])
            parts = r.data[4:].split(b"\0")
            n, v = parts[0], parts[1] if len(parts) > 1 else b""
            if n.decode().lower() == name.lower():
                out.append((idx, rawmilter.unspace(v.decode("latin-1"))))
    return out


def authres(c, reqs):
    """The one Authentication-Results value the milter inserted."""
    ar = inserted(reqs, "Authentication-Results")
    c.eq("Authentication-Results headers inserted", len(ar), 1)
    return re.sub(r"\s+", " ", ar[0]) if ar else ""


def has(c, what, text, pattern):
    c.true(what, re.search(pattern, text) is not None, "%r, want a match for /%s/" % (text, pattern))


def case_aligned_spf_and_dkim_pass_dmarc(c):
    raw = sign(message("News <news@good.example>"), "good.example", "sel")
    final, reqs = deliver(c, raw, "<bounce@good.example>")
    c.reply("EOM", final, "a")
    ar = authres(c, reqs)
    has(c, "authserv-id first", ar, r"^mx\.test;")
    has(c, "spf", ar, r"spf=pass smtp\.mailfrom=bounce@good\.example")
    has(c, "spf helo", ar, r"spf=pass smtp\.helo=mx\.good\.example")
    has(c, "dkim", ar, r"dkim=pass header\.d=good\.example header\.s=sel header\.a=rsa-sha256 header\.b=\S{8}")
    has(c, "dmarc", ar, r"dmarc=pass \(p=reject dis=none\) header\.from=good\.example")


def case_ed25519_signature_passes(c):
    raw = sign(message("news@good.example"), "good.example", "ed", "ed25519")
    final, reqs = deliver(c, raw, "<bounce@other.example>")
    c.reply("EOM", final, "a")
    ar = authres(c, reqs)
    has(c, "dkim", ar, r"dkim=pass header\.d=good\.example header\.s=ed header\.a=ed25519-sha256")
    has(c, "dmarc by DKIM alone", ar, r"dmarc=pass")


def case_tampered_body_fails_dkim(c):
    raw = sign(message("news@good.example"), "good.example", "sel") + b"tampered\r\n"
    final, reqs = deliver(c, raw, "<bounce@good.example>")
    c.reply("EOM", final, "a")
    ar = authres(c, reqs)
    has(c, "dkim", ar, r"dkim=fail .*header\.d=good\.example")
    has(c, "dmarc still passes by SPF", ar, r"dmarc=pass")


def case_simple_canonicalization_signature_passes(c):
    raw = sign(message("news@good.example"), "good.example", "sel", canon=(b"simple", b"simple"))
    final, reqs = deliver(c, raw, "<bounce@other.example>")
    c.reply("EOM", final, "a")
    has(c, "dkim", authres(c, reqs), r"dkim=pass header\.d=good\.example")


def case_simple_signature_over_field_without_blank_passes(c):
    raw = message("news@good.example").replace(b"Subject: ", b"Subject:", 1)
    raw = sign(raw, "good.example", "sel", canon=(b"simple", b"simple"))
    final, reqs = deliver(c, raw, "<bounce@other.example>")
    c.reply("EOM", final, "a")
    has(c, "dkim", authres(c, reqs), r"dkim=pass header\.d=good\.example")


def case_simple_signature_over_field_with_tab_passes(c):
    raw = message("news@good.example").replace(b"Subject: ", b"Subject:\t", 1)
    raw = sign(raw, "good.example", "sel", canon=(b"simple", b"simple"))
    final, reqs = deliver(c, raw, "<bounce@other.example>")
    c.reply("EOM", final, "a")
    has(c, "dkim", authres(c, reqs), r"dkim=pass header\.d=good\.example")


def case_simple_signature_fails_when_blanks_after_colon_change(c):
    signed = sign(message("news@good.example"), "good.example", "sel",
                  canon=(b"simple", b"simple"))
    for what, tampered in (("a second blank", b"Subject:  "), ("no blank", b"Subject:")):
        raw = signed.replace(b"Subject: ", tampered, 1)
        final, reqs = deliver(c, raw, "<bounce@good.example>")	# DMARC passes by SPF
        c.reply("EOM (%s)" % what, final, "a")
        has(c, "dkim (%s)" % what, authres(c, reqs), r"dkim=fail .*header\.d=good\.example")


def case_header_values_negotiated_and_written_with_one_blank(c):
    s = rawmilter.session()
    c.eq("SMFIP_HDR_LEADSPC negotiated", s.leadspc, True)
    s.quit()
    final, reqs = deliver(c, message("news@good.example"), "<bounce@good.example>")
    raw_ar = [r.data[4:].rstrip(b"\0").split(b"\0", 1)[1] for r in reqs if r.cmd == "i"]
    c.true("Authentication-Results value starts with one blank",
           len(raw_ar) == 1 and raw_ar[0].startswith(b" mx.test;"), raw_ar)


def case_unknown_selector_is_permerror(c):
    raw = sign(message("news@good.example"), "good.example", "gone")
    final, reqs = deliver(c, raw, "<bounce@good.example>")
    c.reply("EOM", final, "a")
    has(c, "dkim", authres(c, reqs), r"dkim=permerror .*header\.s=gone")


def case_dmarc_reject_refuses_550(c):
    final, reqs = deliver(c, message("ceo@reject.example"), "<ceo@reject.example>")
    c.reply("EOM", final, "y", "550 5.7.1 FailedOperation.DmarcPolicyReject")
    c.true("reason names the domain", "reject.example" in final.text, final.text)
    c.eq("headers inserted on a refusal", inserted(reqs, "Authentication-Results"), [])


def case_dmarc_quarantine_holds(c):
    final, reqs = deliver(c, message("ceo@quarantine.example"), "<ceo@quarantine.example>")
    c.reply("EOM", final, "a")
    c.true("quarantine requested", any(r.cmd == "q" for r in reqs), [r.cmd for r in reqs])
    has(c, "dmarc", authres(c, reqs), r"dmarc=fail \(p=quarantine dis=quarantine\) header\.from=quarantine\.example")


def case_strict_spf_alignment_fails_for_subdomain(c):
    final, reqs = deliver(c, message("a@strict.example"), "<bounce@mail.strict.example>")
    c.reply("EOM", final, "y", "550 5.7.1 FailedOperation.DmarcPolicyReject")


def case_no_records_give_none(c):
    final, reqs = deliver(c, message("someone@none.example"), "<someone@none.example>",
                          helo="mx.none.example")
    c.reply("EOM", final, "a")
    ar = authres(c, reqs)
    has(c, "spf", ar, r"spf=none smtp\.mailfrom=someone@none\.example")
    has(c, "dkim", ar, r"dkim=none")
    has(c, "dmarc", ar, r"dmarc=none .*header\.from=none\.example")


def case_spf_fail_reported(c):
    final, reqs = deliver(c, message("someone@none.example"), "<x@reject.example>")
    c.reply("EOM", final, "a")
    has(c, "spf", authres(c, reqs), r"spf=fail smtp\.mailfrom=x@reject\.example")


def case_null_sender_aligns_by_helo(c):
    final, reqs = deliver(c, message("mailer-daemon@good.example"), "<>")
    c.reply("EOM", final, "a")
    ar = authres(c, reqs)
    c.true("no smtp.mailfrom for <>", "smtp.mailfrom" not in ar, ar)
    has(c, "dmarc", ar, r"dmarc=pass")


def case_dns_failure_tempfails(c):
    final, reqs = deliver(c, message("a@broken.example"), "<a@none.example>")
    c.reply("EOM", final, "y", "451 4.4.3 FailedOperation.DnsTemporaryFailure")


def case_forged_authentication_results_removed(c):
    raw = message("news@good.example", extra=[
        ("Authentication-Results", "other.example; spf=pass smtp.mailfrom=x@y.example"),
        ("Authentication-Results", "MX.TEST; dkim=pass header.d=paypal.example"),
        ("Authentication-Results", "(comment) mx.test 1; dmarc=pass")])
    final, reqs = deliver(c, raw, "<bounce@good.example>")
    c.reply("EOM", final, "a")
    c.eq("headers removed (index, value)", sorted(changed(reqs, "Authentication-Results")),
         [(2, ""), (3, "")])
    authres(c, reqs)


def case_loopback_client_spf_not_evaluated(c):
    final, reqs = deliver(c, message("news@good.example"), "<bounce@good.example>",
                          client="127.0.0.1")
    c.reply("EOM", final, "y", "550 5.7.1 FailedOperation.DmarcPolicyReject")


def case_hostile_signatures_no_crash(c):
    extra = [("DKIM-Signature", "v=1; a=rsa-sha256; d=good.example; s=sel; b=%s; bh=x; h=from" % ("A" * i))
             for i in range(40)]
    extra += [("DKIM-Signature", "\x01\x02 garbage; ;;; =="), ("From", "second@good.example")]
    final, reqs = deliver(c, message("news@good.example", extra=extra), "<bounce@good.example>")
    c.reply("EOM", final, "a")
    has(c, "two From headers: dmarc permerror", authres(c, reqs), r"dmarc=permerror")


def subdomain_record_found_above(c):
    final, reqs = deliver(c, message("news@news.quarantine.example"),
                          "<news@news.quarantine.example>")
    c.reply("EOM", final, "a")
    c.true("quarantine requested", any(r.cmd == "q" for r in reqs), [r.cmd for r in reqs])
    has(c, "dmarc", authres(c, reqs),
        r"dmarc=fail \(p=quarantine dis=quarantine\) header\.from=news\.quarantine\.example"
        r" polrec\.p=quarantine polrec\.domain=quarantine\.example")


def case_subdomain_policy_found_by_tree_walk(c):
    subdomain_record_found_above(c)


def case_testing_mode_lowers_reject_to_quarantine(c):
    final, reqs = deliver(c, message("ceo@testing.example"), "<ceo@testing.example>")
    c.reply("EOM", final, "a")
    c.true("quarantine requested", any(r.cmd == "q" for r in reqs), [r.cmd for r in reqs])
    has(c, "dmarc", authres(c, reqs),
        r"dmarc=fail \(p=reject dis=quarantine t=y\) header\.from=testing\.example polrec\.p=reject$")


def case_np_applies_to_nonexistent_subdomain(c):
    final, reqs = deliver(c, message("a@ghost.np.example"), "<a@ghost.np.example>")
    c.reply("EOM", final, "a")
    c.true("quarantine requested", any(r.cmd == "q" for r in reqs), [r.cmd for r in reqs])
    has(c, "dmarc", authres(c, reqs),
        r"dmarc=fail \(p=quarantine dis=quarantine\) header\.from=ghost\.np\.example"
        r" polrec\.p=none polrec\.domain=np\.example")


def case_psl_subdomain_uses_org_domain_record(c):
    subdomain_record_found_above(c)


def case_report_dmarc_reject_only_reported(c):
    final, reqs = deliver(c, message("ceo@reject.example"), "<ceo@reject.example>")
    c.reply("EOM", final, "a")
    c.true("no quarantine", not any(r.cmd == "q" for r in reqs), [r.cmd for r in reqs])
    has(c, "dmarc", authres(c, reqs), r"dmarc=fail \(p=reject dis=reject\)")


def case_report_dns_failure_accepted(c):
    final, reqs = deliver(c, message("a@broken.example"), "<a@none.example>")
    c.reply("EOM", final, "a")
    has(c, "dmarc", authres(c, reqs), r"dmarc=temperror")


if __name__ == "__main__":
    sys.exit(rawmilter.run(globals(), sys.argv[1:], "inbound_cases.py"))
