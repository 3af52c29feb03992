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
	"github.com/gojoy/libjoy/joy/jsonw"
)

// MaxSegments is how many segments a direction keeps (MAX_NUM_PKT).
const MaxSegments = 200

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "salt",
	TCP:     true,
	Accepts: func(f feature.Flow) bool { return f.Proto == 6 },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct {
	np  int
	seq [MaxSegments]uint32
	ack [MaxSegments]uint32
}

// Observe implements feature.Module. SALT reads TCP headers only (see
// ObserveTCP); payloads are ignored.
func (s *State) Observe(payload []byte, ts int64) {}

// ObserveTCP implements feature.TCPObserver.
func (s *State) ObserveTCP(seg *feature.TCPSegment) {
	if s.np >= MaxSegments || len(seg.Header) < 20 {
		return
	}
	s.seq[s.np] = binary.BigEndian.Uint32(seg.Header[4:])
	s.ack[s.np] = binary.BigEndian.Uint32(seg.Header[8:])
	s.np++
}

// AppendJSON implements feature.Module.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte {
	if s.np > 0 {
		b = appendList(b, `,"oseq":[`, s.seq[:s.np])
		b = appendList(b, `],"oack":[`, s.ack[:s.np])
		b = append(b, ']')
	}
	if t, ok := twin.(*State); ok && t != nil && t.np > 0 {
		b = appendList(b, `,"iseq":[`, t.seq[:t.np])
		b = appendList(b, `],"iack":[`, t.ack[:t.np])
		b = append(b, ']')
	}
	return b
}

// appendList appends prefix, then v[0] and the unsigned 32-bit differences
// between consecutive values.
func appendList(b []byte, prefix string, v []uint32) []byte {
	b = append(b, prefix...)
	for i, x := range v {
		if i == 0 {
			b = jsonw.Uint(b, uint64(x))
			continue
		}
		b = append(b, ',')
		b = jsonw.Uint(b, uint64(x-v[i-1]))
	}
	return b
}
