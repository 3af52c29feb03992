package flow

import (
	"net/netip"

	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/procinfo"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/joy/tcpopt"
)

// AppendJSON appends the JSON object of the flow whose chronological record
// is r (with its twin, if any), newline included, in the original's key
// order and number formats, printing the features of the table's options.
func (t *Table) AppendJSON(b []byte, r *Record) []byte {
	t.enc.Reset(b)
	t.walk(&t.enc, r, &t.opts)
	return append(t.enc.JSON.B, '\n')
}

// Emit walks the record of the flow whose chronological record is r
// through e, with the features of the table's options: the walk that
// AppendJSON prints as JSON, and that fills typed rows.
func (t *Table) Emit(e record.Encoder, r *Record) {
	t.enc.Use(e)
	t.walk(&t.enc, r, &t.opts)
	t.enc.Use(nil)
}

// AppendJSON appends the JSON object of the flow of r with no optional
// features.
func AppendJSON(b []byte, r *Record) []byte {
	var t Table
	return t.AppendJSON(b, r)
}

func (t *Table) walk(e *record.Enc, r *Record, o *Options) {
	rec, tw := outSide(r)

	src, dst := keyAddr(rec.Key.Src, rec.Key.V6), keyAddr(rec.Key.Dst, rec.Key.V6)
	e.Object("")
	t.scratch = o.Anon.AppendText(t.scratch[:0], src)
	e.Text("sa", t.scratch)
	t.scratch = o.Anon.AppendText(t.scratch[:0], dst)
	e.Text("da", t.scratch)
	e.Uint("pr", uint64(rec.Key.Proto))
	if rec.Key.Proto == 6 || rec.Key.Proto == 17 {
		e.Uint("sp", uint64(rec.Key.Sp))
		e.Uint("dp", uint64(rec.Key.Dp))
	} else {
		e.Null("sp")
		e.Null("dp")
	}
	if o.Labels != nil {
		// Labels are looked up on the real addresses, anonymized or not.
		var scratch [2]uint64
		t.emitLabels(e, o, "sa_labels", o.Labels.Lookup(src, scratch[:0]))
		t.emitLabels(e, o, "da_labels", o.Labels.Lookup(dst, scratch[:0]))
	}
	e.Uint("bytes_out", rec.ob)
	e.Uint("num_pkts_out", uint64(rec.np))
	end := rec.end
	if tw != nil {
		e.Uint("bytes_in", tw.ob)
		e.Uint("num_pkts_in", uint64(tw.np))
		end = max(end, tw.end)
	}
	e.Time("time_start", rec.start)
	e.Time("time_end", end)
	emitSPLT(e, rec, tw, o.SALT)
	if o.countBytes() {
		emitByteStats(e, rec, tw, o)
	}
	if o.Classifier != nil {
		emitScore(e, rec, tw, o)
	}
	emitIP(e, rec, tw)
	t.emitTCP(e, rec, tw)
	t.emitModules(e, rec, tw)
	if o.Processes != nil && rec.Key.Proto == 6 {
		emitExe(e, o.Processes.Lookup(netip.AddrPortFrom(src, rec.Key.Sp), netip.AddrPortFrom(dst, rec.Key.Dp)))
	}
	if rec.hd != nil && rec.hd.n >= 2 {
		emitHeaderDesc(e, rec.hd)
	}
	emitProbableOS(e, rec, tw)
	if o.IDP > 0 {
		emitIDP(e, rec, tw)
	}
	emitDebug(e, rec, tw)
	if x := printedExpType(r, rec); x != 0 {
		e.String("expire_type", record.OneChar(x))
	}
	e.End()
}

// emitLabels emits a label list in the original's spacing, `"key": [ "A" ]`
// (the original ends each with a comma instead of putting one before it:
// the same text).
func (t *Table) emitLabels(e *record.Enc, o *Options, key string, s label.Set) {
	t.scratch = append(t.scratch[:0], ',')
	t.scratch = o.Labels.AppendJSON(t.scratch, key, s)
	if n := len(t.scratch); n > 1 {
		e.Members(t.scratch[:n-1])
	}
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

func emitByteStats(e *record.Enc, rec, tw *Record, o *Options) {
	var in *bytestats.Counts
	numBytes := rec.ob
	if tw != nil {
		in = tw.bytes
		numBytes += tw.ob
	}
	bytestats.Emit(e, rec.bytes, in, tw != nil, numBytes, bytestats.Options{
		Dist: o.ByteDist, Compact: o.Compact != nil, Entropy: o.Entropy,
	})
}

// emitExe emits the local process owning a TCP flow.
func emitExe(e *record.Enc, p *procinfo.Process) {
	if p == nil {
		return
	}
	e.Object("exe")
	str := func(k, v string) {
		if v != "" {
			e.String(k, v)
		}
	}
	str("name", p.Name)
	str("path", p.Path)
	str("hash", p.Hash)
	if p.Uptime > 0 {
		e.Uint("uptime", p.Uptime)
	}
	e.End()
}

// emitScore emits the classifier's probability that the flow is
// malicious.
func emitScore(e *record.Enc, rec, tw *Record, o *Options) {
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
	e.Float("p_malware", float64(p), 'f', 6)
}

func emitHeaderDesc(e *record.Enc, h *headerDesc) {
	w := h.width
	e.Object("hd")
	e.Uint("n", uint64(h.n))
	e.Hex("cm", h.mask[:w])
	e.Hex("cv", h.value[:w])
	e.Hex("sm", h.seq[:w])
	e.Hex("i", h.first[:w])
	e.End()
}

// emitIDP emits the initial data packets of both sides, as the later
// original does.
func emitIDP(e *record.Enc, rec, tw *Record) {
	if rec.idpLen > 0 {
		e.Hex("idp_out", rec.idp[:rec.idpLen])
		e.Uint("idp_len_out", uint64(rec.idpLen))
	}
	if tw != nil && tw.idpLen > 0 {
		e.Hex("idp_in", tw.idp[:tw.idpLen])
		e.Uint("idp_len_in", uint64(tw.idpLen))
	}
}

// emitModules emits each module whose state exists on the out side,
// with the other side's state of the same module (a twin's state alone is
// never printed, as in the original).
func (t *Table) emitModules(e *record.Enc, rec, tw *Record) {
	for i, m := range rec.mods {
		if m == nil {
			continue
		}
		var other feature.Module
		if tw != nil && tw.mods[i] != nil {
			other = tw.mods[i]
		}
		m.Emit(e, other)
	}
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

func emitPacket(e *record.Enc, n uint32, dir byte, gap uint64, salt bool) {
	if n >= 32768 && n < 65536 && !salt { // the original's run-length marker, see QUIRK-23
		e.Packet(uint64(65536-n), true, dir, gap)
	} else {
		e.Packet(uint64(n), false, dir, gap)
	}
}

func emitSPLT(e *record.Enc, rec, tw *Record, salt bool) {
	e.List("packets")
	if tw == nil {
		for i := 0; i < rec.op; i++ {
			var gap uint64
			if i > 0 {
				gap = ipt(rec.pktTime[i-1], rec.pktTime[i])
			}
			emitPacket(e, rec.pktLen[i], '<', gap, salt)
		}
		e.End()
		return
	}
	prev := rec.start
	i, j := 0, 0
	for i < rec.op || j < tw.op {
		if j >= tw.op || (i < rec.op && rec.pktTime[i] < tw.pktTime[j]) {
			emitPacket(e, rec.pktLen[i], '>', ipt(prev, rec.pktTime[i]), salt)
			prev = rec.pktTime[i]
			i++
		} else {
			emitPacket(e, tw.pktLen[j], '<', ipt(prev, tw.pktTime[j]), salt)
			prev = tw.pktTime[j]
			j++
		}
	}
	e.End()
}

func emitIPSide(e *record.Enc, name string, r *Record) {
	e.Object(name)
	e.Uint("ttl", uint64(r.ttl))
	if r.numID > 0 {
		e.Uint16s("id", r.ids[:r.numID])
	}
	e.End()
}

func emitIP(e *record.Enc, rec, tw *Record) {
	e.Object("ip")
	emitIPSide(e, "out", rec)
	if tw != nil {
		emitIPSide(e, "in", tw)
	}
	e.End()
}

func hasTCPSide(r *Record) bool {
	return r != nil && (r.flags != 0 || r.firstWindow != 0 || r.optLen != 0)
}

func (t *Table) emitTCP(e *record.Enc, rec, tw *Record) {
	if rec.Key.Proto != 6 {
		return
	}
	twSeq := tw != nil && tw.firstSeq != 0
	if rec.firstSeq == 0 && !twSeq && !hasTCPSide(rec) && !hasTCPSide(tw) {
		return
	}
	e.Object("tcp")
	if rec.firstSeq != 0 || twSeq {
		seq := rec.firstSeq
		if seq == 0 {
			seq = tw.firstSeq
		}
		e.Uint("first_seq", uint64(seq))
	}
	if hasTCPSide(rec) {
		t.emitTCPSide(e, "out", rec)
	}
	if hasTCPSide(tw) {
		t.emitTCPSide(e, "in", tw)
	}
	e.End()
}

const flagLetters = "FSRPAUEC"

func (t *Table) emitTCPSide(e *record.Enc, name string, r *Record) {
	e.Object(name)
	if r.flags != 0 {
		t.scratch = t.scratch[:0]
		for i := 0; i < 8; i++ {
			if r.flags&(1<<i) != 0 {
				t.scratch = append(t.scratch, flagLetters[i])
			}
		}
		e.Text("flags", t.scratch)
	}
	if r.firstWindow != 0 {
		e.Uint("first_window_size", uint64(r.firstWindow))
	}
	if r.optLen != 0 {
		e.Uint("opt_len", uint64(r.optLen))
		t.scratch = tcpopt.AppendJSON(t.scratch[:0], r.opts[:r.optLen])
		e.Raw("opts", t.scratch)
	}
	e.End()
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

func emitProbableOS(e *record.Enc, rec, tw *Record) {
	out := probableOS(rec)
	in := ""
	if tw != nil {
		in = probableOS(tw)
	}
	if out == "" && in == "" {
		return
	}
	e.Object("probable_os")
	if out != "" {
		e.String("out", out)
	}
	if in != "" {
		e.String("in", in)
	}
	e.End()
}

func emitDebug(e *record.Enc, rec, tw *Record) {
	retrans, invalid := uint64(rec.retrans), uint64(rec.invalid)
	if tw != nil {
		retrans += uint64(tw.retrans)
		invalid += uint64(tw.invalid)
	}
	if retrans == 0 && invalid == 0 {
		return
	}
	e.Object("debug")
	if retrans != 0 {
		e.Uint("tcp_retrans", retrans)
	}
	if invalid != 0 {
		e.Uint("invalid", invalid)
	}
	e.End()
}
