// Package decode turns one captured frame into the facts the flow table
// needs: addresses, the key protocol, TTL, IP id and the transport area.
//
// The link layers (Ethernet, 802.1Q/QinQ, MPLS, PPPoE, Linux cooked, BSD
// loopback) are fixed layouts read in place (see network); the IP layer is
// decoded here because its length rules are the original's (see the IPv4
// notes below) and differ from gopacket's. Nothing on this
// path allocates, and every read is bounded by the captured length.
package decode

import (
	"encoding/binary"
	"errors"
)

// LinkType is a pcap LINKTYPE_/DLT_ number.
type LinkType int

// The link types the decoder understands.
const (
	LinkNull     LinkType = 0   // BSD loopback, host-order 4-byte family
	LinkEthernet LinkType = 1   // Ethernet II (the original's only link type)
	LinkRawDLT12 LinkType = 12  // raw IP (DLT_RAW on most BSDs)
	LinkRawDLT14 LinkType = 14  // raw IP (DLT_RAW on OpenBSD)
	LinkRaw      LinkType = 101 // LINKTYPE_RAW
	LinkLoop     LinkType = 108 // OpenBSD loopback, network-order family
	LinkSLL      LinkType = 113 // Linux cooked capture v1
	LinkIPv4     LinkType = 228 // raw IPv4
	LinkIPv6     LinkType = 229 // raw IPv6
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

// Supported reports whether the decoder knows link type t.
func Supported(t LinkType) bool {
	switch t {
	case LinkNull, LinkEthernet, LinkRawDLT12, LinkRawDLT14, LinkRaw, LinkLoop,
		LinkSLL, LinkIPv4, LinkIPv6, LinkSLL2:
		return true
	}
	return false
}

// Errors returned by Decode. ErrNotIP and ErrShort are silent drops (the
// original ignores such frames without a word); BadHeaderError is logged.
var (
	ErrNotIP = errors.New("not an IP packet")
	ErrShort = errors.New("packet shorter than its IP length")
)

// BadHeaderError reports an IPv4 header length below 20 bytes, or one that
// is longer than the whole datagram.
type BadHeaderError struct{ HeaderLen int }

func (e *BadHeaderError) Error() string { return "invalid IP header length" }

// Packet is the decoded view of one frame. Slices point into the frame or
// into the decoder's scratch buffer and are valid until the next Decode.
type Packet struct {
	Version uint8    // 4 or 6
	Src     [16]byte // IPv4 uses the first 4 bytes
	Dst     [16]byte
	Proto   uint8 // key protocol: 0 for a non-first fragment
	TTL     uint8 // TTL or hop limit
	HasID   bool  // IPv4 only
	ID      uint16
	// IP is the datagram from its first header byte, as far as the capture
	// holds it (at most the IP total length).
	IP []byte
	// Transport is the whole transport area as the IP header sizes it.
	// When the capture holds fewer bytes than that (the original tolerates
	// a few), the missing tail reads as zeros, as the original's normal
	// build does, instead of reading past the frame.
	Transport []byte
}

// Decoder decodes frames of one link type. It is not safe for concurrent
// use; each flow context owns one.
type Decoder struct {
	link    LinkType
	scratch []byte
}

// NewDecoder returns a decoder for frames of link type t. Unknown types
// are decoded as Ethernet, which is what the original assumes for all.
func NewDecoder(t LinkType) *Decoder {
	return &Decoder{link: t, scratch: make([]byte, 65536)}
}

// LinkType returns the link type the decoder was made for.
func (d *Decoder) LinkType() LinkType { return d.link }

// Decode fills p from frame. frame is the captured bytes (caplen).
func (d *Decoder) Decode(frame []byte, p *Packet) error {
	net, version, err := d.network(frame)
	if err != nil {
		return err
	}
	switch version {
	case 4:
		return d.ipv4(frame, net, p)
	case 6:
		return d.ipv6(frame, net, p)
	}
	return ErrNotIP
}

// EtherTypes and BSD loopback address families the decoder follows.
const (
	etherIPv4      = 0x0800
	etherIPv6      = 0x86dd
	etherDot1Q     = 0x8100
	etherQinQ      = 0x88a8
	etherQinQOld   = 0x9100
	etherMPLS      = 0x8847
	etherMPLSMulti = 0x8848
	etherPPPoE     = 0x8864

	familyIPv4        = 2
	familyIPv6Linux   = 10
	familyIPv6BSD     = 24
	familyIPv6FreeBSD = 28
	familyIPv6Darwin  = 30
)

// network strips the link layer and returns the network-layer bytes with
// the IP version they should hold.
//
// The link layers are three fixed layouts read here: Ethernet II, its
// 802.1Q/802.1ad tags and the BSD loopback family word. They used to go
// through gopacket's DecodingLayerParser, with the same results (the
// package's tests compare the two); gopacket/layers' package
// initialisation fills tables of every EtherType and PPP type, about 7 MB
// resident in every process that links it, a third of the library's
// memory with all its flows.
func (d *Decoder) network(frame []byte) ([]byte, int, error) {
	switch d.link {
	case LinkRaw, LinkRawDLT12, LinkRawDLT14:
		if len(frame) == 0 {
			return nil, 0, ErrNotIP
		}
		return frame, int(frame[0] >> 4), nil
	case LinkIPv4:
		return frame, 4, nil
	case LinkIPv6:
		return frame, 6, nil
	case LinkSLL:
		// 16-byte header, the protocol (an EtherType) last. The
		// address-length field is not trusted: it may be over 10.
		if len(frame) < 16 {
			return nil, 0, ErrNotIP
		}
		return d.etherPayload(binary.BigEndian.Uint16(frame[14:]), frame[16:])
	case LinkSLL2:
		// 20-byte header; the protocol (an EtherType) comes first.
		if len(frame) < 20 {
			return nil, 0, ErrNotIP
		}
		return d.etherPayload(binary.BigEndian.Uint16(frame), frame[20:])
	case LinkNull, LinkLoop:
		// A 4-byte address family in host order (DLT_NULL) or network
		// order (DLT_LOOP); either way below 256, so two leading zero
		// bytes mean network order.
		if len(frame) < 4 {
			return nil, 0, ErrNotIP
		}
		var fam uint32
		if frame[0] == 0 && frame[1] == 0 {
			fam = binary.BigEndian.Uint32(frame)
		} else {
			fam = binary.LittleEndian.Uint32(frame)
		}
		switch fam {
		case familyIPv4:
			return frame[4:], 4, nil
		case familyIPv6Linux, familyIPv6BSD, familyIPv6FreeBSD, familyIPv6Darwin:
			return frame[4:], 6, nil
		}
		return nil, 0, ErrNotIP
	}
	// Ethernet II, and every unknown link type. The untagged IP frame
	// comes first: two byte reads.
	if len(frame) < 14 {
		return nil, 0, ErrNotIP
	}
	t, b := binary.BigEndian.Uint16(frame[12:]), frame[14:]
	switch t {
	case etherIPv4:
		return b, 4, nil
	case etherIPv6:
		return b, 6, nil
	}
	// Any number of 802.1Q and 802.1ad tags, then the encapsulations
	// below. A type below 0x600 is an 802.3 length: not IP.
	for t == etherDot1Q || t == etherQinQ {
		if len(b) < 4 {
			return nil, 0, ErrNotIP
		}
		t, b = binary.BigEndian.Uint16(b[2:]), b[4:]
	}
	return d.etherPayload(t, b)
}

// etherPayload maps an EtherType and what follows it to IP bytes, walking
// the encapsulations (VLAN tags, MPLS, PPPoE).
func (d *Decoder) etherPayload(t uint16, b []byte) ([]byte, int, error) {
	for hops := 0; hops < 8; hops++ {
		switch t {
		case etherIPv4:
			return b, 4, nil
		case etherIPv6:
			return b, 6, nil
		case etherDot1Q, etherQinQ, etherQinQOld:
			if len(b) < 4 {
				return nil, 0, ErrNotIP
			}
			t, b = binary.BigEndian.Uint16(b[2:]), b[4:]
		case etherMPLS, etherMPLSMulti:
			// Labels until bottom of stack, then guess IP by its version.
			for {
				if len(b) < 4 {
					return nil, 0, ErrNotIP
				}
				bottom := b[2]&1 == 1
				b = b[4:]
				if bottom {
					break
				}
			}
			if len(b) == 0 {
				return nil, 0, ErrNotIP
			}
			return b, int(b[0] >> 4), nil
		case etherPPPoE:
			// 6-byte PPPoE header, then a 2-byte PPP protocol.
			if len(b) < 8 {
				return nil, 0, ErrNotIP
			}
			switch binary.BigEndian.Uint16(b[6:]) {
			case 0x0021:
				return b[8:], 4, nil
			case 0x0057:
				return b[8:], 6, nil
			}
			return nil, 0, ErrNotIP
		default:
			return nil, 0, ErrNotIP
		}
	}
	return nil, 0, ErrNotIP
}

// ipv4 applies the original's rules: a header length below 20 is an error;
// a total length below 20, or above the captured frame length (the whole
// frame, link header included), drops the packet. We also drop a header
// longer than the datagram, where the original's length arithmetic wraps.
func (d *Decoder) ipv4(frame, b []byte, p *Packet) error {
	if len(b) < 20 {
		return ErrShort
	}
	hl := int(b[0]&0x0f) * 4
	if hl < 20 {
		return &BadHeaderError{HeaderLen: hl}
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total < 20 || total > len(frame) {
		return ErrShort
	}
	if hl > total || hl > len(b) {
		return &BadHeaderError{HeaderLen: hl}
	}
	*p = Packet{Version: 4, TTL: b[8], HasID: true, ID: binary.BigEndian.Uint16(b[4:]), Proto: b[9]}
	copy(p.Src[:4], b[12:16])
	copy(p.Dst[:4], b[16:20])
	if binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
		p.Proto = 0 // a later fragment has no transport header
	}
	p.Transport = d.area(b, hl, total)
	p.IP = b[:min(total, len(b))]
	return nil
}

// area returns b[start:end], padding with zeros what the capture lacks.
func (d *Decoder) area(b []byte, start, end int) []byte {
	if end <= len(b) {
		return b[start:end]
	}
	s := d.scratch[:end-start]
	n := 0
	if start < len(b) {
		n = copy(s, b[start:])
	}
	clear(s[n:])
	return s
}

// IPv6 extension headers that are skipped to reach the transport header.
func isExtension(h uint8) bool {
	switch h {
	case 0, 43, 44, 60, 51, 135, 139, 140:
		return true
	}
	return false
}

// ipv6 decodes the fixed header and skips extension headers, as the later
// original does: the key protocol is the first non-extension header.
func (d *Decoder) ipv6(frame, b []byte, p *Packet) error {
	if len(b) < 40 {
		return ErrShort
	}
	total := 40 + int(binary.BigEndian.Uint16(b[4:]))
	if total == 40 && len(b) > 40 { // jumbogram: size from the capture
		total = len(b)
	}
	if total > len(frame) {
		return ErrShort
	}
	*p = Packet{Version: 6, TTL: b[7], IP: b[:min(total, len(b))]}
	copy(p.Src[:], b[8:24])
	copy(p.Dst[:], b[24:40])
	next, off := b[6], 40
	for hops := 0; isExtension(next) && hops < 16; hops++ {
		if off+8 > total || off+8 > len(b) {
			break
		}
		h := b[off:]
		size := (int(h[1]) + 1) * 8
		switch next {
		case 44: // fragment header: fixed 8 bytes
			size = 8
			if binary.BigEndian.Uint16(h[2:])&0xfff8 != 0 {
				p.Proto = 0
				p.Transport = d.area(b, off+8, total)
				return nil
			}
		case 51: // AH counts 4-byte words
			size = (int(h[1]) + 2) * 4
		}
		if off+size > total {
			break
		}
		next, off = h[0], off+size
	}
	p.Proto = next
	p.Transport = d.area(b, off, total)
	return nil
}
