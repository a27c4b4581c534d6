#!/usr/bin/env python3
"""mcproxy - a loopback TCP proxy that counts memcached round trips.

    python3 bench/mcproxy.py LISTEN_PORT UPSTREAM_HOST:PORT LOG

Sits between ses-milter and one memcached (bench/lib/direct.sh, step rtt of
bench/run) and forwards both directions unchanged.  A round trip is a burst
of requests a client sends and then waits on: on each client connection,
data from the client that follows an answer from the server (or is the
connection's first) opens a new round trip; more data before the next
answer belongs to the same one.  So a pipelined batch (several binary
requests in one send, their answers read together) counts once, and so
does a multi-get's quiet GETKQs with their closing NOOP.

For every round trip LOG gets one line, written when its first answer
arrives (or the connection closes before any):

    CONN REQUESTS OPCODES KEY_PREFIXES

(binary protocol requests parsed from the client's bytes: their count,
their opcodes in hex joined by commas, and the part of each key before
its first colon, joined by commas; "-" when none, e.g. text protocol).
The bench classifies round trips by these prefixes.  Listens on
127.0.0.1 only; stops on SIGTERM, flushing what it has.
"""
import asyncio
import signal
import struct
import sys

HEADER = 24
# Quiet opcodes: no answer unless an error (a GETKQ answers a hit, which no
# one waits for: the client waits on the NOOP after it).
QUIET = {0x07, 0x09, 0x0d, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1e}


def packets(buf):
    """Splits whole binary packets off buf: ([(opcode, key)], rest); rest None for text."""
    out = []
    while len(buf) >= HEADER and buf[0] in (0x80, 0x81):
        op, keylen, extlen = buf[1], struct.unpack(">H", buf[2:4])[0], buf[4]
        bodylen = struct.unpack(">I", buf[8:12])[0]
        if len(buf) < HEADER + bodylen:
            break
        out.append((op, buf[HEADER + extlen:HEADER + extlen + keylen]))
        buf = buf[HEADER + bodylen:]
    if buf and buf[0] not in (0x80, 0x81):
        return out, None
    return out, buf


class Conn:
    """One client connection's parsers and its open round trip."""

    def __init__(self, cid, log):
        self.cid = cid
        self.log = log
        self.cbuf = b""
        self.sbuf = b""
        self.waiting = 0        # the open trip's requests not answered yet
        self.trip = None        # [requests, opcodes, prefixes, awaited]

    def client_data(self, data):
        if self.trip is None:
            self.trip = [0, [], [], 0]
        reqs, self.cbuf = packets(self.cbuf + data)
        if self.cbuf is None:           # text protocol: one request, answered by any data
            self.cbuf = b""
            reqs = [(None, b"")]
        for op, key in reqs:
            self.trip[0] += 1
            self.trip[1].append("0x%02x" % op if op is not None else "text")
            if key:
                self.trip[2].append(key.split(b":", 1)[0].decode("ascii", "replace"))
            if op not in QUIET:
                self.waiting += 1
                self.trip[3] += 1

    def server_data(self, data):
        resps, self.sbuf = packets(self.sbuf + data)
        if self.sbuf is None:
            self.sbuf = b""
            self.waiting = 0
        for op, _ in resps:
            if op not in QUIET and self.waiting > 0:
                self.waiting -= 1
        if self.trip is not None and self.trip[3] > 0 and self.waiting == 0:
            self.close_trip()

    def close_trip(self):
        if self.trip is None:
            return
        n, ops, pre, _ = self.trip
        self.log.write("%d %d %s %s\n" % (self.cid, n, ",".join(ops) or "-",
                                          ",".join(pre) or "-"))
        self.log.flush()
        self.trip = None


async def pump(reader, writer, on_data):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            on_data(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: mcproxy.py LISTEN_PORT UPSTREAM_HOST:PORT LOG\n")
        return 2
    port = int(sys.argv[1])
    up_host, up_port = sys.argv[2].rsplit(":", 1)
    log = open(sys.argv[3], "a")
    conns = {}
    counter = [0]

    async def handle(creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection(up_host, int(up_port))
        except OSError:
            cwriter.close()
            return
        counter[0] += 1
        c = Conn(counter[0], log)
        conns[c.cid] = c
        await asyncio.gather(pump(creader, swriter, c.client_data),
                             pump(sreader, cwriter, c.server_data))
        c.close_trip()
        del conns[c.cid]

    async def run():
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
        loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await stop
        for c in list(conns.values()):
            c.close_trip()
        log.close()

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
