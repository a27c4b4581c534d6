#!/usr/bin/env python3
"""guard_cases - the milter socket under hostile clients (milter/connguard.c).

    guard_cases.py CASE        (MT_SOCKET, MT_LOG, MT_PID from the environment)

Run by t_miltertest.sh, which also checks the log for a crashed (and
restarted) milter process after each case.
"""

import os
import socket
import sys
import time

from rawmilter import SMFIC_CONNECT, run, session


def served(c, client):
    """One whole outbound message; true when the milter accepted it."""
    s = session()
    try:
        replies = [s.connect(client, "192.0.2.10"), s.mail("<sender@acme.example>"),
                   s.rcpt("<rcpt@example.net>"), s.header("Subject", "hello"), s.eoh(),
                   s.body(b"hello\r\n"), s.eom()]
    finally:
        s.quit()
    return [r.cmd for r in replies] == ["c"] * 6 + ["a"]


def case_odd_macro_storm_keeps_serving(c):
    # every stage's macros with an odd string count, then the callbacks
    # that read macros (connect: none; MAIL: i and {auth_authen})
    for i in range(300):
        s = session()
        s.macro(b"C", "j", "mx", "{daemon_name}")
        s.macro(b"M", "{auth_authen}")
        s._send(SMFIC_CONNECT, s._z("storm-%d" % i) + b"4" + b"\x30\x39" + s._z("192.0.2.10"))
        c.reply("storm %d connect" % i, s._read(), "c")
        s.macro(b"M", "i", "QID%d" % i, "{auth_authen}")
        c.reply("storm %d MAIL" % i, s.mail("<sender@acme.example>"), "c")
        s.macro(b"R", "x")
        c.reply("storm %d RCPT" % i, s.rcpt("<rcpt@example.net>"), "c")
        s.quit()
        if c.failures:
            return
    c.true("a normal message after the storm", served(c, "after-storm"), "not accepted")


def case_stalled_connections_shed_normal_sessions_served(c):
    # MT_STALLED connections that never send a byte, more than the
    # daemon's open files limit allows, then 20 normal sessions
    stalled = []
    for _ in range(int(os.environ.get("MT_STALLED", "300"))):
        st = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        st.settimeout(10)
        st.connect(os.environ["MT_SOCKET"].split(":", 1)[-1])
        stalled.append(st)
    ok = sum(1 for i in range(20) if served(c, "healthy-%d" % i))
    c.eq("normal sessions served beside the stalled connections", ok, 20)
    # the oldest stalled connection was shut down (it reads the end)
    stalled[0].settimeout(5)
    try:
        got = stalled[0].recv(1)
    except OSError as e:
        got = repr(e)
    c.eq("the oldest stalled connection", got, b"")
    for st in stalled:
        st.close()


if __name__ == "__main__":
    sys.exit(run(globals(), sys.argv[1:], "guard_cases.py"))
