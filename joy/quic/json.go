package quic

import (
	"unsafe"

	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/record"
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

// appendVersionName appends VersionName(v) without making a string.
func appendVersionName(b []byte, v uint32) []byte {
	switch {
	case v == 0 || v == Version1 || v == Version2:
	case v>>8 == 0xff0000:
		return jsonw.Uint(append(b, "draft-"...), uint64(v&0xff))
	case isGoogle(v):
		return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	case v&0x0f0f0f0f == 0x0a0a0a0a:
	case v&0xffffff00 == 0xfaceb000:
		return jsonw.Uint(append(b, "mvfst-"...), uint64(v&0xff))
	}
	return append(b, VersionName(v)...)
}

func emitHexList(e *record.Enc, key string, v []uint16) {
	if len(v) == 0 {
		return
	}
	e.List(key)
	for _, x := range v {
		e.HexUint("", uint64(x), 2)
	}
	e.End()
}

func emitVersions(e *record.Enc, key string, v []uint32) {
	e.List(key)
	for _, x := range v {
		e.HexUint("", uint64(x), 4)
	}
	e.End()
}

// Emit emits the connection's "quic" member, or nothing when no QUIC
// packet was seen. docs/quic.md describes its keys. The names of
// transport parameters without one ("0x..." of their id) are made in c's
// scratch: valid during their call only.
func (c *Conn) Emit(e *record.Enc) {
	if c.LongHeaders == 0 && !c.VNSeen {
		return
	}
	e.Object("quic")
	e.HexUint("version", uint64(c.Version), 4)
	c.scratch = appendVersionName(c.scratch[:0], c.Version)
	if len(c.scratch) != 0 {
		e.Text("version_name", c.scratch)
	}
	if len(c.Versions) > 1 {
		emitVersions(e, "versions", c.Versions)
	}
	if c.Client.DCID != nil || c.Client.SCID != nil {
		e.Hex("dcid", c.Client.DCID)
		e.Hex("scid", c.Client.SCID)
	}
	if c.Server.SCID != nil {
		e.Hex("s_scid", c.Server.SCID)
	}
	e.Uint("c_initials", uint64(c.Client.Decrypted))
	e.Uint("s_initials", uint64(c.Server.Decrypted))
	if c.Undecryptable != 0 {
		e.Uint("undecryptable", uint64(c.Undecryptable))
	}
	if c.RetrySeen {
		e.Object("retry")
		e.Uint("token_length", uint64(c.RetryTokenLen))
		e.Hex("scid", c.RetrySCID)
		e.End()
	}
	if c.VNSeen {
		emitVersions(e, "vn", c.VersionNegotiation)
	}
	if h := c.Client.Hello; h != nil {
		if h.ServerName != "" {
			e.String("sni", h.ServerName)
		}
		if len(h.ALPN) != 0 {
			e.List("alpn")
			for _, a := range h.ALPN {
				e.String("", a)
			}
			e.End()
		}
		EmitHello(e, "c_tls", h)
		if len(c.Client.TransportParameters) != 0 {
			c.emitTransportParameters(e, c.Client.TransportParameters)
		}
	}
	if h := c.Server.Hello; h != nil {
		EmitHello(e, "s_tls", h)
	}
	if c.Client.Truncated {
		e.True("c_crypto_incomplete")
	}
	if g := c.GoogleCHLO; g != nil {
		e.Object("gquic")
		e.List("tags")
		for _, t := range g.Tags {
			e.String("", t)
		}
		e.End()
		if g.SNI != "" {
			e.String("sni", g.SNI)
		}
		if g.UAID != "" {
			e.String("uaid", g.UAID)
		}
		if g.VER != "" {
			e.String("ver", g.VER)
		}
		e.End()
	}
	e.End()
}

// AppendJSON appends the connection's "quic" member as JSON text, leading
// comma included, or nothing (what Emit emits, for tests and tools).
func (c *Conn) AppendJSON(b []byte) []byte {
	var e record.Enc
	e.ResetMembers(b)
	c.Emit(&e)
	return e.JSON.B
}

// EmitHello emits a hello's typed fields as the object key (the quic
// member's c_tls and s_tls; docs/quic.md), for this module and others
// that print the same fields.
func EmitHello(e *record.Enc, key string, h *tls.Hello) {
	e.Object(key)
	e.HexUint("version", uint64(h.Version), 2)
	if h.Type == tls.HelloClient {
		emitHexList(e, "cs", h.CipherSuites)
	} else if len(h.CipherSuites) != 0 {
		e.HexUint("scs", uint64(h.CipherSuites[0]), 2)
	}
	if len(h.Extensions) != 0 {
		e.List("extensions")
		for _, x := range h.Extensions {
			e.HexUint("", uint64(x.Type), 2)
		}
		e.End()
	}
	emitHexList(e, "supported_versions", h.SupportedVersions)
	emitHexList(e, "supported_groups", h.SupportedGroups)
	emitHexList(e, "key_share_groups", h.KeyShareGroups)
	emitHexList(e, "signature_algorithms", h.SignatureAlgorithms)
	if len(h.PSKModes) != 0 {
		e.List("psk_modes")
		for _, m := range h.PSKModes {
			e.Uint("", uint64(m))
		}
		e.End()
	}
	if h.PreSharedKey {
		e.True("pre_shared_key")
	}
	if h.EarlyData {
		e.True("early_data")
	}
	if h.ECH {
		e.True("ech")
	}
	if h.HelloRetryRequest {
		e.True("hrr")
	}
	e.End()
}

// emitTransportParameters emits the client's transport parameters as an
// object: RFC 9000's names (or the id as "0x..." for others), integer
// parameters as numbers, the rest as hex strings. A repeated id is
// emitted once (its first value).
func (c *Conn) emitTransportParameters(e *record.Enc, tps []TransportParameter) {
	e.Object("transport_parameters")
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
		name, ok := transportParamNames[tp.ID]
		if !ok {
			c.scratch = appendHexID(append(c.scratch[:0], "0x"...), tp.ID)
			name = unsafe.String(&c.scratch[0], len(c.scratch))
		}
		if v, n := varint(tp.Value); integerParam(tp.ID) && n != 0 && n == len(tp.Value) {
			e.Uint(name, v)
		} else if tp.ID == 0x0c || (tp.ID == 0x2ab2 && len(tp.Value) == 0) {
			e.True(name)
		} else {
			e.Hex(name, tp.Value)
		}
	}
	e.End()
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
// modules that print the same fields (what EmitHello emits, as text).
func AppendHelloJSON(b []byte, key string, h *tls.Hello) []byte {
	var e record.Enc
	e.ResetMembers(b)
	EmitHello(&e, key, h)
	return e.JSON.B
}
