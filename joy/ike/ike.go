// Package ike is Joy's IKE metadata module: it observes the payloads of one
// direction of a flow and writes the record's "ike" member.
//
// Each direction collects the UDP payloads in a reassembly buffer and takes
// complete IKEv1/IKEv2 messages (at most 20) from its start. A message is
// kept as raw bytes once it has been checked; it is emitted through the
// record's encoder when the flow is printed, by the same walker that
// checked it (so the two cannot disagree).
//
// Not reproduced: the original's ERR log lines ("unable to parse message"
// and the like; the module interface has no logger) and its print-time
// consistency check between the two sides' proposals, which only logged.
package ike

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name: "ike",
	Accepts: func(f feature.Flow) bool {
		return f.Proto == 17 && (f.App == 500 || f.Sp == 500 || f.Dp == 500 || f.Sp == 4500 || f.Dp == 4500)
	},
	New: func(cfg *config.Config) feature.Module { return new(State) },
	NewPool: func(*config.Config) feature.Pool {
		return feature.FreeList(func() feature.Resetter { return new(State) }, maxFreeStates)
	},
}

// maxMessages is how many messages a direction keeps.
const maxMessages = 20

// maxFreeStates is how many states a table keeps for reuse.
const maxFreeStates = 64

// Reset implements feature.Resetter, keeping the buffers' capacity.
func (s *State) Reset() { *s = State{buf: feature.Reuse(s.buf), msgs: feature.Reuse(s.msgs)} }

// State is the module's state for one direction of a flow.
type State struct {
	// buf holds bytes not yet taken as a message. It only grows while the
	// message at its start may still complete (header length ≤ 35000), so
	// it stays below 35000 bytes plus one datagram.
	buf []byte
	// blocked is set once the start of buf can never become a message; the
	// original then fails on every later packet, so nothing more is kept.
	blocked bool
	n       int              // messages kept
	ends    [maxMessages]int // end offset of each message in msgs
	msgs    []byte           // the kept messages, back to back
	// names holds the hex digits of names without a table entry while
	// the member is emitted.
	names [2][8]byte
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if len(payload) == 0 || s.blocked || s.n == maxMessages {
		return
	}
	payload = stripMarker(payload)
	if len(s.buf) == 0 {
		// The usual case, one message per datagram: take messages from the
		// payload itself and copy only a remainder.
		rest := s.take(payload)
		if !s.blocked && s.n < maxMessages && len(rest) > 0 {
			s.buf = append(s.buf, rest...)
		}
		return
	}
	s.buf = append(s.buf, payload...)
	rest := s.take(s.buf)
	if s.blocked || s.n == maxMessages {
		s.buf = nil
		return
	}
	s.buf = s.buf[:copy(s.buf, rest)]
}

// stripMarker removes a leading non-ESP marker (four zero bytes, RFC 3948),
// whatever the port.
func stripMarker(p []byte) []byte {
	if len(p) >= 4 && p[0]|p[1]|p[2]|p[3] == 0 {
		return p[4:]
	}
	return p
}

// take keeps the complete messages at the start of d and returns the rest.
func (s *State) take(d []byte) []byte {
	for s.n < maxMessages {
		ok, consume, keep, final := check(d)
		if !ok {
			if final {
				s.blocked = true
			}
			return d
		}
		s.msgs = append(s.msgs, d[:keep]...)
		s.ends[s.n] = len(s.msgs)
		s.n++
		d = d[consume:]
	}
	return d
}

// Emit implements feature.Module: `"ike":{"init":{…},"resp":{…}}` with
// "resp" only when the other direction has state.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	e.Object("ike")
	s.emitSide(e, "init", &s.names)
	if t, ok := twin.(*State); ok && t != nil {
		t.emitSide(e, "resp", &s.names)
	}
	e.End()
}

func (s *State) emitSide(e *record.Enc, name string, names *[2][8]byte) {
	e.Object(name)
	if s.n > 0 {
		w := walker{e: e, names: names}
		e.List("messages")
		start := 0
		for i := 0; i < s.n; i++ {
			w.message(s.msgs[start:s.ends[i]])
			start = s.ends[i]
		}
		e.End()
	}
	e.End()
}
