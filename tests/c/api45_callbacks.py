#!/usr/bin/env python3
"""Hold the bytes of Joy 4.5's external-processing callbacks (the JSON lines
of joy45_callbacks) against the flow records the same run printed.

    api45_callbacks.py CALLBACKS.jsonl CTX0.gz CTX1.gz

Both contexts saw the same packets and every callback ran with thresholds
of 0, so each callback kind visits every record once, in the order the
records are printed (the chronological order). For each record:
  idp   idp_len and the bytes equal "idp_len_out" / "idp_out" (records
        without an initial data packet are visited only when expired);
  splt  NetFlow v9 (context 0): 40 bytes, the first min(10, n) lengths and
        inter-packet times equal "packets"[i].b / .ipt, lengths padded with
        0x8000 and times with 0; IPFIX (context 1): 4 bytes per packet, the
        same values unpadded;
  bd    512 bytes: 256 16-bit counts summing to bytes_out and, shifted as
        the record shifts them, equal to "byte_dist";
  tls   the version equals the record's "tls" c_version or s_version
        when it prints one; visited only when the handshake is over or the
        flow expired;
  salt  every TCP record visited; NetFlow v9: 40 bytes; IPFIX: 4 bytes
        per message, at most 10; the lengths sum to at most bytes_out, and
        each is the length of one packet of "packets" or of a run of
        consecutive ones, in order (the record does not print SALT
        messages).
"""
import gzip
import json
import sys


def records(path):
    with gzip.open(path, "rt") as f:
        lines = [json.loads(l) for l in f if l.strip()]
    return [r for r in lines if "end-config" not in r]


def key(x):
    # ICMP and other protocols print null ports; the record holds 0.
    return (x["sa"], x["da"], x["sp"] or 0, x["dp"] or 0, x["pr"])


def main():
    cbs = [json.loads(l) for l in open(sys.argv[1])]
    recs = {0: records(sys.argv[2]), 1: records(sys.argv[3])}
    fails = []
    counts = {}
    unmatched = {0: 0, 1: 0}

    def fail(msg):
        fails.append(msg)

    def by(kind, ctx):
        return [c for c in cbs if c["cb"] == kind and c["ctx"] == ctx]

    if [key(r) for r in recs[0]] != [key(r) for r in recs[1]]:
        fail("the two contexts printed different flows")
    # Callbacks visiting every record: one per record, in record order.
    for kind, ctx in (("splt", 0), ("splt", 1), ("bd", 0)):
        got = by(kind, ctx)
        counts[f"{kind}{ctx}"] = len(got)
        if [key(c) for c in got] != [key(r) for r in recs[ctx]]:
            fail(f"{kind} (context {ctx}) did not visit every record once in order: {len(got)} vs {len(recs[ctx])}")
            continue
        for i, (c, r) in enumerate(zip(got, recs[ctx])):
            where = f"{kind} ctx {ctx} record {i} {key(r)}"
            u = c.get("u16", [])
            if kind == "splt":
                pk = r.get("packets", [])
                n = min(10, len(pk))
                if not pk:
                    if c["len"] != 0:
                        fail(f"{where}: no packets but {c['len']} bytes")
                    continue
                lens = [p["b"] & 0xFFFF for p in pk[:n]]
                times = [p["ipt"] & 0xFFFF for p in pk[:n]]
                if ctx == 0:
                    want = lens + [0x8000] * (10 - n) + times + [0] * (10 - n)
                    wlen = 40
                else:
                    want, wlen = lens + times, 4 * n
                # The first time counts from the flow's first packet (a
                # SYN, say), which the record does not show: not compared.
                slots = 10 if ctx == 0 else n
                if len(u) == len(want):
                    want[slots] = u[slots]
                if c["len"] != wlen or u != want:
                    fail(f"{where}: got {c['len']} {u}, want {wlen} {want}")
            elif kind == "bd":
                # The record prints the counts shifted right until the
                # largest fits in 8 bits; the callback gives them whole
                # (16 bits each): compared after the same shift, unless a
                # count passed 16 bits (then its sum misses bytes_out).
                if c["len"] != 512 or len(u) != 256:
                    fail(f"{where}: {c['len']} bytes of byte counts")
                    continue
                if sum(u) != r.get("bytes_out", 0):
                    if r.get("bytes_out", 0) < 65536:
                        fail(f"{where}: byte counts sum to {sum(u)}, bytes_out {r.get('bytes_out')}")
                    continue
                shift = max(max(u) >> 8, 0).bit_length()
                if [v >> shift for v in u] != r.get("byte_dist", [0] * 256):
                    fail(f"{where}: byte counts differ from byte_dist")
    # IDP and TLS: the records they visit, each once, in order.
    for kind, ctx in (("idp", 0), ("tls", 0), ("salt", 0), ("salt", 1)):
        got = by(kind, ctx)
        counts[f"{kind}{ctx}"] = len(got)
        if kind == "salt":
            seen = {key(c) for c in got}
            for r in recs[ctx]:
                if r["pr"] == 6 and key(r) not in seen:
                    fail(f"salt ctx {ctx}: TCP record {key(r)} not visited")
        j = 0
        for c in got:
            while j < len(recs[ctx]) and key(recs[ctx][j]) != key(c):
                j += 1
            if j == len(recs[ctx]):
                fail(f"{kind}: callback for {key(c)} out of order or unknown")
                break
            r = recs[ctx][j]
            j += 1
            where = f"{kind} record {key(r)}"
            if kind == "salt":
                u = c.get("u16", [])
                if ctx == 0 and c["len"] not in (0, 40) or ctx == 1 and (c["len"] > 40 or c["len"] % 4):
                    fail(f"{where}: SALT of {c['len']} bytes (context {ctx})")
                m = 10 if ctx == 0 else c["len"] // 4
                if sum(u[:m]) > r.get("bytes_out", 0):
                    fail(f"{where}: SALT lengths {u[:m]} exceed bytes_out {r.get('bytes_out')}")
                # Each SALT length is one payload or the sum of consecutive
                # payloads of "packets", in order (NetFlow v9 pads with 0);
                # the first always, the later ones unless segments came
                # out of order (at most a tenth of the records). Not
                # checkable past the record's packet list.
                lens = [x for x in u[:m] if x] if ctx == 0 else u[:m]
                pk = [p["b"] for p in r.get("packets", [])]
                i = 0
                for k, want in enumerate(lens):
                    got = 0
                    while i < len(pk) and got < want:
                        got += pk[i]
                        i += 1
                    if got != want:
                        if i < len(pk) or got > want:
                            if k == 0:
                                fail(f"{where}: first SALT length {want} is no run of packet lengths ({pk[:12]})")
                            unmatched[ctx] += 1
                        break
                continue
            if c["len"] != 0 or not c["null"]:
                fail(f"{where}: data must be NULL and 0 bytes")
            if kind == "idp":
                if c["idp"] != r.get("idp_out", "") or c["idp_len"] != r.get("idp_len_out", 0):
                    fail(f"{where}: IDP {c['idp_len']} bytes differ from idp_out")
            else:
                t = r.get("tls", {})
                v = t.get("c_version", t.get("s_version"))
                if v is not None and c["tls"] != v:
                    fail(f"{where}: version {c['tls']}, record {v}")
        with_idp = sum(1 for r in recs[0] if "idp_out" in r)
        if kind == "idp" and sum(1 for c in got if c["idp_len"] > 0) != with_idp:
            fail(f"idp: {with_idp} records have idp_out, callbacks with data differ")
    for ctx in (0, 1):
        n = counts.get(f"salt{ctx}", 0)
        if unmatched[ctx] * 10 > n:
            fail(f"salt ctx {ctx}: {unmatched[ctx]} of {n} records with SALT lengths that are no runs of packet lengths")
    for f in fails[:20]:
        print("FAIL:", f)
    print(f"{len(recs[0])} records; callbacks: {counts}; {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
