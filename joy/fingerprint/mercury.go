package fingerprint

import (
	"bytes"
	"encoding/hex"
	"slices"

	"github.com/gojoy/libjoy/joy/tls"
)

// Mercury's network protocol fingerprints (cisco/mercury doc/npf.md): a
// tree of hex byte strings, "(..)" a string or list, "[..]" a sorted list.

// tlsExtFixed lists the extensions whose whole bytes (type, length, data)
// the fingerprint keeps (npf.md TLS_EXT_FIXED).
func tlsExtFixed(t uint16) bool {
	switch t {
	case 0x0001, 0x0005, 0x0007, 0x0008, 0x0009, 0x000a, 0x000b, 0x000d,
		0x000f, 0x0010, 0x0011, 0x0018, 0x001b, 0x001c, 0x002b, 0x002d,
		0x0032, 0x5500:
		return true
	}
	return false
}

// tlsExtInclude is npf.md's TLS_EXT_INCLUDE.
func tlsExtInclude(t uint16) bool {
	switch {
	case t <= 0x0014, t >= 0x0016 && t <= 0x0022, t >= 0x0024 && t <= 0x0028,
		t >= 0x002b && t <= 0x003e:
		return true
	}
	switch t {
	case 0x0a0a, 0x3374, 0x5500, 0x754f, 0x7550, 0xfd00, 0xfe0d, 0xff00,
		0xff01, 0xff03, 0xffa5, 0xffce:
		return true
	}
	return false
}

// ianaAssigned reports the extension types IANA's registry assigns
// (0-61, 0xfd00, 0xfe0d, 0xff01); the rest of 0xff00-0xffff is for
// private use.
func ianaAssigned(t uint16) bool {
	return t <= 61 || t == 0xfd00 || t == 0xfe0d || t == 0xff01
}

// degrease maps GREASE values to 0a0a. Mercury's test is looser than
// RFC 8701's (both nibbles 0xa, the high ones not compared).
func degrease(v uint16) uint16 {
	if v&0x0f0f == 0x0a0a {
		return 0x0a0a
	}
	return v
}

// encodeExt is npf.md's ENCODE: the type kept in a selected-extension
// list, or ok false when the extension is left out.
func encodeExt(t uint16) (uint16, bool) {
	d := degrease(t)
	switch {
	case tlsExtInclude(d):
		return d, true
	case t >= 0xff00:
		return 0xff00, true
	case !ianaAssigned(t):
		return 0x003e, true
	}
	return 0, false
}

// element is one entry of a sorted list: its sort key is its bytes,
// store[start:end] of the list's store. A transport-parameters element
// (qtp >= 0, the extension's index) prints its key, then the sorted ids
// of that extension's data.
type element struct {
	start, end int32
	qtp        int32
}

// appendFixed appends the bytes of a fixed extension with GREASE values
// of supported_groups and supported_versions replaced by 0a0a, as mercury
// does.
func appendFixed(b []byte, e tls.Extension, client bool) []byte {
	t := degrease(e.Type)
	l := degrease(uint16(len(e.Data))) // mercury degreases the length too
	b = append(b, byte(t>>8), byte(t), byte(l>>8), byte(l))
	start := len(b)
	b = append(b, e.Data...)
	skip := -1
	switch t {
	case tls.ExtSupportedGroups:
		skip = 2
	case tls.ExtSupportedVersions:
		skip = 0
		if client {
			skip = 1
		}
	}
	if skip >= 0 {
		d := b[start:]
		for i := skip; i+1 < len(d); i += 2 {
			v := degrease(uint16(d[i])<<8 | uint16(d[i+1]))
			d[i], d[i+1] = byte(v>>8), byte(v)
		}
	}
	return b
}

func appendHexBytes(b, p []byte) []byte { return hex.AppendEncode(b, p) }

// AppendMercuryTLS appends mercury's "tls/1/" fingerprint of a
// ClientHello: (version)(cipher suites, GREASE as 0a0a)[extensions sorted
// by type (GREASE as 0a0a), length and data; the fixed ones with their
// data, the QUIC transport parameters as their sorted ids].
func AppendMercuryTLS(b []byte, h *tls.Hello) []byte {
	b = append(b, "tls/1/"...)
	b = appendMercuryHead(b, h)
	// Scratch on the stack for the usual hello (about 20 extensions,
	// under 1 KiB of fixed extension data); more grows onto the heap.
	var elsBuf [32]element
	var storeBuf [1024]byte
	els, store := elsBuf[:0], storeBuf[:0]
	for i, e := range h.Extensions {
		start := len(store)
		t := degrease(e.Type)
		qtp := -1
		switch {
		case e.Type == tls.ExtQUICTransportParams || e.Type == tls.ExtQUICTransportDraft:
			store = append(store, byte(e.Type>>8), byte(e.Type))
			qtp = i
		case tlsExtFixed(t):
			store = appendFixed(store, e, true)
		default:
			store = append(store, byte(t>>8), byte(t))
		}
		els = append(els, element{start: int32(start), end: int32(len(store)), qtp: int32(qtp)})
	}
	return appendSorted(b, els, store, h.Extensions)
}

// AppendMercuryQUIC appends mercury's "quic/1/" fingerprint of the
// ClientHello of a QUIC Initial: (QUIC version)(TLS version)(cipher
// suites)[selected extensions sorted, the transport parameters as
// ((type)[(parameter id)...])].
func AppendMercuryQUIC(b []byte, quicVersion uint32, h *tls.Hello) []byte {
	b = append(b, "quic/1/("...)
	v := [4]byte{byte(quicVersion >> 24), byte(quicVersion >> 16), byte(quicVersion >> 8), byte(quicVersion)}
	b = appendHexBytes(b, v[:])
	b = append(b, ')')
	b = appendMercuryHead(b, h)
	// Scratch on the stack for the usual hello (about 20 extensions,
	// under 1 KiB of fixed extension data); more grows onto the heap.
	var elsBuf [32]element
	var storeBuf [1024]byte
	els, store := elsBuf[:0], storeBuf[:0]
	for i, e := range h.Extensions {
		start := len(store)
		t := degrease(e.Type)
		qtp := -1
		switch {
		case tlsExtFixed(t):
			store = appendFixed(store, e, true)
		case e.Type == tls.ExtQUICTransportParams || e.Type == tls.ExtQUICTransportDraft:
			store = append(store, byte(e.Type>>8), byte(e.Type))
			qtp = i
		default:
			et, ok := encodeExt(e.Type)
			if !ok {
				continue
			}
			store = append(store, byte(et>>8), byte(et))
		}
		els = append(els, element{start: int32(start), end: int32(len(store)), qtp: int32(qtp)})
	}
	return appendSorted(b, els, store, h.Extensions)
}

func appendMercuryHead(b []byte, h *tls.Hello) []byte {
	b = append(b, '(')
	b = appendHex4(b, h.Version)
	b = append(b, ")("...)
	for _, c := range h.CipherSuites {
		b = appendHex4(b, degrease(c))
	}
	return append(b, ')')
}

func appendSorted(b []byte, els []element, store []byte, exts []tls.Extension) []byte {
	slices.SortStableFunc(els, func(x, y element) int {
		return bytes.Compare(store[x.start:x.end], store[y.start:y.end])
	})
	b = append(b, '[')
	for _, e := range els {
		b = append(b, '(')
		key := store[e.start:e.end]
		if e.qtp >= 0 {
			b = append(b, '(')
			b = appendHexBytes(b, key)
			b = append(b, ')')
			b = appendQTP(b, exts[e.qtp].Data)
		} else {
			b = appendHexBytes(b, key)
		}
		b = append(b, ')')
	}
	return append(b, ']')
}

// qtpID is a transport parameter's id as its variable-length integer
// bytes.
type qtpID struct {
	b [8]byte
	n uint8
}

// appendQTP appends the sorted list of the transport parameters' ids,
// each as its variable-length integer bytes, ids with id%31 == 27
// (reserved, RFC 9000 §18.1) as 1b.
func appendQTP(b, p []byte) []byte {
	var idsBuf [48]qtpID // on the stack for the usual list; more grows onto the heap
	ids := idsBuf[:0]
	for len(p) > 0 {
		id, n := varint(p)
		if n == 0 {
			break
		}
		var q qtpID
		if id%31 == 27 {
			q.b[0], q.n = 0x1b, 1
		} else {
			q.n = uint8(copy(q.b[:], p[:n]))
		}
		p = p[n:]
		l, m := varint(p)
		if m == 0 || uint64(len(p)-m) < l {
			break
		}
		p = p[m+int(l):]
		ids = append(ids, q)
	}
	slices.SortStableFunc(ids, func(x, y qtpID) int { return bytes.Compare(x.b[:x.n], y.b[:y.n]) })
	b = append(b, '[')
	for i := range ids {
		b = append(b, '(')
		b = appendHexBytes(b, ids[i].b[:ids[i].n])
		b = append(b, ')')
	}
	return append(b, ']')
}

// varint decodes a QUIC variable-length integer (RFC 9000 §16); n is 0
// when p is too short.
func varint(p []byte) (v uint64, n int) {
	if len(p) == 0 {
		return 0, 0
	}
	n = 1 << (p[0] >> 6)
	if len(p) < n {
		return 0, 0
	}
	v = uint64(p[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(p[i])
	}
	return v, n
}
