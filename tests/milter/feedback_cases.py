#!/usr/bin/env python3
"""feedback_cases - the feedback loop at the milter protocol: what an
outbound message leaves with (VERP envelope sender, List-Unsubscribe) and
what comes back to those addresses (a DSN, an ARF complaint, an unsubscribe
mail) turning into blocklist, suppression and unsubscribe entries that the
next send meets.  Run by t_feedback.sh against a daemon whose account acme
sends from 192.0.2.0/24 for acme.example:

    feedback_cases.py CASE     (MT_SOCKET, MT_LOG from the environment)
    feedback_cases.py --list

A case prints "got X, want Y" for each failed check and exits 1.
"""

import os
import re
import socket
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawmilter  # noqa: E402

ACME = "192.0.2.10"
STRANGER = "203.0.113.9"


def send(c, rcpt, extra=(), client="out", ip=ACME, sender="news@acme.example"):
    """One outbound message to rcpt, an address or a list of them (acme's by
    default); returns (final reply, eom requests)."""
    rcpts = [rcpt] if isinstance(rcpt, str) else rcpt
    s = rawmilter.session()
    c.reply("connect", s.connect(client, ip), "c")
    c.reply("HELO", s.helo("app.example"), "c")
    c.reply("MAIL", s.mail("<%s>" % sender), "c")
    for a in rcpts:
        r = s.rcpt("<%s>" % a)
        if r.cmd != "c":
            s.quit()
            return r, []
    for n, v in [("From", sender), ("To", ", ".join(rcpts)), ("Subject", "News")] + list(extra):
        c.reply("header " + n, s.header(n, v), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("body", s.body(b"Hello.\r\n"), "c")
    final = s.eom()
    s.quit()
    return final, s.eom_requests


def rcpt_reply(rcpt):
    """The reply to RCPT for an outbound message to rcpt."""
    s = rawmilter.session()
    s.connect("again", ACME)
    s.helo("app.acme.example")
    s.mail("<news@acme.example>")
    r = s.rcpt("<%s>" % rcpt)
    s.quit()
    return r


def new_sender(reqs):
    """The envelope sender the milter asked for (SMFIR_CHGFROM), or None."""
    for r in reqs:
        if r.cmd == "e":
            return r.data.split(b"\0")[0].decode().strip("<>")
    return None


def header_added(reqs, name):
    for r in reqs:
        if r.cmd in ("h", "i", "m"):
            data = r.data[4:] if r.cmd in ("i", "m") else r.data
            n, _, v = data.rstrip(b"\0").partition(b"\0")
            if n.decode().lower() == name.lower():
                return rawmilter.unspace(v.decode("latin-1"))
    return None


def inbound(c, rcpt, raw, sender="<>", client=STRANGER):
    """One inbound message to rcpt; returns the final reply (or the RCPT refusal)."""
    s = rawmilter.session()
    c.reply("connect", s.connect("mx.remote.example", client), "c")
    c.reply("HELO", s.helo("mx.remote.example"), "c")
    c.reply("MAIL", s.mail(sender), "c")
    r = s.rcpt("<%s>" % rcpt)
    if r.cmd != "c":
        s.quit()
        return r
    head, _, body = raw.partition(b"\r\n\r\n")
    for line in re.split(rb"\r\n(?![ \t])", head):
        n, _, v = line.partition(b":")
        c.reply("header", s.header(n.decode(), v.strip().decode("latin-1")), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("body", s.body(body), "c")
    final = s.eom()
    s.quit()
    return final


def dsn(verp, rcpt, status="5.1.1", action="failed"):
    return ("From: MAILER-DAEMON@mx.remote.example\r\nTo: %s\r\nSubject: Undelivered Mail\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
            " boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.example"
            "\r\n\r\nFinal-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\n"
            "Diagnostic-Code: smtp; 550 %s no such user\r\n\r\n--B\r\n"
            "Content-Type: text/rfc822-headers\r\n\r\nFrom: news@acme.example\r\nTo: %s\r\n"
            "Subject: News\r\n\r\n--B--\r\n" % (verp, rcpt, action, status, status, rcpt)).encode()


def arf(verp, rcpt):
    return ("From: feedback@isp.example\r\nTo: %s\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"B\"\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n--B\r\n"
            "Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
            "User-Agent: isp/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: <%s>\r\n\r\n--B\r\n"
            "Content-Type: text/rfc822-headers\r\n\r\nFrom: news@acme.example\r\nTo: %s\r\n"
            "Subject: News\r\n\r\n--B--\r\n" % (verp, rcpt, rcpt)).encode()


def case_outbound_sender_becomes_verp(c):
    final, reqs = send(c, "verp-only@example.net")
    c.reply("EOM", final, "a")
    v = new_sender(reqs)
    c.true("VERP sender", v is not None and re.match(r"^b-[a-z2-7]+-[a-z2-7]{10}@acme\.example$", v),
           "%r, want b-...-...@acme.example" % v)


def case_hard_bounce_blocklists_recipient(c):
    rcpt = "gone.user.with.a.long.name@example.net"
    final, reqs = send(c, rcpt)
    verp = new_sender(reqs)
    c.reply("outbound EOM", final, "a")
    if verp is None:
        c.true("VERP sender", False, "none")
        return
    c.reply("DSN", inbound(c, verp, dsn(verp, rcpt)), "d")	# recorded, then discarded
    c.reply("next send", rcpt_reply(rcpt), "y", "550 5.7.1 FailedOperation.EmailAddrInBlacklist")


def case_recipients_readded_with_notify_success(c):
    final, reqs = send(c, "notify.me@example.net")
    c.reply("EOM", final, "a")
    dels = [r.data.rstrip(b"\0").decode() for r in reqs if r.cmd == "-"]
    adds = [r.data.rstrip(b"\0").split(b"\0") for r in reqs if r.cmd == "2"]
    c.eq("deleted", dels, ["<notify.me@example.net>"])
    c.eq("re-added", [[a.decode() for a in x] for x in adds],
         [["<notify.me@example.net>", "NOTIFY=SUCCESS,FAILURE"]])


def case_success_dsn_is_a_delivered_event(c):
    rcpt = "happy.reader@example.net"
    final, reqs = send(c, rcpt)
    verp = new_sender(reqs)
    c.reply("DSN", inbound(c, verp, dsn(verp, rcpt, "2.0.0", "delivered")), "d")
    c.reply("next send", rcpt_reply(rcpt), "c")


def case_soft_bounce_does_not_blocklist(c):
    rcpt = "busy@example.net"
    final, reqs = send(c, rcpt)
    verp = new_sender(reqs)
    c.reply("DSN", inbound(c, verp, dsn(verp, rcpt, "4.2.2", "delayed")), "d")
    c.reply("next send", rcpt_reply(rcpt), "c")


def case_bounce_for_another_recipient_ignored(c):
    final, reqs = send(c, "real@example.net")
    verp = new_sender(reqs)
    c.reply("DSN", inbound(c, verp, dsn(verp, "victim@example.net")), "d")
    c.reply("victim still reachable", rcpt_reply("victim@example.net"), "c")


def case_bounce_to_message_address_names_only_its_recipients(c):
    # several recipients: the VERP address names the message only
    final, reqs = send(c, ["crew.one@example.net", "crew.two@example.net"])
    verp = new_sender(reqs)
    c.reply("outbound EOM", final, "a")
    if verp is None:
        c.true("VERP sender", False, "none")
        return
    c.reply("DSN for a stranger", inbound(c, verp, dsn(verp, "stranger@example.org")), "d")
    c.reply("stranger still reachable", rcpt_reply("stranger@example.org"), "c")
    c.reply("DSN for a recipient", inbound(c, verp, dsn(verp, "crew.two@example.net")), "d")
    c.reply("recipient blocklisted", rcpt_reply("crew.two@example.net"), "y",
            "550 5.7.1 FailedOperation.EmailAddrInBlacklist")


def case_forged_verp_refused_at_rcpt(c):
    final, reqs = send(c, "forge@example.net")
    verp = new_sender(reqs)
    local, _, domain = verp.partition("@")
    tag = local[-10:]
    forged = local[:-10] + ("a" if tag[0] != "a" else "b") + tag[1:] + "@" + domain
    c.reply("forged VERP", inbound(c, forged, dsn(forged, "forge@example.net")), "y",
            "550 5.1.1 FailedOperation.InvalidFeedbackAddress")
    c.reply("recipient still reachable", rcpt_reply("forge@example.net"), "c")


def case_complaint_suppresses_recipient(c):
    rcpt = "angry.reader@example.net"
    final, reqs = send(c, rcpt)
    verp = new_sender(reqs)
    c.reply("ARF", inbound(c, verp, arf(verp, rcpt)), "d")
    c.reply("next send", rcpt_reply(rcpt), "y", "550 5.7.1 FailedOperation.EmailAddrInSuppressionList")


def case_unsubscribe_mail_unsubscribes(c):
    rcpt = "leaving.reader@example.net"
    final, reqs = send(c, rcpt, extra=[("X-SES-Unsubscribe", "1")])
    lu = header_added(reqs, "List-Unsubscribe")
    m = re.match(r"^<mailto:(u-[a-z2-7-]+@acme\.example)>(, <[^>]+>)?$", lu or "")
    c.true("List-Unsubscribe", m is not None, "%r, want <mailto:u-...@acme.example>" % lu)
    if m is None:
        return
    raw = ("From: %s\r\nTo: %s\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n" % (rcpt, m.group(1))).encode()
    c.reply("unsubscribe mail", inbound(c, m.group(1), raw, sender="<%s>" % rcpt), "d")
    c.reply("next send", rcpt_reply(rcpt), "y", "550 5.7.1 FailedOperation.ReceiverHasUnsubscribed")


def http(method, url):
    """(status, body) of one request to the unsubscribe endpoint."""
    req = urllib.request.Request(url, method=method,
                                 data=b"List-Unsubscribe=One-Click" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def case_one_click_post_unsubscribes(c):
    rcpt = "one.click@example.net"
    final, reqs = send(c, rcpt, extra=[("X-SES-Unsubscribe", "1")])
    lu = header_added(reqs, "List-Unsubscribe") or ""
    m = re.search(r"<(http://127\.0\.0\.1:%s/unsub/u-[a-z2-7-]+)>" % os.environ["MT_HTTP"], lu)
    c.true("one-click URL", m is not None, "%r, want <http://127.0.0.1:PORT/unsub/u-...>" % lu)
    c.eq("List-Unsubscribe-Post", header_added(reqs, "List-Unsubscribe-Post"),
         "List-Unsubscribe=One-Click")
    if m is None:
        return
    status, body = http("GET", m.group(1))
    c.eq("GET", status, 200)
    c.true("GET shows a form", 'method="post"' in body, body[:80])
    c.reply("still reachable after GET", rcpt_reply(rcpt), "c")
    c.eq("POST", http("POST", m.group(1))[0], 200)
    c.reply("next send", rcpt_reply(rcpt), "y", "550 5.7.1 FailedOperation.ReceiverHasUnsubscribed")


def case_one_click_forged_token_is_404(c):
    base = "http://127.0.0.1:%s/unsub/" % os.environ["MT_HTTP"]
    c.eq("forged token", http("POST", base + "u-aaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbb")[0], 404)
    c.eq("no token", http("POST", base + "anything")[0], 404)


def case_one_click_forged_token_get_is_404(c):
    base = "http://127.0.0.1:%s/unsub/" % os.environ["MT_HTTP"]
    status, body = http("GET", base + "u-aaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbb")
    c.eq("GET with a forged token", status, 404)
    c.true("no confirmation page for a forged token", 'method="post"' not in body, body[:80])


def log_lines(needle):
    with open(os.environ["MT_LOG"], encoding="latin-1") as f:
        return sum(1 for l in f if needle in l)


def case_forged_post_flood_logged_once_a_minute(c):
    base = "http://127.0.0.1:%s/unsub/" % os.environ["MT_HTTP"]
    before = log_lines("more refused this minute")
    for i in range(50):
        http("POST", base + "u-%024d-bbbbbbbbbb" % i)
    n = log_lines("more refused this minute") - before
    c.true("log lines for 50 forged POSTs", n <= 1, "%d, want at most 1" % n)


def slow_connections(n, source="127.0.0.2"):
    """n connections from source that send half a request and stall."""
    out = []
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.connect(("127.0.0.1", int(os.environ["MT_HTTP"])))
        s.sendall(b"GET /unsub/u-x HTTP/1.1\r\nHost: x\r\n")
        out.append(s)
    return out


def case_slow_clients_do_not_lock_others_out(c):
    slow = slow_connections(64)
    base = "http://127.0.0.1:%s/unsub/" % os.environ["MT_HTTP"]
    t0 = time.monotonic()
    status = http("POST", base + "anything")[0]
    c.eq("a request beside 64 slow connections from one address", status, 404)
    c.true("served within 3 s", time.monotonic() - t0 < 3, "%.1f s" % (time.monotonic() - t0))
    for s in slow:
        s.close()


def case_trickling_client_cut_off_after_total_time(c):
    s = slow_connections(1)[0]
    t0 = time.monotonic()
    s.settimeout(1)
    closed = False
    while time.monotonic() - t0 < 20 and not closed:
        try:
            s.sendall(b"X")	# one header byte a second: never idle
            closed = s.recv(1) == b""
        except socket.timeout:
            continue
        except OSError:
            closed = True
    took = time.monotonic() - t0
    c.true("a client that keeps trickling is closed", closed, "open after %.0f s" % took)
    c.true("closed within 10-15 s", 9 <= took <= 15, "%.1f s" % took)
    s.close()


def case_no_list_unsubscribe_unless_asked(c):
    final, reqs = send(c, "plain@example.net")
    c.eq("List-Unsubscribe", header_added(reqs, "List-Unsubscribe"), None)


def case_forged_unsubscribe_token_refused(c):
    c.reply("forged token", inbound(c, "u-aaaaaaaaaaaaaaaaaaaa-bbbbbbbbbb@acme.example",
                                    b"Subject: x\r\n\r\nx\r\n", sender="<a@example.net>"),
            "y", "550 5.1.1 FailedOperation.InvalidFeedbackAddress")


def case_ordinary_inbound_mail_delivered(c):
    c.reply("inbound", inbound(c, "postmaster@acme.example", b"Subject: hi\r\n\r\nhi\r\n",
                               sender="<a@example.net>"), "a")


def case_bounce_rate_suspends_account(c):
    """bouncy (198.51.100.0/24) sends 20; 1 hard bounce is 5 %, 2 are 10 %: suspended at 8 %."""
    ip, sender = "198.51.100.20", "news@bouncy.example"
    verps = []
    for i in range(20):
        final, reqs = send(c, "r%d@example.org" % i, ip=ip, sender=sender, client="bouncy")
        verps.append(new_sender(reqs))
    c.reply("first bounce", inbound(c, verps[0], dsn(verps[0], "r0@example.org")), "d")
    s = rawmilter.session()
    s.connect("bouncy", ip)
    c.reply("MAIL after 1 of 20", s.mail("<%s>" % sender), "c")
    s.quit()
    c.reply("second bounce", inbound(c, verps[1], dsn(verps[1], "r1@example.org")), "d")
    s = rawmilter.session()
    s.connect("bouncy", ip)
    c.reply("MAIL after 2 of 20", s.mail("<%s>" % sender), "y",
            "550 5.7.1 FailedOperation.HighRejectionRate")
    s.quit()


if __name__ == "__main__":
    sys.exit(rawmilter.run(globals(), sys.argv[1:], "feedback_cases.py"))
