// Package tls is Joy's TLS metadata module: it observes the payloads of one
// direction of a flow and writes the record's "tls" member.
//
// The module follows the original's model closely (spec §6.1):
//
//   - Every packet of the handshake phase whose first byte is not a
//     ChangeCipherSpec/Alert/ApplicationData content type is appended to a
//     handshake buffer (at most 11000 bytes).
//   - Every packet is walked record by record; each record header gives one
//     "srlt" entry (type, length, arrival time), and a record that spills
//     into later packets is skipped there by a pending offset.
//   - The first CCS/Alert/ApplicationData record met while the handshake
//     phase is open closes it: the buffer is parsed once (hellos, client key
//     exchange, certificates, per-record handshake message statistics).
//
// Every read is bounded by the bytes actually held: where the original read
// past a payload or past its handshake buffer, this package reads zeros
// (which is what the original's normal build happened to see).
package tls

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "tls",
	Accepts: func(f feature.Flow) bool { return f.App == 443 || f.Sp == 443 || f.Dp == 443 },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
	NewPool: newPool,
}

// Limits of the original (spec §6.1).
const (
	maxRecords    = 100   // record entries stored per direction
	maxPrinted    = 50    // record entries printed per direction
	maxHandshakes = 5     // handshake messages recorded per record entry
	maxSuites     = 256   // offered cipher suites kept
	maxExtensions = 256   // hello extensions kept
	maxCerts      = 4     // certificates kept
	maxHSBuffer   = 11000 // handshake buffer size
	maxHexBytes   = 1024  // longer hex fields print as ""
)

// Content types.
const (
	ctCCS   = 20
	ctAlert = 21
	ctAppl  = 23
)

// Roles.
const (
	roleUnknown = iota
	roleClient
	roleServer
)

// hsStat holds the handshake messages found in one record of the
// handshake buffer.
type hsStat struct {
	n     uint8
	types [maxHandshakes]uint8
	lens  [maxHandshakes]uint16
}

// span refers to bytes of the handshake buffer; bytes past its end read as
// zero.
type span struct {
	off, n int32
}

// extension is one stored hello extension.
type extension struct {
	typ  uint16
	data span // data.n is the declared length
}

// recEntry is one TLS record's entry: its time, length and content type.
type recEntry struct {
	time int64
	len  uint16
	typ  uint8
}

// recTime returns the time of record entry i, 0 past the entries.
func (s *State) recTime(i int) int64 {
	if i < len(s.recs) {
		return s.recs[i].time
	}
	return 0
}

// resize returns b with length n, reusing its array when large enough.
func resize[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// State is the module's state for one direction of a flow.
type State struct {
	// Record walking.
	segOffset uint16 // bytes of a record still to come in later packets
	op        uint16 // records seen (the original's 16-bit counter)
	// The first maxRecords records (min(op, maxRecords) of them, until op
	// wraps),
	// and the handshake messages of each as far as the parse got; both
	// grow as the flow needs, from a pooled state's earlier capacity.
	recs  []recEntry
	stats []hsStat

	// Handshake phase. hs is kept after the parse: spans refer into it.
	hs   []byte
	done bool

	// Parsed handshake data.
	version  uint8
	role     uint8
	tls13    bool // a ServerHello selected TLS 1.3 in supported_versions
	sidLen   uint8
	random   [32]byte
	sid      []byte // sidLen bytes
	numCS    uint16
	cs       []uint16 // numCS suites
	cExt     []extension
	sExt     []extension
	sniLen   uint16 // declared length + 1, 16 bits as in the original; 0 = none
	sni      span
	ckeBits  uint32
	cke      span
	numCerts uint8
	certs    []byte          // the rendered JSON objects, one after another
	certEnds [maxCerts]int32 // where each ends in certs

	scratch []byte // a span read past the buffer's end, zero-filled

	cache *certCache // the table's certificate cache, or nil
}

// Observe implements feature.Module: it walks the TLS records of one
// payload.
func (s *State) Observe(p []byte, ts int64) {
	n := len(p)
	if n == 0 {
		return
	}
	if !s.done && !closesHandshake(p[0]) {
		// The original refuses a packet that would fill its buffer, and
		// then skips the whole update (QUIRK-25).
		if n >= maxHSBuffer-len(s.hs) {
			return
		}
		if s.hs == nil {
			s.hs = make([]byte, 0, hsInitialCap(n))
		}
		s.hs = append(s.hs, p...)
	}
	off, rem := 0, n
	if s.segOffset != 0 {
		if int(s.segOffset) > n {
			s.segOffset -= uint16(n)
			return
		}
		off = int(s.segOffset)
		rem -= off
		s.segOffset = 0
	}
	// Each pass advances by at least five bytes.
	for rem > 0 {
		typ := byteAt(p, off)
		l := int(byteAt(p, off+3))<<8 | int(byteAt(p, off+4))
		if l > rem {
			// The record continues in later packets. A record with
			// l <= rem < l+5 is not tracked (QUIRK-26).
			s.segOffset = uint16(l + 5 - rem)
		}
		if !s.done && closesHandshake(typ) {
			s.parseHandshake()
			s.done = true
			if s.version == 0 {
				v := versionOf(byteAt(p, off+1), byteAt(p, off+2))
				if v == 0 {
					return
				}
				s.version = v
			}
		}
		if s.op < maxRecords {
			// op is 16 bits: after 65536 records it wraps and the
			// first entries are written again, as in the original.
			e := recEntry{time: ts, len: uint16(l), typ: typ}
			if int(s.op) < len(s.recs) {
				s.recs[s.op] = e
			} else {
				s.recs = append(s.recs, e)
			}
		}
		s.op++
		rem -= l + 5
		off += l + 5
	}
}

func hsInitialCap(n int) int {
	if n < 2048 {
		return 2048
	}
	return n
}

// closesHandshake reports whether a record type is one that ends the
// handshake phase (ChangeCipherSpec, Alert, ApplicationData).
func closesHandshake(t byte) bool { return t == ctCCS || t == ctAlert || t == ctAppl }

// byteAt returns p[i], or 0 past the end of p.
func byteAt(p []byte, i int) byte {
	if i >= 0 && i < len(p) {
		return p[i]
	}
	return 0
}

// versionOf maps a protocol version to the original's small integers:
// SSLv3 2, TLS 1.0 3, TLS 1.1 4, TLS 1.2 5, TLS 1.3 (and draft 0x7f12) 6;
// 0 for anything else.
func versionOf(major, minor byte) uint8 {
	switch {
	case major == 3 && minor <= 4:
		return minor + 2
	case major == 0x7f && minor == 0x12:
		return 6
	}
	return 0
}
