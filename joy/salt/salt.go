// Package salt is Joy's SALT module: the sequence and acknowledgement
// numbers of the first TCP segments of each direction.
//
// Each direction keeps the seq and ack numbers of its first MaxSegments
// valid TCP segments (zero-length ones and, with retrans on,
// retransmissions included). The members are printed directly in the flow
// object, not nested:
//
//	,"oseq":[s0,s1−s0,s2−s1,…],"oack":[a0,a1−a0,…]
//
// for the out side and ,"iseq":[…],"iack":[…] for the other, each list
// starting with the absolute number followed by the differences to the
// previous one in unsigned 32-bit arithmetic, as the original's salt.c
// prints them.
package salt

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

// MaxSegments is how many segments a direction keeps (MAX_NUM_PKT).
const MaxSegments = 200

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "salt",
	TCP:     true,
	Accepts: func(f feature.Flow) bool { return f.Proto == 6 },
	New:     func(cfg *config.Config) feature.Module { return &State{zeros: cfg.Zeros} },
}

// State is the module's state for one direction of a flow.
type State struct {
	np  int
	seq [MaxSegments]uint32
	ack [MaxSegments]uint32

	// Application messages (Joy 4.5's SALT lengths and times, for the 4.5
	// API's callback; not printed): consecutive payloads of one
	// acknowledgement number summed.
	zeros  bool
	idx    int
	op     int
	tcpAck uint32
	lens   [MaxSegments]uint16
	times  [MaxSegments]int64
}

// Observe implements feature.Module. SALT reads TCP headers only (see
// ObserveTCP); payloads are ignored.
func (s *State) Observe(payload []byte, ts int64) {}

// ObserveTCP implements feature.TCPObserver.
func (s *State) ObserveTCP(seg *feature.TCPSegment) bool {
	if len(seg.Header) < 20 {
		return true
	}
	if s.np < MaxSegments {
		s.seq[s.np] = binary.BigEndian.Uint32(seg.Header[4:])
		s.ack[s.np] = binary.BigEndian.Uint32(seg.Header[8:])
		s.np++
	}
	s.observeMessage(seg)
	return true
}

// observeMessage sums the payloads of one acknowledgement number into a
// message, as Joy 4.5's SALT does (its last slot is never filled).
func (s *State) observeMessage(seg *feature.TCPSegment) {
	var ack uint32
	if s.idx < MaxSegments-1 {
		ack = binary.BigEndian.Uint32(seg.Header[8:])
		if ack != s.tcpAck && s.lens[s.idx] != 0 {
			s.idx++
		}
		if s.zeros || seg.PayloadLen != 0 {
			if s.lens[s.idx] == 0 {
				s.op++
			}
			s.lens[s.idx] += uint16(seg.PayloadLen)
			s.times[s.idx] = seg.TS
		}
	}
	s.tcpAck = ack
}

// Segments returns how many TCP segments the state has seen (at most
// MaxSegments).
func (s *State) Segments() int { return s.np }

// Messages returns how many application messages were counted.
func (s *State) Messages() int { return min(s.op, MaxSegments) }

// Message returns the length and time (µs) of message i.
func (s *State) Message(i int) (length uint16, ts int64) { return s.lens[i], s.times[i] }

// Emit implements feature.Module.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	if s.np > 0 {
		emitList(e, "oseq", s.seq[:s.np])
		emitList(e, "oack", s.ack[:s.np])
	}
	if t, ok := twin.(*State); ok && t != nil && t.np > 0 {
		emitList(e, "iseq", t.seq[:t.np])
		emitList(e, "iack", t.ack[:t.np])
	}
}

// emitList emits the list name: v[0] and the unsigned 32-bit differences
// between consecutive values.
func emitList(e *record.Enc, name string, v []uint32) {
	e.List(name)
	for i, x := range v {
		if i == 0 {
			e.Uint("", uint64(x))
			continue
		}
		e.Uint("", uint64(x-v[i-1]))
	}
	e.End()
}
