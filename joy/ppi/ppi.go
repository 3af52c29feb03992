// Package ppi is Joy's per-packet information module: seq, ack, length,
// flags and options of the first TCP segments of a flow.
//
// Each direction records its valid TCP segments (zero-length ones and, with
// retrans on, retransmissions included). The original stores up to 200 but
// prints at most the first MaxPrinted of each direction, so only those are
// kept here. The member is
//
//	,"ppi":[{"seq":…,"ack":…,"rseq":…,"rack":…,"b":…,"olen":…,"dir":"…","t":…,"flags":"…","opts":[…]},…]
//
// with both directions merged by time (on equal times the other side's
// segment goes first) and these values, as the original's ppi.c computes
// them while printing:
//
//   - b is the payload length and olen the length of the TCP options, both
//     as the original's 16-bit fields; opts lists the first 24 option bytes
//     (see appendOptions).
//   - t is the time since the earliest first segment of the two sides, in
//     milliseconds, truncated to 32 bits.
//   - Each side has a running sequence number: its first printed segment,
//     and any segment with SYN set, sets it; a later one moves it forward
//     when its seq is ahead in 32-bit sequence arithmetic. rseq is seq minus
//     the side's running number before the segment (0 for SYNs), rack is ack
//     minus the other side's running number when ACK is set, else 0. Both
//     are plain signed differences of the unsigned values.
//   - The side whose segment is printed first is the client and prints
//     "dir":">"; its first segment has rseq and rack 0. The other side is
//     the server ("dir":"<") and its first segment has rseq 0.
//
// A flow whose other side has state but no segment prints nothing; a flow
// without other side prints its own segments alone.
package ppi

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

// MaxPrinted is how many segments of each direction are printed (ppi.c's
// num_pkts, fixed at 50 whatever the configured num_pkts).
const MaxPrinted = 50

// MaxOptions is how many TCP option bytes a segment keeps (TCP_OPT_LEN).
const MaxOptions = 24

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "ppi",
	TCP:     true,
	Accepts: func(f feature.Flow) bool { return f.Proto == 6 },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// segment is what the original's struct pkt_info keeps of one segment.
type segment struct {
	ts    int64 // µs since the epoch
	seq   uint32
	ack   uint32
	len   uint16 // payload length, truncated to 16 bits as in the original
	olen  uint16 // option length (header length − 20)
	flags uint8
	opts  [MaxOptions]byte
}

// State is the module's state for one direction of a flow.
type State struct {
	np  int // segments kept, at most MaxPrinted
	seg [MaxPrinted]segment
	// text holds a segment's flags or options text while it is emitted
	// (a segment's options print in far less).
	text [512]byte
}

// Observe implements feature.Module. PPI reads TCP headers only (see
// ObserveTCP); payloads are ignored.
func (s *State) Observe(payload []byte, ts int64) {}

// ObserveTCP implements feature.TCPObserver.
func (s *State) ObserveTCP(seg *feature.TCPSegment) bool {
	h := seg.Header
	if s.np >= MaxPrinted {
		return false
	}
	if len(h) < 20 {
		return true
	}
	p := &s.seg[s.np]
	s.np++
	p.ts = seg.TS
	p.seq = binary.BigEndian.Uint32(h[4:])
	p.ack = binary.BigEndian.Uint32(h[8:])
	p.flags = h[13]
	p.len = uint16(seg.PayloadLen)
	p.olen = uint16(len(h) - 20)
	copy(p.opts[:], h[20:])
	return s.np < MaxPrinted
}

// role of a side while printing.
type role uint8

const (
	roleUnknown role = iota
	roleClient
	roleServer
)

// side is the running state of one direction while printing.
type side struct {
	seq  uint32
	role role
}

// Emit implements feature.Module.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	t, ok := twin.(*State)
	if !ok || t == nil {
		if s.np == 0 {
			return
		}
		var st, rev side
		e.List("ppi")
		start := s.seg[0].ts
		for i := range s.seg[:s.np] {
			s.emitSegment(e, &s.seg[i], &st, &rev, start)
		}
		e.End()
		return
	}
	if s.np == 0 || t.np == 0 {
		return
	}
	start := t.seg[0].ts
	if s.seg[0].ts < start {
		start = s.seg[0].ts
	}
	var st, rev side
	e.List("ppi")
	i, j := 0, 0
	for i < s.np || j < t.np {
		if j >= t.np || (i < s.np && s.seg[i].ts < t.seg[j].ts) {
			s.emitSegment(e, &s.seg[i], &st, &rev, start)
			i++
		} else {
			s.emitSegment(e, &t.seg[j], &rev, &st, start)
			j++
		}
	}
	e.End()
}

const (
	flagSYN = 0x02
	flagACK = 0x10
)

// emitSegment emits one segment of the side st (the other side is rev),
// updating st as the original's pkt_info_process does.
func (s *State) emitSegment(e *record.Enc, p *segment, st, rev *side, start int64) {
	var rseq, rack int64
	if p.flags&flagSYN != 0 {
		st.seq = p.seq
	} else {
		rseq = int64(p.seq) - int64(st.seq)
		if int32(p.seq-st.seq) > 0 {
			st.seq = p.seq
		}
	}
	if p.flags&flagACK != 0 {
		rack = int64(p.ack) - int64(rev.seq)
	}
	if st.role == roleUnknown {
		switch rev.role {
		case roleUnknown:
			st.role = roleClient
			st.seq = p.seq
			rseq, rack = 0, 0
		case roleClient:
			st.role = roleServer
			st.seq = p.seq
			rseq = 0
		default:
			st.role = roleClient
		}
	}
	dir := ">"
	if st.role == roleServer {
		dir = "<"
	}
	e.Object("")
	e.Uint("seq", uint64(p.seq))
	e.Uint("ack", uint64(p.ack))
	e.Int("rseq", rseq)
	e.Int("rack", rack)
	e.Uint("b", uint64(p.len))
	e.Uint("olen", uint64(p.olen))
	e.String("dir", dir)
	e.Uint("t", millis(start, p.ts))
	e.Text("flags", appendFlags(s.text[:0], p.flags))
	e.Raw("opts", appendOptions(s.text[:0], p.opts[:min(int(p.olen), MaxOptions)]))
	e.End()
}

// millis is the time from start to ts in whole milliseconds, floored and
// truncated to 32 bits as the original's timeval arithmetic and unsigned
// conversion do (an earlier ts prints as a large number).
func millis(start, ts int64) uint64 {
	d := ts - start
	ms := d / 1000
	if d%1000 < 0 {
		ms--
	}
	return uint64(uint32(ms))
}

// appendFlags appends the TCP flags as the letters F S R P A U E C of bits
// 0x01 to 0x80.
func appendFlags(b []byte, f uint8) []byte {
	const letters = "FSRPAUEC"
	for i := range 8 {
		if f&(1<<i) != 0 {
			b = append(b, letters[i])
		}
	}
	return b
}
