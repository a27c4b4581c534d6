#!/usr/bin/python3
"""report.py - turns the benchmark's raw figures into results.md and a plot.

    report.py RESULTS_DIR

Reads runs.tsv, rss.tsv, direct.tsv, checks.tsv and meta.tsv (written by
bench/lib/measure.sh and bench/run), sizes.tsv, sizes-null.tsv, rtt.tsv, rtt-engine.txt
and perf.txt (bench/lib/direct.sh) and inbound.tsv (bench/lib/inbound.sh)
from RESULTS_DIR; writes results.md, and plot.gp and plot-cpu.gp with their
data files for gnuplot (throughput.png, cpu-size.png).  Each section and
target row appears only when its step ran.
Throughput counts delivered messages only: a refused message is no work
done.  Ratios are to configuration 1 (Postfix alone) at the same number of
sessions; their range comes from pairing the runs of the same round.
"""
import os
import statistics
import sys

import report_steps

NAMES = {1: "Postfix alone", 2: "null milter", 3: "ses-milter (rsa)",
         4: "ses-milter (rsa+ed25519)", 5: "OpenDKIM", 6: "Rspamd",
         7: "ses-milter (rsa, ContentReplies end)"}
SOCKS = ["none", "unix", "inet"]


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip('\n').split('\t') for line in f if line.strip()]


def load_runs(rows):
    """{(cfg, sock, sessions): {round: run}}"""
    runs = {}
    for r in rows:
        rnd, cfg, sock, s, m, n, secs, ft, bt, pt, hz = r
        run = {"messages": int(m), "delivered": int(n), "seconds": float(secs),
               "filter": int(ft) / int(hz), "backend": int(bt) / int(hz),
               "postfix": int(pt) / int(hz), "sessions": int(s)}
        run["rate"] = run["delivered"] / run["seconds"] if run["seconds"] > 0 else 0
        run["latency"] = 1000.0 * run["sessions"] * run["seconds"] / max(run["messages"], 1)
        runs.setdefault((int(cfg), sock, int(s)), {})[int(rnd)] = run
    return runs


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def fmt_range(values, fmt):
    if not values:
        return "–"
    m = med(values)
    if len(values) == 1:
        return fmt % m
    return (fmt + " (" + fmt + "–" + fmt + ")") % (m, min(values), max(values))


class Report:
    def __init__(self, d):
        self.d = d
        rows = read_tsv(os.path.join(d, "meta.tsv"))
        self.meta = dict(r[:2] for r in rows if len(r) >= 2)
        # per-round figures (openssl speed): a list each
        self.meta_rounds = {}
        for r in rows:
            if len(r) >= 2 and r[0].endswith("_per_s"):
                try:
                    self.meta_rounds.setdefault(r[0], []).append(float(r[1]))
                except ValueError:
                    pass
        self.runs = load_runs(read_tsv(os.path.join(d, "runs.tsv")))
        self.sessions = sorted({k[2] for k in self.runs})
        self.cells = sorted({(k[0], k[1]) for k in self.runs},
                            key=lambda x: (x[0], SOCKS.index(x[1])))
        self.out = []

    def rates(self, cfg, sock, s):
        return [r["rate"] for r in self.runs.get((cfg, sock, s), {}).values()]

    def ratio(self, cfg, sock, s, base=(1, "none")):
        """median ratio and the per-round ratios to the base configuration."""
        mine = self.runs.get((cfg, sock, s), {})
        theirs = self.runs.get((base[0], base[1], s), {})
        per_round = [mine[r]["rate"] / theirs[r]["rate"] for r in mine
                     if r in theirs and theirs[r]["rate"] > 0]
        a, b = med(self.rates(cfg, sock, s)), med([t["rate"] for t in theirs.values()])
        return (a / b if b else float('nan')), per_round

    def p(self, line=""):
        self.out.append(line)

    def header(self):
        m = self.meta
        self.p("# ses-milter benchmark results")
        self.p()
        self.p("Measured %s on %s (%s cores, %s), %s, kernel %s; load average %s before, %s after."
               % (m.get("date", "?"), m.get("cpu", "?"), m.get("cores", "?"),
                  m.get("memory", "?"), m.get("os", "?"), m.get("kernel", "?"),
                  m.get("load_before", "?"), m.get("load_after", "?")))
        self.p()
        self.p("%s; Postfix %s; OpenDKIM %s; Rspamd %s; Redis %s; memcached %s; %s."
               % (m.get("ses-milter", "?"), m.get("postfix", "?"), m.get("opendkim", "?"),
                  m.get("rspamd", "?"), m.get("redis", "?"), m.get("memcached", "?"),
                  m.get("openssl", "?")))
        self.p()
        self.p("%s round(s), configurations interleaved (order rotated each round); messages "
               "per run by sessions %s; message %s bytes, one distinct recipient each; "
               "`smtp-source` against Postfix on loopback, `smtp-sink` as the next hop."
               % (m.get("rounds", "?"), m.get("messages", "?"), m.get("message_bytes", "?")))
        if m.get("quick") == "1":
            self.p()
            self.p("**Quick mode: a smoke run with few messages; do not quote these figures.**")
        self.p()

    def table_sessions(self, title, cell):
        self.p("## " + title)
        self.p()
        self.p("| configuration | socket | " + " | ".join("%d sessions" % s if s > 1 else
                                                         "1 session" for s in self.sessions) + " |")
        self.p("|---|---|" + "---|" * len(self.sessions))
        for cfg, sock in self.cells:
            self.p("| %d %s | %s | %s |" % (cfg, NAMES[cfg], sock,
                                            " | ".join(cell(cfg, sock, s) for s in self.sessions)))
        self.p()

    def throughput(self):
        def cell(cfg, sock, s):
            runs = self.runs.get((cfg, sock, s), {}).values()
            short = sum(r["messages"] - r["delivered"] for r in runs)
            text = fmt_range(self.rates(cfg, sock, s), "%.0f")
            return text + (" **%d not delivered**" % short if short else "")
        self.table_sessions("Throughput, messages/s: median (min–max)", cell)

        def rcell(cfg, sock, s):
            r, per = self.ratio(cfg, sock, s)
            if not per:
                return "–"
            return "%.2f× (%.2f–%.2f)" % (r, min(per), max(per))
        self.table_sessions("Throughput relative to configuration 1 (Postfix alone)", rcell)

    def latency(self):
        self.p("## Latency per message and session, ms (median; inet minus unix)")
        self.p()
        self.p("| configuration | " + " | ".join("%d: unix | inet | Δ" % s for s in self.sessions)
               + " |")
        self.p("|---|" + "---|---|---|" * len(self.sessions))
        for cfg in sorted({c for c, _ in self.cells if c != 1}):
            cells = []
            for s in self.sessions:
                u = med([r["latency"] for r in self.runs.get((cfg, "unix", s), {}).values()])
                i = med([r["latency"] for r in self.runs.get((cfg, "inet", s), {}).values()])
                cells.append("%.2f | %.2f | %+.2f" % (u, i, i - u))
            self.p("| %d %s | %s |" % (cfg, NAMES[cfg], " | ".join(cells)))
        base = [med([r["latency"] for r in self.runs.get((1, "none", s), {}).values()])
                for s in self.sessions]
        self.p("| 1 %s (no milter) | %s |" % (NAMES[1], " | ".join(
            "%.2f | | " % b for b in base)))
        self.p()

    def stall(self):
        rows = read_tsv(os.path.join(self.d, "stall.tsv"))
        if not rows:
            return
        self.p("## Where TCP's extra latency comes from (null milter, 1 session)")
        self.p()
        self.p("Postfix sends the macros of a stage the milter negotiated away (DATA: "
               "`milter_data_macros`) as a packet that gets no reply.  Over TCP the milter's "
               "kernel delays its ACK (40 ms), and Postfix's next write, the first header, "
               "waits for it (Nagle on Postfix's side, which TCP_NODELAY on the milter's "
               "socket cannot change).  A milter that answers DATA has its reply carry the "
               "ACK.")
        self.p()
        self.p("| HELO and DATA | unix, ms/message | inet, ms/message | delivered |")
        self.p("|---|---|---|---|")
        res = {(v, s): (int(m), int(n), float(secs)) for v, s, m, n, secs in rows}
        for v, label in (("skip", "negotiated away (as ses-milter)"), ("answer", "answered")):
            cells, dl = [], []
            for s in ("unix", "inet"):
                m, n, secs = res.get((v, s), (0, 0, 0.0))
                cells.append("%.2f" % (1000 * secs / m) if m else "–")
                dl.append("%d/%d" % (n, m))
            self.p("| %s | %s | %s |" % (label, " | ".join(cells), ", ".join(dl)))
        self.p()

    def cpu(self):
        self.p("## CPU per delivered message, ms (user+sys, all timed runs)")
        self.p()
        self.p("| configuration | socket | filter | its backend | Postfix (all daemons) |")
        self.p("|---|---|---|---|---|")
        for cfg, sock in self.cells:
            runs = [r for s in self.sessions for r in self.runs.get((cfg, sock, s), {}).values()]
            n = sum(r["delivered"] for r in runs) or 1
            backend = {3: "memcached", 4: "memcached", 6: "Redis"}.get(cfg)
            self.p("| %d %s | %s | %s | %s | %.3f |" % (
                cfg, NAMES[cfg], sock,
                "%.3f" % (1000 * sum(r["filter"] for r in runs) / n) if cfg != 1 else "–",
                "%.3f (%s)" % (1000 * sum(r["backend"] for r in runs) / n, backend)
                if backend else "–",
                1000 * sum(r["postfix"] for r in runs) / n))
        self.p()

    def rss(self):
        rows = read_tsv(os.path.join(self.d, "rss.tsv"))
        if not rows:
            return {}
        self.p("## Filter memory at concurrent SMTP sessions (unix socket)")
        self.p()
        self.p("VmHWM is the kernel's peak resident set of each filter process, summed over "
               "its processes (shared pages count once per process), and that of its largest "
               "process; PSS, sampled every "
               "0.5 s, divides shared pages among the processes; threads are the peak of "
               "/proc/PID/status Threads summed over its processes, sampled likewise.  Open "
               "sockets show the sessions reached the filter at once; tempfails are the 4xx "
               "replies Postfix logged for the run.")
        self.p()
        self.p("| configuration | sessions | peak smtpd processes | peak open sockets of the filter | "
               "peak PSS sampled, MiB | VmHWM (sum over its processes), MiB | VmHWM of its largest "
               "process, MiB | peak threads | delivered | tempfails |")
        self.p("|---|---|---|---|---|---|---|---|---|---|")
        out = {}
        for r in rows:
            cfg, s, smtpd, socks, pss, hwm, m, n = r[:8]
            threads = r[8] if len(r) > 8 else "–"
            tf = r[9] if len(r) > 9 else "–"
            one = int(r[10]) / 1024 if len(r) > 10 else int(hwm) / 1024
            self.p("| %s %s | %s | %s | %s | %.1f | %.1f | %.1f | %s | %s/%s | %s |" % (
                cfg, NAMES[int(cfg)], s, smtpd, socks, int(pss) / 1024, int(hwm) / 1024, one,
                threads, n, m, tf))
            out[int(cfg)] = {"hwm": int(hwm) / 1024, "one": one, "sessions": int(s), "smtpd": int(smtpd),
                             "threads": threads, "tempfails": tf, "sent": int(m),
                             "delivered": int(n)}
        self.p()
        return out

    def direct(self):
        rows = read_tsv(os.path.join(self.d, "direct.tsv"))
        if not rows:
            return {}, float('nan')
        rsa = med(self.meta_rounds.get("rsa2048_signs_per_s", []))
        self.p("## Direct milter-protocol load (bench/milterload, no MTA)")
        self.p()
        self.p("| filter | round | messages | accepted | signed | rendered | msg/s (wall) | "
               "filter CPU s | cores busy | msg per filter CPU-second | memcached CPU ms/msg |")
        self.p("|---|---|---|---|---|---|---|---|---|---|---|")
        per_core = {}
        for r in rows:
            cfg, m, acc, sig, ren, secs, ft, bt, hz = r[:9]
            rnd = r[9] if len(r) > 9 else "1"
            cpu = int(ft) / int(hz)
            secs = float(secs)
            pc = int(acc) / cpu if cpu > 0 else float('nan')
            per_core.setdefault(int(cfg), []).append(pc)
            self.p("| %s %s | %s | %s | %s | %s | %s | %.0f | %.2f | %.2f | %.0f | %.3f |" % (
                cfg, NAMES[int(cfg)], rnd, m, acc, sig, ren, int(acc) / secs if secs else 0,
                cpu, cpu / secs if secs else 0, pc, 1000 * int(bt) / int(hz) / max(int(acc), 1)))
        self.p()
        self.p("`openssl speed rsa2048` in the same run: **%.0f signs/s** on one core "
               "(median of %s)." % (rsa, ", ".join(
                   "%.0f" % x for x in self.meta_rounds.get("rsa2048_signs_per_s", []))))
        self.p()
        return {c: med(v) for c, v in per_core.items()}, rsa

    def cpu_ratio(self, cfg, other, sock="unix"):
        """Filter CPU per delivered message of cfg over other's, by round (all sessions)."""
        def per_round(c):
            out = {}
            for s in self.sessions:
                for rnd, r in self.runs.get((c, sock, s), {}).items():
                    t = out.setdefault(rnd, [0.0, 0])
                    t[0] += r["filter"]
                    t[1] += r["delivered"]
            return {k: v[0] / v[1] for k, v in out.items() if v[1] > 0}
        a, b = per_round(cfg), per_round(other)
        per = [a[k] / b[k] for k in a if k in b and b[k] > 0]
        return (med(per) if per else float('nan')), per, med(list(a.values())), \
            med(list(b.values()))

    def targets(self, rss, per_core, rsa, fig):
        self.p("## Targets")
        self.p()
        self.p("Ratios from one run: medians over rounds (per-round values in brackets).")
        self.p()
        self.p("| target | measured | met |")
        self.p("|---|---|---|")

        def row(what, value, ok):
            met = "–" if ok is None else ("met" if ok else "**not met**")
            self.p("| %s | %s | %s |" % (what, value, met))
        for cfg, want in ((3, 0.5), (4, 0.4), (7, 0.5)):
            if cfg in per_core and rsa == rsa:
                pc = per_core[cfg]
                row("1. direct load, %s: msg per filter CPU-second ≥ %.1f× rsa2048 signs/s per "
                    "core%s" % (NAMES[cfg], want,
                                " (the option, beside the default above)" if cfg == 7 else ""),
                    "%.0f msg/CPU-s = %.2f× %.0f signs/s" % (pc, pc / rsa, rsa),
                    pc >= want * rsa)
        if self.runs:
            r, per, a, b = self.cpu_ratio(3, 6)
            row("2. filter CPU per delivered message through Postfix ≤ 0.8× Rspamd (unix, all "
                "sessions)", "%.2f× (%.3f vs %.3f ms; rounds %s)" % (
                    r, 1000 * a, 1000 * b, ", ".join("%.2f" % x for x in per)), r <= 0.8)
            for other, want in ((6, 1.1), (5, 1.2), (2, 0.9)):
                r, per = self.ratio(3, "unix", 10, base=(other, "unix"))
                row("3. messages/s, 10 sessions unix ≥ %.1f× %s" % (want, NAMES[other]),
                    "%.2f× (rounds %s)" % (r, ", ".join("%.2f" % x for x in per)), r >= want)
        rt = fig.get("rtt")
        if rt:
            for case, want in (("common", 2), ("limit1000", 3)):
                if case in rt:
                    whole, rcpt = rt[case]
                    row("4. memcached round trips per accepted recipient, %s ≤ %d" % (
                        "common path" if case == "common" else "RecipientHourlyLimit 1000",
                        want), "%.2f whole message (RCPT stage %.2f)" % (whole, rcpt),
                        whole <= want)
        pb = fig.get("sizes")
        if pb:
            worst = max(v[0] for v in pb.values())
            above = ""
            if all(v[1] is not None for v in pb.values()):
                above = "; above the null milter's protocol cost: " + ", ".join(
                    "to %s: %.2f×" % (report_steps.human_bytes(b), v[1])
                    for b, v in sorted(pb.items()))
            row("5. per-byte CPU above 100 KiB within 1.5× one SHA-256 pass",
                ", ".join("to %s: %.2f×" % (report_steps.human_bytes(b), v[0])
                          for b, v in sorted(pb.items())) + above, worst <= 1.5)
        inb = fig.get("inbound")
        if inb:
            row("6. inbound SPF + DKIM + DMARC: msg per filter CPU-second ≥ 1.5× OpenDKIM + "
                "OpenDMARC", "%.2f× (rounds %s)" % (inb[0], ", ".join("%.2f" % x for x in inb[1])),
                inb[0] >= 1.5)
        if 3 in rss:
            x = rss[3]
            clean = x["tempfails"] in ("0", "–") and x["delivered"] == x["sent"]
            row("7. ses-milter peak RSS (VmHWM of the milter process) at %d concurrent "
                "sessions ≤ 32 MiB, no tempfail" % x["sessions"],
                "%.1f MiB (%.1f summed with the parent), %s threads at peak, %s tempfails, "
                "%d/%d delivered (peak %d smtpd)" % (
                    x["one"], x["hwm"], x["threads"], x["tempfails"], x["delivered"], x["sent"],
                    x["smtpd"]),
                x["one"] <= 32 and clean)
        for s in self.sessions:
            u = med([x["latency"] for x in self.runs.get((3, "unix", s), {}).values()])
            i = med([x["latency"] for x in self.runs.get((3, "inet", s), {}).values()])
            row("(earlier) ses-milter inet latency within 5 ms of unix, %d session%s" %
                (s, "s" if s > 1 else ""), "%+.2f ms (%.2f vs %.2f)" % (i - u, i, u),
                i - u <= 5.0)
        self.p()

    def checks(self):
        rows = read_tsv(os.path.join(self.d, "checks.tsv"))
        if not rows:
            return
        self.p("## Checks before timing (4 messages each, read at the next hop)")
        self.p()
        for r in rows:
            cfg, sock, status, verdict = r[:4]
            extra = r[4] if len(r) > 4 else ""
            self.p("- %s %s, %s: %s: %s%s" % (cfg, NAMES[int(cfg)], sock, status, verdict,
                                              "; " + extra if extra else ""))
        self.p()

    def plot(self):
        files = []
        for sock in ("unix", "inet"):
            for cfg in sorted({c for c, _ in self.cells}):
                src = "none" if cfg == 1 else sock
                name = "plot-%s-%d.dat" % (sock, cfg)
                with open(os.path.join(self.d, name), "w") as f:
                    for s in self.sessions:
                        xs = self.rates(cfg, src, s)
                        if xs:
                            f.write("%d %.1f %.1f %.1f\n" % (s, med(xs), min(xs), max(xs)))
                files.append((sock, cfg, name))
        gp = ['set terminal pngcairo size 1200,520 font ",10"', 'set output "throughput.png"',
              'set multiplot layout 1,2 title "Throughput by parallel SMTP sessions '
              '(median, bars: min-max; %s)"' % self.meta.get("date", ""),
              'set logscale x', 'set xrange [0.7:70]', 'set xtics (1, 10, 50)',
              'set xlabel "parallel sessions"', 'set ylabel "messages/s"', 'set yrange [0:*]',
              'set key top left', 'set grid']
        for sock in ("unix", "inet"):
            parts = ['"%s" using 1:2:3:4 with yerrorlines lw 2 title "%d %s"' % (n, c, NAMES[c])
                     for s, c, n in files if s == sock]
            gp.append('set title "%s sockets"' % sock)
            gp.append('plot ' + ", \\\n     ".join(parts))
        gp.append('unset multiplot')
        with open(os.path.join(self.d, "plot.gp"), "w") as f:
            f.write("\n".join(gp) + "\n")

    def write(self):
        self.header()
        fig = {}
        if self.runs:
            self.throughput()
            self.latency()
        self.stall()
        if self.runs:
            self.cpu()
        rss = self.rss()
        per_core, rsa = self.direct()
        fig["sizes"] = report_steps.sizes(self)
        fig["rtt"] = report_steps.rtt(self)
        fig["inbound"] = report_steps.inbound(self)
        report_steps.perf(self)
        self.targets(rss, per_core, rsa, fig)
        self.checks()
        if self.runs:
            self.p("![throughput](throughput.png)")
            self.plot()
        with open(os.path.join(self.d, "results.md"), "w") as f:
            f.write("\n".join(self.out) + "\n")


def main():
    if len(sys.argv) != 2:
        print("usage: report.py RESULTS_DIR", file=sys.stderr)
        return 2
    Report(sys.argv[1]).write()
    return 0


if __name__ == '__main__':
    sys.exit(main())
