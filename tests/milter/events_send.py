#!/usr/bin/env python3
"""events_send - sends one outbound message through the milter protocol.

    events_send.py SOCKET QUEUEID SENDER SUBJECT RCPT...

Uses rawmilter.py's Session, from acme's trusted network (192.0.2.10).
Prints one line: the reply to each RCPT and the end of message
("c c y a" ...), then the seconds the end of message took.
"""

import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import rawmilter  # noqa: E402


def main():
    sock, qid, sender, subject, rcpts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    s = rawmilter.Session(sock)
    out = [s.connect("events-" + qid, "192.0.2.10").cmd]
    s.macro(rawmilter.SMFIC_MAIL, "i", qid)
    r = s.mail("<%s>" % sender)
    out.append(r.cmd)
    if r.cmd == "c":
        for rcpt in rcpts:
            out.append(s.rcpt("<%s>" % rcpt).cmd)
        s.macro(rawmilter.SMFIC_BODYEOB, "i", qid)
        s.header("Subject", subject)
        s.eoh()
        s.body(b"hello\r\n")
        start = time.time()
        out.append(s.eom().cmd)
        took = time.time() - start
    else:
        took = 0.0
    s.quit()
    print(" ".join(out), "%.3f" % took)


if __name__ == "__main__":
    main()
