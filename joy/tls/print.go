package tls

import (
	"bytes"

	"github.com/gojoy/libjoy/joy/feature"
	joyrecord "github.com/gojoy/libjoy/joy/record"
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

// sideNames are the member names of one side, client's or server's.
type sideNames struct{ random, sid, cert string }

var (
	clientNames = sideNames{"c_random", "c_sid", "c_cert"}
	serverNames = sideNames{"s_random", "s_sid", "s_cert"}
)

// Emit implements feature.Module: the tls member, from the facts the
// parse kept (versions, hellos, key exchange, extensions as spans of the
// handshake buffer, the record entries). twin is the other direction's
// state, or nil. Each certificate is a value of pre-rendered JSON text
// (Encoder.Raw): the table's certificate cache keeps a certificate's
// rendering, since parsing and rendering one is most of TLS's cost, and
// every encoder of the tls member (Joy's JSON, the Filler's tls text
// column) takes that text as it is.
func (s *State) Emit(e *joyrecord.Enc, twin feature.Module) {
	t, _ := twin.(*State)
	if s.version == 0 || (t != nil && t.version == 0) {
		return
	}
	e.Object("tls")

	// Versions: both keys carry this side's version (QUIRK-30), except
	// that a ServerHello selecting TLS 1.3 in supported_versions reports 6
	// as the server's version (documented difference).
	switch s.role {
	case roleClient:
		e.Uint("c_version", uint64(s.version))
		if t != nil {
			if t.role == roleClient {
				e.String("error", "twin clients")
				e.End()
				return
			}
			v := s.version
			if t.tls13 {
				v = 6
			}
			e.Uint("s_version", uint64(v))
		}
	case roleServer:
		v := s.version
		if s.tls13 {
			v = 6
		}
		e.Uint("s_version", uint64(v))
		if t != nil {
			if t.role == roleServer {
				e.String("error", "twin servers")
				e.End()
				return
			}
			e.Uint("c_version", uint64(s.version))
		}
	default:
		e.String("error", "no role")
		e.End()
		return
	}

	if k := s.keyExchange(t); k != nil {
		e.Uint("c_key_length", uint64(k.ckeBits))
		e.Hex("c_key_exchange", k.hexSpan(span{k.cke.off, int32(k.ckeBits / 8)}))
	}

	// This side's members first, then the twin's.
	mine, other := &clientNames, &serverNames
	if s.role == roleServer {
		mine, other = other, mine
	}
	e.Hex(mine.random, s.random[:])
	if t != nil {
		e.Hex(other.random, t.random[:])
	}
	if s.sidLen != 0 {
		e.Hex(mine.sid, s.sid[:s.sidLen])
		if t != nil && t.sidLen != 0 {
			e.Hex(other.sid, t.sid[:t.sidLen])
		}
	}

	if s.sniLen != 0 {
		s.emitSNI(e)
	} else if t != nil && t.sniLen != 0 {
		t.emitSNI(e)
	}

	client, server := s, t
	if s.role == roleServer {
		client, server = t, s
	}
	if server != nil && server.numCS == 1 {
		e.HexUint("scs", uint64(server.cs[0]), 2)
	}
	if client != nil && client.numCS != 0 {
		e.List("cs")
		for i := 0; i < int(client.numCS); i++ {
			e.HexUint("", uint64(client.cs[i]), 2)
		}
		e.End()
	}

	if len(s.cExt) != 0 && s.role == roleClient {
		s.emitExtensions(e, "c_extensions", s.cExt)
	} else if t != nil && len(t.cExt) != 0 && t.role == roleClient {
		t.emitExtensions(e, "c_extensions", t.cExt)
	}
	if len(s.sExt) != 0 && s.role == roleServer {
		s.emitExtensions(e, "s_extensions", s.sExt)
	} else if t != nil && len(t.sExt) != 0 && t.role == roleServer {
		t.emitExtensions(e, "s_extensions", t.sExt)
	}

	s.emitCerts(e, mine.cert)
	if t != nil {
		t.emitCerts(e, other.cert)
	}

	if s.op != 0 {
		s.emitSRLT(e, t)
	}
	e.End()
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

// spanBytes returns the bytes of a buffer span, those past the buffer's
// end read as zeros (copied into s's scratch then).
func (s *State) spanBytes(sp span) []byte {
	if sp.n <= 0 {
		return nil
	}
	off, n := int(sp.off), int(sp.n)
	if off >= 0 && off+n <= len(s.hs) {
		return s.hs[off : off+n]
	}
	s.scratch = resize(s.scratch, n)
	s.copyOut(s.scratch, off)
	return s.scratch
}

// hexSpan returns the bytes of a span printed as hex: none when it is
// longer than the original's 1024-byte limit.
func (s *State) hexSpan(sp span) []byte {
	if sp.n > maxHexBytes {
		return nil
	}
	return s.spanBytes(sp)
}

func (s *State) emitSNI(e *joyrecord.Enc) {
	// The original prints the name as a C string: up to the first NUL.
	name := s.spanBytes(s.sni)
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	e.List("sni")
	// QUIRK-31 (fixed): escaped, so the line stays valid JSON.
	e.Text("", name)
	e.End()
}

func (s *State) emitExtensions(e *joyrecord.Enc, name string, exts []extension) {
	e.List(name)
	for _, x := range exts {
		e.Object("")
		if n := extensionName(x.typ); n != "" {
			e.Hex(n, s.hexSpan(x.data))
		} else {
			e.Uint("kind", uint64(x.typ))
			e.Hex("data", s.hexSpan(x.data))
		}
		e.End()
	}
	e.End()
}

// emitCerts emits the certificates of s as the list name, each the JSON
// object rendered when it was parsed (or found in the cache).
func (s *State) emitCerts(e *joyrecord.Enc, name string) {
	if s.numCerts == 0 {
		return
	}
	e.List(name)
	start := int32(0)
	for _, end := range s.certEnds[:s.numCerts] {
		e.Raw("", s.certs[start:end])
		start = end
	}
	e.End()
}

// emitSRLT emits the record lengths and times, merged with the twin's by
// time in a bidirectional flow.
func (s *State) emitSRLT(e *joyrecord.Enc, t *State) {
	e.List("srlt")
	imax := min(int(s.op), maxPrinted)
	if t == nil {
		for i := 0; i < imax; i++ {
			var d int64
			if i > 0 {
				d = s.recs[i].time - s.recs[i-1].time
			}
			s.emitRecord(e, i, "<", d)
		}
		e.End()
		return
	}
	jmax := min(int(t.op), maxPrinted)
	last := t.recTime(0)
	if s.recTime(0) < last {
		last = s.recTime(0)
	}
	i, j := 0, 0
	for i < imax || j < jmax {
		if j >= jmax || (i < imax && s.recs[i].time < t.recs[j].time) {
			s.emitRecord(e, i, ">", s.recs[i].time-last)
			last = s.recs[i].time
			i++
		} else {
			t.emitRecord(e, j, "<", t.recs[j].time-last)
			last = t.recs[j].time
			j++
		}
	}
	e.End()
}

func (s *State) emitRecord(e *joyrecord.Enc, i int, dir string, d int64) {
	e.Object("")
	e.Uint("b", uint64(s.recs[i].len))
	e.String("dir", dir)
	e.Uint("ipt", uint64(millis(d)))
	e.Uint("tp", uint64(s.recs[i].typ))
	if i < len(s.stats) && s.stats[i].n != 0 {
		st := &s.stats[i]
		e.List("hs_types")
		for k := 0; k < int(st.n); k++ {
			e.Uint("", uint64(st.types[k]))
		}
		e.End()
		e.List("hs_lens")
		for k := 0; k < int(st.n); k++ {
			e.Uint("", uint64(st.lens[k]))
		}
		e.End()
	}
	e.End()
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
