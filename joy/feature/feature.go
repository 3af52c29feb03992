// Package feature is the small interface between the flow table and the
// per-flow modules (protocol parsers such as TLS or DNS, and payload
// features): a module observes the payloads of one direction of a flow and
// emits its member through the record's encoder (record.Encoder) when the
// flow is printed, whatever the output format. Adding a protocol is one
// new package that provides a Kind, plus one line in package registry,
// which says what turns it on.
package feature

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/record"
)

// Flow is what a module's filter may look at: the record's key protocol
// and ports, and the application identified from its first payloads
// (443 for TLS, 80 for HTTP, 0 if unknown).
type Flow struct {
	Proto  uint8
	Sp, Dp uint16
	App    uint16
}

// Module is the state of one module for one direction of a flow: it
// observes the direction's packets and emits its member(s) through the
// record's encoder, so that the same walk prints Joy's JSON, fills the
// typed rows of the tabular formats and the fields IPFIX exports.
type Module interface {
	// Observe is called for every packet of the direction that passes the
	// module's filter, zero-length ones included. payload is only valid
	// during the call; ts is in microseconds since the epoch.
	Observe(payload []byte, ts int64)
	// Emit emits the module's member(s), or nothing. twin is the same
	// module's state for the other direction, or nil.
	Emit(e *record.Enc, twin Module)
}

// AppendJSON appends the member(s) m emits as JSON text, each with its
// leading comma (for tests and tools that want one module's text).
func AppendJSON(b []byte, m Module, twin Module) []byte {
	var e record.Enc
	e.ResetMembers(b)
	m.Emit(&e, twin)
	return e.JSON.B
}

// TCPSegment is one TCP packet, for modules that read TCP headers.
type TCPSegment struct {
	Header     []byte // the TCP header, options included (at least 20 bytes)
	Payload    []byte // the segment's payload, valid only during the call
	PayloadLen int
	TS         int64 // µs since the epoch
}

// TCPObserver is implemented by the state of modules whose Kind has TCP
// set: they see every valid TCP segment of their direction instead of
// payloads (retransmissions and malformed segments excluded, as in the
// original). Such a module still sees the payloads of the non-TCP flows
// its filter accepts through Observe. ObserveTCP returns false when the
// state wants no more segments of its direction: the flow table then stops
// calling it for that record (a module that reads only a connection's
// first bytes costs nothing on the rest of the flow).
type TCPObserver interface {
	ObserveTCP(seg *TCPSegment) (more bool)
}

// Kind describes one module.
type Kind struct {
	Name string
	// TCP modules are fed whole TCP segments through TCPObserver.
	TCP bool
	// Retransmissions: a TCP module also sees the segments the flow table
	// counts as retransmissions (a sequence number below the last one's),
	// which it otherwise leaves out: a module that reorders a stream needs
	// the late ones.
	Retransmissions bool
	// Accepts is the module's filter.
	Accepts func(f Flow) bool
	// New returns fresh state for one direction of a flow.
	New func(cfg *config.Config) Module
	// NewPool, if set, makes the Pool one flow table takes this module's
	// states from; otherwise every state comes from New and is left to the
	// garbage collector.
	NewPool func(cfg *config.Config) Pool
}

// Pool hands out and takes back one module's states for one flow table.
// A module whose state is large, or that can share work between flows
// (a cache of parsed certificates, say), recycles it through its own Pool.
// A table is used by one goroutine at a time, so a Pool needs no lock.
type Pool interface {
	// Get returns state for a new direction of a flow, as New would.
	Get() Module
	// Put takes back a state whose flow has been printed or discarded;
	// nothing refers to it afterwards.
	Put(Module)
}

// Pool returns the Pool a table should use for k.
func (k *Kind) Pool(cfg *config.Config) Pool {
	if k.NewPool != nil {
		return k.NewPool(cfg)
	}
	return newOnly{k.New, cfg}
}

// newOnly is the Pool of modules without their own: it only calls New.
type newOnly struct {
	new func(cfg *config.Config) Module
	cfg *config.Config
}

func (p newOnly) Get() Module { return p.new(p.cfg) }
func (p newOnly) Put(Module)  {}

// Resetter is module state that can be made fresh in place, keeping the
// capacity of its buffers.
type Resetter interface {
	Module
	Reset()
}

// FreeList returns a Pool that makes states with newState and keeps up to
// max of those given back, reset, for later flows.
func FreeList(newState func() Resetter, max int) Pool {
	return &freeList{newState: newState, max: max}
}

type freeList struct {
	newState func() Resetter
	free     []Resetter
	max      int
}

func (p *freeList) Get() Module {
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	return p.newState()
}

func (p *freeList) Put(m Module) {
	s, ok := m.(Resetter)
	if !ok || len(p.free) >= p.max {
		return
	}
	s.Reset()
	p.free = append(p.free, s)
}

// maxReused is the largest buffer a reset state keeps: a rare flow with a
// big buffer should not pin it for good.
const maxReused = 16 << 10

// Reuse returns b emptied for reuse by a reset state, or nil when it is
// too big to keep.
func Reuse(b []byte) []byte {
	if cap(b) > maxReused {
		return nil
	}
	return b[:0]
}
