"""report_steps - the sections of results.md for the steps of
bench/lib/direct.sh and bench/lib/inbound.sh: CPU by message size and
recipients (with plot-cpu.gp), memcached round trips, inbound checks and
perf's top functions.  Used by report.py; each function writes through
the Report's p() and returns the figures the Targets table needs (None
when its step did not run).
"""
import os
import statistics


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip('\n').split('\t') for line in f if line.strip()]


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def human_bytes(b):
    if b >= 1 << 20:
        return "%g MiB" % (b / float(1 << 20))
    if b >= 1024:
        return "%g KiB" % (b / 1024.0)
    return "%d B" % b


def sizes_cpu(path):
    """sizes.tsv rows: ({(bytes, rcpts): [ms per accepted message, by round]},
    {(bytes, rcpts): messages not accepted})."""
    cpu = {}
    short = {}
    for rnd, b, n, m, acc, sig, ticks, hz in read_tsv(path):
        key = (int(b), int(n))
        acc = int(acc or 0)
        if acc > 0:
            cpu.setdefault(key, []).append(1000.0 * int(ticks) / int(hz) / acc)
        short[key] = short.get(key, 0) + int(m) - acc
    return cpu, short


def per_byte_ns(cpu, b, base):
    """Extra CPU per extra byte from base to b at one recipient, ns."""
    return 1e6 * (med(cpu[(b, 1)]) - med(cpu[(base, 1)])) / (b - base)


def sizes(rep):
    """CPU per message by size and recipients; returns the per-byte ratios
    to SHA-256 {bytes: (ratio, ratio above the null milter's)} for sizes
    above 100 KiB at one recipient (the second None without its figures)."""
    cpu, short = sizes_cpu(os.path.join(rep.d, "sizes.tsv"))
    if not cpu and not short:
        return None
    null, null_short = sizes_cpu(os.path.join(rep.d, "sizes-null.tsv"))
    bsizes = sorted({k[0] for k in cpu})
    rcpts = sorted({k[1] for k in cpu})
    sha = med(rep.meta_rounds.get("sha256_bytes_per_s", []))
    rep.p("## Filter CPU per message by size and recipients (ses-milter rsa, direct load)")
    rep.p()
    rep.p("bench/milterload straight to ses-milter (4 connections, distinct recipients; "
          "the account may send without a template, so the body signed is the body sent). "
          "CPU is the filter's user+sys per accepted message, ms: median over rounds.")
    rep.p()
    if null:
        rep.p("The last column is the null milter (configuration 2) taking the same bodies at "
              "one recipient over the same protocol: libmilter's 64 KiB body packets, each "
              "read and answered, and nothing done with them.")
        rep.p()
    head = ["%d recipient%s" % (n, "s" if n > 1 else "") for n in rcpts]
    if null:
        head.append("null milter, 1 recipient")
    rep.p("| message size | " + " | ".join(head) + " |")
    rep.p("|---|" + "---|" * len(head))
    for b in bsizes:
        cells = []
        for n in rcpts:
            xs = cpu.get((b, n), [])
            c = "%.2f" % med(xs) if xs else "–"
            if short.get((b, n)):
                c += " **%d not accepted**" % short[(b, n)]
            cells.append(c)
        if null:
            xs = null.get((b, 1), [])
            c = "%.2f" % med(xs) if xs else "–"
            if null_short.get((b, 1)):
                c += " **%d not accepted**" % null_short[(b, 1)]
            cells.append(c)
        rep.p("| %s | %s |" % (human_bytes(b), " | ".join(cells)))
    rep.p()
    ratios = {}
    base = 102400
    if sha == sha and sha > 0 and (base, 1) in cpu:
        ns_sha = 1e9 / sha
        rep.p("Per-byte cost above 100 KiB (1 recipient): the extra CPU per extra byte from "
              "100 KiB up, against one SHA-256 pass (`openssl speed -bytes 16384 sha256`, "
              "same run: %.0f MB/s = %.3f ns/byte).  Beside it the null milter's, the "
              "protocol's own cost per byte, and ses-milter's above it: the work of its "
              "own (kept once, canonicalised and hashed once)." % (sha / 1e6, ns_sha))
        rep.p()
        rep.p("| from 100 KiB to | ns per byte | × SHA-256 | null milter, ns per byte "
              "| above the null milter, ns per byte | above it, × SHA-256 |")
        rep.p("|---|---|---|---|---|---|")
        for b in bsizes:
            if b <= base or (b, 1) not in cpu:
                continue
            ns = per_byte_ns(cpu, b, base)
            above = None
            cells = ["–", "–", "–"]
            if (b, 1) in null and (base, 1) in null:
                ns_null = per_byte_ns(null, b, base)
                above = (ns - ns_null) / ns_sha
                cells = ["%.3f" % ns_null, "%.3f" % (ns - ns_null), "%.2f×" % above]
            ratios[b] = (ns / ns_sha, above)
            rep.p("| %s | %.3f | %.2f× | %s |" % (human_bytes(b), ns, ratios[b][0],
                                                 " | ".join(cells)))
        rep.p()
    rep.p("![CPU per message by size](cpu-size.png)")
    rep.p()
    plot_cpu(rep, cpu, bsizes, rcpts)
    return ratios


def plot_cpu(rep, cpu, bsizes, rcpts):
    parts = []
    for n in rcpts:
        name = "plot-cpu-%d.dat" % n
        with open(os.path.join(rep.d, name), "w") as f:
            for b in bsizes:
                xs = cpu.get((b, n), [])
                if xs:
                    f.write("%d %.4f %.4f %.4f\n" % (b, med(xs), min(xs), max(xs)))
        parts.append('"%s" using ($1/1024):2:3:4 with yerrorlines lw 2 title "%d recipient%s"'
                     % (name, n, "s" if n > 1 else ""))
    gp = ['set terminal pngcairo size 800,520 font ",10"', 'set output "cpu-size.png"',
          'set title "ses-milter CPU per message by size (median, bars: min-max; %s)"'
          % rep.meta.get("date", ""),
          'set logscale xy', 'set xlabel "message size, KiB"',
          'set ylabel "filter CPU per message, ms"', 'set key top left', 'set grid',
          'set xtics (2, 100, 1024, 4096)',
          'plot ' + ", \\\n     ".join(parts)]
    with open(os.path.join(rep.d, "plot-cpu.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")


def rtt(rep):
    """memcached round trips; returns {case: (whole message, RCPT stage) per accepted recipient}."""
    rows = read_tsv(os.path.join(rep.d, "rtt.tsv"))
    if not rows:
        return None
    rep.p("## memcached round trips per accepted recipient (through the milter)")
    rep.p()
    rep.p("ses-milter (rsa) with a memcached of its own, reached through bench/mcproxy.py, a "
          "loopback TCP proxy that parses both directions and counts round trips: on each "
          "connection, a round trip opens with ses-milter's data and closes when memcached "
          "has answered every request of it that waits for an answer (all but the quiet "
          "opcodes), so a pipelined write batch or a multi-get to one server is one round "
          "trip however many writes it took.  The RCPT stage's round trips are those that "
          "carry a key of its rules (prefixes bl un sp fq rt dq); the whole message counts "
          "every round trip.  One milter connection, after 5 warm-up messages.  Beside them "
          "the requests the proxy parsed and memcached's own `stats` before and after "
          "(cmd_get counts keys, not requests).  common: distinct recipients, "
          "RecipientHourlyLimit 10; rcpt10: ten per message; limit1000: one recipient "
          "every time, RecipientHourlyLimit 1000.")
    rep.p()
    rep.p("| case | limit | rcpts/msg | messages | accepted | **round trips/rcpt, whole "
          "message** | round trips/rcpt, RCPT stage | requests/rcpt | cmd_get | cmd_set | "
          "incr | decr | delete | cas | touch |")
    rep.p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    out = {}
    for r in rows:
        name, limit, n, m, acc = r[:5]
        k = max(int(acc or 0) * int(n), 1)
        vals = [int(x) / float(k) for x in r[5:]]
        out[name] = (vals[0], vals[1])
        rep.p("| %s | %s | %s | %s | %s | **%.2f** | %s |" % (
            name, limit, n, m, acc, vals[0], " | ".join("%.2f" % v for v in vals[1:])))
    rep.p()
    path = os.path.join(rep.d, "rtt-engine.txt")
    if os.path.exists(path):
        rep.p("The engine's own count (bench/rtt.sh: the policy engine in-process against a "
              "memcached, a wrapper counting the store's requests):")
        rep.p()
        rep.p("```")
        with open(path) as f:
            rep.out.extend(line.rstrip("\n") for line in f if line.strip())
        rep.p("```")
        rep.p()
    return out


INBOUND_NAMES = {"ses": "ses-milter", "odkim": "OpenDKIM (verify)",
                 "odmarc": "OpenDMARC (SPF + DMARC)"}


def inbound(rep):
    """Inbound checks; returns (ratio, per-round ratios) or None."""
    rows = read_tsv(os.path.join(rep.d, "inbound.tsv"))
    if not rows:
        if rep.meta.get("inbound_skipped"):
            rep.p("## Inbound checks\n\nNot measured: %s.\n" % rep.meta["inbound_skipped"])
        return None
    by = {}  # filter -> {round: (messages, accepted, dkim, dmarc, cpu s)}
    for r in rows:
        rnd, f, m, acc, dk, dm, ticks, hz = r[:8]
        spf = r[8] if len(r) > 8 else "–"
        by.setdefault(f, {})[int(rnd)] = (int(m), int(acc or 0), int(dk or 0), int(dm or 0),
                                          int(ticks or 0) / float(hz), spf)
    rep.p("## Inbound: SPF + DKIM verification + DMARC on signed mail (direct load)")
    rep.p()
    rep.p("The same RSA-2048-signed 2 KB message from client 192.0.2.10 (SPF, DKIM and DMARC "
          "pass), DNS answered by a dnsmasq stub on 127.0.0.153:53 for every filter "
          "(ses-milter: DnsServer; OpenDKIM: Nameservers; it and OpenDMARC also run with "
          "a private /etc/resolv.conf in a mount namespace of their own), each filter with "
          "its default caching.  OpenDMARC's copy carries the Authentication-Results "
          "OpenDKIM adds before it in a real chain.  Passes: messages given an "
          "Authentication-Results header with spf=pass / dkim=pass / dmarc=pass.  The "
          "OpenDKIM + OpenDMARC figure is the messages over both filters' CPU together.")
    rep.p()
    rep.p("| filter | messages | accepted | spf=pass | dkim=pass | dmarc=pass | filter CPU s | "
          "msg per CPU-second |")
    rep.p("|---|---|---|---|---|---|---|---|")
    for f in ("ses", "odkim", "odmarc"):
        for rnd in sorted(by.get(f, {})):
            m, acc, dk, dm, cpu, spf = by[f][rnd]
            rep.p("| %s (round %d) | %d | %d | %s | %d | %d | %.2f | %s |" % (
                INBOUND_NAMES[f], rnd, m, acc, spf, dk, dm, cpu,
                "%.0f" % (acc / cpu) if cpu > 0 else "–"))
    per = []
    for rnd in sorted(by.get("ses", {})):
        if rnd not in by.get("odkim", {}) or rnd not in by.get("odmarc", {}):
            continue
        s, k, d = by["ses"][rnd], by["odkim"][rnd], by["odmarc"][rnd]
        # a round where a filter failed messages is no comparison
        if any(x[1] < x[0] for x in (s, k, d)):
            continue
        if s[4] > 0 and k[4] + d[4] > 0:
            per.append((s[1] / s[4]) / (min(k[1], d[1]) / (k[4] + d[4])))
    rep.p()
    if per:
        rep.p("ses-milter / (OpenDKIM + OpenDMARC) messages per filter CPU-second: **%.2f×** "
              "(rounds in which every filter accepted every message: %s)." % (med(per), ", ".join("%.2f" % x for x in per)))
        rep.p()
        return med(per), per
    rep.p("No round in which every filter accepted every message: no ratio.")
    rep.p()
    return None


def perf(rep):
    path = os.path.join(rep.d, "perf.txt")
    if not os.path.exists(path):
        return
    rep.p("## perf: ses-milter's top functions during the direct load (self time)")
    rep.p()
    rep.p("```")
    with open(path) as f:
        rep.out.extend(line.rstrip("\n") for line in f)
    rep.p("```")
    rep.p()
