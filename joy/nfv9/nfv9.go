// Package nfv9 decodes NetFlow version 9 export packets (RFC 3954) into
// flow records, as a collector: templates are learnt per exporter and
// source id, data records decoded with them.
//
// Every length comes from the packet and is checked before use: a
// flowset's records are bounded by its bytes, templates with no fields or
// with a zero-length field are refused, and the templates kept are
// bounded per exporter (MaxTemplatesPerSource) and in total (MaxTemplates).
package nfv9

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gojoy/libjoy/joy/ipfix"
)

// Field types used here (RFC 3954 §8; the same numbers as IPFIX's).
const (
	inBytes       = 1
	inPkts        = 2
	protocol      = 4
	l4SrcPort     = 7
	ipv4SrcAddr   = 8
	l4DstPort     = 11
	ipv4DstAddr   = 12
	lastSwitched  = 21
	firstSwitched = 22
	ipv6SrcAddr   = 27
	ipv6DstAddr   = 28
	flowStartMs   = 152 // flowStartMilliseconds (IPFIX IE, used by some v9 exporters)
	flowEndMs     = 153
)

// Bounds on what one exporter can make the collector keep.
const (
	MaxTemplatesPerSource = 256
	MaxTemplates          = 4096
	maxFields             = 512 // fields of one template
)

const headerLen = 20

// Header is a NetFlow v9 packet header.
type Header struct {
	Count     uint16
	SysUptime uint32 // ms since the exporter started
	UnixSecs  uint32
	Sequence  uint32
	SourceID  uint32
}

type field struct{ typ, length uint16 }

type template struct {
	fields []field
	size   int // bytes of one data record
}

type templateKey struct {
	exporter netip.Addr
	source   uint32
	id       uint16
}

type sourceKey struct {
	exporter netip.Addr
	source   uint32
}

// Collector holds the templates learnt from exporters.
type Collector struct {
	templates map[templateKey]*template
	perSource map[sourceKey]int

	// Counters.
	Packets, Records, Templates, RefusedTemplates, UnknownTemplate uint64
	// Missed counts records missing by sequence number (v9 sequence
	// numbers count packets, so this is packets missed).
	Missed  uint64
	lastSeq map[sourceKey]uint32
}

// NewCollector returns a collector with no templates.
func NewCollector() *Collector {
	return &Collector{templates: map[templateKey]*template{}, perSource: map[sourceKey]int{}, lastSeq: map[sourceKey]uint32{}}
}

// ErrFormat marks a packet that is not well-formed NetFlow v9.
var ErrFormat = errors.New("nfv9: malformed packet")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Decode reads one export packet from exporter and calls emit for each
// data record (r is reused after emit returns). Records decoded before an
// error in a later flowset are emitted; the error says what was wrong.
func (c *Collector) Decode(exporter netip.Addr, pkt []byte, emit func(r *ipfix.Record)) error {
	if len(pkt) < headerLen {
		return formatErr("%d bytes, shorter than the 20-byte header", len(pkt))
	}
	if v := binary.BigEndian.Uint16(pkt); v != 9 {
		return formatErr("version %d, not 9", v)
	}
	h := Header{
		Count:     binary.BigEndian.Uint16(pkt[2:]),
		SysUptime: binary.BigEndian.Uint32(pkt[4:]),
		UnixSecs:  binary.BigEndian.Uint32(pkt[8:]),
		Sequence:  binary.BigEndian.Uint32(pkt[12:]),
		SourceID:  binary.BigEndian.Uint32(pkt[16:]),
	}
	c.Packets++
	sk := sourceKey{exporter, h.SourceID}
	if last, ok := c.lastSeq[sk]; ok && h.Sequence > last+1 && h.Sequence-last < 1<<31 {
		c.Missed += uint64(h.Sequence - last - 1)
	}
	c.lastSeq[sk] = h.Sequence
	var r ipfix.Record
	rest := pkt[headerLen:]
	for len(rest) > 0 {
		if len(rest) < 4 {
			return nil // padding after the last flowset
		}
		id := binary.BigEndian.Uint16(rest)
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if n < 4 || n > len(rest) {
			return formatErr("flowset %d declares %d bytes, %d left", id, n, len(rest))
		}
		body := rest[4:n]
		rest = rest[n:]
		switch {
		case id == 0:
			if err := c.templateSet(sk, body); err != nil {
				return err
			}
		case id == 1:
			// Options templates describe the exporter, not flows.
		case id < 256:
			return formatErr("reserved flowset id %d", id)
		default:
			t := c.templates[templateKey{exporter, h.SourceID, id}]
			if t == nil {
				c.UnknownTemplate++
				continue
			}
			// Records are bounded by the flowset's bytes; what is left
			// over (less than a record) is padding.
			for len(body) >= t.size {
				r = ipfix.Record{}
				decodeRecord(&r, t, body[:t.size], &h)
				body = body[t.size:]
				c.Records++
				emit(&r)
			}
		}
	}
	return nil
}

// templateSet learns the templates of one template flowset.
func (c *Collector) templateSet(sk sourceKey, b []byte) error {
	for len(b) >= 4 {
		id := binary.BigEndian.Uint16(b)
		count := int(binary.BigEndian.Uint16(b[2:]))
		b = b[4:]
		if id < 256 {
			if id == 0 && count == 0 {
				return nil // padding
			}
			return formatErr("template id %d (below 256)", id)
		}
		if count == 0 {
			return formatErr("template %d has no fields", id)
		}
		if count > maxFields {
			return formatErr("template %d has %d fields (at most %d)", id, count, maxFields)
		}
		if 4*count > len(b) {
			return formatErr("template %d declares %d fields, %d bytes left", id, count, len(b))
		}
		t := &template{fields: make([]field, count)}
		for i := range t.fields {
			f := field{binary.BigEndian.Uint16(b[4*i:]), binary.BigEndian.Uint16(b[4*i+2:])}
			if f.length == 0 {
				return formatErr("template %d: field %d (type %d) has length 0", id, i, f.typ)
			}
			t.fields[i] = f
			t.size += int(f.length)
		}
		b = b[4*count:]
		if t.size > 65535-4 {
			return formatErr("template %d: records of %d bytes cannot fit a flowset", id, t.size)
		}
		key := templateKey{sk.exporter, sk.source, id}
		if c.templates[key] == nil {
			if c.perSource[sk] >= MaxTemplatesPerSource || len(c.templates) >= MaxTemplates {
				c.RefusedTemplates++
				continue
			}
			c.perSource[sk]++
		}
		c.templates[key] = t
		c.Templates++
	}
	return nil
}

func uintBE(b []byte) uint64 {
	var v uint64
	for _, x := range b[:min(len(b), 8)] {
		v = v<<8 | uint64(x)
	}
	return v
}

// decodeRecord fills r from one data record. Times: FIRST_SWITCHED and
// LAST_SWITCHED are the exporter's uptime in ms, turned into wall-clock
// time with the header's uptime and clock (RFC 3954 §5.1).
func decodeRecord(r *ipfix.Record, t *template, b []byte, h *Header) {
	bootMs := int64(h.UnixSecs)*1000 - int64(h.SysUptime)
	for _, f := range t.fields {
		v := b[:f.length]
		b = b[f.length:]
		switch f.typ {
		case inBytes:
			r.Octets = uintBE(v)
		case inPkts:
			r.Packets = uintBE(v)
		case protocol:
			r.Proto = uint8(uintBE(v))
		case l4SrcPort:
			r.Sp = uint16(uintBE(v))
		case l4DstPort:
			r.Dp = uint16(uintBE(v))
		case ipv4SrcAddr:
			if len(v) == 4 {
				copy(r.Src[:], v)
			}
		case ipv4DstAddr:
			if len(v) == 4 {
				copy(r.Dst[:], v)
			}
		case ipv6SrcAddr:
			if len(v) == 16 {
				copy(r.Src[:], v)
				r.V6 = true
			}
		case ipv6DstAddr:
			if len(v) == 16 {
				copy(r.Dst[:], v)
				r.V6 = true
			}
		case firstSwitched:
			r.Start = (bootMs + int64(uint32(uintBE(v)))) * 1000
		case lastSwitched:
			r.End = (bootMs + int64(uint32(uintBE(v)))) * 1000
		case flowStartMs:
			r.Start = int64(uintBE(v)) * 1000
		case flowEndMs:
			r.End = int64(uintBE(v)) * 1000
		}
	}
}
