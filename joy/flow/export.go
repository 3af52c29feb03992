package flow

import (
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/ipfix"
	"github.com/gojoy/libjoy/joy/record"
)

// exportWalk is the walk of one direction's modules through the IPFIX
// record's encoder, reused from record to record.
type exportWalk struct {
	enc  record.Enc
	fill ipfix.Filler
}

// ExportRecords converts the flow of chronological record r into one
// IPFIX record per direction and hands them to fn, the first-seen
// direction first. out is reused between calls.
func (t *Table) ExportRecords(r *Record, out *ipfix.Record, fn func(*ipfix.Record)) {
	t.fillIPFIX(r, out)
	fn(out)
	if r.twin != nil {
		t.fillIPFIX(r.twin, out)
		fn(out)
	}
}

func (t *Table) fillIPFIX(r *Record, x *ipfix.Record) {
	// The slices' arrays are kept from record to record: no allocation
	// once they have grown.
	lens, times, dist := x.SPLTLengths[:0], x.SPLTTimes[:0], x.ByteDist[:0]
	*x = ipfix.Record{
		V6: r.Key.V6, Src: r.Key.Src, Dst: r.Key.Dst, Sp: r.Key.Sp, Dp: r.Key.Dp, Proto: r.Key.Proto,
		Octets: r.ob, Packets: uint64(r.np), Start: r.start, End: r.end,
	}
	if r.idpLen > 0 {
		x.IDP = r.idp[:r.idpLen]
	}
	for i := 0; i < r.op; i++ {
		lens = append(lens, uint16(min(r.pktLen[i], 65535)))
		var gap uint64
		if i > 0 {
			gap = uint64(max(r.pktTime[i]-r.pktTime[i-1], 0) / 1000)
		}
		times = append(times, uint16(min(gap, 65535)))
	}
	x.SPLTLengths, x.SPLTTimes = lens, times
	if t.opts.ByteDist && r.bytes != nil {
		// The same reduced counts the JSON record prints for this side.
		x.ByteDist = bytestats.AppendReduced(dist, r.bytes.Count[:])
	}
	t.exportModules(r, x)
}

// exportModules fills x's module fields (TLS) from the walk of this
// direction's modules, each emitting its member alone (no twin), as the
// record's printer walks them: the exported fields are read from the same
// facts as the JSON member, not from a door of their own. Only the modules
// whose member the IPFIX record takes are walked.
func (t *Table) exportModules(r *Record, x *ipfix.Record) {
	w := t.export
	if w == nil {
		w = new(exportWalk)
		w.enc.Use(&w.fill)
		t.export = w
	}
	w.fill.Start(x)
	for i, m := range r.mods {
		if m == nil || !w.fill.Takes(t.opts.Modules[i].Name) {
			continue
		}
		m.Emit(&w.enc, nil)
	}
}
