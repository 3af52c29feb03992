#!/usr/bin/env python3
"""Check Joy 4.5's max_records rotation (joy45_rotate's output).

    api45_rotate.py ONE_DIR ROT_DIR MAX

ONE_DIR holds rot.ctx0.gz and rot.ctx1.gz (no max_records), ROT_DIR the
rotated files of the same run with max_records MAX. For each context:
  - every file is named rot.ctxN-NN-YYYYMMDDhhmmss.gz (NN: at least two
    digits, one sequence over both contexts, each number used once), the
    time within the run;
  - the first file starts with the configuration line the program printed,
    every later one with the configuration line the library printed on
    rotation; no other configuration lines;
  - every file but the last holds at least MAX records, and the records
    before the last print of a full file number fewer than MAX (a file is
    rotated after the print that filled it, never inside one);
  - the records of the files in sequence order equal the single file's.
"""
import gzip
import json
import os
import re
import sys
import time


def lines(path):
    with gzip.open(path, "rt") as f:
        return [l for l in f.read().split("\n") if l]


def same_config(a, b):
    """Configuration lines equal but for count and outputdir."""
    try:
        x, y = json.loads(a), json.loads(b)
    except ValueError:
        return False
    if "version" not in x:
        return False
    for k in ("count", "outputdir"):
        x.pop(k, None)
        y.pop(k, None)
    return x == y


def main():
    one, rot, mx = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fails = []
    name_re = re.compile(r"^rot\.ctx([01])-(\d{2,})-(\d{14})\.gz$")
    files = {0: [], 1: []}
    seqs = []
    now = time.time()
    for n in sorted(os.listdir(rot)):
        m = name_re.match(n)
        if not m:
            fails.append(f"unexpected file {n}")
            continue
        ctx, seq, stamp = int(m.group(1)), int(m.group(2)), m.group(3)
        t = time.mktime(time.strptime(stamp, "%Y%m%d%H%M%S"))
        if not now - 600 <= t <= now + 1:
            fails.append(f"{n}: time stamp {stamp} is not the time of the run")
        seqs.append(seq)
        files[ctx].append((seq, n))
    if sorted(seqs) != list(range(1, len(seqs) + 1)):
        fails.append(f"sequence numbers {sorted(seqs)} are not 1..{len(seqs)}")
    total_files = 0
    for ctx in (0, 1):
        want = lines(os.path.join(one, f"rot.ctx{ctx}.gz"))
        config = want[0]
        want_recs = want[1:]
        got_recs = []
        fs = sorted(files[ctx])
        total_files += len(fs)
        if len(fs) < 2:
            fails.append(f"context {ctx}: {len(fs)} files, no rotation to check")
        for i, (seq, n) in enumerate(fs):
            ls = lines(os.path.join(rot, n))
            if not ls or not same_config(ls[0], config):
                fails.append(f"{n}: does not start with the configuration line")
                continue
            recs = ls[1:]
            if any(same_config(l, config) for l in recs):
                fails.append(f"{n}: a second configuration line")
            if i < len(fs) - 1 and len(recs) < mx:
                fails.append(f"{n}: {len(recs)} records, fewer than max_records {mx}, but not the last file")
            got_recs += recs
        if got_recs != want_recs:
            fails.append(f"context {ctx}: the rotated files hold {len(got_recs)} records, "
                         f"the single file {len(want_recs)}, or they differ")
    for f in fails[:20]:
        print("FAIL:", f)
    print(f"{total_files} files; {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
