// Package fingerprint computes client and server fingerprints of TLS, DTLS
// and QUIC hellos from the typed fields of joy/tls's hello parser:
//
//   - JA3 and JA3S (github.com/salesforce/ja3): the decimal string and its
//     MD5, GREASE values (RFC 8701) left out as JA3 and Wireshark do;
//   - JA4 (FoxIO's BSD-licensed specification, technical_details/JA4.md):
//     the TLS, DTLS and QUIC client fingerprint, and its raw forms;
//   - mercury's network protocol fingerprints (cisco/mercury doc/npf.md):
//     "tls/1" and "quic/1".
//
// Every function appends to a caller's buffer and keeps no state, so a
// module can compute fingerprints without allocating in steady state.
package fingerprint

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/gojoy/libjoy/joy/tls"
)

// AppendJA3 appends the JA3 string of a ClientHello:
// version,ciphers,extensions,groups,point formats (decimal, '-' separated,
// GREASE left out). For a ServerHello it appends the JA3S string.
func AppendJA3(b []byte, h *tls.Hello) []byte {
	if h.Type == tls.HelloServer {
		return AppendJA3S(b, h)
	}
	b = strconv.AppendUint(b, uint64(h.Version), 10)
	b = append(b, ',')
	b = appendDecimals(b, h.CipherSuites)
	b = append(b, ',')
	b = appendExtTypes(b, h)
	b = append(b, ',')
	b = appendDecimals(b, h.SupportedGroups)
	b = append(b, ',')
	for i, f := range h.ECPointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(f), 10)
	}
	return b
}

// AppendJA3S appends the JA3S string of a ServerHello:
// version,cipher,extensions.
func AppendJA3S(b []byte, h *tls.Hello) []byte {
	b = strconv.AppendUint(b, uint64(h.Version), 10)
	b = append(b, ',')
	if len(h.CipherSuites) > 0 {
		b = strconv.AppendUint(b, uint64(h.CipherSuites[0]), 10)
	}
	b = append(b, ',')
	return appendExtTypes(b, h)
}

func appendDecimals(b []byte, v []uint16) []byte {
	first := true
	for _, x := range v {
		if tls.IsGREASE(x) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(x), 10)
	}
	return b
}

func appendExtTypes(b []byte, h *tls.Hello) []byte {
	first := true
	for _, e := range h.Extensions {
		if tls.IsGREASE(e.Type) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = strconv.AppendUint(b, uint64(e.Type), 10)
	}
	return b
}

// AppendMD5 appends the MD5 of s in lower-case hex (JA3's hash).
func AppendMD5(b, s []byte) []byte {
	sum := md5.Sum(s)
	return hex.AppendEncode(b, sum[:])
}

// JA3 returns the JA3 (or, for a ServerHello, JA3S) string and its MD5.
func JA3(h *tls.Hello) (full, hash string) {
	s := AppendJA3(nil, h)
	return string(s), string(AppendMD5(nil, s))
}

// Protocol letters of JA4's first field.
const (
	JA4TCP  = 't'
	JA4QUIC = 'q'
	JA4DTLS = 'd'
)

// ja4Version is JA4's two-character TLS version.
func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

const hexDigits = "0123456789abcdef"

// appendJA4A appends JA4's first section (JA4_a) for a ClientHello.
func appendJA4A(b []byte, h *tls.Hello, proto byte) []byte {
	b = append(b, proto)
	b = append(b, ja4Version(h.SelectedVersion())...)
	sni := byte('i')
	nExt := 0
	for _, e := range h.Extensions {
		if tls.IsGREASE(e.Type) {
			continue
		}
		nExt++
		if e.Type == tls.ExtServerName {
			sni = 'd'
		}
	}
	b = append(b, sni)
	nCS := 0
	for _, c := range h.CipherSuites {
		if !tls.IsGREASE(c) {
			nCS++
		}
	}
	b = appendCount(b, nCS)
	b = appendCount(b, nExt)
	switch {
	case len(h.ALPN) == 0 || h.ALPN[0] == "":
		b = append(b, "00"...)
	default:
		a := h.ALPN[0]
		first, last := a[0], a[len(a)-1]
		if isAlnum(first) && isAlnum(last) {
			b = append(b, first, last)
		} else {
			b = append(b, hexDigits[first>>4], hexDigits[last&0xf])
		}
	}
	return b
}

func appendCount(b []byte, n int) []byte {
	if n > 99 {
		n = 99
	}
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

func appendHex4(b []byte, v uint16) []byte {
	return append(b, hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf])
}

// appendHexList appends v as comma-separated 4-digit hex values, GREASE
// left out, sorted if sort is set.
func appendHexList(b []byte, v []uint16, sorted bool, skip func(uint16) bool) []byte {
	var tmp [128]uint16
	list := tmp[:0]
	for _, x := range v {
		if !tls.IsGREASE(x) && (skip == nil || !skip(x)) {
			list = append(list, x)
		}
	}
	if sorted {
		slices.Sort(list)
	}
	for i, x := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex4(b, x)
	}
	return b
}

func extTypes(h *tls.Hello, dst []uint16) []uint16 {
	for _, e := range h.Extensions {
		dst = append(dst, e.Type)
	}
	return dst
}

func sniOrALPN(t uint16) bool { return t == tls.ExtServerName || t == tls.ExtALPN }

// AppendJA4 appends the JA4 fingerprint of a ClientHello; proto is
// JA4TCP, JA4QUIC or JA4DTLS.
func AppendJA4(b []byte, h *tls.Hello, proto byte) []byte {
	return appendJA4(b, h, proto, false, false)
}

// AppendJA4R appends JA4_r (raw, sorted), or JA4_ro (raw, original order)
// when original is set.
func AppendJA4R(b []byte, h *tls.Hello, proto byte, original bool) []byte {
	return appendJA4(b, h, proto, true, original)
}

// AppendJA4O appends JA4_o: hashed, in the original order, SNI and ALPN
// kept.
func AppendJA4O(b []byte, h *tls.Hello, proto byte) []byte {
	return appendJA4(b, h, proto, false, true)
}

func appendJA4(b []byte, h *tls.Hello, proto byte, raw, original bool) []byte {
	b = appendJA4A(b, h, proto)
	var scratch [1024]byte
	var ext [128]uint16
	exts := extTypes(h, ext[:0])

	// b: the cipher list.
	b = append(b, '_')
	s := appendHexList(scratch[:0], h.CipherSuites, !original, nil)
	b = appendSection(b, s, raw)

	// c: the extensions, then the signature algorithms in their order.
	b = append(b, '_')
	var skip func(uint16) bool
	if !original {
		skip = sniOrALPN
	}
	s = appendHexList(scratch[:0], exts, !original, skip)
	if len(s) == 0 {
		if raw {
			return b
		}
		return append(b, "000000000000"...)
	}
	var sigBuf [512]byte
	if sigs := appendHexList(sigBuf[:0], h.SignatureAlgorithms, false, nil); len(sigs) > 0 {
		s = append(s, '_')
		s = append(s, sigs...)
	}
	return appendSection(b, s, raw)
}

// appendSection appends s itself (raw) or the first 12 hex digits of its
// SHA-256; an empty list hashes to twelve zeros.
func appendSection(b, s []byte, raw bool) []byte {
	if raw {
		return append(b, s...)
	}
	if len(s) == 0 {
		return append(b, "000000000000"...)
	}
	sum := sha256.Sum256(s)
	return hex.AppendEncode(b, sum[:6])
}
