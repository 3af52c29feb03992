package ike

import (
	"encoding/binary"
	"unsafe"

	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/record"
)

// Message layout (RFC 2408 3.1, RFC 7296 3.1).
const (
	headerLen     = 28    // bytes of the header on the wire
	headerNeed    = 32    // bytes the original wants before reading it (QUIRK-43)
	maxMessageLen = 35000 // longer header lengths are rejected
	maxPayloads   = 20
	maxProposals  = 20
	maxTransforms = 20
	maxAttributes = 20
	flagEncrypted = 0x01 // IKEv1 "encryption" flag: payloads are not parsed
)

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// walker checks the structure of a message and, when e is set, emits it
// through e at the same time, so that validation (when the message
// arrives) and printing (when the flow is written) share one parser and
// cannot disagree.
type walker struct {
	e *record.Enc
	// names holds the hex digits of up to two names without a table
	// entry (a key and its value), in the State, so that emitting them
	// does not allocate.
	names *[2][8]byte
}

// hex emits p as a lowercase hex string.
func (w *walker) hex(name string, p []byte) {
	if w.e != nil {
		w.e.Hex(name, p)
	}
}

const hexDigits = "0123456789abcdef"

// hexName appends the name of v from a table, or v as `digits` lowercase
// hex digits (C's %0Nx) when the table has no entry.
func hexName(b []byte, name string, ok bool, v uint32, digits int) []byte {
	if ok {
		return append(b, name...)
	}
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// name8 and friends return the name of v in m, or its hex value (in
// w.names[slot], valid until that slot is used again) when m has none.
func (w *walker) name8(m map[uint8]string, v uint8, slot int) string { return name(w, m, v, 2, slot) }

func (w *walker) name16(m map[uint16]string, v uint16, slot int) string {
	return name(w, m, v, 4, slot)
}

func (w *walker) name32(m map[uint32]string, v uint32) string { return name(w, m, v, 8, 0) }

func name[K uint8 | uint16 | uint32](w *walker, m map[K]string, v K, digits int, slot int) string {
	if s, ok := m[v]; ok {
		return s
	}
	b := hexName(w.names[slot][:0], "", false, uint32(v), digits)
	return unsafe.String(&b[0], len(b))
}

// check examines a message at the start of d (the reassembly buffer). It
// returns ok and the number of buffer bytes the message occupies
// (consume) and of bytes to keep for printing (keep); when ok is false,
// final reports that more data cannot change the outcome.
func check(d []byte) (ok bool, consume, keep int, final bool) {
	if len(d) < headerNeed {
		return false, 0, 0, false
	}
	h := int(be32(d[24:]))
	if be32(d[24:]) > maxMessageLen {
		return false, 0, 0, true
	}
	if d[19]&flagEncrypted != 0 {
		// Only the header is read; the header length is consumed even when
		// it is shorter than the header or longer than what is there.
		return true, min(h, len(d)), headerLen, false
	}
	if h < headerLen {
		return false, 0, 0, true // the payload walk ends at offset 28 at the earliest
	}
	w := walker{}
	if w.payloads(d[:min(h, len(d))], d[16]) && len(d) >= h {
		return true, h, h, false
	}
	// A message that fits in what is there fails for good: every payload
	// moves the offset forward and the walk never looks past the length.
	return false, 0, 0, len(d) >= h
}

// message emits the object of a message kept by check (w.e is set).
func (w *walker) message(m []byte) {
	e := w.e
	e.Object("")
	e.Object("header")
	e.Hex("init_spi", m[0:8])
	e.Hex("resp_spi", m[8:16])
	major, minor := m[17]>>4, m[17]&0x0f
	e.Uint("major", uint64(major))
	e.Uint("minor", uint64(minor))
	e.String("exchange_type", w.name8(exchangeNames, m[18], 0))
	flags := m[19]
	e.Object("flags")
	e.Text("hex", hexName(w.names[0][:0], "", false, uint32(flags), 4))
	e.List("parsed")
	switch major {
	case 1:
		e.String("", pick(flags&0x01 != 0, "encryption", "no_encryption"))
		e.String("", pick(flags&0x02 != 0, "commit", "no_commit"))
		e.String("", pick(flags&0x04 != 0, "authentication", "no_authentication"))
	case 2:
		e.String("", pick(flags&0x08 != 0, "initiator", "responder"))
		e.String("", pick(flags&0x10 != 0, "higher_version", "no_higher_version"))
		e.String("", pick(flags&0x20 != 0, "response", "request"))
	}
	e.End()
	e.End()
	e.Uint("message_id", uint64(be32(m[20:])))
	e.Uint("length", uint64(be32(m[24:])))
	e.End()
	if flags&flagEncrypted == 0 {
		w.payloads(m, m[16])
	}
	e.End()
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// payloads walks the payload chain that starts at offset 28 of m with
// payload type next. The walk ends at a next-payload type of 0 or at the
// end of the message (an IKEv2 encrypted payload names the first payload
// inside it as its next one); it succeeds when it ends exactly at len(m).
// Emitted as the list "payloads" when there is at least one payload.
func (w *walker) payloads(m []byte, next uint8) bool {
	off, n := headerLen, 0
	for next != 0 && off < len(m) {
		if n == maxPayloads || len(m)-off < 4 {
			return false
		}
		plen := int(be16(m[off+2:]))
		if plen < 4 || plen > len(m)-off {
			return false
		}
		if n == 0 && w.e != nil {
			w.e.List("payloads")
		}
		if !w.payload(next, m[off+4:off+plen]) {
			return false
		}
		n++
		next = m[off]
		off += plen
	}
	if n > 0 && w.e != nil {
		w.e.End()
	}
	return off == len(m)
}

// payload emits one payload object; body is the payload after its
// 4-byte generic header.
func (w *walker) payload(t uint8, body []byte) bool {
	key, ok := payloadNames[t]
	if w.e != nil {
		w.e.Object("")
		if !ok {
			w.e.Text("kind", jsonw.Uint(w.names[0][:0], uint64(t)))
			key = "body"
		}
	}
	ok = true
	switch t {
	case ptSAv1:
		ok = w.sa(key, body, true)
	case ptSAv2:
		ok = w.sa(key, body, false)
	case ptKEv1, ptHashV1, ptNonceV1, ptNonceV2:
		w.hex(key, body)
	case ptKEv2:
		ok = w.typed16(key, body, groupNames, 4)
	case ptIDv1:
		ok = w.typed8(key, body, idV1Names, 4)
	case ptIDiV2, ptIDrV2:
		ok = w.typed8(key, body, idV2Names, 4)
	case ptCertV1, ptCertV2, ptCertReqV1, ptCertReqV2:
		ok = w.typed8(key, body, certEncodingNames, 1)
	case ptAuthV2:
		ok = w.typed8(key, body, authMethodNames, 4)
	case ptNotifyV1:
		ok = w.notify(key, body, true)
	case ptNotifyV2:
		ok = w.notify(key, body, false)
	case ptVendorV1, ptVendorV2:
		if w.e == nil {
			break
		}
		if d := vendorName(body); d != "" {
			w.e.String(key, d)
		} else {
			w.e.Hex(key, body)
		}
	default:
		if w.e != nil {
			w.e.Object(key)
			w.e.End()
		}
	}
	if w.e != nil {
		w.e.End()
	}
	return ok
}

// typed8 emits {"<name of body[0]>":"<hex of body[skip:]>"} as key.
func (w *walker) typed8(key string, body []byte, names map[uint8]string, skip int) bool {
	if len(body) < skip {
		return false
	}
	if e := w.e; e != nil {
		e.Object(key)
		e.Hex(w.name8(names, body[0], 0), body[skip:])
		e.End()
	}
	return true
}

// typed16 emits {"<name of body[0:2]>":"<hex of body[skip:]>"} as key.
func (w *walker) typed16(key string, body []byte, names map[uint16]string, skip int) bool {
	if len(body) < skip {
		return false
	}
	if e := w.e; e != nil {
		e.Object(key)
		e.Hex(w.name16(names, be16(body), 0), body[skip:])
		e.End()
	}
	return true
}

// notify emits a notification (IKEv1: DOI, protocol, SPI size, type;
// IKEv2: protocol, SPI size, type), then the SPI and the data.
func (w *walker) notify(key string, body []byte, v1 bool) bool {
	fixed := 4
	if v1 {
		fixed = 8
	}
	if len(body) < fixed {
		return false
	}
	f := body
	if v1 {
		f = f[4:]
	}
	spiLen, typ := int(f[1]), be16(f[2:])
	rest := body[fixed:]
	if spiLen > len(rest) {
		return false
	}
	e := w.e
	if e == nil {
		return true
	}
	e.Object(key)
	if v1 {
		e.String("doi", w.name32(doiNames, be32(body)))
		e.String("protocol_id", w.name8(protocolV1Names, f[0], 0))
	} else {
		e.String("protocol_id", w.name8(protocolNames, f[0], 0))
	}
	if spiLen > 0 {
		e.Hex("spi", rest[:spiLen])
	}
	data := rest[spiLen:]
	if v1 {
		e.Hex(w.name16(notifyV1Names, typ, 0), data)
	} else {
		e.Hex(w.name16(notifyV2Names, typ, 0), data)
	}
	if !v1 && typ == ptSigHashAlg && len(data) >= 2 {
		e.List("parsed")
		for i := 0; i+2 <= len(data); i += 2 {
			e.String("", w.name16(hashAlgNames, be16(data[i:]), 0))
		}
		e.End()
	}
	e.End()
	return true
}

// sa emits a security association: IKEv1 starts with the DOI and the
// situation. Proposals follow until the body is used up.
func (w *walker) sa(key string, body []byte, v1 bool) bool {
	e := w.e
	if v1 && len(body) < 8 {
		return false
	}
	if e != nil {
		e.Object(key)
		if v1 {
			e.String("doi", w.name32(doiNames, be32(body)))
			e.Uint("situation", uint64(be32(body[4:])))
		}
	}
	if v1 {
		body = body[8:]
	}
	off, n := 0, 0
	for off < len(body) {
		if n == maxProposals || len(body)-off < 8 {
			return false
		}
		plen := int(be16(body[off+2:]))
		if plen < 8 || plen > len(body)-off {
			return false
		}
		if n == 0 && e != nil {
			e.List("proposals")
		}
		if !w.proposal(body[off:off+plen], v1) {
			return false
		}
		n++
		off += plen
	}
	if e != nil {
		if n > 0 {
			e.End()
		}
		e.End()
	}
	return true
}

// proposal emits one proposal: number, protocol, SPI and its transforms
// (as many as the proposal says; they must fill it exactly).
func (w *walker) proposal(p []byte, v1 bool) bool {
	num, proto, spiLen, count := p[4], p[5], int(p[6]), int(p[7])
	if 8+spiLen > len(p) || count > maxTransforms {
		return false
	}
	e := w.e
	if e != nil {
		e.Object("")
		e.Uint("num", uint64(num))
		e.String("protocol_id", w.name8(protocolNames, proto, 0))
		if spiLen > 0 {
			e.Hex("spi", p[8:8+spiLen])
		}
	}
	off := 8 + spiLen
	for i := 0; i < count; i++ {
		if len(p)-off < 8 {
			return false
		}
		tlen := int(be16(p[off+2:]))
		if tlen < 8 || tlen > len(p)-off {
			return false
		}
		if i == 0 && e != nil {
			e.List("transforms")
		}
		if !w.transform(p[off:off+tlen], v1, proto) {
			return false
		}
		off += tlen
	}
	if e != nil {
		if count > 0 {
			e.End()
		}
		e.End()
	}
	return off == len(p)
}

// transform emits one transform. IKEv2: {"<type>":"<id>",…};
// IKEv1: {"id":"<id>","num":n,…}.
func (w *walker) transform(t []byte, v1 bool, proto uint8) bool {
	if e := w.e; e != nil {
		e.Object("")
		if v1 {
			e.String("id", w.name8(transformIDV1(proto), t[5], 0))
			e.Uint("num", uint64(t[4]))
		} else {
			e.String(w.name8(transformTypeNames, t[4], 0), w.name16(transformIDV2(t[4]), be16(t[6:]), 1))
		}
	}
	if !w.attributes(t[8:], v1) {
		return false
	}
	if w.e != nil {
		w.e.End()
	}
	return true
}

// attributes emits the list "attributes" (nothing when there are none).
// Each is {"<type>":"<value>"}: TV values are two bytes, TLV values carry
// their own length. IKEv1 TV values of the types that have a value table
// are written by name.
func (w *walker) attributes(a []byte, v1 bool) bool {
	off, n := 0, 0
	e := w.e
	for off < len(a) {
		if n == maxAttributes || len(a)-off < 4 {
			return false
		}
		at := be16(a[off:])
		typ := at & 0x7fff
		var val []byte
		if at&0x8000 != 0 {
			val = a[off+2 : off+4]
			off += 4
		} else {
			l := int(be16(a[off+2:]))
			if l > len(a)-off-4 {
				return false
			}
			val = a[off+4 : off+4+l]
			off += 4 + l
		}
		if e != nil {
			if n == 0 {
				e.List("attributes")
			}
			e.Object("")
			k := w.name16(attributeNames, typ, 0)
			if tab := attributeValues(typ); v1 && at&0x8000 != 0 && tab != nil {
				e.String(k, w.name16(tab, be16(val), 1))
			} else {
				e.Hex(k, val)
			}
			e.End()
		}
		n++
	}
	if n > 0 && e != nil {
		e.End()
	}
	return true
}
