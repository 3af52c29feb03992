package tls

import (
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/jsonw"
)

// extensionNames are the names printed for hello extension types 0-25;
// 35 and 65281 are handled apart.
var extensionNames = [...]string{
	"server_name", "max_fragment_length", "client_certificate_url", "trusted_ca_keys",
	"truncated_hmac", "status_request", "user_mapping", "client_authz",
	"server_authz", "cert_type", "supported_groups", "ec_point_formats",
	"srp", "signature_algorithms", "use_srtp", "heartbeat",
	"application_layer_protocol_negotiation", "status_request_v2", "signed_certificate_timestamp", "client_certificate_type",
	"server_certificate_type", "padding", "encrypt_then_mac", "extended_master_secret",
	"token_binding", "cached_info",
}

func extensionName(t uint16) string {
	switch {
	case int(t) < len(extensionNames):
		return extensionNames[t]
	case t == 35:
		return "session_ticket"
	case t == 65281:
		return "renegotiation_info"
	}
	return ""
}

// AppendJSON implements feature.Module. twin is the other direction's
// state, or nil.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte {
	t, _ := twin.(*State)
	if s.version == 0 || (t != nil && t.version == 0) {
		return b
	}
	b = append(b, `,"tls":{`...)

	// Versions: both keys carry this side's version (QUIRK-30), except
	// that a ServerHello selecting TLS 1.3 in supported_versions reports 6
	// as the server's version (documented difference).
	switch s.role {
	case roleClient:
		b = appendUintKey(b, `"c_version":`, uint64(s.version))
		if t != nil {
			if t.role == roleClient {
				return append(b, `,"error":"twin clients"}`...)
			}
			v := s.version
			if t.tls13 {
				v = 6
			}
			b = appendUintKey(b, `,"s_version":`, uint64(v))
		}
	case roleServer:
		v := s.version
		if s.tls13 {
			v = 6
		}
		b = appendUintKey(b, `"s_version":`, uint64(v))
		if t != nil {
			if t.role == roleServer {
				return append(b, `,"error":"twin servers"}`...)
			}
			b = appendUintKey(b, `,"c_version":`, uint64(s.version))
		}
	default:
		return append(b, `"error":"no role"}`...)
	}

	if k := s.keyExchange(t); k != nil {
		b = appendUintKey(b, `,"c_key_length":`, uint64(k.ckeBits))
		b = append(b, `,"c_key_exchange":"`...)
		b = k.appendHexSpan(b, span{k.cke.off, int32(k.ckeBits / 8)})
		b = append(b, '"')
	}

	mine, other := `,"c_`, `,"s_`
	if s.role == roleServer {
		mine, other = other, mine
	}
	b = appendHexKey(b, mine, "random", s.random[:])
	if t != nil {
		b = appendHexKey(b, other, "random", t.random[:])
	}
	if s.sidLen != 0 {
		b = appendHexKey(b, mine, "sid", s.sid[:s.sidLen])
		if t != nil && t.sidLen != 0 {
			b = appendHexKey(b, other, "sid", t.sid[:t.sidLen])
		}
	}

	if s.sniLen != 0 {
		b = s.appendSNI(b)
	} else if t != nil && t.sniLen != 0 {
		b = t.appendSNI(b)
	}

	client, server := s, t
	if s.role == roleServer {
		client, server = t, s
	}
	if server != nil && server.numCS == 1 {
		b = append(b, `,"scs":"`...)
		b = appendHex16(b, server.cs[0])
		b = append(b, '"')
	}
	if client != nil && client.numCS != 0 {
		b = append(b, `,"cs":[`...)
		for i := 0; i < int(client.numCS); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = appendHex16(b, client.cs[i])
			b = append(b, '"')
		}
		b = append(b, ']')
	}

	if len(s.cExt) != 0 && s.role == roleClient {
		b = s.appendExtensions(b, `,"c_extensions":[`, s.cExt)
	} else if t != nil && len(t.cExt) != 0 && t.role == roleClient {
		b = t.appendExtensions(b, `,"c_extensions":[`, t.cExt)
	}
	if len(s.sExt) != 0 && s.role == roleServer {
		b = s.appendExtensions(b, `,"s_extensions":[`, s.sExt)
	} else if t != nil && len(t.sExt) != 0 && t.role == roleServer {
		b = t.appendExtensions(b, `,"s_extensions":[`, t.sExt)
	}

	if s.numCerts != 0 {
		b = append(b, mine...)
		b = append(b, `cert":[`...)
		b = append(b, s.certs...)
		b = append(b, ']')
	}
	if t != nil && t.numCerts != 0 {
		b = append(b, other...)
		b = append(b, `cert":[`...)
		b = append(b, t.certs...)
		b = append(b, ']')
	}

	if s.op != 0 {
		b = s.appendSRLT(b, t)
	}
	return append(b, '}')
}

// keyExchange returns the side whose client key exchange is printed.
func (s *State) keyExchange(t *State) *State {
	if s.ckeBits != 0 {
		return s
	}
	if t != nil && t.ckeBits != 0 {
		return t
	}
	return nil
}

func (s *State) appendSNI(b []byte) []byte {
	// The original prints the name as a C string: up to the first NUL.
	var buf [256]byte
	name := buf[:0]
	for i := 0; i < int(s.sni.n); i++ {
		c := s.at(int(s.sni.off) + i)
		if c == 0 {
			break
		}
		name = append(name, c)
	}
	b = append(b, `,"sni":[`...)
	// QUIRK-31 (fixed): escaped, so the line stays valid JSON.
	b = jsonw.String(b, string(name))
	return append(b, ']')
}

func (s *State) appendExtensions(b []byte, key string, exts []extension) []byte {
	b = append(b, key...)
	for i, e := range exts {
		if i > 0 {
			b = append(b, ',')
		}
		if name := extensionName(e.typ); name != "" {
			b = append(b, `{"`...)
			b = append(b, name...)
			b = append(b, `":"`...)
		} else {
			b = append(b, `{"kind":`...)
			b = jsonw.Uint(b, uint64(e.typ))
			b = append(b, `,"data":"`...)
		}
		b = s.appendHexSpan(b, e.data)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}

// appendHexSpan appends the hex of a buffer span (no quotes), or nothing
// when it is longer than the original's 1024-byte limit.
func (s *State) appendHexSpan(b []byte, sp span) []byte {
	if sp.n > maxHexBytes {
		return b
	}
	const digits = "0123456789abcdef"
	for i := 0; i < int(sp.n); i++ {
		c := s.at(int(sp.off) + i)
		b = append(b, digits[c>>4], digits[c&15])
	}
	return b
}

// appendSRLT prints the record lengths and times, merged with the twin's
// by time in a bidirectional flow.
func (s *State) appendSRLT(b []byte, t *State) []byte {
	b = append(b, `,"srlt":[`...)
	imax := min(int(s.op), maxPrinted)
	if t == nil {
		for i := 0; i < imax; i++ {
			var d int64
			if i > 0 {
				d = s.recs[i].time - s.recs[i-1].time
				b = append(b, ',')
			}
			b = s.appendRecord(b, i, "<", d)
		}
		return append(b, ']')
	}
	jmax := min(int(t.op), maxPrinted)
	last := t.recTime(0)
	if s.recTime(0) < last {
		last = s.recTime(0)
	}
	i, j := 0, 0
	for i < imax || j < jmax {
		if i+j > 0 {
			b = append(b, ',')
		}
		if j >= jmax || (i < imax && s.recs[i].time < t.recs[j].time) {
			b = s.appendRecord(b, i, ">", s.recs[i].time-last)
			last = s.recs[i].time
			i++
		} else {
			b = t.appendRecord(b, j, "<", t.recs[j].time-last)
			last = t.recs[j].time
			j++
		}
	}
	return append(b, ']')
}

func (s *State) appendRecord(b []byte, i int, dir string, d int64) []byte {
	b = appendUintKey(b, `{"b":`, uint64(s.recs[i].len))
	b = append(b, `,"dir":"`...)
	b = append(b, dir...)
	b = appendUintKey(b, `","ipt":`, uint64(millis(d)))
	b = appendUintKey(b, `,"tp":`, uint64(s.recs[i].typ))
	if i < len(s.stats) && s.stats[i].n != 0 {
		st := &s.stats[i]
		b = append(b, `,"hs_types":[`...)
		for k := 0; k < int(st.n); k++ {
			if k > 0 {
				b = append(b, ',')
			}
			b = jsonw.Uint(b, uint64(st.types[k]))
		}
		b = append(b, `],"hs_lens":[`...)
		for k := 0; k < int(st.n); k++ {
			if k > 0 {
				b = append(b, ',')
			}
			b = jsonw.Uint(b, uint64(st.lens[k]))
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// millis converts a time difference in microseconds the way the original
// does: normalised seconds and microseconds, usec/1000 + sec*1000,
// truncated to 32 bits (negative differences wrap, QUIRK-22).
func millis(d int64) uint32 {
	sec := d / 1e6
	usec := d % 1e6
	if usec < 0 {
		sec--
		usec += 1e6
	}
	return uint32(usec/1000 + sec*1000)
}

func appendUintKey(b []byte, key string, v uint64) []byte {
	b = append(b, key...)
	return jsonw.Uint(b, v)
}

func appendHexKey(b []byte, prefix, name string, p []byte) []byte {
	b = append(b, prefix...)
	b = append(b, name...)
	b = append(b, `":"`...)
	if len(p) <= maxHexBytes {
		b = jsonw.Hex(b, p)
	}
	return append(b, '"')
}

func appendHex16(b []byte, v uint16) []byte {
	const digits = "0123456789abcdef"
	return append(b, digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15])
}
