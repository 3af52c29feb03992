// Package flow is the flow table of one context: records keyed by
// 5-tuple, twins for the reverse direction, the chronological list that
// decides output order, expiry, and the JSON text of a record.
package flow

import (
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/feature"
)

// MaxSPLT is how many data packets per direction the SPLT keeps.
const MaxSPLT = 50

// MaxIPIDs is how many IP ids per direction are kept.
const MaxIPIDs = 50

// maxOpts is how many TCP option bytes of a SYN are kept.
const maxOpts = 24

// Key identifies one direction of a flow.
type Key struct {
	Src, Dst [16]byte // IPv4 uses the first 4 bytes
	Sp, Dp   uint16
	Proto    uint8
	V6       bool
}

// Reverse returns the key of the opposite direction.
func (k Key) Reverse() Key {
	return Key{Src: k.Dst, Dst: k.Src, Sp: k.Dp, Dp: k.Sp, Proto: k.Proto, V6: k.V6}
}

// Application identified from the first payloads (see identify.go).
const (
	dirUnknown = iota
	dirClient
	dirServer
)

// Record is one direction of a flow.
type Record struct {
	Key  Key
	twin *Record

	// chronological list (only the first-seen direction is on it)
	prev, next *Record
	inChrono   bool

	start, end int64 // µs since the epoch
	ob         uint64
	np         uint32

	op      int // SPLT entries stored
	pktLen  [MaxSPLT]uint32
	pktTime [MaxSPLT]int64

	ttl   uint8
	numID int
	ids   [MaxIPIDs]uint16

	// TCP facts
	seq, ack    uint32
	flags       uint8
	firstSeq    uint32
	firstWindow uint16
	optLen      int
	opts        [maxOpts]byte
	retrans     uint32

	invalid uint32
	app     uint16
	dir     uint8
	expType byte

	// per-flow module state, indexed like Options.Modules (made once per
	// record with one slot per enabled module, kept across reuse)
	mods []feature.Module
	// tcpDone: the bits (Table.tcpMods) of the TCP modules that want no
	// more segments of this direction
	tcpDone uint64

	bytes  *bytestats.Counts // byte statistics, when any is on
	idp    []byte            // initial data packet, from its IP header
	idpLen int               // its length (0: not taken yet)
	hd     *headerDesc       // header description, when on

	ext45 ext45 // application data and marks of the 4.5 API (api45.go)

	// buffers of an earlier flow kept for reuse by this record
	spare struct {
		bytes *bytestats.Counts
		hd    *headerDesc
	}
}

func (r *Record) reset(k Key) {
	// Keep the feature buffers for reuse; everything else starts afresh.
	bytes, idp, hd, mods := r.bytes, r.idp, r.hd, r.mods
	clear(mods)
	*r = Record{Key: k, ttl: 255, idp: idp[:0], mods: mods}
	if bytes != nil {
		*bytes = bytestats.Counts{}
		r.spare.bytes = bytes
	}
	if hd != nil {
		*hd = headerDesc{}
		r.spare.hd = hd
	}
}
