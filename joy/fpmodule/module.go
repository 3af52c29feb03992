// Package fpmodule is the flow table's fingerprint module (fingerprint=1):
// the client and server fingerprints of a flow's TLS, DTLS or QUIC hellos
// (JA3, JA3S, JA4, JA4_r, mercury's tls/1 and quic/1, computed by package
// fingerprint) and the TLS 1.3 fields of the hellos, as one "fingerprint"
// member. TLS over TCP and DTLS are read with tls=1, QUIC with quic=1; with
// fingerprint=0 nothing here runs and no record changes. docs/fingerprints.md
// describes the member.
//
// It is its own module rather than part of the tls and quic members so
// that those stay byte for byte what they are. Over TCP it reorders the
// stream by sequence number (late segments included) into
// tls.HelloAssembler; over UDP it reads DTLS handshake records as they come
// (tls.DTLSHandshakes, tls.DTLSAssembler) and keeps the first datagrams for
// a QUIC connection replayed through quic.Conn when the record is printed.
// A direction keeps a copy of its first hello (a server the one after its
// HelloRetryRequest too) and stops reading; hellos are parsed and
// fingerprinted at printing, and what a hello prints is cached per flow
// table by its shape (fingerprint.AppendShape), since real traffic repeats
// a few client and server hello shapes.
package fpmodule

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/fingerprint"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/quic"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/joy/tls"
	"github.com/gojoy/libjoy/joy/twoway"
)

// Kind is the fingerprint module: TCP and UDP flows.
var Kind = feature.Kind{
	Name:            "fingerprint",
	TCP:             true,
	Retransmissions: true,
	Accepts:         func(f feature.Flow) bool { return f.Proto == 6 || f.Proto == 17 },
	New:             func(cfg *config.Config) feature.Module { return newDirection(cfg, new(scratch)) },
	NewPool: func(cfg *config.Config) feature.Pool {
		sc := new(scratch) // the states of one table are used one at a time
		return feature.FreeList(func() feature.Resetter { return newDirection(cfg, sc) }, 256)
	},
}

// Bounds of the TCP reordering: segments ahead of the next expected byte
// kept, and their bytes.
const (
	maxPending      = 16
	maxPendingBytes = 32 << 10
	maxDTLSDgrams   = 32 // datagrams of a direction searched for DTLS hellos
	maxHellos       = 2  // hellos kept per direction
	maxPlain        = 8  // in-order segments of a plaintext start (STARTTLS) looked at
)

type pending struct {
	seq        uint32
	start, end int // in pendBuf
}

// direction is the state of one direction of a flow.
type direction struct {
	tlsOn, quicOn bool

	// TCP
	asm     tls.HelloAssembler
	next    uint32
	started bool // next is known
	inTLS   bool // asm is fed: the stream reached a TLS record
	plain   int  // in-order segments looked at before TLS started
	pend    []pending
	pendBuf []byte

	// UDP
	dgrams   int  // datagrams seen
	quicLike bool // the first datagram is a QUIC long header: datagrams are kept
	dasm     tls.DTLSAssembler
	frags    [][]byte
	q        quic.Datagrams

	done bool // nothing more to read in this direction

	// hellos found: message copies, end offsets in helloBuf
	helloBuf  []byte
	helloEnds []int
	dtls      bool

	*scratch
}

// scratch is what a direction needs only while it reads a hello or prints:
// shared by the states of one flow table, which are used one at a time.
type scratch struct {
	h, h2, h3 tls.Hello
	fp        []byte
	conn      *quic.Conn

	cache   *twoway.Cache // hello texts by shape, made on the first hello printed
	key     []byte        // the shape being looked up
	text    []byte        // a hello's text not cached
	split   int           // where text's second part starts
	held    []byte        // the client's second part, printed after the server's first
	noCache bool          // tests: every text computed
}

func newDirection(cfg *config.Config, sc *scratch) *direction {
	d := &direction{scratch: sc}
	if cfg != nil {
		d.tlsOn = cfg.TLS
		d.quicOn = cfg.Settings["quic"] != 0
	}
	return d
}

// Reset empties d for another flow, keeping its buffers.
func (d *direction) Reset() {
	tlsOn, quicOn := d.tlsOn, d.quicOn
	asm := d.asm
	asm.Reset()
	*d = direction{
		tlsOn: tlsOn, quicOn: quicOn, asm: asm, scratch: d.scratch,
		pend: d.pend[:0], pendBuf: feature.Reuse(d.pendBuf), frags: d.frags[:0],
		helloBuf: feature.Reuse(d.helloBuf), helloEnds: d.helloEnds[:0], q: d.q,
	}
	d.q.Reset()
}

func (d *direction) hello(i int) []byte {
	start := 0
	if i > 0 {
		start = d.helloEnds[i-1]
	}
	return d.helloBuf[start:d.helloEnds[i]]
}

// keep copies a hello and reports whether the direction is done: after a
// ClientHello (the second one after a HelloRetryRequest is not printed),
// a ServerHello that is not a HelloRetryRequest, or maxHellos.
func (d *direction) keep(msg []byte, dtls bool) bool {
	d.helloBuf = append(d.helloBuf, msg...)
	d.helloEnds = append(d.helloEnds, len(d.helloBuf))
	if len(d.helloEnds) >= maxHellos || msg[0] == tls.HelloClient {
		return true
	}
	return d.h3.Parse(msg, dtls) != nil || !d.h3.HelloRetryRequest
}

// ObserveTCP reorders the direction's stream and feeds the hello
// assembler until it has two hellos or stops, then asks for no more.
func (d *direction) ObserveTCP(seg *feature.TCPSegment) bool {
	if d.done || !d.tlsOn {
		return false
	}
	seq := binary.BigEndian.Uint32(seg.Header[4:])
	if seg.Header[13]&0x02 != 0 { // SYN
		d.started, d.next = true, seq+1
		if len(seg.Payload) == 0 {
			return true
		}
		seq++
	}
	p := seg.Payload
	if len(p) == 0 {
		return true
	}
	if !d.started {
		d.started, d.next = true, seq
	}
	if diff := int32(seq - d.next); diff > 0 {
		if len(d.pend) < maxPending && len(d.pendBuf)+len(p) <= maxPendingBytes {
			start := len(d.pendBuf)
			d.pendBuf = append(d.pendBuf, p...)
			d.pend = append(d.pend, pending{seq: seq, start: start, end: len(d.pendBuf)})
		}
		return true
	} else if diff < 0 {
		if int(-diff) >= len(p) {
			return true // all seen already
		}
		p = p[-diff:]
	}
	d.feed(p)
	for !d.done && len(d.pend) > 0 {
		progress := false
		for i := 0; i < len(d.pend); i++ {
			e := d.pend[i]
			diff := int32(e.seq - d.next)
			if diff > 0 {
				continue
			}
			d.pend = append(d.pend[:i], d.pend[i+1:]...)
			i--
			if n := e.end - e.start; int(-diff) < n {
				d.feed(d.pendBuf[e.start+int(-diff) : e.end])
				progress = true
				break
			}
		}
		if !progress {
			break
		}
	}
	if len(d.pend) == 0 {
		d.pendBuf = d.pendBuf[:0]
	}
	return !d.done
}

// feed gives the next in-order bytes to the assembler. A stream that
// does not start with a TLS record may turn to TLS after a plaintext start
// (STARTTLS): the first maxPlain in-order segments are looked at for a
// TLS record at their start.
func (d *direction) feed(p []byte) {
	d.next += uint32(len(p))
	if !d.inTLS {
		if len(p) < 2 || p[0] < 20 || p[0] > 22 || p[1] != 3 { // not a TLS alert or handshake record
			d.plain++
			if d.plain >= maxPlain {
				d.done = true
			}
			return
		}
		d.inTLS = true
	}
	d.asm.Write(p)
	for m := d.asm.Next(); m != nil; m = d.asm.Next() {
		if d.keep(m, false) {
			d.done = true
			return
		}
	}
	if d.asm.Stopped() {
		if len(d.helloEnds) == 0 && d.plain < maxPlain {
			d.asm.Reset() // not TLS after all: look further
			d.inTLS = false
			d.plain++
			return
		}
		d.done = true
	}
}

// Observe reads a UDP datagram: DTLS handshake records (tls=1), and the
// first datagrams for QUIC (quic=1).
func (d *direction) Observe(p []byte, ts int64) {
	if len(p) == 0 {
		return
	}
	if d.quicOn && d.dgrams == 0 {
		// Only a QUIC connection whose hellos are TLS can have
		// fingerprints: its first datagram in each direction is a long
		// header (RFC 9000 §17.2, fixed bit set) of a known version
		// (Initial, Retry or Version Negotiation).
		d.quicLike = len(p) >= 7 && p[0]&0xc0 == 0xc0 && quic.VersionName(binary.BigEndian.Uint32(p[1:5])) != ""
	}
	if d.quicLike {
		d.q.Observe(p, ts)
	}
	d.dgrams++
	if d.done || !d.tlsOn {
		return
	}
	if d.dgrams > maxDTLSDgrams {
		d.done = true
		return
	}
	if len(p) < 13 || p[1] != 0xfe || p[0] < 20 || p[0] > 25 {
		return // not a DTLS record
	}
	d.frags = tls.DTLSHandshakes(p, d.frags[:0])
	for _, f := range d.frags {
		if msg := d.dasm.Add(f); msg != nil {
			d.dtls = true
			if d.keep(msg, true) {
				d.done = true
				return
			}
		}
	}
}

// hellos returns the first ClientHello and ServerHello the two directions
// hold, parsed into d.h and d.h2. After a HelloRetryRequest, s is the
// first ServerHello (the HelloRetryRequest, which JA3S fingerprints, as
// tshark and nDPI do) and final the real ServerHello that follows, parsed
// into d.h3; otherwise final is s.
func (d *direction) hellos(tw *direction) (c, s, final *tls.Hello) {
	for _, x := range [2]*direction{d, tw} {
		if x == nil {
			continue
		}
		for i := range x.helloEnds {
			msg := x.hello(i)
			switch {
			case msg[0] == tls.HelloClient && c == nil:
				if d.h.Parse(msg, x.dtls) == nil {
					c = &d.h
				}
			case msg[0] == tls.HelloServer && s == nil:
				if d.h2.Parse(msg, x.dtls) == nil {
					s, final = &d.h2, &d.h2
				}
			case msg[0] == tls.HelloServer && s.HelloRetryRequest && final == s:
				if d.h3.Parse(msg, x.dtls) == nil {
					final = &d.h3
				}
			}
		}
	}
	return c, s, final
}

// Emit implements feature.Module: the fingerprint member for the flow
// (both directions with bidir=1), or nothing when no hello was read. The
// members a hello gives come from the table's cache as pre-rendered JSON
// text, each part a run of whole members passed to the encoder as it is
// (Encoder.Members inside the fingerprint object): every encoder of the
// member (Joy's JSON, the Filler's fingerprint text column) takes that
// text unparsed, so a cached hello costs a copy, as before.
func (d *direction) Emit(e *record.Enc, twin feature.Module) {
	tw, _ := twin.(*direction)
	if tw == d {
		tw = nil
	}
	c, s, final := d.hellos(tw)
	proto, ver := byte('t'), uint32(0)
	if c == nil && s == nil && (d.q.Len() > 0 || (tw != nil && tw.q.Len() > 0)) {
		var other *quic.Datagrams
		if tw != nil {
			other = &tw.q
		}
		if d.conn == nil {
			d.conn = quic.NewConn()
		}
		if d.conn.Replay(&d.q, other) && d.conn.LongHeaders != 0 {
			c, s = d.conn.Client.Hello, d.conn.Server.Hello
			final = s
			proto, ver = 'q', d.conn.Version
		}
	}
	if c == nil && s == nil {
		return
	}
	dtls := (c != nil && c.DTLS) || (s != nil && s.DTLS)
	if dtls {
		proto = 'd'
	}
	e.Object("fingerprint")
	switch proto {
	case 't':
		e.String("proto", "tls")
	case 'd':
		e.String("proto", "dtls")
	default:
		e.String("proto", "quic")
	}
	// The members of each hello, in the member's order: the client's
	// fingerprints, the server's, then the TLS 1.3 fields of the client's
	// and of the final ServerHello.
	d.held = d.held[:0]
	if c != nil {
		first, second := d.helloText(c, 'c', proto, ver)
		e.Members(first)
		d.held = append(d.held, second...)
	}
	if s != nil {
		first, second := d.helloText(s, 's', 0, 0)
		e.Members(first)
		if proto != 'q' {
			e.Members(d.held)
			if final == s {
				e.Members(second)
			}
		}
	} else if proto != 'q' {
		e.Members(d.held)
	}
	if proto != 'q' && final != nil && final != s {
		_, second := d.helloText(final, 's', 0, 0)
		e.Members(second)
	}
	if s != nil && s.HelloRetryRequest {
		e.True("hrr")
	}
	e.End()
}

// helloText returns the two parts of the member a hello gives in its
// role (c or s, whatever its type says): for the ClientHello its fingerprints (JA3, JA4, JA4_r, mercury's, which depend
// on proto, and for QUIC on the version) and its TLS 1.3 fields
// ("c_tls", the outer SNI of ECH); for a ServerHello its JA3S and its
// fields as the final ServerHello ("s_tls", "s_alpn"). They come from the
// table's cache when a hello of the same shape (fingerprint.AppendShape)
// was printed before. The slices are valid until the next call.
func (d *direction) helloText(h *tls.Hello, role, proto byte, ver uint32) (first, second []byte) {
	k := appendKey(d.key[:0], h, role, proto, ver)
	d.key = k
	if d.cache == nil {
		d.cache = twoway.New(memberCacheSlots)
	}
	if len(k) > maxCachedKey || d.noCache {
		d.text = d.appendHelloText(d.text[:0], h, role, proto, ver)
		return d.text[:d.split], d.text[d.split:]
	}
	e, hit := d.cache.Lookup(k)
	if !hit {
		d.text = d.appendHelloText(d.text[:0], h, role, proto, ver)
		if len(d.text) > maxCachedText {
			return d.text[:d.split], d.text[d.split:]
		}
		d.cache.Set(e, k, d.text, d.split)
	}
	return e.Value[:e.Split], e.Value[e.Split:]
}

// appendKey appends the cache key of a hello in a role: the role, proto,
// the QUIC version and the hello's shape.
func appendKey(k []byte, h *tls.Hello, role, proto byte, ver uint32) []byte {
	k = append(k, role, proto, byte(ver>>24), byte(ver>>16), byte(ver>>8), byte(ver))
	return fingerprint.AppendShape(k, h)
}

// appendHelloText appends the two parts of helloText and sets d.split to
// where the second starts.
func (d *direction) appendHelloText(b []byte, h *tls.Hello, role, proto byte, ver uint32) []byte {
	if role == 'c' {
		d.fp = fingerprint.AppendJA3(d.fp[:0], h)
		b = append(b, `,"ja3":"`...)
		b = fingerprint.AppendMD5(b, d.fp)
		b = append(b, `","ja3_full":`...)
		b = appendString(b, d.fp)
		d.fp = fingerprint.AppendJA4(d.fp[:0], h, proto)
		b = append(b, `,"ja4":`...)
		b = appendString(b, d.fp)
		d.fp = fingerprint.AppendJA4R(d.fp[:0], h, proto, false)
		b = append(b, `,"ja4_r":`...)
		b = appendString(b, d.fp)
		if proto == 'q' {
			d.fp = fingerprint.AppendMercuryQUIC(d.fp[:0], ver, h)
		} else {
			d.fp = fingerprint.AppendMercuryTLS(d.fp[:0], h)
		}
		b = append(b, `,"npf":`...)
		b = appendString(b, d.fp)
		d.split = len(b)
		b = quic.AppendHelloJSON(b, "c_tls", h)
		if h.ECH && h.ServerName != "" {
			b = append(b, `,"ech_outer_sni":`...)
			b = jsonw.String(b, h.ServerName)
		}
		return b
	}
	d.fp = fingerprint.AppendJA3S(d.fp[:0], h)
	b = append(b, `,"ja3s":"`...)
	b = fingerprint.AppendMD5(b, d.fp)
	b = append(b, `","ja3s_full":`...)
	b = appendString(b, d.fp)
	d.split = len(b)
	b = quic.AppendHelloJSON(b, "s_tls", h)
	if len(h.ALPN) != 0 {
		b = append(b, `,"s_alpn":`...)
		b = jsonw.String(b, h.ALPN[0])
	}
	return b
}

// Bounds of a table's cache of hello texts: slots, and the largest shape
// and text kept (a hello's shape is a few hundred bytes, its text under
// 2 KiB).
const (
	memberCacheSlots = 256
	maxCachedKey     = 4 << 10
	maxCachedText    = 8 << 10
)

// appendString appends p as a JSON string. Fingerprints are printable
// ASCII without quotes or backslashes (digits, hex, ",-_()[]/", JA4's
// alphanumeric ALPN characters), appended as they are; anything else goes
// through the escaper.
func appendString(b, p []byte) []byte {
	b = append(b, '"')
	for _, c := range p {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b = jsonw.Escaped(b, p)
			return append(b, '"')
		}
	}
	b = append(b, p...)
	return append(b, '"')
}
