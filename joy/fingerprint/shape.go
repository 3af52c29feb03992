package fingerprint

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/tls"
)

// AppendShape appends the shape of a parsed hello: an unambiguous encoding
// of every field its fingerprints (JA3/JA3S, JA4 and its forms, mercury's
// tls/1 and quic/1) and its typed TLS 1.3 fields (versions, groups, key
// share groups, signature algorithms, PSK modes, flags, ALPN) are computed
// from. The parts that change with every connection are left out: the
// random (but not whether it is a HelloRetryRequest's), the session id and
// DTLS cookie, the key share values, the data of extensions that only count
// by their type (padding, tickets, pre_shared_key, ECH's payload), the
// values of QUIC transport parameters (their ids are kept) and server_name's
// host name, kept only when encrypted_client_hello is present (the member
// prints it as the outer SNI then). Two hellos of equal shape have equal
// fingerprints and fields, so a cache of what is printed for a hello can be
// keyed by its shape; real traffic has few distinct shapes.
func AppendShape(b []byte, h *tls.Hello) []byte {
	var flags byte
	for i, on := range [...]bool{h.DTLS, h.HelloRetryRequest, h.PreSharedKey, h.EarlyData, h.ECH, h.HasExtensions} {
		if on {
			flags |= 1 << i
		}
	}
	b = append(b, h.Type, flags, byte(h.Version>>8), byte(h.Version))
	b = appendU16s(b, h.CipherSuites)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.Extensions)))
	for _, e := range h.Extensions {
		b = append(b, byte(e.Type>>8), byte(e.Type))
		switch {
		case tlsExtFixed(degrease(e.Type)):
			b = appendBytes(b, e.Data)
		case e.Type == tls.ExtQUICTransportParams || e.Type == tls.ExtQUICTransportDraft:
			b = append(b, 'q')
			start := len(b)
			b = append(b, 0, 0, 0, 0)
			b = appendQTP(b, e.Data)
			binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
		default:
			b = append(b, '-')
		}
	}
	// The decoded fields, most already given by a fixed extension's data
	// above, each once more so that the shape does not depend on which
	// extensions are fixed.
	b = appendU16s(b, h.SupportedVersions)
	b = appendU16s(b, h.SupportedGroups)
	b = appendU16s(b, h.KeyShareGroups)
	b = appendU16s(b, h.SignatureAlgorithms)
	b = appendBytes(b, h.ECPointFormats)
	b = appendBytes(b, h.PSKModes)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.ALPN)))
	for _, a := range h.ALPN {
		b = binary.BigEndian.AppendUint32(b, uint32(len(a)))
		b = append(b, a...)
	}
	if h.ECH {
		b = binary.BigEndian.AppendUint32(b, uint32(len(h.ServerName)))
		b = append(b, h.ServerName...)
	}
	return b
}

func appendU16s(b []byte, v []uint16) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	for _, x := range v {
		b = append(b, byte(x>>8), byte(x))
	}
	return b
}

func appendBytes(b, p []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}
