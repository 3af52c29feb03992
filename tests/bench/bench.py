#!/usr/bin/env python3
"""Runs benchmark rows against the libpcap floor and prints one table.

    bench.py CAPTURE OUTDIR RUNS ROWFILE

OUTDIR holds the programs, among them rusage (rusage.c), which runs and
measures each command.
ROWFILE has one row per line, "KIND|LABEL|COMMAND" (blank lines and lines
starting with # are skipped). COMMAND is split like a shell word list; in
it, {pcap} is the capture, {out} the output directory and {rec} the row's
record file ({out}/ROW.json). Standard output goes to {out}/ROW.stdout,
standard error to {out}/ROW.stdout.stderr.
KIND says how a row is timed and what is counted:

    floor   the floor: prints "N packets in S s" (pcapfloor.c); must be first;
            run FLOOR_TRIES times in each run, the fastest counts
    self    prints "N packets in S s" itself (joy_bench); records from {rec}
    joy     wall time of the process (build/joy); records from its stdout
    peer    wall time of the process; nothing counted
    pair    wall time with {pcaps} as the capture once, then twice at once in
            one process (joy_threads: one context per capture); two lines,
            and the second gets the speed-up over the first
    floor2  the floor row's command twice at once, as two processes: how far
            this machine, as loaded now, lets two readers scale

Each run measures the floor and then every row in turn; every figure is a
ratio to the floor of the same run (shared machines drift), and the table
shows the median over runs. Peak RSS is the largest of any run's process;
CPU µs/p is user + system time per packet (on a loaded machine, the
wall-clock speed-up of two contexts is bounded by the cores free; equal
CPU per packet with one and two contexts says the library adds no cost).
"""
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

FLOOR_TRIES = 3
SELF = re.compile(rb"^(\d+) packets in ([0-9.]+) s", re.M)


def slug(label):
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")[:60]


RUSAGE = None  # the launcher measuring each program (rusage.c), set in main


def spawn(argv, stdout_path):
    f = open(stdout_path, "wb")
    e = open(stdout_path + ".stderr", "wb")
    p = subprocess.Popen([RUSAGE, stdout_path + ".rusage"] + argv, stdout=f, stderr=e)
    f.close()
    e.close()
    return p


def wait_all(procs, argvs, stdout_paths):
    """Waits for every process; returns the largest peak RSS in kB and
    the CPU seconds (user + system) of all."""
    rss, cpu = 0, 0.0
    for p, argv, std in zip(procs, argvs, stdout_paths):
        if p.wait() != 0:
            sys.exit("bench: %s exited with %d (see %s.stderr)" % (" ".join(argv), p.returncode, std))
        with open(std + ".rusage") as f:
            r, c = f.read().split()
        rss = max(rss, int(r))
        cpu += float(c)
    return rss, cpu


def run(argvs, stdout_paths):
    """Runs the commands at once; returns (wall seconds, peak RSS kB, CPU
    seconds)."""
    t = time.monotonic()
    procs = [spawn(a, s) for a, s in zip(argvs, stdout_paths)]
    rss, cpu = wait_all(procs, argvs, stdout_paths)
    return time.monotonic() - t, rss, cpu


def records(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f if b"end-config" not in line)
    except OSError:
        return None


class Row:
    def __init__(self, kind, label, command):
        self.kind, self.label, self.command = kind, label, command
        self.name = slug(label)
        self.pps, self.ratio, self.speedup, self.cpu = [], [], [], []
        self.rss, self.records = 0, None


def expand(command, pcap, out, rec, pcaps=None):
    argv = []
    for w in shlex.split(command):
        if w == "{pcaps}":
            argv += pcaps
            continue
        argv.append(w.replace("{pcap}", pcap).replace("{out}", out).replace("{rec}", rec))
    return argv


def main():
    global RUSAGE
    pcap, out, runs, rowfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    RUSAGE = os.path.join(out, "rusage")
    rows = []
    with open(rowfile) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            kind, label, command = (x.strip() for x in line.split("|", 2))
            if kind == "pair":
                rows.append(Row("pair1", label + ", one context", command))
                rows.append(Row("pair2", label + ", two contexts", command))
            else:
                rows.append(Row(kind, label, command))
    if not rows or rows[0].kind != "floor":
        sys.exit("bench: the first row must be the floor")
    floor = rows[0]
    packets = None
    for i in range(1, runs + 1):
        fpps = None
        one = None  # the pair's one-context rate
        for r in rows:
            rec = os.path.join(out, r.name + ".json")
            std = os.path.join(out, r.name + ".stdout")
            if r.kind in ("floor", "self"):
                argv = expand(r.command, pcap, out, rec)
                # The floor is a short run that a busy machine slows
                # down at random: the fastest of FLOOR_TRIES counts.
                best = None
                for _ in range(FLOOR_TRIES if r.kind == "floor" else 1):
                    _, rss, cpu = run([argv], [std])
                    m = SELF.search(open(std, "rb").read())
                    if not m:
                        sys.exit("bench: %s printed no 'N packets in S s' line" % " ".join(argv))
                    if best is None or float(m.group(2)) < best[1]:
                        best = (int(m.group(1)), float(m.group(2)), rss, cpu)
                n, s, rss, cpu = best
                if r.kind == "floor":
                    packets = n
                elif n != packets:
                    print("warning: %s read %d packets, the floor %d" % (r.label, n, packets))
                pps = n / s
            elif r.kind == "floor2":
                argv = expand(floor.command, pcap, out, rec)
                s, rss, cpu = run([argv, argv], [std, std + "2"])
                pps, n = 2 * packets / s, 2 * packets
            elif r.kind in ("pair1", "pair2"):
                k = 1 if r.kind == "pair1" else 2
                argv = expand(r.command, pcap, out, rec, [pcap] * k)
                s, rss, cpu = run([argv], [std])
                pps, n = k * packets / s, k * packets
            else:  # joy, peer
                argv = expand(r.command, pcap, out, rec)
                s, rss, cpu = run([argv], [std])
                pps, n = packets / s, packets
            if r.kind == "floor":
                fpps = pps
            r.pps.append(pps)
            r.ratio.append(pps / fpps)
            r.rss = max(r.rss, rss)
            r.cpu.append(cpu / n * 1e6)
            if r.kind == "floor2":
                r.speedup.append(pps / fpps)
            elif r.kind == "pair1":
                one = pps
            elif r.kind == "pair2" and one:
                r.speedup.append(pps / one)
            if r.kind in ("self", "pair1", "pair2"):
                r.records = records(rec)
            elif r.kind == "joy":
                r.records = records(std)
        print("run %d: floor %.2f Mpps; %s" % (i, fpps / 1e6, ", ".join(
            "%s %.3f" % (r.name, r.ratio[-1]) for r in rows[1:])), flush=True)

    w = max(len(r.label) for r in rows)
    print("\nmedian of %d runs (%d packets; ratio = packets/s over the floor's in the same run)" % (runs, packets))
    print("%-*s %8s %8s %9s %9s %9s %9s" % (w, "", "Mpps", "ratio", "speed-up", "CPU µs/p", "peak RSS", "records"))
    for r in rows:
        sp = "%.2f×" % statistics.median(r.speedup) if r.speedup else "-"
        rec = str(r.records) if r.records is not None else "-"
        print("%-*s %8.2f %8.3f %9s %9.3f %6d MB %9s" % (w, r.label, statistics.median(r.pps) / 1e6,
                                                         statistics.median(r.ratio), sp, statistics.median(r.cpu),
                                                         r.rss // 1024, rec))
    # The same as a Markdown table, for the README.
    print("\n| row | ratio to the floor | speed-up | CPU µs per packet | peak RSS |\n|---|---|---|---|---|")
    for r in rows[1:]:
        sp = "%.2f×" % statistics.median(r.speedup) if r.speedup else ""
        print("| %s | %.3f | %s | %.3f | %d MB |" % (r.label, statistics.median(r.ratio), sp, statistics.median(r.cpu),
                                                   r.rss // 1024))


if __name__ == "__main__":
    main()
