package quic

import (
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/tls"
)

// VersionName names a QUIC version: "v1", "v2", "draft-29", "Q050",
// "mvfst-1", "vn" (0), "reserved" for the 0x?a?a?a?a forcing Version
// Negotiation (RFC 9000 §15), or "" for others.
func VersionName(v uint32) string {
	switch {
	case v == 0:
		return "vn"
	case v == Version1:
		return "v1"
	case v == Version2:
		return "v2"
	case v>>8 == 0xff0000:
		return "draft-" + itoa(int(v&0xff))
	case isGoogle(v):
		return string([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	case v&0x0f0f0f0f == 0x0a0a0a0a:
		return "reserved"
	case v&0xffffff00 == 0xfaceb000:
		return "mvfst-" + itoa(int(v&0xff))
	}
	return ""
}

func itoa(n int) string { return string(jsonw.Uint(nil, uint64(n))) }

// transportParamNames are the names of RFC 9000 §18.2's parameters and a
// few later ones, by id.
var transportParamNames = map[uint64]string{
	0x00: "original_destination_connection_id", 0x01: "max_idle_timeout",
	0x02: "stateless_reset_token", 0x03: "max_udp_payload_size",
	0x04: "initial_max_data", 0x05: "initial_max_stream_data_bidi_local",
	0x06: "initial_max_stream_data_bidi_remote", 0x07: "initial_max_stream_data_uni",
	0x08: "initial_max_streams_bidi", 0x09: "initial_max_streams_uni",
	0x0a: "ack_delay_exponent", 0x0b: "max_ack_delay",
	0x0c: "disable_active_migration", 0x0d: "preferred_address",
	0x0e: "active_connection_id_limit", 0x0f: "initial_source_connection_id",
	0x10: "retry_source_connection_id", 0x11: "version_information",
	0x20: "max_datagram_frame_size", 0x2ab2: "grease_quic_bit",
}

// integerParam reports the parameters whose value is one varint.
func integerParam(id uint64) bool {
	return id >= 0x01 && id <= 0x0b && id != 0x02 || id == 0x0e || id == 0x20
}

func appendHex32(b []byte, v uint32) []byte {
	const d = "0123456789abcdef"
	b = append(b, '"')
	for s := 28; s >= 0; s -= 4 {
		b = append(b, d[v>>uint(s)&0xf])
	}
	return append(b, '"')
}

func appendHex16(b []byte, v uint16) []byte {
	const d = "0123456789abcdef"
	return append(b, '"', d[v>>12], d[v>>8&0xf], d[v>>4&0xf], d[v&0xf], '"')
}

func appendHexList(b []byte, key string, v []uint16) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(b, ',')
	b = jsonw.Key(b, key)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex16(b, x)
	}
	return append(b, ']')
}

func appendHexBytesKey(b []byte, key string, p []byte) []byte {
	b = append(b, ',')
	b = jsonw.Key(b, key)
	b = append(b, '"')
	b = jsonw.Hex(b, p)
	return append(b, '"')
}

// AppendJSON appends the connection's "quic" member, leading comma
// included, or nothing when no QUIC packet was seen. docs/quic.md
// describes its keys.
func (c *Conn) AppendJSON(b []byte) []byte {
	if c.LongHeaders == 0 && !c.VNSeen {
		return b
	}
	b = append(b, `,"quic":{"version":`...)
	b = appendHex32(b, c.Version)
	if n := VersionName(c.Version); n != "" {
		b = append(b, `,"version_name":`...)
		b = jsonw.String(b, n)
	}
	if len(c.Versions) > 1 {
		b = append(b, `,"versions":[`...)
		for i, v := range c.Versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHex32(b, v)
		}
		b = append(b, ']')
	}
	if c.Client.DCID != nil || c.Client.SCID != nil {
		b = appendHexBytesKey(b, "dcid", c.Client.DCID)
		b = appendHexBytesKey(b, "scid", c.Client.SCID)
	}
	if c.Server.SCID != nil {
		b = appendHexBytesKey(b, "s_scid", c.Server.SCID)
	}
	b = append(b, `,"c_initials":`...)
	b = jsonw.Uint(b, uint64(c.Client.Decrypted))
	b = append(b, `,"s_initials":`...)
	b = jsonw.Uint(b, uint64(c.Server.Decrypted))
	if c.Undecryptable != 0 {
		b = append(b, `,"undecryptable":`...)
		b = jsonw.Uint(b, uint64(c.Undecryptable))
	}
	if c.RetrySeen {
		b = append(b, `,"retry":{"token_length":`...)
		b = jsonw.Uint(b, uint64(c.RetryTokenLen))
		b = appendHexBytesKey(b, "scid", c.RetrySCID)
		b = append(b, '}')
	}
	if c.VNSeen {
		b = append(b, `,"vn":[`...)
		for i, v := range c.VersionNegotiation {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHex32(b, v)
		}
		b = append(b, ']')
	}
	if h := c.Client.Hello; h != nil {
		if h.ServerName != "" {
			b = append(b, `,"sni":`...)
			b = jsonw.String(b, h.ServerName)
		}
		if len(h.ALPN) != 0 {
			b = append(b, `,"alpn":[`...)
			for i, a := range h.ALPN {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonw.String(b, a)
			}
			b = append(b, ']')
		}
		b = appendHello(b, `,"c_tls":{`, h)
		if len(c.Client.TransportParameters) != 0 {
			b = appendTransportParameters(b, c.Client.TransportParameters)
		}
	}
	if h := c.Server.Hello; h != nil {
		b = appendHello(b, `,"s_tls":{`, h)
	}
	if c.Client.Truncated {
		b = append(b, `,"c_crypto_incomplete":true`...)
	}
	if g := c.GoogleCHLO; g != nil {
		b = append(b, `,"gquic":{"tags":[`...)
		for i, t := range g.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.String(b, t)
		}
		b = append(b, ']')
		for _, kv := range [...]struct{ k, v string }{{"sni", g.SNI}, {"uaid", g.UAID}, {"ver", g.VER}} {
			if kv.v != "" {
				b = append(b, ',')
				b = jsonw.Key(b, kv.k)
				b = jsonw.String(b, kv.v)
			}
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendHello appends a hello's typed fields as an object (open is its
// key and brace).
func appendHello(b []byte, open string, h *tls.Hello) []byte {
	b = append(b, open...)
	b = append(b, `"version":`...)
	b = appendHex16(b, h.Version)
	if h.Type == tls.HelloClient {
		b = appendHexList(b, "cs", h.CipherSuites)
	} else if len(h.CipherSuites) != 0 {
		b = append(b, `,"scs":`...)
		b = appendHex16(b, h.CipherSuites[0])
	}
	if len(h.Extensions) != 0 {
		var tmp [64]uint16
		types := tmp[:0]
		for _, e := range h.Extensions {
			types = append(types, e.Type)
		}
		b = appendHexList(b, "extensions", types)
	}
	b = appendHexList(b, "supported_versions", h.SupportedVersions)
	b = appendHexList(b, "supported_groups", h.SupportedGroups)
	b = appendHexList(b, "key_share_groups", h.KeyShareGroups)
	b = appendHexList(b, "signature_algorithms", h.SignatureAlgorithms)
	if len(h.PSKModes) != 0 {
		b = append(b, `,"psk_modes":[`...)
		for i, m := range h.PSKModes {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.Uint(b, uint64(m))
		}
		b = append(b, ']')
	}
	for _, f := range [...]struct {
		on  bool
		key string
	}{{h.PreSharedKey, `,"pre_shared_key":true`}, {h.EarlyData, `,"early_data":true`}, {h.ECH, `,"ech":true`}, {h.HelloRetryRequest, `,"hrr":true`}} {
		if f.on {
			b = append(b, f.key...)
		}
	}
	return append(b, '}')
}

// appendTransportParameters appends the client's transport parameters as
// an object: RFC 9000's names (or the id as "0x..." for others), integer
// parameters as numbers, the rest as hex strings. A repeated id is
// printed once (its first value).
func appendTransportParameters(b []byte, tps []TransportParameter) []byte {
	b = append(b, `,"transport_parameters":{`...)
	for i, tp := range tps {
		dup := false
		for _, x := range tps[:i] {
			if x.ID == tp.ID {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		if name, ok := transportParamNames[tp.ID]; ok {
			b = jsonw.Key(b, name)
		} else {
			b = append(b, `"0x`...)
			b = appendHexID(b, tp.ID)
			b = append(b, `":`...)
		}
		if v, n := varint(tp.Value); integerParam(tp.ID) && n != 0 && n == len(tp.Value) {
			b = jsonw.Uint(b, v)
		} else if tp.ID == 0x0c || (tp.ID == 0x2ab2 && len(tp.Value) == 0) {
			b = append(b, "true"...)
		} else {
			b = append(b, '"')
			b = jsonw.Hex(b, tp.Value)
			b = append(b, '"')
		}
	}
	return append(b, '}')
}

func appendHexID(b []byte, v uint64) []byte {
	const d = "0123456789abcdef"
	started := false
	for s := 60; s >= 0; s -= 4 {
		x := v >> uint(s) & 0xf
		if x != 0 || started || s == 0 {
			started = true
			b = append(b, d[x])
		}
	}
	return b
}

// AppendHelloJSON appends `,"<key>":{...}`: a hello's typed fields as the
// quic member's c_tls and s_tls print them (docs/quic.md), for other
// modules that print the same fields.
func AppendHelloJSON(b []byte, key string, h *tls.Hello) []byte {
	b = append(b, ',')
	b = jsonw.Key(b, key)
	return appendHello(b, "{", h)
}
