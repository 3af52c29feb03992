package joy

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/salt"
	"github.com/gojoy/libjoy/joy/tls"
)

// Joy 4.5's external processing (joy_*_external_processing,
// joy_get_feature_counts, joy_delete_flow_records,
// joy_purge_old_flow_records): which flows a callback is given, the bytes
// it is given, and the marks of what it has seen. capi/v45 only converts
// between C and these.

// Feature45 is the feature an external-processing walk is for.
type Feature45 int

// The features of Joy 4.5's external processing.
const (
	IDP45 Feature45 = iota
	TLS45
	SPLT45
	SALT45
	BD45
)

// Marks of what a callback has seen (the JOY_*_PROCESSED bits).
const (
	ProcessedIDP  flow.Ext = 1 << 0
	ProcessedTLS  flow.Ext = 1 << 1
	ProcessedSALT flow.Ext = 1 << 2
	ProcessedSPLT flow.Ext = 1 << 3
	ProcessedBD   flow.Ext = 1 << 4
	processedAll           = ProcessedIDP | ProcessedTLS | ProcessedSALT | ProcessedSPLT | ProcessedBD
)

// The original's readiness thresholds (joy_get_feature_counts).
const (
	readyPackets = 10
	readyOctets  = 4000
)

// Data45Size is the most bytes a callback is given (BD: 256 16-bit counts).
const Data45Size = 512

// nfv9Packets is how many packets the SPLT and SALT data carry at most.
const nfv9Packets = 10

// FeatureCounts45 is joy_get_feature_counts: records (both directions)
// ready for each feature.
type FeatureCounts45 struct {
	IDP, TLS, SPLT, SALT, BD uint32
}

func saltOf(t *flow.Table, r *flow.Record) *salt.State {
	s, _ := t.Module(r, "salt").(*salt.State)
	return s
}

func tlsDone(t *flow.Table, r *flow.Record) bool {
	if s, ok := t.Module(r, "tls").(*tls.State); ok && s != nil {
		_, done := s.Handshake()
		return done
	}
	return false
}

// FeatureCounts45 counts the records ready for each feature: an IDP
// captured, a TLS handshake over, 10 packets of SPLT or SALT, 4000 bytes.
func (c *Context) FeatureCounts45() FeatureCounts45 {
	var n FeatureCounts45
	t := c.table
	count := func(r *flow.Record) {
		if len(r.IDP()) > 0 {
			n.IDP++
		}
		if tlsDone(t, r) {
			n.TLS++
		}
		if r.SPLT() >= readyPackets {
			n.SPLT++
		}
		if s := saltOf(t, r); s != nil && s.Segments() >= readyPackets {
			n.SALT++
		}
		if r.Octets() >= readyOctets {
			n.BD++
		}
	}
	t.Walk(func(r *flow.Record) {
		count(r)
		if tw := r.Twin(); tw != nil {
			count(tw)
		}
	})
	return n
}

// External45 walks the flows for feature f's external processing, as Joy
// 4.5 does: each flow not yet marked for f that is ready (IDP captured,
// handshake over, min packets or octets) or expired is handed to visit
// once, with n bytes of data in buf (len Data45Size; withData false: the
// callback gets NULL) and then marked. nfv9 chooses the NetFlow v9 layout
// of SPLT and SALT (10 lengths then 10 times, padded), else IPFIX's (the
// lengths then the times, 4 bytes a packet). Values are 16-bit, in host
// order, as the original wrote them.
func (c *Context) External45(f Feature45, nfv9 bool, min uint, buf []byte, visit func(r *flow.Record, n int, withData bool)) {
	t := c.table
	t.Walk(func(r *flow.Record) {
		switch f {
		case IDP45:
			if r.Ext()&ProcessedIDP == 0 && (len(r.IDP()) > 0 || t.Expired(r)) {
				visit(r, 0, false)
				r.SetExt(ProcessedIDP)
			}
		case TLS45:
			if r.Ext()&ProcessedTLS == 0 && (tlsDone(t, r) || t.Expired(r)) {
				visit(r, 0, false)
				r.SetExt(ProcessedTLS)
			}
		case SPLT45:
			clear(buf)
			if r.Ext()&ProcessedSPLT == 0 && (r.SPLT() >= int(min) || t.Expired(r)) {
				n := 0
				if r.SPLT() > 0 {
					n = spltData(r, nfv9, buf)
				}
				visit(r, n, true)
				r.SetExt(ProcessedSPLT)
			}
		case SALT45:
			clear(buf)
			if r.Ext()&ProcessedSALT != 0 {
				return
			}
			s := saltOf(t, r)
			if s != nil && s.Segments() >= int(min) || t.Expired(r) {
				n := 0
				if s != nil {
					n = saltData(r, s, nfv9, buf)
				}
				visit(r, n, true)
				r.SetExt(ProcessedSALT)
			}
		case BD45:
			clear(buf)
			if r.Ext()&ProcessedBD == 0 && (r.Octets() >= uint64(min) || t.Expired(r)) {
				if counts := r.ByteCounts(); counts != nil {
					for i, v := range counts {
						putU16(buf, i, uint16(v))
					}
				}
				visit(r, 2*256, true)
				r.SetExt(ProcessedBD)
			}
		}
	})
}

func putU16(b []byte, i int, v uint16) {
	binary.NativeEndian.PutUint16(b[2*i:], v) // host order, as the original
}

// msSince is the original's timeval difference in milliseconds (floored).
func msSince(from, to int64) uint16 {
	d := to - from
	q := d / 1000
	if d%1000 < 0 {
		q--
	}
	return uint16(q)
}

// spltData writes the SPLT lengths then times and returns their byte
// count (seqData); NetFlow v9 pads the lengths with 0x8000.
func spltData(r *flow.Record, nfv9 bool, b []byte) int {
	start, _ := r.Times()
	return seqData(r.SPLT(), start, func(i int) (uint16, int64) {
		l, ts := r.SPLTAt(i)
		return uint16(l), ts
	}, 0x8000, nfv9, b)
}

// saltData is spltData over the SALT lengths and times (NetFlow v9 pads
// the lengths with 0).
func saltData(r *flow.Record, s *salt.State, nfv9 bool, b []byte) int {
	start, _ := r.Times()
	return seqData(s.Messages(), start, s.Message, 0, nfv9, b)
}

// seqData writes the lengths of the first n (at most nfv9Packets)
// packets, at(i), then their times (ms since the previous packet, the
// first since start) and returns their byte count: always 40 for NetFlow
// v9 (lengths padded with pad, times with 0), 4 per packet for IPFIX.
func seqData(n int, start int64, at func(i int) (length uint16, ts int64), pad uint16, nfv9 bool, b []byte) int {
	n = min(n, nfv9Packets)
	slots := n
	if nfv9 {
		slots = nfv9Packets
	}
	prev := start
	for i := 0; i < n; i++ {
		l, ts := at(i)
		putU16(b, i, l)
		putU16(b, slots+i, msSince(prev, ts))
		prev = ts
	}
	if nfv9 {
		for i := n; i < nfv9Packets; i++ {
			putU16(b, i, pad)
			putU16(b, slots+i, 0)
		}
		return 4 * nfv9Packets
	}
	return 4 * n
}

// DeleteMarked45 deletes every flow carrying all the marks of cond
// (joy_delete_flow_records) and returns how many; ok is false (nothing
// deleted) when cond has bits that are no mark.
func (c *Context) DeleteMarked45(cond uint) (n int, ok bool) {
	if cond&^uint(processedAll) != 0 {
		return 0, false
	}
	want := flow.Ext(cond)
	t := c.table
	t.Walk(func(r *flow.Record) {
		if r.Ext()&want == want {
			t.Delete(r)
			n++
		}
	})
	return n, true
}

// PurgeOld45 deletes the flows whose last packet is more than age seconds
// after their start, and after their twin's start (whole seconds, as the
// original compares them; joy_purge_old_flow_records), and returns how
// many.
func (c *Context) PurgeOld45(age uint) int {
	t := c.table
	limit := int64(age)
	n := 0
	t.Walk(func(r *flow.Record) {
		start, end := r.Times()
		endSec := floorSec(end)
		if endSec > floorSec(start)+limit {
			if tw := r.Twin(); tw == nil || endSec > floorSec(twinStart(tw))+limit {
				t.Delete(r)
				n++
			}
		}
	})
	return n
}

func twinStart(r *flow.Record) int64 { s, _ := r.Times(); return s }

func floorSec(us int64) int64 {
	s := us / 1e6
	if us%1e6 < 0 {
		s--
	}
	return s
}
