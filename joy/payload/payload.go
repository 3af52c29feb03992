// Package payload is Joy's payload module: the first bytes of the first
// non-empty payload of each direction.
//
// Each direction keeps the first Len bytes of its first non-empty payload
// (on the original's invalid path that is the transport header and what
// follows). The member is
//
//	,"payload":{"out":"<hex>","in":"<hex>"}
//
// where a side that saw no payload is left out, and nothing is printed when
// neither did, as the original's payload.c does.
package payload

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

// Len is how many bytes of the first payload are kept (PAYLOAD_LEN).
const Len = 32

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "payload",
	Accepts: func(f feature.Flow) bool { return true },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct {
	n    uint8 // bytes kept; 0 until the first non-empty payload
	data [Len]byte
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if s.n == 0 && len(payload) > 0 {
		s.n = uint8(copy(s.data[:], payload))
	}
}

// Emit implements feature.Module.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	var in []byte
	if t, ok := twin.(*State); ok && t != nil {
		in = t.data[:t.n]
	}
	out := s.data[:s.n]
	if len(out) == 0 && len(in) == 0 {
		return
	}
	e.Object("payload")
	if len(out) > 0 {
		e.Hex("out", out)
	}
	if len(in) > 0 {
		e.Hex("in", in)
	}
	e.End()
}
