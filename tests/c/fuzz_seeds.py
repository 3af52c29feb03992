#!/usr/bin/env python3
"""Seeds for tests/c/joy_fuzz.c from classic pcap files.

    fuzz_seeds.py OUTDIR FILE.pcap ...

Each seed is the harness's input format (see joy_fuzz.c): a link-type
selector, a print cadence, then [2-byte length][1-byte ms step][frame]
records, 16 packets per seed, at most 64 seeds per file. Files that are
not classic pcap, or of another link type than the harness offers, are
skipped. Nothing is copied into the repository: seeds are made at run
time from the shared captures.
"""
import os
import struct
import sys

# Link types in the order of joy_fuzz.c's table.
LINKS = [1, 0, 101, 113, 276, 228, 229, 12, 14, 108]


def packets(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return None, []
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            order = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            order = ">"
        else:
            return None, []
        link = struct.unpack(order + "I", head[20:24])[0] & 0x0FFFFFFF
        out = []
        prev = None
        while len(out) < 16 * 64:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, caplen, _ = struct.unpack(order + "IIII", rec)
            data = f.read(caplen)
            if len(data) < caplen or caplen > 65535:
                break
            t = sec * 1000 + frac // 1000
            step = 0 if prev is None else max(0, min(255, t - prev))
            prev = t
            out.append((step, data))
        return link, out


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    os.makedirs(outdir, exist_ok=True)
    made = 0
    for path in files:
        link, pkts = packets(path)
        if link not in LINKS or not pkts:
            continue
        base = os.path.basename(path)
        for i in range(0, len(pkts), 16):
            b = bytearray([LINKS.index(link), 5])
            for step, data in pkts[i:i + 16]:
                b += struct.pack(">HB", len(data), step) + data
            with open(os.path.join(outdir, "%s-%03d" % (base, i // 16)), "wb") as f:
                f.write(b)
            made += 1
    print("%d seeds in %s" % (made, outdir))


if __name__ == "__main__":
    main()
