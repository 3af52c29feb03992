// Package wht is Joy's Walsh-Hadamard transform module: a 4-point
// spectrum of each direction's payload bytes.
//
// Every payload is cut into 4-byte blocks d0..d3 (the last one padded with
// zeros); each block adds (x0+x1, x0−x1, x2+x3, x2−x3) to the spectrum, with
// x0 = d0+d2, x1 = d1+d3, x2 = d0−d2, x3 = d1−d3. The member is
//
//	,"wht":[s0/b,s1/b,s2/b,s3/b]
//
// with b the number of payload bytes, computed in float32 and printed as
// C's %.5g, as the original's wht.c does. For a bidirectional flow the
// spectra and byte counts of both directions are added first. Nothing is
// printed when no payload byte was seen.
package wht

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "wht",
	Accepts: func(f feature.Flow) bool { return true },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
}

// State is the module's state for one direction of a flow.
type State struct {
	// The original keeps a uint32_t byte count and int32_t sums; both wrap
	// the same way here (after about 8 MB of payload for the sums).
	b        uint32
	spectrum [4]int32
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if len(payload) == 0 {
		return
	}
	s.b += uint32(len(payload))
	for len(payload) >= 4 {
		s.block(int32(payload[0]), int32(payload[1]), int32(payload[2]), int32(payload[3]))
		payload = payload[4:]
	}
	switch len(payload) {
	case 3:
		s.block(int32(payload[0]), int32(payload[1]), int32(payload[2]), 0)
	case 2:
		s.block(int32(payload[0]), int32(payload[1]), 0, 0)
	case 1:
		s.block(int32(payload[0]), 0, 0, 0)
	}
}

func (s *State) block(d0, d1, d2, d3 int32) {
	x0, x1, x2, x3 := d0+d2, d1+d3, d0-d2, d1-d3
	s.spectrum[0] += x0 + x1
	s.spectrum[1] += x0 - x1
	s.spectrum[2] += x2 + x3
	s.spectrum[3] += x2 - x3
}

// Emit implements feature.Module.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	n, sp := s.b, s.spectrum
	if t, ok := twin.(*State); ok && t != nil {
		// wht_print_json adds the two uint32_t counts and the two int32_t
		// sums in their own types before widening.
		n += t.b
		for i := range sp {
			sp[i] += t.spectrum[i]
		}
	}
	if n == 0 {
		return
	}
	e.List("wht")
	for _, v := range sp {
		// C's printf("%.5g", (double)x): strconv's 'g' with an explicit
		// precision picks the exponent form by the same rule, strips
		// trailing zeros as C does without '#', and writes at least two
		// exponent digits with a sign.
		e.Float("", float64(float32(v)/float32(n)), 'g', 5)
	}
	e.End()
}
