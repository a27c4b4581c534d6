#!/usr/bin/env python3
"""smtp_burst - many SMTP sessions at once, for the shared-state tests.

    smtp_burst.py --server 127.0.0.1:PORT [--server ...] --from ADDR
                  --to ADDR[*COUNT] [--to ...] [--messages M] [--barrier]
                  [--source IP] [--subject TEXT] [--abort] [--times FILE]
                  [--for SECONDS] [--until FILE] [--pause SECONDS]
                  [--progress FILE]
                  [--timeout SECONDS] [--deadline SECONDS]

Each --to names the recipient of COUNT sessions (default 1), in order: the
first COUNT sessions send to the first --to, the next ones to the second.
"{s}" in an address is replaced by the session number and "{m}" by the
message number, so "r{s}@example.net*10" is ten sessions to ten recipients.
Sessions go to the servers in turn (session s to server s modulo their
number).  Each session connects, says EHLO and sends M messages one after the
other: MAIL, one RCPT, DATA (or RSET after the RCPT with --abort), with
--pause seconds between them; --for ends a session's run of messages once
that many seconds have passed since the start, --until once FILE exists
(M is then a maximum).  With
--barrier every session first gets to its first RCPT and waits there until
all sessions are there, so the RCPTs reach the servers together.

Output, one line per attempt, sorted:

    SESSION MESSAGE RCPT-CODE RCPT-TEXT DATA-CODE

RCPT-TEXT is the whole reply text on one line.  DATA-CODE is the reply code
to the end of the message, "-" when no DATA was sent (RCPT refused), "rset"
with --abort, "mail" when MAIL itself was refused (the code and text are
then MAIL's), "error" when the session broke (the text says why).  Then a
summary: "summary attempts=N accepted=A refused=R delivered=D errors=E
seconds=S".  --times FILE writes "SESSION MESSAGE T0 T1" a line: the Unix
times when the RCPT (or the refused MAIL) was sent and answered.
--progress FILE appends "SESSION MESSAGE RCPT-CODE DATA-CODE T0 T1" a line
as each attempt ends, flushed at once, so a test can wait for events
(the first deliveries, attempts after a fault) while the run goes on.

Bounded: every socket operation has --timeout (default 20 s) and the whole
run --deadline (default 60 s); a session still running then is reported as
"error" with the text "deadline".  Exit status 0, or 2 on a usage error.
"""

import argparse
import os
import smtplib
import sys
import threading
import time

HELO = "burst.example.test"


def parse_args(argv):
    p = argparse.ArgumentParser(description="parallel SMTP sessions")
    p.add_argument("--server", action="append", required=True, help="HOST:PORT")
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--to", action="append", required=True, help="ADDR[*COUNT]")
    p.add_argument("--messages", type=int, default=1)
    p.add_argument("--barrier", action="store_true")
    p.add_argument("--source", default=None, help="client address to bind")
    p.add_argument("--subject", default="burst")
    p.add_argument("--abort", action="store_true", help="RSET after RCPT instead of DATA")
    p.add_argument("--times", default=None)
    p.add_argument("--for", dest="duration", type=float, default=None)
    p.add_argument("--until", default=None, help="stop once this file exists")
    p.add_argument("--progress", default=None)
    p.add_argument("--pause", type=float, default=0.0)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--deadline", type=float, default=60.0)
    a = p.parse_args(argv)
    plan = []
    for spec in a.to:
        addr, star, count = spec.rpartition("*")
        if not star or not count.isdigit():
            addr, count = spec, "1"
        plan.extend([addr] * int(count))
    a.plan = plan
    servers = []
    for spec in a.server:
        host, _, port = spec.rpartition(":")
        if not host or not port.isdigit():
            p.error("--server wants HOST:PORT, not %r" % spec)
        servers.append((host, int(port)))
    a.servers = servers
    if a.messages < 1 or not plan:
        p.error("nothing to send")
    return a


def oneline(msg):
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return " ".join(str(msg).split()) or "-"


def message(sender, rcpt, subject, s, m):
    lines = [
        "From: <%s>" % sender,
        "To: <%s>" % rcpt,
        "Subject: %s" % subject if subject else "Subject:",
        "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
        "Message-ID: <burst.%d.%d.%f@%s>" % (s, m, time.time(), HELO),
        "",
        "session %d message %d" % (s, m),
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


class Run:
    def __init__(self, a):
        self.a = a
        self.results = {}	# (s, m) -> (code, text, data, t0, t1)
        self.lock = threading.Lock()
        n = len(a.plan)
        self.barrier = threading.Barrier(n, timeout=a.timeout) if a.barrier else None
        self.progress = open(a.progress, "a") if a.progress else None

    def note(self, s, m, code, text, data, t0=0.0, t1=0.0):
        with self.lock:
            self.results[(s, m)] = (str(code), oneline(text), data, t0, t1)
            if self.progress is not None:
                self.progress.write("%d %d %s %s %.6f %.6f\n" % (s, m, code, data, t0, t1))
                self.progress.flush()

    def stopped(self, m):
        """True when a session should end its run before message m."""
        a = self.a
        if m > 0 and a.duration is not None and time.time() - self.start > a.duration:
            return True
        return m > 0 and a.until is not None and os.path.exists(a.until)

    def wait_barrier(self, waited):
        if self.barrier is None or waited:
            return True
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return True

    def session(self, s):
        a = self.a
        rcpt_tpl = a.plan[s]
        host, port = a.servers[s % len(a.servers)]
        waited = False
        m = 0
        smtp = None
        try:
            src = (a.source, 0) if a.source else None
            smtp = smtplib.SMTP(host, port, local_hostname=HELO, timeout=a.timeout,
                                source_address=src)
            smtp.ehlo()
            for m in range(a.messages):
                if self.stopped(m):
                    break
                if m > 0 and a.pause > 0:
                    time.sleep(a.pause)
                rcpt = rcpt_tpl.replace("{s}", str(s)).replace("{m}", str(m))
                t0 = time.time()
                code, text = smtp.mail(a.sender)
                if code != 250:
                    t1 = time.time()
                    waited = self.wait_barrier(waited)
                    self.note(s, m, code, text, "mail", t0, t1)
                    smtp.rset()
                    continue
                waited = self.wait_barrier(waited)
                t0 = time.time()
                code, text = smtp.rcpt(rcpt)
                t1 = time.time()
                if a.abort:
                    smtp.rset()
                    self.note(s, m, code, text, "rset", t0, t1)
                    continue
                if code not in (250, 251):
                    smtp.rset()
                    self.note(s, m, code, text, "-", t0, t1)
                    continue
                try:
                    dcode, _ = smtp.data(message(a.sender, rcpt, a.subject, s, m))
                except smtplib.SMTPDataError as e:
                    dcode = e.smtp_code
                    smtp.rset()
                self.note(s, m, code, text, str(dcode), t0, t1)
        except Exception as e:	# a refused connection or a timeout ends the session
            self.note(s, m, "-", "%s: %s" % (type(e).__name__, e), "error")
            if not waited:
                self.wait_barrier(False)
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except Exception:
                    smtp.close()

    def go(self):
        a = self.a
        start = self.start = time.time()
        threads = [threading.Thread(target=self.session, args=(s,), daemon=True)
                   for s in range(len(a.plan))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, start + a.deadline - time.time()))
        with self.lock:
            for s, t in enumerate(threads):
                if t.is_alive():
                    done = [k[1] for k in self.results if k[0] == s]
                    m = max(done) + 1 if done else 0
                    self.results[(s, m)] = ("-", "deadline", "error", 0.0, 0.0)
            return dict(self.results), time.time() - start


def main(argv):
    a = parse_args(argv)
    results, seconds = Run(a).go()
    accepted = refused = delivered = errors = 0
    out = []
    times = []
    for (s, m) in sorted(results):
        code, text, data, t0, t1 = results[(s, m)]
        out.append("%d %d %s %s %s" % (s, m, code, text, data))
        times.append("%d %d %.6f %.6f" % (s, m, t0, t1))
        if data in ("error",):
            errors += 1
        elif code in ("250", "251") and data != "mail":
            accepted += 1
        else:
            refused += 1
        if data == "250":
            delivered += 1
    out.append("summary attempts=%d accepted=%d refused=%d delivered=%d errors=%d seconds=%.3f"
               % (len(results), accepted, refused, delivered, errors, seconds))
    sys.stdout.write("\n".join(out) + "\n")
    if a.times:
        with open(a.times, "w") as f:
            f.write("\n".join(times) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
