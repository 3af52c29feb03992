package tls

import (
	"errors"
	"fmt"
)

// This file is a strict parser of single ClientHello and ServerHello
// messages into typed fields, for the modules that need more than the
// original's "tls" member: fingerprints (JA3, JA4, mercury) and QUIC,
// whose CRYPTO frames carry the same handshake messages. It shares no state
// with the module's quirk-compatible walk (handshake.go) and changes nothing
// the "tls" member prints.

// Handshake message types of a hello.
const (
	HelloClient = 1
	HelloServer = 2
)

// Extension types decoded into Hello's fields.
const (
	ExtServerName          = 0
	ExtSupportedGroups     = 10
	ExtECPointFormats      = 11
	ExtSignatureAlgorithms = 13
	ExtALPN                = 16
	ExtPreSharedKey        = 41
	ExtEarlyData           = 42
	ExtSupportedVersions   = 43
	ExtPSKKeyExchangeModes = 45
	ExtKeyShare            = 51
	ExtKeyShareDraft       = 40 // key_share of the TLS 1.3 drafts before 23
	ExtQUICTransportParams = 57
	ExtQUICTransportDraft  = 0xffa5 // draft-ietf-quic-tls before version 1
	ExtECH                 = 0xfe0d // encrypted_client_hello
)

// hrrRandom is the ServerHello.random of a HelloRetryRequest (RFC 8446
// §4.1.3).
var hrrRandom = [32]byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// Extension is one hello extension; Data aliases the parsed message.
type Extension struct {
	Type uint16
	Data []byte
}

// Hello is one ClientHello or ServerHello. Byte slices alias the message
// given to Parse; the others are copies. A Hello can be reused: Parse
// resets it and keeps its slices' capacity.
type Hello struct {
	Type    uint8  // HelloClient or HelloServer
	DTLS    bool   // parsed as a DTLS handshake message
	Version uint16 // legacy_version (client_version / server_version)
	Random  []byte
	// SessionID is legacy_session_id (and its echo in a ServerHello).
	SessionID []byte
	// Cookie is a DTLS ClientHello's cookie.
	Cookie []byte
	// CipherSuites holds the offered suites of a ClientHello, or the one
	// selected by a ServerHello.
	CipherSuites []uint16
	// Compression holds the offered methods, or the selected one.
	Compression []byte
	// HasExtensions reports an extensions block, even an empty one.
	HasExtensions bool
	Extensions    []Extension // in the order of the message

	// Decoded extensions (GREASE values kept; fingerprints drop them).
	ServerName          string   // first host_name of server_name
	ALPN                []string // offered protocols, or the selected one
	SupportedGroups     []uint16
	ECPointFormats      []byte
	SignatureAlgorithms []uint16
	// SupportedVersions holds a ClientHello's list, or the version a
	// ServerHello selects.
	SupportedVersions []uint16
	// KeyShareGroups holds the groups of a ClientHello's key shares, the
	// group of a ServerHello's share, or the group a HelloRetryRequest
	// asks for.
	KeyShareGroups []uint16
	PSKModes       []uint8 // psk_key_exchange_modes
	PreSharedKey   bool    // pre_shared_key present
	EarlyData      bool    // early_data present
	ECH            bool    // encrypted_client_hello present
	// HelloRetryRequest: a ServerHello with the special random of
	// RFC 8446 §4.1.3.
	HelloRetryRequest bool
	// QUICTransportParameters is the body of quic_transport_parameters
	// (57, or 0xffa5 of the drafts), nil if absent.
	QUICTransportParameters []byte

	alpnBuf [4]string
}

// ErrNotHello is returned for a handshake message that is neither a
// ClientHello nor a ServerHello.
var ErrNotHello = errors.New("tls: not a ClientHello or ServerHello")

// ErrFragment is returned for a DTLS hello that is only part of its
// message (fragment offset or length not covering the whole message).
var ErrFragment = errors.New("tls: DTLS hello fragment")

// ParseHello parses one whole handshake message (its 4-byte header
// included; 12 bytes for DTLS) holding a ClientHello or ServerHello.
func ParseHello(msg []byte, dtls bool) (*Hello, error) {
	h := new(Hello)
	if err := h.Parse(msg, dtls); err != nil {
		return nil, err
	}
	return h, nil
}

// reader reads big-endian fields from a byte slice; a read past its end
// sets bad and returns zeros.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() int {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

func (r *reader) u16() int {
	if len(r.b) < 2 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := int(r.b[0])<<8 | int(r.b[1])
	r.b = r.b[2:]
	return v
}

func (r *reader) u24() int {
	if len(r.b) < 3 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := int(r.b[0])<<16 | int(r.b[1])<<8 | int(r.b[2])
	r.b = r.b[3:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n > len(r.b) {
		r.bad = true
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// u16s appends the big-endian 16-bit values of p to dst.
func u16s(dst []uint16, p []byte) []uint16 {
	for i := 0; i+1 < len(p); i += 2 {
		dst = append(dst, uint16(p[i])<<8|uint16(p[i+1]))
	}
	return dst
}

// Parse parses msg into h (see ParseHello). On error h holds what was
// parsed before it.
func (h *Hello) Parse(msg []byte, dtls bool) error {
	h.reset()
	h.DTLS = dtls
	r := reader{b: msg}
	typ := r.u8()
	n := r.u24()
	if dtls {
		r.u16() // message_seq
		fragOff := r.u24()
		fragLen := r.u24()
		if !r.bad && (fragOff != 0 || fragLen != n) {
			return ErrFragment
		}
	}
	if r.bad {
		return errors.New("tls: truncated handshake header")
	}
	if typ != HelloClient && typ != HelloServer {
		return ErrNotHello
	}
	body := r.bytes(n)
	if r.bad {
		return fmt.Errorf("tls: hello of %d bytes truncated to %d", n, len(r.b))
	}
	h.Type = uint8(typ)
	r = reader{b: body}
	h.Version = uint16(r.u16())
	h.Random = r.bytes(32)
	if r.bad {
		return errors.New("tls: truncated hello")
	}
	h.SessionID = r.bytes(r.u8())
	if typ == HelloClient {
		if dtls {
			h.Cookie = r.bytes(r.u8())
		}
		h.CipherSuites = u16s(h.CipherSuites, r.bytes(r.u16()))
		h.Compression = r.bytes(r.u8())
	} else if h.Version>>8 == 0x7f && h.Version&0xff < 22 {
		// TLS 1.3 drafts before 22: no session id, no compression.
		h.SessionID = nil
		r = reader{b: body[34:]}
		h.CipherSuites = append(h.CipherSuites, uint16(r.u16()))
	} else {
		h.CipherSuites = append(h.CipherSuites, uint16(r.u16()))
		h.Compression = r.bytes(1)
		h.HelloRetryRequest = len(h.Random) == 32 && [32]byte(h.Random) == hrrRandom
	}
	if r.bad {
		return errors.New("tls: truncated hello")
	}
	if len(r.b) == 0 {
		return nil
	}
	h.HasExtensions = true
	exts := r.bytes(r.u16())
	if r.bad {
		return errors.New("tls: truncated hello extensions")
	}
	e := reader{b: exts}
	for len(e.b) > 0 {
		t := uint16(e.u16())
		d := e.bytes(e.u16())
		if e.bad {
			return errors.New("tls: truncated hello extension")
		}
		h.Extensions = append(h.Extensions, Extension{t, d})
		h.extension(t, d)
	}
	return nil
}

func (h *Hello) reset() {
	*h = Hello{
		CipherSuites:        h.CipherSuites[:0],
		Extensions:          h.Extensions[:0],
		ALPN:                h.alpnBuf[:0],
		SupportedGroups:     h.SupportedGroups[:0],
		SignatureAlgorithms: h.SignatureAlgorithms[:0],
		SupportedVersions:   h.SupportedVersions[:0],
		KeyShareGroups:      h.KeyShareGroups[:0],
	}
}

// extension decodes the extensions Hello has fields for. A malformed body
// leaves its fields empty (the extension itself is still listed).
func (h *Hello) extension(t uint16, d []byte) {
	r := reader{b: d}
	client := h.Type == HelloClient
	switch t {
	case ExtServerName:
		if !client {
			return
		}
		l := reader{b: r.bytes(r.u16())}
		for len(l.b) > 0 && !l.bad {
			nt := l.u8()
			name := l.bytes(l.u16())
			if nt == 0 && !l.bad {
				h.ServerName = string(name)
				return
			}
		}
	case ExtALPN:
		l := reader{b: r.bytes(r.u16())}
		for len(l.b) > 0 {
			p := l.bytes(l.u8())
			if l.bad {
				return
			}
			h.ALPN = append(h.ALPN, string(p))
		}
	case ExtSupportedGroups:
		h.SupportedGroups = u16s(h.SupportedGroups, r.bytes(r.u16()))
	case ExtECPointFormats:
		h.ECPointFormats = r.bytes(r.u8())
	case ExtSignatureAlgorithms:
		h.SignatureAlgorithms = u16s(h.SignatureAlgorithms, r.bytes(r.u16()))
	case ExtSupportedVersions:
		if client {
			h.SupportedVersions = u16s(h.SupportedVersions, r.bytes(r.u8()))
		} else if len(d) == 2 {
			h.SupportedVersions = u16s(h.SupportedVersions, d)
		}
	case ExtKeyShare, ExtKeyShareDraft:
		switch {
		case client:
			l := reader{b: r.bytes(r.u16())}
			for len(l.b) > 0 {
				g := l.u16()
				l.bytes(l.u16())
				if l.bad {
					return
				}
				h.KeyShareGroups = append(h.KeyShareGroups, uint16(g))
			}
		case len(d) >= 2:
			// A ServerHello's share, or a HelloRetryRequest's group.
			h.KeyShareGroups = append(h.KeyShareGroups, uint16(d[0])<<8|uint16(d[1]))
		}
	case ExtPSKKeyExchangeModes:
		h.PSKModes = r.bytes(r.u8())
	case ExtPreSharedKey:
		h.PreSharedKey = true
	case ExtEarlyData:
		h.EarlyData = true
	case ExtECH:
		h.ECH = true
	case ExtQUICTransportParams, ExtQUICTransportDraft:
		if h.QUICTransportParameters == nil {
			h.QUICTransportParameters = d
		}
	}
}

// SelectedVersion is the version a ServerHello settles on: the one of
// supported_versions, or its legacy version. For a ClientHello it is the
// highest non-GREASE version offered, or the legacy version.
func (h *Hello) SelectedVersion() uint16 {
	v := uint16(0)
	for _, s := range h.SupportedVersions {
		switch {
		case IsGREASE(s):
		case v == 0:
			v = s
		case h.DTLS && s < v: // DTLS versions count down: 0xfefc is 1.3
			v = s
		case !h.DTLS && s > v:
			v = s
		}
	}
	if v == 0 {
		return h.Version
	}
	return v
}

// IsGREASE reports whether v is one of the GREASE values of RFC 8701
// (0x0a0a, 0x1a1a, ..., 0xfafa).
func IsGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

// maxHelloBytes bounds what a HelloAssembler holds.
const maxHelloBytes = 64 << 10

// HelloAssembler finds the ClientHello and ServerHello messages of one
// direction of a TLS stream, across records and segments: the first
// hello, and the second ones after a HelloRetryRequest. It holds at
// most 64 KiB and stops at the first ApplicationData record.
type HelloAssembler struct {
	buf     []byte // bytes of an incomplete record
	hs      []byte // handshake bytes from the last call's
	hsOff   int    // first byte not yet returned or skipped
	afterCC bool   // a ChangeCipherSpec was seen: handshake records may be encrypted
	stopped bool
}

// Reset empties a for a new stream, keeping its buffers.
func (a *HelloAssembler) Reset() {
	*a = HelloAssembler{buf: a.buf[:0], hs: a.hs[:0]}
}

// Stopped reports that the assembler will return no more hellos.
func (a *HelloAssembler) Stopped() bool { return a.stopped }

// Write takes the next in-order bytes of the stream. Call Next after it
// until it returns nil.
func (a *HelloAssembler) Write(p []byte) {
	if a.stopped || len(p) == 0 {
		return
	}
	if len(a.buf)+len(p)+len(a.hs) > maxHelloBytes {
		a.stopped = true
		return
	}
	a.buf = append(a.buf, p...)
}

// Next returns the next whole ClientHello or ServerHello message (its
// 4-byte header included), or nil. The message is valid until the next
// call of Write or Next. Other handshake messages are skipped; after a
// ChangeCipherSpec only a record starting a hello (the second ClientHello
// and ServerHello after a HelloRetryRequest) is read, since the rest may
// be encrypted.
func (a *HelloAssembler) Next() []byte {
	if a.hsOff > 0 {
		a.hs = a.hs[:copy(a.hs, a.hs[a.hsOff:])]
		a.hsOff = 0
	}
	for !a.stopped {
		if msg := a.nextMessage(); msg != nil {
			return msg
		}
		if len(a.buf) < 5 {
			return nil
		}
		l := int(a.buf[3])<<8 | int(a.buf[4])
		if a.buf[1] != 3 {
			a.stopped = true
			return nil
		}
		if len(a.buf) < 5+l {
			return nil
		}
		rec := a.buf[5 : 5+l]
		switch a.buf[0] {
		case 22:
			if !a.afterCC || (len(a.hs) == a.hsOff && len(rec) > 0 && (rec[0] == HelloClient || rec[0] == HelloServer)) {
				a.hs = append(a.hs, rec...)
			}
		case 20:
			a.afterCC = true
			a.hsOff = len(a.hs)
		case 21:
		default:
			a.stopped = true
		}
		a.buf = a.buf[:copy(a.buf, a.buf[5+l:])]
	}
	return nil
}

// nextMessage takes the first whole handshake message off a.hs and
// returns it if it is a hello.
func (a *HelloAssembler) nextMessage() []byte {
	for len(a.hs)-a.hsOff >= 4 {
		h := a.hs[a.hsOff:]
		n := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
		if len(h) < 4+n {
			return nil
		}
		a.hsOff += 4 + n
		if h[0] == HelloClient || h[0] == HelloServer {
			return h[: 4+n : 4+n]
		}
	}
	return nil
}

// DTLSHandshakes appends to dst the handshake messages (12-byte headers
// included) of the epoch-0 handshake records of one DTLS datagram, each
// as far as its record holds it. It reads nothing past p.
func DTLSHandshakes(p []byte, dst [][]byte) [][]byte {
	for len(p) >= 13 {
		typ, epoch := p[0], int(p[3])<<8|int(p[4])
		l := int(p[11])<<8 | int(p[12])
		if p[1] != 0xfe || 13+l > len(p) {
			return dst
		}
		rec := p[13 : 13+l]
		p = p[13+l:]
		if typ != 22 || epoch != 0 {
			continue
		}
		for len(rec) >= 12 {
			fl := int(rec[9])<<16 | int(rec[10])<<8 | int(rec[11])
			if 12+fl > len(rec) {
				break
			}
			dst = append(dst, rec[:12+fl:12+fl])
			rec = rec[12+fl:]
		}
	}
	return dst
}

// DTLSAssembler puts together a DTLS hello sent in several handshake
// fragments (RFC 6347 §4.2.3), in order or with overlaps; it holds at most
// 64 KiB.
type DTLSAssembler struct {
	buf    []byte // the message: a 12-byte header as one whole fragment, then the body
	seq    int
	length int
	have   int // body bytes from offset 0 received
}

// Add takes one handshake message fragment (12-byte header included, as
// DTLSHandshakes returns them). It returns the whole hello message once
// its last fragment is in, as one unfragmented message for ParseHello, or
// nil. Fragments of other messages are ignored.
func (a *DTLSAssembler) Add(frag []byte) []byte {
	if len(frag) < 12 || (frag[0] != HelloClient && frag[0] != HelloServer) {
		return nil
	}
	n := int(frag[1])<<16 | int(frag[2])<<8 | int(frag[3])
	seq := int(frag[4])<<8 | int(frag[5])
	off := int(frag[6])<<16 | int(frag[7])<<8 | int(frag[8])
	fl := int(frag[9])<<16 | int(frag[10])<<8 | int(frag[11])
	if n > maxHelloBytes || off+fl > n || 12+fl > len(frag) {
		return nil
	}
	if a.buf == nil || a.seq != seq || a.length != n || a.buf[0] != frag[0] {
		a.buf = append(a.buf[:0], frag[:6]...)
		a.buf = append(a.buf, 0, 0, 0, frag[1], frag[2], frag[3])
		a.seq, a.length, a.have = seq, n, 0
	}
	if off > a.have || off+fl <= a.have {
		return nil // a gap (not kept) or nothing new
	}
	a.buf = append(a.buf[:12+off], frag[12:12+fl]...)
	a.have = off + fl
	if a.have < n {
		return nil
	}
	a.have = 0 // a repeated hello starts again
	a.seq = -1
	return a.buf[: 12+n : 12+n]
}
