#!/usr/bin/env python3
"""rawmilter - the MTA side of the milter protocol, for what miltertest cannot say.

miltertest(8) (Debian 12) cannot send a header value over about 1000 bytes
(mt.header copies it into a 1 KB stack buffer and aborts with "stack
smashing detected"), always sends client port 12345 (so Postfix's local
submission, "localhost" [127.0.0.1] port 0, cannot be presented), and keeps
only the reply code before end of message (the text of a MAIL, RCPT or
header refusal is read and dropped).  The few cases that need one of these
live here, each a function named after its behaviour; t_miltertest.sh runs
them like the Lua cases:

    rawmilter.py CASE        (MT_SOCKET, MT_LOG, MT_PID from the environment)

A case prints "got X, want Y" for each failed check and exits 1.
"""

import base64
import json
import os
import socket
import struct
import sys
import time

SMFIC_ABORT, SMFIC_BODY, SMFIC_CONNECT, SMFIC_MACRO = b"A", b"B", b"C", b"D"
SMFIC_BODYEOB, SMFIC_HEADER, SMFIC_MAIL, SMFIC_EOH = b"E", b"L", b"M", b"N"
SMFIC_OPTNEG, SMFIC_QUIT, SMFIC_RCPT, SMFIC_HELO = b"O", b"Q", b"R", b"H"
FINAL_REPLIES = b"acdrty"	# continue accept discard reject tempfail replycode
SMFIP_HDR_LEADSPC = 0x100000	# header values as after the colon, leading blanks kept
SMFIP_NR_HDR, SMFIP_NR_EOH, SMFIP_NR_BODY = 0x80, 0x40000, 0x80000	# stages sent with no reply
NR_CONTENT = SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY
PROTOCOL_ALL = 0x1FFFFF	# every step and flag of protocol 6, as Postfix offers
NO_REPLY = "-"	# Reply.cmd of a stage the milter negotiated not to answer


class Reply:
    """One milter reply: cmd is the one-letter code, text the SMTP reply if any."""

    def __init__(self, cmd, data):
        self.cmd = cmd
        self.text = data.rstrip(b"\0").decode("latin-1") if cmd == "y" else ""
        self.data = data

    def __repr__(self):
        return "%s %r" % (self.cmd, self.text) if self.text else self.cmd


class Session:
    """One connection to the milter; each step returns the milter's Reply."""

    def __init__(self, spec, actions=0x1FF, protocol=PROTOCOL_ALL):
        if spec.startswith("inet:"):
            port, _, host = spec[5:].partition("@")
            self.sock = socket.create_connection((host or "127.0.0.1", int(port)), 10)
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(10)
            self.sock.connect(spec.split(":", 1)[-1])
        self.eom_requests = []
        self._send(SMFIC_OPTNEG, struct.pack(">III", 6, actions, protocol))
        reply = self._read()
        if reply.cmd != "O":
            raise IOError("option negotiation answered %r" % reply)
        _, self.actions, self.protocol = struct.unpack(">III", reply.data[:12])
        self.leadspc = bool(self.protocol & SMFIP_HDR_LEADSPC)

    def _send(self, cmd, data=b""):
        self.sock.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise IOError("milter closed the connection")
            buf += chunk
        return buf

    def _read(self):
        (n,) = struct.unpack(">I", self._recv(4))
        payload = self._recv(n)
        return Reply(payload[:1].decode("latin-1"), payload[1:])

    @staticmethod
    def _z(*parts):
        return b"".join((p if isinstance(p, bytes) else p.encode("utf-8")) + b"\0" for p in parts)

    def connect(self, host, addr, port=12345):
        """Connection information; addr None presents no address (family U)."""
        if addr is None:
            data = self._z(host) + b"U"
        else:
            family = b"6" if ":" in addr else b"4"
            data = self._z(host) + family + struct.pack(">H", port) + self._z(addr)
        self._send(SMFIC_CONNECT, data)
        return self._read()

    def helo(self, name):
        self._send(SMFIC_HELO, self._z(name))
        return self._read()

    def macro(self, stage, *pairs):
        self._send(SMFIC_MACRO, stage + self._z(*pairs))

    def mail(self, *args):
        self._send(SMFIC_MAIL, self._z(*args))
        return self._read()

    def rcpt(self, *args):
        self._send(SMFIC_RCPT, self._z(*args))
        return self._read()

    def _answered(self, nr_bit):
        """The reply of a step, or NO_REPLY when the milter negotiated none (nr_bit)."""
        return Reply(NO_REPLY, b"") if self.protocol & nr_bit else self._read()

    def header(self, name, value):
        self._send(SMFIC_HEADER, self._z(name, value))
        return self._answered(SMFIP_NR_HDR)

    def eoh(self):
        self._send(SMFIC_EOH)
        return self._answered(SMFIP_NR_EOH)

    def body(self, data):
        self._send(SMFIC_BODY, data)
        return self._answered(SMFIP_NR_BODY)

    def eom(self):
        """End of message; modifications requested before the reply go to eom_requests."""
        self.eom_requests = []
        self._send(SMFIC_BODYEOB)
        while True:
            reply = self._read()
            if reply.cmd.encode() in FINAL_REPLIES:
                return reply
            self.eom_requests.append(reply)

    def abort(self):
        self._send(SMFIC_ABORT)

    def quit(self):
        try:
            self._send(SMFIC_QUIT)
        except OSError:
            pass
        self.sock.close()


def unspace(value):
    """A header value the milter sent as the MTA will write it after "Name: ".

    The session offers SMFIP_HDR_LEADSPC and the milter takes it, so the
    blank after the colon comes with the value.
    """
    return value[1:] if value.startswith(" ") else value


class Case:
    """Checks of one case: each failure is kept as "what: got X, want Y"."""

    def __init__(self):
        self.failures = []

    def eq(self, what, got, want):
        if got != want:
            self.failures.append("%s: got %r, want %r" % (what, got, want))

    def reply(self, what, got, cmd, text_prefix=None):
        """got must be cmd ('c', 'a', 'y'...) and, for 'y', start with text_prefix."""
        if got.cmd != cmd or (text_prefix is not None and not got.text.startswith(text_prefix)):
            want = cmd if text_prefix is None else "%s %r..." % (cmd, text_prefix)
            self.failures.append("%s: got %r, want %s" % (what, got, want))

    def true(self, what, cond, got):
        if not cond:
            self.failures.append("%s: got %s" % (what, got))


def summary(client, timeout=5.0):
    """The last summary line logged for client (a name unique to the case), or ''."""
    deadline = time.time() + timeout
    needle = " client=%s[" % client
    while True:
        with open(os.environ["MT_LOG"], encoding="latin-1") as f:
            lines = [l for l in f if " summary " in l and needle in l]
        if lines or time.time() > deadline:
            return lines[-1].rstrip("\n") if lines else ""
        time.sleep(0.05)


def session(actions=0x1FF, protocol=PROTOCOL_ALL):
    """A connection; actions are the SMFIF_* changes the MTA offers (all by default)."""
    return Session(os.environ["MT_SOCKET"], actions, protocol)


def summary_from(sender, timeout=5.0):
    """The summary lines logged for sender (unique to the case), waiting for one."""
    deadline = time.time() + timeout
    while True:
        with open(os.environ["MT_LOG"], encoding="latin-1") as f:
            lines = [l.rstrip("\n") for l in f if " summary " in l and " from=%s " % sender in l]
        if lines or time.time() > deadline:
            return lines
        time.sleep(0.05)


def events_for(email):
    """The event types logged for a recipient address, in order."""
    path = os.path.join(os.environ["MT_DATADIR"], "events.log")
    try:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []
    return [r.get("event") for r in rows if r.get("email") == email]


def outbound(c, client, sender="<sender@acme.example>"):
    """A session from acme's trusted network with MAIL and one RCPT done."""
    s = session()
    c.reply("connect", s.connect(client, "192.0.2.10"), "c")
    c.reply("MAIL", s.mail(sender), "c")
    c.reply("RCPT", s.rcpt("<rcpt@example.net>"), "c")
    return s


def encoded_words(text, chars_per_word=15):
    """text as RFC 2047 B-encoded UTF-8 words (each under 76 bytes), folded."""
    words = []
    for i in range(0, len(text), chars_per_word):
        b64 = base64.b64encode(text[i:i + chars_per_word].encode("utf-8")).decode()
        words.append("=?UTF-8?B?%s?=" % b64)
    return "\n ".join(words)


CJK = "".join(chr(0x4E00 + i % 2000) for i in range(999))	# 3 bytes each in UTF-8


def case_subject_998_cjk_chars_rfc2047_accepted(c):
    s = outbound(c, "subject-998-cjk")
    value = encoded_words(CJK[:998])
    c.true("Subject value too small to need this client", len(value) > 1000, len(value))
    c.reply("Subject header", s.header("Subject", value), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("body", s.body(b"hello\r\n"), "c")
    c.reply("EOM", s.eom(), "a")
    s.quit()
    line = summary("subject-998-cjk")
    c.true("summary subject_chars", " subject_chars=998 " in line, line)


def case_subject_999_cjk_chars_rfc2047_refused(c):
    s = outbound(c, "subject-999-cjk")
    c.reply("Subject header", s.header("Subject", encoded_words(CJK[:999])), "y",
            "550 5.6.0 InvalidParameterValue.SubjectLengthError ")
    s.abort()
    s.quit()


def case_subject_998_raw_utf8_chars_accepted(c):
    """Unencoded UTF-8 (SMTPUTF8 clients send it): characters, not bytes, count."""
    s = outbound(c, "subject-998-raw")
    c.reply("Subject header", s.header("Subject", CJK[:998]), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("EOM", s.eom(), "a")
    s.quit()
    s = outbound(c, "subject-999-raw")
    c.reply("999-char Subject header", s.header("Subject", CJK[:999]), "y",
            "550 5.6.0 InvalidParameterValue.SubjectLengthError ")
    s.abort()
    s.quit()


def case_reply_text_reaches_the_mta_at_mail(c):
    s = session()
    c.reply("connect", s.connect("wire-text", "192.0.2.11"), "c")
    c.reply("MAIL from an unverified domain", s.mail("<a@pending.example>"), "y",
            "550 5.7.1 OperationDenied.DomainNotVerified domain pending.example is not verified")
    s.quit()
    s = session()
    c.reply("connect", s.connect("wire-text-auth", "198.51.100.20"), "c")
    s.macro(SMFIC_MAIL, "{auth_authen}", "sleepy-smtp")
    c.reply("MAIL from a suspended account", s.mail("<a@sleepy.example>"), "y",
            "550 5.7.1 FailedOperation.HighRejectionRate ")
    s.macro(SMFIC_MAIL, "{auth_authen}", "nobody-smtp")
    c.reply("MAIL with an unknown login", s.mail("<a@acme.example>"), "y",
            "550 5.7.1 OperationDenied.AccountNotFound ")
    s.quit()


def case_reply_text_reaches_the_mta_at_rcpt(c):
    s = outbound(c, "wire-text-rcpt")
    for i in range(2, 51):
        c.reply("RCPT %d" % i, s.rcpt("<r%d@example.net>" % i), "c")
    c.reply("RCPT 51", s.rcpt("<r51@example.net>"), "y",
            "452 4.5.3 FailedOperation.TooManyRecipients ")
    s.abort()
    s.quit()


def case_reply_text_is_sanitized(c):
    """Control and 8-bit bytes from the client never reach the SMTP reply."""
    s = session()
    c.reply("connect", s.connect("sanitize", "192.0.2.12"), "c")
    got = s.mail(b"<a@acme.example\x01\x1b[31m\xc3\xa9%s>")
    c.reply("MAIL", got, "y", "550 5.7.1 OperationDenied.DomainNotVerified ")
    bad = [ch for ch in got.data.rstrip(b"\0") if ch < 0x20 or ch > 0x7e or ch == 0x25]
    c.eq("control, 8-bit or % bytes in the reply", bad, [])
    s.quit()


def case_local_submission_postfix_port0_uses_local_account(c):
    """Postfix presents sendmail(1) mail as "localhost" [127.0.0.1] port 0."""
    s = session()
    c.reply("connect", s.connect("localhost", "127.0.0.1", 0), "c")
    c.reply("MAIL", s.mail("<app@local.example>"), "c")
    c.reply("RCPT", s.rcpt("<port0@example.net>"), "c")
    c.reply("Subject", s.header("Subject", "port 0"), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("EOM", s.eom(), "a")
    s.quit()
    line = summary("localhost", 5)
    c.true("summary names the local account", " account=local submission=local " in line, line)


def local_message(c, sender, n):
    """A local submission (Postfix's port-0 form) to n recipients; the EOM reply."""
    s = session()
    c.reply("connect", s.connect("localhost", "127.0.0.1", 0), "c")
    c.reply("MAIL", s.mail(sender), "c")
    for i in range(1, n + 1):
        c.reply("RCPT %d" % i, s.rcpt("<b%d@example.net>" % i), "c")
    c.reply("Subject", s.header("Subject", "burst of %d" % n), "c")
    c.reply("EOH", s.eoh(), "c")
    got = s.eom()
    s.quit()
    return got


def case_local_submission_21_recipients_accepted(c):
    """Over MaxSendsPerSecond 20 the burst borrows from the next seconds."""
    c.reply("EOM", local_message(c, "<burst21@local.example>", 21), "a")


def case_local_submission_50_recipients_accepted(c):
    c.reply("EOM", local_message(c, "<burst50@local.example>", 50), "a")


def case_local_submission_51_recipients_too_many(c):
    c.reply("EOM", local_message(c, "<burst51@local.example>", 51), "y",
            "550 5.5.3 FailedOperation.TooManyRecipients ")
    lines = summary_from("<burst51@local.example>")
    c.true("summary says TooManyRecipients",
           len(lines) == 1 and 'reply="550 5.5.3 FailedOperation.TooManyRecipients' in lines[0],
           lines)


def edited_message(c, actions):
    """acme sends a message whose control header must be removed; the EOM reply."""
    s = session(actions)
    c.reply("connect", s.connect("edit-refused", "192.0.2.10"), "c")
    c.reply("MAIL", s.mail("<edit@acme.example>"), "c")
    c.reply("RCPT", s.rcpt("<edit-refused@example.net>"), "c")
    c.reply("Subject", s.header("Subject", "edits"), "c")
    c.reply("X-SES-Tag", s.header("X-SES-Tag", "t1"), "c")
    c.reply("EOH", s.eoh(), "c")
    got = s.eom()
    s.quit()
    return got


def case_refused_edit_tempfails_and_logs_tempfail(c):
    """An MTA that grants no changes: 451, and log and events agree; the retry counts once."""
    c.reply("EOM without change actions", edited_message(c, 0), "y",
            "451 4.3.0 FailedOperation.ServiceNotAvailable ")
    lines = summary_from("<edit@acme.example>")
    c.true("one summary saying tempfail",
           len(lines) == 1 and " decision=tempfail " in lines[0], lines)
    c.eq("events after the refused edit", events_for("edit-refused@example.net"), ["rejected"])
    c.reply("EOM with every action", edited_message(c, 0x1FF), "a")
    deadline = time.time() + 5
    while len(summary_from("<edit@acme.example>")) < 2 and time.time() < deadline:
        time.sleep(0.05)
    c.eq("events after the retry", events_for("edit-refused@example.net"),
         ["rejected", "accepted"])


def case_header_100kb_value_no_crash(c):
    """Over libmilter's 64 KB command limit the connection is dropped, nothing more."""
    s = outbound(c, "header-60kb")
    c.reply("60 KB header", s.header("X-Long", "x" * 60000), "c")
    c.reply("Subject", s.header("Subject", "long header"), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("EOM", s.eom(), "a")
    s.quit()
    s = outbound(c, "header-100kb")
    try:
        got = s.header("X-Long", "y" * 100 * 1024)
        c.true("100 KB header answered", got.cmd in "cy", got)
    except (IOError, OSError):
        pass	# libmilter refuses a command over 64 KB by closing the connection
    s.quit()
    s = outbound(c, "header-100kb-after")
    c.reply("Subject after the 100 KB header", s.header("Subject", "still here"), "c")
    s.quit()


def case_body_with_nul_bytes_no_crash(c):
    s = outbound(c, "body-nul")
    c.reply("Subject", s.header("Subject", "nul"), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("body", s.body(b"a\0b\0\0\xff\xfe\r\n\0" * 1000), "c")
    c.reply("EOM", s.eom(), "a")
    s.quit()


def template_message(c, client, content_type):
    """A template message of account tmpl with content_type; returns the EOM reply."""
    s = session()
    c.reply("connect", s.connect(client, "198.51.100.30"), "c")
    s.macro(SMFIC_MAIL, "{auth_authen}", "tmpl-smtp")
    c.reply("MAIL", s.mail("<news@tmpl.example>"), "c")
    c.reply("RCPT", s.rcpt("<reader@example.net>"), "c")
    headers = [("Subject", "welcome"), ("X-SES-Template", "1"),
               ("X-SES-Template-Data", '{"name":"Ann"}'), ("MIME-Version", "1.0")]
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    for name, value in headers:
        c.reply(name, s.header(name, value), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("body", s.body(b"--x\r\nhello\r\n"), "c")
    got = s.eom()
    s.quit()
    return got


def case_hostile_content_type_refused_next_session_served(c):
    """A multipart Content-Type without boundary and with 8-bit parameters used
    to make GMime loop until abort; now a precise 550, and the daemon serves on."""
    long_name = b"p" * 70
    for i, (ct, why) in enumerate((
            (b"multipart/mixed; " + long_name + b'="\xc3\xa9t\xc3\xa9"',
             "a parameter name over 64 bytes"),
            (b'multipart/mixed; title="\xc3\xa9"', "multipart/mixed without a boundary"),
            (b'multipart/mixed; title="\xe9t\xe9"', "invalid UTF-8"),
            (b'multipart/mixed; boundary=""', "an empty boundary"))):
        started = time.time()
        got = template_message(c, "hostile-ct-%d" % i, ct)
        c.reply("EOM of hostile Content-Type %d" % i, got, "y",
                "550 5.6.0 InvalidParameterValue.EmailContentIsWrong malformed MIME: "
                "Content-Type of part 1: " + why)
        c.true("hostile Content-Type %d answered within 5 s" % i, time.time() - started < 5,
               "%.1f s" % (time.time() - started))
    got = template_message(c, "hostile-ct-next", None)
    c.reply("EOM of the next, normal template message", got, "a")
    line = summary("hostile-ct-next")
    c.true("summary of the next message", " decision=accept" in line, line)


def case_content_replies_each_answers_every_header(c):
    """By default the no-reply stages the MTA offers are not taken: a header gets its reply."""
    s = outbound(c, "nr-default")
    c.eq("no-reply stages negotiated", s.protocol & NR_CONTENT, 0)
    c.reply("999-char Subject header", s.header("Subject", CJK[:999]), "y",
            "550 5.6.0 InvalidParameterValue.SubjectLengthError ")
    s.abort()
    s.quit()


def nr_outbound(c, client):
    """outbound() against ContentReplies end: the content stages are taken with no reply."""
    s = outbound(c, client)
    c.eq("no-reply stages negotiated", s.protocol & NR_CONTENT, NR_CONTENT)
    return s


def case_no_reply_stages_message_accepted_at_eom(c):
    """Headers, end of headers and body sent back to back; one reply, at the end."""
    s = nr_outbound(c, "nr-accepted")
    c.reply("From", s.header("From", "<sender@acme.example>"), NO_REPLY)
    s.header("To", "<rcpt@example.net>")
    s.header("Subject", "hello")
    c.reply("EOH", s.eoh(), NO_REPLY)
    c.reply("body", s.body(b"hello\r\n"), NO_REPLY)
    c.reply("EOM", s.eom(), "a")
    s.quit()
    line = summary("nr-accepted")
    c.true("summary decision=accept", " decision=accept" in line, line)


def case_no_reply_header_refusal_given_at_eom(c):
    """A header refused with no reply due: the rest is ignored and EOM gives the refusal."""
    s = nr_outbound(c, "nr-refused")
    s.header("Subject", CJK[:999])
    s.header("To", "<rcpt@example.net>")
    s.eoh()
    s.body(b"x" * 60000)
    s.body(b"y" * 60000)
    c.reply("EOM", s.eom(), "y", "550 5.6.0 InvalidParameterValue.SubjectLengthError ")
    line = summary("nr-refused")
    c.true("summary rule=subject", " rule=subject" in line, line)
    # the next message of the session is judged afresh
    c.reply("MAIL again", s.mail("<sender@acme.example>"), "c")
    c.reply("RCPT again", s.rcpt("<rcpt@example.net>"), "c")
    s.header("Subject", "short")
    s.eoh()
    s.body(b"hello\r\n")
    c.reply("EOM again", s.eom(), "a")
    s.quit()


def case_no_reply_end_of_header_refusal_given_at_eom(c):
    """A check of end of headers (no Subject at all) also waits for end of message."""
    s = nr_outbound(c, "nr-no-subject")
    s.header("To", "<rcpt@example.net>")
    s.eoh()
    s.body(b"hello\r\n")
    c.reply("EOM", s.eom(), "y", "550 5.6.0 InvalidParameterValue.SubjectLengthError ")
    s.quit()


def case_no_reply_refusal_then_abort_forgotten(c):
    """A held refusal does not outlive its message: abort, then a new message passes."""
    s = nr_outbound(c, "nr-abort")
    s.header("Subject", CJK[:999])
    s.abort()
    c.reply("MAIL after abort", s.mail("<sender@acme.example>"), "c")
    c.reply("RCPT after abort", s.rcpt("<rcpt@example.net>"), "c")
    s.header("Subject", "short")
    s.eoh()
    c.reply("EOM after abort", s.eom(), "a")
    s.quit()


def case_no_reply_mta_without_it_gets_continue_refusal_at_eom(c):
    """An MTA that offers no no-reply stage: libmilter answers them continue, EOM refuses."""
    s = session(protocol=PROTOCOL_ALL & ~NR_CONTENT)
    c.eq("no-reply stages negotiated", s.protocol & NR_CONTENT, 0)
    c.reply("connect", s.connect("nr-none-offered", "192.0.2.10"), "c")
    c.reply("MAIL", s.mail("<sender@acme.example>"), "c")
    c.reply("RCPT", s.rcpt("<rcpt@example.net>"), "c")
    c.reply("999-char Subject header", s.header("Subject", CJK[:999]), "c")
    c.reply("EOH", s.eoh(), "c")
    c.reply("body", s.body(b"hello\r\n"), "c")
    c.reply("EOM", s.eom(), "y", "550 5.6.0 InvalidParameterValue.SubjectLengthError ")
    s.quit()


def run(namespace, argv, prog):
    """Runs the case_NAME of namespace that argv names (or lists them with --list).

    Shared by the case files of the milter suites; returns the exit status.
    """
    cases = sorted(k[5:] for k in namespace if k.startswith("case_"))
    if argv == ["--list"]:
        print("\n".join(cases))
        return 0
    fn = namespace.get("case_" + argv[0]) if len(argv) == 1 else None
    if fn is None:
        sys.stderr.write("usage: %s CASE | --list\n" % prog)
        return 2
    c = Case()
    try:
        fn(c)
    except Exception as e:	# a dropped connection or a timeout is a failure too
        c.failures.append("%s: %s" % (type(e).__name__, e))
    for f in c.failures:
        print(f)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(run(globals(), sys.argv[1:], "rawmilter.py"))
