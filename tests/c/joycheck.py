#!/usr/bin/env python3
"""Small checks on Joy JSON-lines outputs that joydiff does not do.

  joycheck.py order REF OUT
      the flows of OUT come in the same order as in REF (flows are named by
      sa, da, pr, sp, dp, time_start; the config line is skipped)
  joycheck.py multiset OUT PART...
      OUT's flow lines are exactly the PARTs' flow lines, in any order
  joycheck.py json FILE...
      every line is a JSON object (catches two writers mixing one line)
  joycheck.py within IN SPAN OUT
      write IN's config line and those flows that start inside the time
      span of SPAN's flows (first time_start .. last time_end)
  joycheck.py drop6 IN OUT
      write IN without the flows whose "sa" is an IPv6 address
  joycheck.py strip IN OUT KEY...
      write IN with the top-level members KEY... removed from every flow
      line, as text (the rest of each line is kept byte for byte)
  joycheck.py clock A B
      exit 0 if every flow of B starts at or after the last packet of A
      (time_end) -- then a clock shared by two contexts fed A then B never
      runs ahead of B, so the original's QUIRK-4 cannot show

Lines are handled as text where possible: outputs may hold invalid JSON
(documented quirks), and re-serializing would change number formatting.
"""
import json
import re
import sys
from collections import Counter

NAME_RE = {k: re.compile(r'"%s":("[^"]*"|[^,}]*)' % k)
           for k in ("sa", "da", "pr", "sp", "dp", "time_start", "time_end")}


def field(line, key):
    m = NAME_RE[key].search(line)
    return m.group(1).strip('"') if m else None


def name(line):
    return tuple(field(line, k) for k in ("sa", "da", "pr", "sp", "dp", "time_start"))


def is_config(line):
    return '"end-config"' in line


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def flows(path):
    return [l for l in read(path) if not is_config(l)]


def cmd_order(ref, out):
    a = [name(l) for l in flows(ref)]
    b = [name(l) for l in flows(out)]
    if a == b:
        return 0
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print("order differs at flow %d: ref %s, out %s" % (i + 1, x, y))
            break
    else:
        print("ref has %d flows, out %d" % (len(a), len(b)))
    return 1


def cmd_multiset(out, *parts):
    want = Counter()
    for p in parts:
        want.update(flows(p))
    got = Counter(flows(out))
    if got == want:
        print("%d flow lines, as expected" % sum(got.values()))
        return 0
    for l, n in (got - want).items():
        print("unexpected (x%d): %s" % (n, l[:300]))
    for l, n in (want - got).items():
        print("missing (x%d): %s" % (n, l[:300]))
    return 1


def cmd_json(*paths):
    bad = 0
    for p in paths:
        for i, l in enumerate(read(p), 1):
            try:
                if not isinstance(json.loads(l), dict):
                    raise ValueError("not an object")
            except ValueError as e:
                bad += 1
                if bad <= 5:
                    print("%s:%d: %s: %s" % (p, i, e, l[:200]))
    return 1 if bad else 0


def span(path):
    fl = flows(path)
    return (min(float(field(l, "time_start")) for l in fl),
            max(float(field(l, "time_end")) for l in fl))


def cmd_within(inp, spanfile, out):
    lo, hi = span(spanfile)
    with open(out, "w") as f:
        for l in read(inp):
            if is_config(l) or lo <= float(field(l, "time_start")) <= hi:
                f.write(l + "\n")
    return 0


def cmd_drop6(inp, out):
    with open(out, "w") as f:
        for l in read(inp):
            sa = field(l, "sa")
            if sa is None or ":" not in sa:
                f.write(l + "\n")
    return 0


def value_end(line, i):
    """Index just past the JSON value that starts at line[i]."""
    depth, in_str, esc = 0, False, False
    j = i
    while j < len(line):
        c = line[j]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
                if depth == 0:
                    return j + 1
        elif c == '"':
            in_str = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            if depth == 0:
                return j
            depth -= 1
            if depth == 0:
                return j + 1
        elif c == "," and depth == 0:
            return j
        j += 1
    return j


def strip_members(line, keys):
    """Remove the top-level members keys from one JSON object line."""
    out, i, depth, in_str, esc = [], 0, 0, False, False
    j = 0
    while j < len(line):
        c = line[j]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            if depth == 1 and line[j - 1] in "{,":
                k = line.index('"', j + 1)
                if line[j + 1:k] in keys and line[k + 1] == ":":
                    end = value_end(line, k + 2)
                    start = j - 1 if line[j - 1] == "," else j
                    if line[j - 1] == "{" and line[end] == ",":
                        end += 1
                    out.append(line[i:start])
                    i = j = end
                    continue
            in_str = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        j += 1
    out.append(line[i:])
    return "".join(out)


def cmd_strip(inp, out, *keys):
    keys = set(keys)
    with open(out, "w") as f:
        for l in read(inp):
            f.write((l if is_config(l) else strip_members(l, keys)) + "\n")
    return 0


def cmd_clock(a, b):
    last_a = span(a)[1]
    first_b = span(b)[0]
    later = first_b >= last_a
    print("A ends %.6f, B starts %.6f: %s" % (last_a, first_b,
          "B is later (a shared clock would not matter)" if later else "B is earlier (QUIRK-4 shows)"))
    return 0 if later else 1


def main(argv):
    cmds = {"order": (cmd_order, 2), "multiset": (cmd_multiset, -2), "json": (cmd_json, -1),
            "within": (cmd_within, 3), "drop6": (cmd_drop6, 2), "clock": (cmd_clock, 2),
            "strip": (cmd_strip, -3)}
    if not argv or argv[0] not in cmds:
        print(__doc__)
        return 2
    fn, n = cmds[argv[0]]
    args = argv[1:]
    if (n >= 0 and len(args) != n) or (n < 0 and len(args) < -n):
        print(__doc__)
        return 2
    return fn(*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
