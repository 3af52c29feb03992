package ike

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/jsonw"
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

// walker checks the structure of a message and, when on is set, appends
// its JSON text to b at the same time, so that validation (when the
// message arrives) and printing (when the flow is written) share one
// parser and cannot disagree.
type walker struct {
	b  []byte
	on bool
}

func (w *walker) raw(s string) {
	if w.on {
		w.b = append(w.b, s...)
	}
}

func (w *walker) key(s string) {
	if w.on {
		w.b = append(w.b, '"')
		w.b = append(w.b, s...)
		w.b = append(w.b, '"', ':')
	}
}

func (w *walker) uint(v uint64) {
	if w.on {
		w.b = jsonw.Uint(w.b, v)
	}
}

// hex appends p as a quoted lowercase hex string.
func (w *walker) hex(p []byte) {
	if w.on {
		w.b = append(w.b, '"')
		w.b = jsonw.Hex(w.b, p)
		w.b = append(w.b, '"')
	}
}

const hexDigits = "0123456789abcdef"

// hexName appends the name of v from a table, or v as `digits` lowercase
// hex digits (C's %0Nx) when the table has no entry, unquoted.
func hexName(b []byte, name string, ok bool, v uint32, digits int) []byte {
	if ok {
		return append(b, name...)
	}
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// name8 and friends append the quoted name of v in m (its hex value when
// m has none), or a key when asKey is set.
func (w *walker) name8(m map[uint8]string, v uint8, asKey bool) { appendName(w, m, v, 2, asKey) }

func (w *walker) name16(m map[uint16]string, v uint16, asKey bool) { appendName(w, m, v, 4, asKey) }

func (w *walker) name32(m map[uint32]string, v uint32) { appendName(w, m, v, 8, false) }

func appendName[K uint8 | uint16 | uint32](w *walker, m map[K]string, v K, digits int, asKey bool) {
	if !w.on {
		return
	}
	s, ok := m[v]
	w.b = append(w.b, '"')
	w.b = hexName(w.b, s, ok, uint32(v), digits)
	w.b = append(w.b, '"')
	if asKey {
		w.b = append(w.b, ':')
	}
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

// message appends the JSON object of a message kept by check.
func (w *walker) message(m []byte) {
	w.raw(`{"header":{"init_spi":`)
	w.hex(m[0:8])
	w.raw(`,"resp_spi":`)
	w.hex(m[8:16])
	major, minor := m[17]>>4, m[17]&0x0f
	w.raw(`,"major":`)
	w.uint(uint64(major))
	w.raw(`,"minor":`)
	w.uint(uint64(minor))
	w.raw(`,"exchange_type":`)
	w.name8(exchangeNames, m[18], false)
	flags := m[19]
	w.raw(`,"flags":{"hex":"`)
	if w.on {
		w.b = hexName(w.b, "", false, uint32(flags), 4)
	}
	w.raw(`","parsed":[`)
	switch major {
	case 1:
		w.raw(pick(flags&0x01 != 0, `"encryption"`, `"no_encryption"`))
		w.raw(pick(flags&0x02 != 0, `,"commit"`, `,"no_commit"`))
		w.raw(pick(flags&0x04 != 0, `,"authentication"`, `,"no_authentication"`))
	case 2:
		w.raw(pick(flags&0x08 != 0, `"initiator"`, `"responder"`))
		w.raw(pick(flags&0x10 != 0, `,"higher_version"`, `,"no_higher_version"`))
		w.raw(pick(flags&0x20 != 0, `,"response"`, `,"request"`))
	}
	w.raw(`]},"message_id":`)
	w.uint(uint64(be32(m[20:])))
	w.raw(`,"length":`)
	w.uint(uint64(be32(m[24:])))
	w.raw(`}`)
	if flags&flagEncrypted == 0 {
		w.payloads(m, m[16])
	}
	w.raw(`}`)
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
// Printed as `,"payloads":[…]` when there is at least one payload.
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
		w.raw(pick(n == 0, `,"payloads":[`, `,`))
		if !w.payload(next, m[off+4:off+plen]) {
			return false
		}
		n++
		next = m[off]
		off += plen
	}
	if n > 0 {
		w.raw(`]`)
	}
	return off == len(m)
}

// payload writes one payload object; body is the payload after its
// 4-byte generic header.
func (w *walker) payload(t uint8, body []byte) bool {
	if name, ok := payloadNames[t]; ok {
		w.raw(`{`)
		w.key(name)
	} else {
		w.raw(`{"kind":"`)
		w.uint(uint64(t))
		w.raw(`","body":`)
	}
	ok := true
	switch t {
	case ptSAv1:
		ok = w.sa(body, true)
	case ptSAv2:
		ok = w.sa(body, false)
	case ptKEv1, ptHashV1, ptNonceV1, ptNonceV2:
		w.hex(body)
	case ptKEv2:
		ok = w.typed16(body, groupNames, 4)
	case ptIDv1:
		ok = w.typed8(body, idV1Names, 4)
	case ptIDiV2, ptIDrV2:
		ok = w.typed8(body, idV2Names, 4)
	case ptCertV1, ptCertV2, ptCertReqV1, ptCertReqV2:
		ok = w.typed8(body, certEncodingNames, 1)
	case ptAuthV2:
		ok = w.typed8(body, authMethodNames, 4)
	case ptNotifyV1:
		ok = w.notify(body, true)
	case ptNotifyV2:
		ok = w.notify(body, false)
	case ptVendorV1, ptVendorV2:
		if d := vendorName(body); d != "" {
			w.raw(`"`)
			w.raw(d)
			w.raw(`"`)
		} else {
			w.hex(body)
		}
	default:
		w.raw(`{}`)
	}
	w.raw(`}`)
	return ok
}

// typed8 writes {"<name of body[0]>":"<hex of body[skip:]>"}.
func (w *walker) typed8(body []byte, names map[uint8]string, skip int) bool {
	if len(body) < skip {
		return false
	}
	w.raw(`{`)
	w.name8(names, body[0], true)
	w.hex(body[skip:])
	w.raw(`}`)
	return true
}

// typed16 writes {"<name of body[0:2]>":"<hex of body[skip:]>"}.
func (w *walker) typed16(body []byte, names map[uint16]string, skip int) bool {
	if len(body) < skip {
		return false
	}
	w.raw(`{`)
	w.name16(names, be16(body), true)
	w.hex(body[skip:])
	w.raw(`}`)
	return true
}

// notify writes a notification (IKEv1: DOI, protocol, SPI size, type;
// IKEv2: protocol, SPI size, type), then the SPI and the data.
func (w *walker) notify(body []byte, v1 bool) bool {
	fixed := 4
	if v1 {
		fixed = 8
	}
	if len(body) < fixed {
		return false
	}
	f := body
	w.raw(`{`)
	if v1 {
		w.raw(`"doi":`)
		w.name32(doiNames, be32(f))
		w.raw(`,"protocol_id":`)
		w.name8(protocolV1Names, f[4], false)
		f = f[4:]
	} else {
		w.raw(`"protocol_id":`)
		w.name8(protocolNames, f[0], false)
	}
	spiLen, typ := int(f[1]), be16(f[2:])
	rest := body[fixed:]
	if spiLen > len(rest) {
		return false
	}
	if spiLen > 0 {
		w.raw(`,"spi":`)
		w.hex(rest[:spiLen])
	}
	data := rest[spiLen:]
	w.raw(`,`)
	if v1 {
		w.name16(notifyV1Names, typ, true)
	} else {
		w.name16(notifyV2Names, typ, true)
	}
	w.hex(data)
	if !v1 && typ == ptSigHashAlg && len(data) >= 2 {
		w.raw(`,"parsed":[`)
		for i := 0; i+2 <= len(data); i += 2 {
			if i > 0 {
				w.raw(`,`)
			}
			w.name16(hashAlgNames, be16(data[i:]), false)
		}
		w.raw(`]`)
	}
	w.raw(`}`)
	return true
}

// sa writes a security association: IKEv1 starts with the DOI and the
// situation. Proposals follow until the body is used up.
func (w *walker) sa(body []byte, v1 bool) bool {
	w.raw(`{`)
	sep := ``
	if v1 {
		if len(body) < 8 {
			return false
		}
		w.raw(`"doi":`)
		w.name32(doiNames, be32(body))
		w.raw(`,"situation":`)
		w.uint(uint64(be32(body[4:])))
		body = body[8:]
		sep = `,`
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
		if n == 0 {
			w.raw(sep)
			w.raw(`"proposals":[`)
		} else {
			w.raw(`,`)
		}
		if !w.proposal(body[off:off+plen], v1) {
			return false
		}
		n++
		off += plen
	}
	if n > 0 {
		w.raw(`]`)
	}
	w.raw(`}`)
	return true
}

// proposal writes one proposal: number, protocol, SPI and its transforms
// (as many as the proposal says; they must fill it exactly).
func (w *walker) proposal(p []byte, v1 bool) bool {
	num, proto, spiLen, count := p[4], p[5], int(p[6]), int(p[7])
	if 8+spiLen > len(p) || count > maxTransforms {
		return false
	}
	w.raw(`{"num":`)
	w.uint(uint64(num))
	w.raw(`,"protocol_id":`)
	w.name8(protocolNames, proto, false)
	if spiLen > 0 {
		w.raw(`,"spi":`)
		w.hex(p[8 : 8+spiLen])
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
		w.raw(pick(i == 0, `,"transforms":[`, `,`))
		if !w.transform(p[off:off+tlen], v1, proto) {
			return false
		}
		off += tlen
	}
	if count > 0 {
		w.raw(`]`)
	}
	w.raw(`}`)
	return off == len(p)
}

// transform writes one transform. IKEv2: {"<type>":"<id>",…};
// IKEv1: {"id":"<id>","num":n,…}.
func (w *walker) transform(t []byte, v1 bool, proto uint8) bool {
	if v1 {
		w.raw(`{"id":`)
		w.name8(transformIDV1(proto), t[5], false)
		w.raw(`,"num":`)
		w.uint(uint64(t[4]))
	} else {
		w.raw(`{`)
		w.name8(transformTypeNames, t[4], true)
		w.name16(transformIDV2(t[4]), be16(t[6:]), false)
	}
	if !w.attributes(t[8:], v1) {
		return false
	}
	w.raw(`}`)
	return true
}

// attributes writes `,"attributes":[…]` (nothing when there are none).
// Each is {"<type>":"<value>"}: TV values are two bytes, TLV values carry
// their own length. IKEv1 TV values of the types that have a value table
// are written by name.
func (w *walker) attributes(a []byte, v1 bool) bool {
	off, n := 0, 0
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
		w.raw(pick(n == 0, `,"attributes":[{`, `,{`))
		w.name16(attributeNames, typ, true)
		if tab := attributeValues(typ); v1 && at&0x8000 != 0 && tab != nil {
			w.name16(tab, be16(val), false)
		} else {
			w.hex(val)
		}
		w.raw(`}`)
		n++
	}
	if n > 0 {
		w.raw(`]`)
	}
	return true
}
