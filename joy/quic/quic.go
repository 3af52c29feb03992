// Package quic reads the cleartext of QUIC connections: the long headers
// of every version (IETF v1 RFC 9000/9001, v2 RFC 9369, the drafts, and
// Google's Q046/Q050 header forms), Version Negotiation and Retry packets,
// and the TLS ClientHello and ServerHello carried in CRYPTO frames of
// Initial packets, which it decrypts with the keys every observer can
// derive from the client's Destination Connection ID (RFC 9001 §5.2).
//
// A Conn holds the state of one connection (both directions). Feed it
// every UDP payload with Observe; read the typed result from its fields,
// or write the "quic" JSON member with AppendJSON. Memory is bounded: at
// most 64 KiB of CRYPTO data per direction, and a few server packets kept
// while the client's keys are not yet known. Nothing is read past a
// packet.
package quic

import (
	"github.com/gojoy/libjoy/joy/tls"
)

// Limits.
const (
	maxCrypto      = 64 << 10 // CRYPTO bytes kept per direction
	maxRanges      = 32       // received CRYPTO ranges tracked per direction
	maxPending     = 4        // server packets kept until the client's keys are known
	maxPendingSize = 8 << 10
	maxVersions    = 16 // versions kept from Version Negotiation, and versions seen
)

// Packet types of a long header, by the version family's numbering.
const (
	typeInitial = iota
	type0RTT
	typeHandshake
	typeRetry
)

// Side holds what one direction of a connection showed.
type Side struct {
	// SCID is the Source Connection ID of the first long-header packet.
	SCID []byte
	// DCID is the Destination Connection ID of the first long-header
	// packet (for the client, the one the Initial keys come from).
	DCID []byte
	// Hello is the ClientHello (client) or ServerHello (server) found in
	// the CRYPTO frames of the Initial packets, or nil.
	Hello *tls.Hello
	// TransportParameters are the client's quic_transport_parameters
	// (the server's travel in encrypted Handshake packets).
	TransportParameters []TransportParameter
	// Initials counts Initial packets; Decrypted those that decrypted.
	Initials, Decrypted int
	// Truncated reports CRYPTO data dropped (past 64 KiB, or more than
	// 32 separate ranges) while the hello was not yet whole.
	Truncated bool

	crypto  cryptoBuffer
	largest int64 // largest packet number decrypted, -1 before
	hello   tls.Hello
}

// TransportParameter is one QUIC transport parameter (RFC 9000 §18).
type TransportParameter struct {
	ID    uint64
	Value []byte // aliases the hello's bytes
}

// Conn is the state of one QUIC connection.
type Conn struct {
	// Version is the version of the client's first long-header packet.
	Version uint32
	// Versions lists every distinct version seen in long headers, in
	// order (a client that retries after Version Negotiation shows two).
	Versions []uint32
	// GoogleQUIC reports a gQUIC version ('Q' + three digits).
	GoogleQUIC bool
	// Client and Server are the two directions.
	Client, Server Side
	// VersionNegotiation holds the versions of a Version Negotiation
	// packet from the server; VNSeen reports one was seen.
	VNSeen             bool
	VersionNegotiation []uint32
	// RetrySeen reports a Retry packet; RetryTokenLen is the token
	// length of the last one, RetrySCID the connection ID the first one
	// gave.
	RetrySeen     bool
	RetryTokenLen int
	RetrySCID     []byte
	GoogleCHLO    *CHLO // the plaintext client hello of gQUIC (Q043-Q046), or nil
	Packets       int   // UDP payloads observed
	LongHeaders   int   // long-header packets parsed
	ShortHeaders  int   // short-header (1-RTT) packets seen
	Undecryptable int   // Initial packets whose version or keys are unknown or that failed to decrypt
	keysDCID      []byte
	keysVersion   uint32
	clientKeys    *keys
	serverKeys    *keys
	pending       [][]byte
	pendingSize   int
	plain         []byte
	vnBuf         [maxVersions]uint32
	verBuf        [4]uint32
	retryCIDs     [4]string // SCIDs of the first Retry packets
	retries       int
	scratch       []byte // a name or text being emitted
}

// retryCID reports whether a Retry gave cid.
func (c *Conn) retryCID(cid []byte) bool {
	for _, r := range c.retryCIDs[:c.retries] {
		if r == string(cid) {
			return true
		}
	}
	return false
}

// NewConn returns the state of a new connection.
func NewConn() *Conn {
	c := new(Conn)
	c.Reset()
	return c
}

// Reset makes c fresh for a new connection, keeping its buffers.
func (c *Conn) Reset() {
	cb, sb, plain := c.Client.crypto.buf[:0], c.Server.crypto.buf[:0], c.plain[:0]
	*c = Conn{plain: plain, scratch: c.scratch[:0]}
	c.Client.crypto.buf, c.Server.crypto.buf = cb, sb
	c.Client.largest, c.Server.largest = -1, -1
	c.Versions = c.verBuf[:0]
}

// Observe reads one UDP payload of the connection; fromClient tells its
// direction (the client is the side that sent the first Initial). The
// payload is only read during the call.
func (c *Conn) Observe(p []byte, fromClient bool) {
	c.Packets++
	for len(p) > 0 {
		n := c.packet(p, fromClient)
		if n <= 0 || n > len(p) {
			return
		}
		p = p[n:]
	}
}

// packet reads the packet at the start of p and returns its length, or 0
// when the rest of the datagram cannot be split into packets.
func (c *Conn) packet(p []byte, fromClient bool) int {
	if p[0]&0x80 == 0 {
		if c.googlePublicHeader(p, fromClient) {
			return 0
		}
		c.ShortHeaders++
		return 0 // a short header extends to the end of the datagram
	}
	if len(p) < 7 {
		return 0
	}
	version := uint32(p[1])<<24 | uint32(p[2])<<16 | uint32(p[3])<<8 | uint32(p[4])
	if version == 0 {
		if c.LongHeaders > 0 { // answers a long header: not a DNS reply that starts so
			c.versionNegotiation(p, fromClient)
		}
		return 0
	}
	// Not every datagram whose first byte has its high bit set is QUIC.
	// The first long header must have the fixed bit too; later ones may
	// clear it once the peer offered grease_quic_bit (RFC 9287).
	if !plausibleVersion(version) || p[0]&0x40 == 0 && c.LongHeaders == 0 && !isGoogle(version) {
		return 0
	}
	if isGoogle(version) && version < 0x51303530 { // Q046's header, then the gQUIC message
		c.noteVersion(version, fromClient)
		c.LongHeaders++
		c.googleLong(p, fromClient)
		return 0
	}
	// Invariants (RFC 8999): version, DCID, SCID.
	off := 5
	dl := int(p[off])
	off++
	if dl > 20 && !isGoogle(version) || off+dl+1 > len(p) {
		return 0
	}
	dcid := p[off : off+dl]
	off += dl
	sl := int(p[off])
	off++
	if sl > 20 && !isGoogle(version) || off+sl > len(p) {
		return 0
	}
	scid := p[off : off+sl]
	off += sl
	c.LongHeaders++
	c.noteVersion(version, fromClient)
	side := &c.Server
	if fromClient {
		side = &c.Client
	}
	if side.SCID == nil && side.DCID == nil {
		side.SCID = append([]byte{}, scid...)
		side.DCID = append([]byte{}, dcid...)
	}
	vi, known := lookupVersion(version)
	typ := int(p[0]>>4) & 3
	if vi.v2 {
		typ = (typ + 3) & 3 // v2: Initial 1, 0-RTT 2, Handshake 3, Retry 0
	}
	if typ == typeRetry {
		if !fromClient {
			if !c.RetrySeen {
				c.RetrySCID = append(c.RetrySCID[:0], scid...)
			}
			if c.retries < len(c.retryCIDs) {
				c.retryCIDs[c.retries] = string(scid)
				c.retries++
			}
			c.RetrySeen = true
			if rest := len(p) - off - 16; rest >= 0 {
				c.RetryTokenLen = rest
			}
		}
		return 0 // a Retry fills its datagram
	}
	if typ == typeInitial && fromClient && known {
		// The keys come from the header alone: a client Initial cut
		// short by the capture still opens the server's.
		c.ensureKeys(dcid, version, vi)
	}
	tokenLen := 0
	if typ == typeInitial {
		tl, n := varint(p[off:])
		if n == 0 || tl > uint64(len(p)-off-n) {
			return 0
		}
		tokenLen = n + int(tl)
	}
	off += tokenLen
	length, n := varint(p[off:])
	if n == 0 || length > uint64(len(p)-off-n) {
		return 0
	}
	pnOff := off + n
	end := pnOff + int(length)
	if typ == typeInitial {
		side.Initials++
		if !known {
			c.Undecryptable++
		} else {
			c.initial(p[:end], pnOff, dcid, version, vi, fromClient)
		}
	}
	return end
}

// isGoogle reports a Google QUIC version: Q or T and three digits (Q046,
// T051).
func isGoogle(v uint32) bool {
	digit := func(b uint32) bool { return b >= '0' && b <= '9' }
	return (v>>24 == 'Q' || v>>24 == 'T') && digit(v>>16&0xff) && digit(v>>8&0xff) && digit(v&0xff)
}

// plausibleVersion reports a version a QUIC endpoint sends: one whose
// Initials open here, an IETF draft (0xff000001 to 0xff000022), one kept for IETF
// documents (0x0000xxxx, RFC 9000 §15: mercury-quic_v2.pcap's client
// tries 0x00000002), Google's, or a reserved greasing version
// (0x?a?a?a?a). A UDP flow whose
// first byte merely has the long-header bit set (every other DNS
// message) carries some other four bytes there and is not read as QUIC,
// as Wireshark's heuristic does not either.
func plausibleVersion(v uint32) bool {
	_, known := lookupVersion(v)
	return known || v>>8 == 0xff0000 && v&0xff <= 0x22 || v>>16 == 0 || isGoogle(v) || v&0x0f0f0f0f == 0x0a0a0a0a
}

func (c *Conn) noteVersion(v uint32, fromClient bool) {
	if c.Version == 0 && fromClient {
		c.Version = v
		c.GoogleQUIC = isGoogle(v)
	}
	for _, x := range c.Versions {
		if x == v {
			return
		}
	}
	if len(c.Versions) < maxVersions {
		c.Versions = append(c.Versions, v)
	}
}

func (c *Conn) versionNegotiation(p []byte, fromClient bool) {
	if fromClient {
		return
	}
	c.VNSeen = true
	off := 5
	if off >= len(p) {
		return
	}
	off += 1 + int(p[off])
	if off >= len(p) {
		return
	}
	off += 1 + int(p[off])
	c.VersionNegotiation = c.vnBuf[:0]
	for ; off+4 <= len(p) && len(c.VersionNegotiation) < maxVersions; off += 4 {
		c.VersionNegotiation = append(c.VersionNegotiation, uint32(p[off])<<24|uint32(p[off+1])<<16|uint32(p[off+2])<<8|uint32(p[off+3]))
	}
}

// initial decrypts one Initial packet (pkt is exactly the packet) and
// reads its frames.
func (c *Conn) initial(pkt []byte, pnOff int, dcid []byte, version uint32, vi versionInfo, fromClient bool) {
	if fromClient {
		if c.clientKeys == nil {
			return
		}
	} else if c.serverKeys == nil || version != c.keysVersion {
		// The server's Initial needs the client's keys: keep it for
		// when they come (a capture may hold the server's side first).
		if len(c.pending) < maxPending && c.pendingSize+len(pkt) <= maxPendingSize {
			c.pending = append(c.pending, append([]byte(nil), pkt...))
			c.pendingSize += len(pkt)
		}
		return
	}
	k, side := c.clientKeys, &c.Client
	if !fromClient {
		k, side = c.serverKeys, &c.Server
	}
	plain, pn, err := k.open(c.plain[:0], pkt, pnOff, side.largest)
	if err != nil {
		c.Undecryptable++
		return
	}
	c.plain = plain[:0]
	if pn > side.largest {
		side.largest = pn
	}
	side.Decrypted++
	c.frames(plain, side, fromClient)
	if c.GoogleQUIC && fromClient && c.GoogleCHLO == nil {
		// Q050's frames are gQUIC's: look for the CHLO message itself.
		c.GoogleCHLO = parseCHLO(plain)
	}
}

// ensureKeys derives the Initial keys from a client Initial's DCID: the
// first one's, or the one a Retry chose. A new version (after Version
// Negotiation) derives them again.
func (c *Conn) ensureKeys(dcid []byte, version uint32, vi versionInfo) {
	if c.clientKeys != nil && version == c.keysVersion {
		// The keys stay those of the first Initial's DCID, whatever
		// DCID later Initials carry (RFC 9001 §5.2), unless a Retry
		// gave a new one.
		if string(dcid) == string(c.keysDCID) || !c.retryCID(dcid) {
			return
		}
	}
	ck, sk, err := initialKeys(vi, dcid)
	if err != nil {
		return
	}
	c.clientKeys, c.serverKeys = ck, sk
	c.keysDCID = append(c.keysDCID[:0], dcid...)
	c.keysVersion = version
	c.replay()
}

// replay processes the server packets kept while the keys were unknown.
func (c *Conn) replay() {
	pend := c.pending
	c.pending, c.pendingSize = nil, 0
	for _, p := range pend {
		c.Server.Initials-- // counted again
		c.packet(p, false)
	}
}

// frames reads the frames of a decrypted Initial packet.
func (c *Conn) frames(p []byte, side *Side, fromClient bool) {
	for len(p) > 0 {
		t := p[0]
		switch {
		case t == 0x00: // PADDING
			p = p[1:]
		case t == 0x01: // PING
			p = p[1:]
		case t == 0x02 || t == 0x03: // ACK
			n := skipACK(p)
			if n == 0 {
				return
			}
			p = p[n:]
		case t == 0x06: // CRYPTO
			off, n1 := varint(p[1:])
			if n1 == 0 {
				return
			}
			l, n2 := varint(p[1+n1:])
			h := 1 + n1 + n2
			if n2 == 0 || l > uint64(len(p)-h) {
				return
			}
			side.addCrypto(off, p[h:h+int(l)])
			if c.GoogleQUIC && fromClient && c.GoogleCHLO == nil {
				// Q050 and later: the CHLO travels in CRYPTO frames.
				c.GoogleCHLO = parseCHLO(side.crypto.prefix())
			}
			p = p[h+int(l):]
		default: // CONNECTION_CLOSE and anything else: stop here
			return
		}
	}
}

// skipACK returns the length of the ACK frame at the start of p, 0 if it
// is malformed.
func skipACK(p []byte) int {
	off := 1
	var count uint64
	for i := 0; i < 4; i++ { // largest, delay, range count, first range
		v, n := varint(p[off:])
		if n == 0 {
			return 0
		}
		if i == 2 {
			count = v
		}
		off += n
	}
	if count > uint64(len(p)) {
		return 0
	}
	fields := 2 * count
	if p[0] == 0x03 {
		fields += 3
	}
	for i := uint64(0); i < fields; i++ {
		_, n := varint(p[off:])
		if n == 0 {
			return 0
		}
		off += n
	}
	return off
}

// varint decodes a variable-length integer (RFC 9000 §16); n is 0 when p
// is too short.
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

// cryptoBuffer reassembles the CRYPTO stream of one direction's Initial
// packets from frames in any order, within its first 64 KiB.
type cryptoBuffer struct {
	buf    []byte
	ranges [][2]int // received [start, end) ranges, sorted, disjoint
	over   bool     // data beyond maxCrypto, or too many ranges, was dropped
}

// add stores data at offset off.
func (b *cryptoBuffer) add(off uint64, data []byte) {
	if off >= maxCrypto {
		b.over = true
		return
	}
	end := off + uint64(len(data))
	if end > maxCrypto {
		b.over = true
		data = data[:maxCrypto-off]
		end = maxCrypto
	}
	s, e := int(off), int(end)
	if e > len(b.buf) {
		if e > cap(b.buf) {
			nb := make([]byte, e, max(e, 2*cap(b.buf), 2048))
			copy(nb, b.buf)
			b.buf = nb
		}
		b.buf = b.buf[:e]
	}
	copy(b.buf[s:e], data)
	// Merge [s, e) into the ranges.
	out := b.ranges[:0:0]
	placed := false
	for _, r := range b.ranges {
		switch {
		case r[1] < s:
			out = append(out, r)
		case r[0] > e:
			if !placed {
				out = append(out, [2]int{s, e})
				placed = true
			}
			out = append(out, r)
		default:
			s, e = min(s, r[0]), max(e, r[1])
		}
	}
	if !placed {
		out = append(out, [2]int{s, e})
	}
	if len(out) > maxRanges {
		b.over = true
		out = out[:maxRanges]
	}
	b.ranges = out
}

// prefix returns the contiguous bytes from offset 0.
func (b *cryptoBuffer) prefix() []byte {
	if len(b.ranges) == 0 || b.ranges[0][0] != 0 {
		return nil
	}
	return b.buf[:b.ranges[0][1]]
}

func (s *Side) addCrypto(off uint64, data []byte) {
	if s.Hello != nil {
		return
	}
	s.crypto.add(off, data)
	s.Truncated = s.crypto.over
	p := s.crypto.prefix()
	if len(p) < 4 {
		return
	}
	n := int(p[1])<<16 | int(p[2])<<8 | int(p[3])
	if len(p) < 4+n {
		return
	}
	if s.hello.Parse(p[:4+n], false) != nil {
		return
	}
	s.Hello = &s.hello
	s.Truncated = false
	s.TransportParameters = parseTransportParameters(s.TransportParameters[:0], s.hello.QUICTransportParameters)
}

// parseTransportParameters appends the parameters of a
// quic_transport_parameters body to dst, stopping at a malformed one.
func parseTransportParameters(dst []TransportParameter, p []byte) []TransportParameter {
	for len(p) > 0 {
		id, n := varint(p)
		if n == 0 {
			return dst
		}
		l, m := varint(p[n:])
		if m == 0 || l > uint64(len(p)-n-m) {
			return dst
		}
		dst = append(dst, TransportParameter{ID: id, Value: p[n+m : n+m+int(l) : n+m+int(l)]})
		p = p[n+m+int(l):]
	}
	return dst
}
