package flow

import (
	"net/netip"
	"strconv"

	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/procinfo"
	"github.com/gojoy/libjoy/joy/tcpopt"
)

// AppendJSON appends the JSON object of the flow whose chronological record
// is r (with its twin, if any), newline included, in the original's key
// order and number formats, printing the features of the table's options.
func (t *Table) AppendJSON(b []byte, r *Record) []byte {
	return appendRecord(b, r, &t.opts)
}

// AppendJSON appends the JSON object of the flow of r with no optional
// features.
func AppendJSON(b []byte, r *Record) []byte {
	return appendRecord(b, r, &Options{})
}

func appendRecord(b []byte, r *Record, o *Options) []byte {
	rec, tw := outSide(r)

	src, dst := keyAddr(rec.Key.Src, rec.Key.V6), keyAddr(rec.Key.Dst, rec.Key.V6)
	b = append(b, `{"sa":`...)
	b = o.Anon.AppendAddr(b, src)
	b = append(b, `,"da":`...)
	b = o.Anon.AppendAddr(b, dst)
	b = append(b, `,"pr":`...)
	b = jsonw.Uint(b, uint64(rec.Key.Proto))
	if rec.Key.Proto == 6 || rec.Key.Proto == 17 {
		b = append(b, `,"sp":`...)
		b = jsonw.Uint(b, uint64(rec.Key.Sp))
		b = append(b, `,"dp":`...)
		b = jsonw.Uint(b, uint64(rec.Key.Dp))
	} else {
		b = append(b, `,"sp":null,"dp":null`...)
	}
	b = append(b, ',')
	if o.Labels != nil {
		// Labels are looked up on the real addresses, anonymized or not.
		var scratch [2]uint64
		b = o.Labels.AppendJSON(b, "sa_labels", o.Labels.Lookup(src, scratch[:0]))
		b = o.Labels.AppendJSON(b, "da_labels", o.Labels.Lookup(dst, scratch[:0]))
	}
	b = append(b, `"bytes_out":`...)
	b = jsonw.Uint(b, rec.ob)
	b = append(b, `,"num_pkts_out":`...)
	b = jsonw.Uint(b, uint64(rec.np))
	end := rec.end
	if tw != nil {
		b = append(b, `,"bytes_in":`...)
		b = jsonw.Uint(b, tw.ob)
		b = append(b, `,"num_pkts_in":`...)
		b = jsonw.Uint(b, uint64(tw.np))
		end = max(end, tw.end)
	}
	b = append(b, `,"time_start":`...)
	b = jsonw.Time(b, rec.start)
	b = append(b, `,"time_end":`...)
	b = jsonw.Time(b, end)
	b = appendSPLT(b, rec, tw, o.SALT)
	if o.countBytes() {
		b = appendByteStats(b, rec, tw, o)
	}
	if o.Classifier != nil {
		b = appendScore(b, rec, tw, o)
	}
	b = appendIP(b, rec, tw)
	b = appendTCP(b, rec, tw)
	b = appendModules(b, rec, tw)
	if o.Processes != nil && rec.Key.Proto == 6 {
		b = appendExe(b, o.Processes.Lookup(netip.AddrPortFrom(src, rec.Key.Sp), netip.AddrPortFrom(dst, rec.Key.Dp)))
	}
	if rec.hd != nil && rec.hd.n >= 2 {
		b = appendHeaderDesc(b, rec.hd)
	}
	b = appendProbableOS(b, rec, tw)
	if o.IDP > 0 {
		b = appendIDP(b, rec, tw)
	}
	b = appendDebug(b, rec, tw)
	if e := printedExpType(r, rec); e != 0 {
		b = append(b, `,"expire_type":"`...)
		b = append(b, e, '"')
	}
	return append(b, '}', '\n')
}

// printedExpType is the expire_type of the flow whose chronological record
// is r and whose "out" side is rec. The expiry test marks the chronological
// record only, and the original prints the mark of the out side: when the
// twin is printed as out (it started first, or won a tie, QUIRK-21) an
// expired flow has no expire_type. Eviction from a full table ('m', ours
// alone) is always printed.
func printedExpType(r, rec *Record) byte {
	if r.expType == 'm' || rec == r {
		return r.expType
	}
	return 0
}

// outSide picks the record printed as "out" (§5.2 of the behaviour spec):
// the side that started first; on a tie the client if the payload or the
// SYN flags tell it, otherwise the twin of the chronological record.
func outSide(r *Record) (rec, tw *Record) {
	t := r.twin
	if t == nil {
		return r, nil
	}
	if r.start == t.start {
		if c := client(r, t); c != nil {
			return c, c.twin
		}
		return t, r
	}
	if r.start < t.start {
		return r, t
	}
	return t, r
}

func client(a, b *Record) *Record {
	switch {
	case a.dir == dirClient:
		return a
	case b.dir == dirClient:
		return b
	case a.dir == dirServer:
		return b
	case b.dir == dirServer:
		return a
	}
	switch {
	case a.flags == 0x02 && b.flags != 0x02:
		return a
	case b.flags == 0x02 && a.flags != 0x02:
		return b
	case a.flags == 0x12 && b.flags != 0x12:
		return b
	case b.flags == 0x12 && a.flags != 0x12:
		return a
	}
	return nil
}

func appendByteStats(b []byte, rec, tw *Record, o *Options) []byte {
	var in *bytestats.Counts
	numBytes := rec.ob
	if tw != nil {
		in = tw.bytes
		numBytes += tw.ob
	}
	return bytestats.AppendJSON(b, rec.bytes, in, tw != nil, numBytes, bytestats.Options{
		Dist: o.ByteDist, Compact: o.Compact != nil, Entropy: o.Entropy,
	})
}

// appendExe prints the local process owning a TCP flow.
func appendExe(b []byte, p *procinfo.Process) []byte {
	if p == nil {
		return b
	}
	b = append(b, `,"exe":{`...)
	comma := false
	str := func(k, v string) {
		if v == "" {
			return
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = jsonw.Key(b, k)
		b = jsonw.String(b, v)
	}
	str("name", p.Name)
	str("path", p.Path)
	str("hash", p.Hash)
	if p.Uptime > 0 {
		if comma {
			b = append(b, ',')
		}
		b = append(b, `"uptime":`...)
		b = jsonw.Uint(b, p.Uptime)
	}
	return append(b, '}')
}

// appendScore prints the classifier's probability that the flow is
// malicious.
func appendScore(b []byte, rec, tw *Record, o *Options) []byte {
	var lensOut, lensIn [MaxSPLT]uint16
	side := func(r *Record, lens *[MaxSPLT]uint16) classify.Side {
		for i := 0; i < r.op; i++ {
			lens[i] = uint16(r.pktLen[i])
		}
		s := classify.Side{Lens: lens[:r.op], Times: r.pktTime[:r.op], Start: r.start, NP: r.np, OB: r.ob}
		if r.bytes != nil {
			s.Counts = &r.bytes.Count
		}
		return s
	}
	out := side(rec, &lensOut)
	var in *classify.Side
	if tw != nil {
		s := side(tw, &lensIn)
		in = &s
	}
	p := o.Classifier.Score(out, in, rec.Key.Sp, rec.Key.Dp, o.ByteDist)
	b = append(b, `,"p_malware":`...)
	return strconv.AppendFloat(b, float64(p), 'f', 6, 64)
}

func appendHeaderDesc(b []byte, h *headerDesc) []byte {
	w := h.width
	b = append(b, `,"hd":{"n":`...)
	b = jsonw.Uint(b, uint64(h.n))
	b = append(b, `,"cm":"`...)
	b = jsonw.Hex(b, h.mask[:w])
	b = append(b, `","cv":"`...)
	b = jsonw.Hex(b, h.value[:w])
	b = append(b, `","sm":"`...)
	b = jsonw.Hex(b, h.seq[:w])
	b = append(b, `","i":"`...)
	b = jsonw.Hex(b, h.first[:w])
	return append(b, `"}`...)
}

// appendIDP prints the initial data packets of both sides, as the later
// original does.
func appendIDP(b []byte, rec, tw *Record) []byte {
	if rec.idpLen > 0 {
		b = append(b, `,"idp_out":"`...)
		b = jsonw.Hex(b, rec.idp[:rec.idpLen])
		b = append(b, `","idp_len_out":`...)
		b = jsonw.Uint(b, uint64(rec.idpLen))
	}
	if tw != nil && tw.idpLen > 0 {
		b = append(b, `,"idp_in":"`...)
		b = jsonw.Hex(b, tw.idp[:tw.idpLen])
		b = append(b, `","idp_len_in":`...)
		b = jsonw.Uint(b, uint64(tw.idpLen))
	}
	return b
}

// appendModules prints each module whose state exists on the out side,
// with the other side's state of the same module (a twin's state alone is
// never printed, as in the original).
func appendModules(b []byte, rec, tw *Record) []byte {
	for i, m := range rec.mods {
		if m == nil {
			continue
		}
		var other feature.Module
		if tw != nil && tw.mods[i] != nil {
			other = tw.mods[i]
		}
		b = m.AppendJSON(b, other)
	}
	return b
}

func keyAddr(a [16]byte, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16(a)
	}
	return netip.AddrFrom4([4]byte(a[:4]))
}

// ipt is the gap in whole milliseconds, floored, wrapped to 32 bits as the
// original's unsigned arithmetic does for negative gaps.
func ipt(from, to int64) uint64 {
	d := to - from
	ms := d / 1000
	if d%1000 < 0 {
		ms--
	}
	return uint64(uint32(ms))
}

func appendPacket(b []byte, n uint32, dir byte, gap uint64, salt bool) []byte {
	if n >= 32768 && n < 65536 && !salt { // the original's run-length marker, see QUIRK-23
		b = append(b, `{"rep":`...)
		b = jsonw.Uint(b, uint64(65536-n))
	} else {
		b = append(b, `{"b":`...)
		b = jsonw.Uint(b, uint64(n))
	}
	b = append(b, `,"dir":"`...)
	b = append(b, dir)
	b = append(b, `","ipt":`...)
	b = jsonw.Uint(b, gap)
	return append(b, '}')
}

func appendSPLT(b []byte, rec, tw *Record, salt bool) []byte {
	b = append(b, `,"packets":[`...)
	if tw == nil {
		for i := 0; i < rec.op; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			var gap uint64
			if i > 0 {
				gap = ipt(rec.pktTime[i-1], rec.pktTime[i])
			}
			b = appendPacket(b, rec.pktLen[i], '<', gap, salt)
		}
		return append(b, ']')
	}
	prev := rec.start
	i, j, first := 0, 0, true
	for i < rec.op || j < tw.op {
		if !first {
			b = append(b, ',')
		}
		first = false
		if j >= tw.op || (i < rec.op && rec.pktTime[i] < tw.pktTime[j]) {
			b = appendPacket(b, rec.pktLen[i], '>', ipt(prev, rec.pktTime[i]), salt)
			prev = rec.pktTime[i]
			i++
		} else {
			b = appendPacket(b, tw.pktLen[j], '<', ipt(prev, tw.pktTime[j]), salt)
			prev = tw.pktTime[j]
			j++
		}
	}
	return append(b, ']')
}

func appendIPSide(b []byte, r *Record) []byte {
	b = append(b, `{"ttl":`...)
	b = jsonw.Uint(b, uint64(r.ttl))
	if r.numID > 0 {
		b = append(b, `,"id":[`...)
		for i := 0; i < r.numID; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.Uint(b, uint64(r.ids[i]))
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendIP(b []byte, rec, tw *Record) []byte {
	b = append(b, `,"ip":{"out":`...)
	b = appendIPSide(b, rec)
	if tw != nil {
		b = append(b, `,"in":`...)
		b = appendIPSide(b, tw)
	}
	return append(b, '}')
}

func hasTCPSide(r *Record) bool {
	return r != nil && (r.flags != 0 || r.firstWindow != 0 || r.optLen != 0)
}

func appendTCP(b []byte, rec, tw *Record) []byte {
	if rec.Key.Proto != 6 {
		return b
	}
	twSeq := tw != nil && tw.firstSeq != 0
	if rec.firstSeq == 0 && !twSeq && !hasTCPSide(rec) && !hasTCPSide(tw) {
		return b
	}
	b = append(b, `,"tcp":{`...)
	comma := false
	if rec.firstSeq != 0 || twSeq {
		seq := rec.firstSeq
		if seq == 0 {
			seq = tw.firstSeq
		}
		b = append(b, `"first_seq":`...)
		b = jsonw.Uint(b, uint64(seq))
		comma = true
	}
	for _, side := range [2]struct {
		name string
		r    *Record
	}{{"out", rec}, {"in", tw}} {
		if !hasTCPSide(side.r) {
			continue
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = jsonw.Key(b, side.name)
		b = appendTCPSide(b, side.r)
	}
	return append(b, '}')
}

const flagLetters = "FSRPAUEC"

func appendTCPSide(b []byte, r *Record) []byte {
	b = append(b, '{')
	comma := false
	sep := func() {
		if comma {
			b = append(b, ',')
		}
		comma = true
	}
	if r.flags != 0 {
		sep()
		b = append(b, `"flags":"`...)
		for i := 0; i < 8; i++ {
			if r.flags&(1<<i) != 0 {
				b = append(b, flagLetters[i])
			}
		}
		b = append(b, '"')
	}
	if r.firstWindow != 0 {
		sep()
		b = append(b, `"first_window_size":`...)
		b = jsonw.Uint(b, uint64(r.firstWindow))
	}
	if r.optLen != 0 {
		sep()
		b = append(b, `"opt_len":`...)
		b = jsonw.Uint(b, uint64(r.optLen))
		b = append(b, `,"opts":`...)
		b = tcpopt.AppendJSON(b, r.opts[:r.optLen])
	}
	return append(b, '}')
}

// probableOS guesses the sender's OS from its TTL and first window size.
func probableOS(r *Record) string {
	ttl, w := r.ttl, r.firstWindow
	switch {
	case ttl > 32 && ttl <= 64:
		switch w {
		case 5840:
			return "Linux 2.4 and 2.6"
		case 5720:
			return "Google Customized Linux"
		case 16384:
			return "OpenBSD, AIX 4.3"
		case 32120:
			return "Linux Kernel 2.2"
		case 65535:
			return "FreeBSD / OS X"
		}
	case ttl > 64 && ttl <= 128:
		switch w {
		case 8192:
			return "Windows 7, Vista, and Server 8"
		case 16384:
			return "Windows 2000"
		case 65535:
			return "Windows XP"
		}
	case ttl > 128:
		switch w {
		case 4128:
			return "Cisco Router IOS 12.4"
		case 8760:
			return "Solaris 7"
		}
	}
	return ""
}

func appendProbableOS(b []byte, rec, tw *Record) []byte {
	out := probableOS(rec)
	in := ""
	if tw != nil {
		in = probableOS(tw)
	}
	if out == "" && in == "" {
		return b
	}
	b = append(b, `,"probable_os":{`...)
	if out != "" {
		b = append(b, `"out":`...)
		b = jsonw.String(b, out)
	}
	if in != "" {
		if out != "" {
			b = append(b, ',')
		}
		b = append(b, `"in":`...)
		b = jsonw.String(b, in)
	}
	return append(b, '}')
}

func appendDebug(b []byte, rec, tw *Record) []byte {
	retrans, invalid := uint64(rec.retrans), uint64(rec.invalid)
	if tw != nil {
		retrans += uint64(tw.retrans)
		invalid += uint64(tw.invalid)
	}
	if retrans == 0 && invalid == 0 {
		return b
	}
	b = append(b, `,"debug":{`...)
	if retrans != 0 {
		b = append(b, `"tcp_retrans":`...)
		b = jsonw.Uint(b, retrans)
	}
	if invalid != 0 {
		if retrans != 0 {
			b = append(b, ',')
		}
		b = append(b, `"invalid":`...)
		b = jsonw.Uint(b, invalid)
	}
	return append(b, '}')
}
