package ipfix

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/record"
)

// Filler is the record.Encoder that fills an exported Record's TLS fields
// from the walk of one direction's modules, each emitting its member with
// no twin (the record's printer and the IPFIX export walk the same facts):
// from the tls member, the version (c_version or s_version: this side's,
// 6 for a server that selected TLS 1.3), the client key exchange length
// (c_key_length), the random and session id (c_/s_random, c_/s_sid), the
// cipher suites (cs, offered, or scs, selected) and the lengths and times
// of the first records (srlt's b and ipt). A member it does not read is
// not walked (Takes). A direction without a role (the member prints only
// an error) fills nothing.
//
// srlt's ipt is the original's millisecond gap truncated to 32 bits; the
// element is the gap clamped to 0..65535 ms, so a wrapped (negative) gap
// reads as 0. A Filler is reused from record to record without
// allocating: the Record's TLS arrays are its own until the next Start.
type Filler struct {
	r      *Record
	depth  int
	tls    bool   // the walk is in the tls member
	list   string // the list open at depth 2
	cs     []uint16
	sid    []byte
	random []byte
	lens   []uint16
	times  []uint16
}

// Takes reports whether the Filler reads the member name: the exporter
// walks only those modules.
func (f *Filler) Takes(member string) bool { return member == "tls" }

// Start makes the next walks fill r's TLS fields (left as they are when
// no member sets them).
func (f *Filler) Start(r *Record) {
	f.r, f.depth, f.tls, f.list = r, 0, false, ""
}

// Object implements record.Encoder.
func (f *Filler) Object(name string) {
	f.depth++
	if f.depth == 1 {
		f.tls = name == "tls"
	}
}

// List implements record.Encoder.
func (f *Filler) List(name string) {
	f.depth++
	if f.depth != 2 || !f.tls {
		return
	}
	f.list = name
	switch name {
	case "cs":
		f.cs = f.cs[:0]
	case "srlt":
		f.lens, f.times = f.lens[:0], f.times[:0]
	}
}

// End implements record.Encoder.
func (f *Filler) End() {
	if f.depth == 2 && f.tls {
		switch f.list {
		case "cs":
			f.r.TLSCipherSuites = f.cs
		case "srlt":
			f.r.TLSRecordLengths, f.r.TLSRecordTimes = f.lens, f.times
		}
		f.list = ""
	}
	f.depth--
	if f.depth == 0 {
		f.tls = false
	}
}

// Uint implements record.Encoder.
func (f *Filler) Uint(name string, v uint64) {
	if !f.tls {
		return
	}
	switch {
	case f.depth == 1:
		switch name {
		case "c_version", "s_version":
			f.r.TLSVersion = uint8(v)
		case "c_key_length":
			f.r.TLSKeyLength = uint16(min(v, 65535))
		}
	case f.depth == 3 && f.list == "srlt":
		switch name {
		case "b":
			f.lens = append(f.lens, uint16(v))
		case "ipt":
			if v >= 1<<31 {
				v = 0 // a negative gap, wrapped to 32 bits
			}
			f.times = append(f.times, uint16(min(v, 65535)))
		}
	}
}

// Hex implements record.Encoder.
func (f *Filler) Hex(name string, p []byte) {
	if !f.tls {
		return
	}
	switch {
	case f.depth == 1:
		switch name {
		case "c_random", "s_random":
			f.random = append(f.random[:0], p...)
			f.r.TLSRandom = f.random
		case "c_sid", "s_sid":
			f.sid = append(f.sid[:0], p...)
			f.r.TLSSessionID = f.sid
		case "scs":
			if len(p) == 2 {
				f.cs = append(f.cs[:0], binary.BigEndian.Uint16(p))
				f.r.TLSCipherSuites = f.cs
			}
		}
	case f.depth == 2 && f.list == "cs" && len(p) == 2:
		f.cs = append(f.cs, binary.BigEndian.Uint16(p))
	}
}

// Null implements record.Encoder.
func (f *Filler) Null(string) {}

// Int implements record.Encoder.
func (f *Filler) Int(string, int64) {}

// Float implements record.Encoder.
func (f *Filler) Float(string, float64, byte, int) {}

// Time implements record.Encoder.
func (f *Filler) Time(string, int64) {}

// String implements record.Encoder.
func (f *Filler) String(string, string) {}

// Text implements record.Encoder.
func (f *Filler) Text(string, []byte) {}

// Raw implements record.Encoder.
func (f *Filler) Raw(string, []byte) {}

// Members implements record.Encoder.
func (f *Filler) Members([]byte) {}

var _ record.Encoder = (*Filler)(nil)
