package quic

import "bytes"

// CHLO holds what a Google QUIC client hello (a plaintext "CHLO" tag
// message, RFC-less: see the QUIC Crypto design document) tells.
type CHLO struct {
	SNI  string // SNI tag
	UAID string // user agent id
	VER  string // versions tag
	AEAD string // AEAD algorithms tag (4-byte names, concatenated)
	Tags []string
}

// googleLong reads a Q046 long-header packet (its payload is in the
// clear, as in every gQUIC version before Q050).
func (c *Conn) googleLong(p []byte, fromClient bool) {
	if fromClient && c.GoogleCHLO == nil {
		c.GoogleCHLO = parseCHLO(p)
	}
}

// googlePublicHeader reads a packet of the gQUIC public header (Q043 and
// before): flags, an optional 8-byte connection id, an optional version.
// It returns false when p is not such a packet.
func (c *Conn) googlePublicHeader(p []byte, fromClient bool) bool {
	flags := p[0]
	off := 1
	if flags&0x08 != 0 {
		off += 8
	}
	if flags&0x01 == 0 || off+4 > len(p) || p[off] != 'Q' {
		return false
	}
	v := uint32(p[off])<<24 | uint32(p[off+1])<<16 | uint32(p[off+2])<<8 | uint32(p[off+3])
	if !fromClient {
		return true
	}
	c.noteVersion(v, fromClient)
	c.LongHeaders++
	if c.GoogleCHLO == nil {
		c.GoogleCHLO = parseCHLO(p)
	}
	return true
}

// parseCHLO finds a CHLO tag message in p and reads its tags, all within
// p; nil if there is none.
func parseCHLO(p []byte) *CHLO {
	i := bytes.Index(p, []byte("CHLO"))
	if i < 0 || i+8 > len(p) {
		return nil
	}
	m := p[i:]
	n := int(m[4]) | int(m[5])<<8
	hdr := 8
	vals := hdr + 8*n
	if n > 256 || vals > len(m) {
		return nil
	}
	ch := new(CHLO)
	prev := 0
	for k := 0; k < n; k++ {
		e := m[hdr+8*k:]
		tag := string(bytes.TrimRight(e[:4], "\x00"))
		end := int(e[4]) | int(e[5])<<8 | int(e[6])<<16 | int(e[7])<<24
		if end < prev || vals+end > len(m) {
			break
		}
		v := string(m[vals+prev : vals+end])
		prev = end
		ch.Tags = append(ch.Tags, tag)
		switch tag {
		case "SNI":
			ch.SNI = v
		case "UAID":
			ch.UAID = v
		case "VER":
			ch.VER = v
		case "AEAD":
			ch.AEAD = v
		}
	}
	return ch
}
