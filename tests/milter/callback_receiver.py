#!/usr/bin/env python3
"""callback_receiver - a small HTTPS server that records the callbacks it gets.

    callback_receiver.py PORT CERT KEY RECORDS [--delay SECONDS] [--status CODE]

Listens on 127.0.0.1:PORT with the certificate CERT and key KEY and
appends one JSON line per POST to RECORDS: {"path", "signature",
"eventid", "body", "time"}.  --delay waits before answering (a slow
receiver, which says "holding POST PATH" on stderr first); --status answers with another code (200 by default).  Stop it
with SIGTERM.
"""

import http.server
import json
import signal
import ssl
import sys
import threading
import time


def main():
    port, cert, key, records = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    opts = sys.argv[5:]
    delay = float(opts[opts.index("--delay") + 1]) if "--delay" in opts else 0.0
    status = int(opts[opts.index("--status") + 1]) if "--status" in opts else 200
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8")
            if delay:
                # the test waits for this line to know a POST is being held
                print("holding POST %s" % self.path, file=sys.stderr, flush=True)
                time.sleep(delay)
            rec = {"path": self.path, "signature": self.headers.get("X-SES-Signature", ""),
                   "eventid": self.headers.get("X-SES-Event-Id", ""), "body": body,
                   "type": self.headers.get("Content-Type", ""), "time": time.time()}
            with lock, open(records, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
