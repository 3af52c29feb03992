package tls

// A small DER reader with the leniency of OpenSSL's decoder where it
// matters for certificates: long-form lengths may carry leading zero bytes
// and high tag numbers are accepted. Indefinite lengths are refused.

// Tag classes.
const (
	classUniversal   = 0
	classApplication = 1
	classContext     = 2
	classPrivate     = 3
)

// Universal tags.
const (
	tagBoolean     = 1
	tagInteger     = 2
	tagBitString   = 3
	tagOctetString = 4
	tagNull        = 5
	tagOID         = 6
	tagEnumerated  = 10
	tagUTF8        = 12
	tagSequence    = 16
	tagSet         = 17
	tagNumeric     = 18
	tagPrintable   = 19
	tagT61         = 20
	tagIA5         = 22
	tagUTCTime     = 23
	tagGenTime     = 24
	tagVisible     = 26
	tagGeneral     = 27
	tagUniversal   = 28
	tagBMP         = 30
)

// elem is one decoded element.
type elem struct {
	class uint8
	cons  bool
	tag   uint32
	raw   []byte // header and content
	body  []byte // content
}

// is reports whether e has the given class, tag and constructed flag.
func (e elem) is(class uint8, tag uint32, cons bool) bool {
	return e.class == class && e.tag == tag && e.cons == cons
}

// next decodes the element at the start of b.
func next(b []byte) (e elem, rest []byte, ok bool) {
	if len(b) < 2 {
		return e, nil, false
	}
	p := 0
	e.class = b[0] >> 6
	e.cons = b[0]&0x20 != 0
	e.tag = uint32(b[0] & 0x1f)
	p++
	if e.tag == 0x1f {
		var t uint32
		for {
			if p >= len(b) {
				return e, nil, false
			}
			c := b[p]
			p++
			if t > (1<<31-1)>>7 {
				return e, nil, false
			}
			t = t<<7 | uint32(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
		e.tag = t
	}
	if p >= len(b) {
		return e, nil, false
	}
	c := b[p]
	p++
	var n uint64
	switch {
	case c == 0x80:
		return e, nil, false // indefinite length
	case c&0x80 == 0:
		n = uint64(c)
	default:
		k := int(c & 0x7f)
		if p+k > len(b) {
			return e, nil, false
		}
		for k > 0 && b[p] == 0 {
			p++
			k--
		}
		if k > 8 {
			return e, nil, false
		}
		for ; k > 0; k-- {
			n = n<<8 | uint64(b[p])
			p++
		}
	}
	if n > uint64(len(b)-p) {
		return e, nil, false
	}
	end := p + int(n)
	e.raw = b[:end]
	e.body = b[p:end]
	return e, b[end:], true
}

// seq decodes a universal SEQUENCE at the start of b.
func seq(b []byte) (body, rest []byte, ok bool) {
	e, rest, ok := next(b)
	if !ok || !e.is(classUniversal, tagSequence, true) {
		return nil, nil, false
	}
	return e.body, rest, true
}

// prim decodes a primitive universal element with the given tag.
func prim(b []byte, tag uint32) (body, rest []byte, ok bool) {
	e, rest, ok := next(b)
	if !ok || !e.is(classUniversal, tag, false) {
		return nil, nil, false
	}
	return e.body, rest, true
}

// intMagnitude validates INTEGER content as OpenSSL does and returns the
// bytes OpenSSL stores: the magnitude without sign padding (the two's
// complement negation for negative numbers) and the sign.
func intMagnitude(c []byte) (mag []byte, neg, ok bool) {
	if len(c) == 0 {
		return nil, false, false
	}
	neg = c[0]&0x80 != 0
	if len(c) == 1 {
		if neg {
			return []byte{^c[0] + 1}, true, true
		}
		return []byte{c[0]}, false, true
	}
	pad := 0
	if c[0] == 0 {
		pad = 1
	} else if c[0] == 0xff {
		for _, x := range c[1:] {
			if x != 0 {
				pad = 1
				break
			}
		}
	}
	if pad == 1 && neg == (c[1]&0x80 != 0) {
		return nil, false, false // illegal padding
	}
	c = c[pad:]
	mag = make([]byte, len(c))
	if !neg {
		copy(mag, c)
		return mag, false, true
	}
	// Two's complement negation.
	carry := 1
	for i := len(c) - 1; i >= 0; i-- {
		v := int(^c[i]) + carry
		mag[i] = byte(v)
		carry = v >> 8
	}
	return mag, true, true
}

// bitString validates BIT STRING content as OpenSSL does and returns its
// data with the unused bits of the last byte cleared.
func bitString(c []byte) ([]byte, bool) {
	if len(c) < 1 || c[0] > 7 {
		return nil, false
	}
	if len(c) == 1 {
		return []byte{}, true
	}
	d := make([]byte, len(c)-1)
	copy(d, c[1:])
	d[len(d)-1] &= 0xff << c[0]
	return d, true
}

// validOID checks OBJECT IDENTIFIER content as OpenSSL does.
func validOID(c []byte) bool {
	if len(c) == 0 || c[len(c)-1]&0x80 != 0 {
		return false
	}
	for i, x := range c {
		if x == 0x80 && (i == 0 || c[i-1]&0x80 == 0) {
			return false
		}
	}
	return true
}

// checkUniversal validates the content of a universal primitive the way
// OpenSSL's decoder does when it meets it inside an ANY.
func checkUniversal(e elem) bool {
	if e.class != classUniversal || e.cons {
		return true
	}
	switch e.tag {
	case tagBoolean:
		return len(e.body) == 1
	case tagInteger, tagEnumerated:
		_, _, ok := intMagnitude(e.body)
		return ok
	case tagBitString:
		_, ok := bitString(e.body)
		return ok
	case tagNull:
		return len(e.body) == 0
	case tagOID:
		return validOID(e.body)
	}
	return true
}
