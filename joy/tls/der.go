package tls

// A small DER reader with the leniency of OpenSSL's decoder where it
// matters for certificates: long-form lengths may carry leading zero
// bytes, high tag numbers are accepted, and constructed elements may use
// BER indefinite lengths (nested at most 30 deep).

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

const maxNesting = 30

// next decodes the element at the start of b.
func next(b []byte) (e elem, rest []byte, ok bool) { return nextAt(b, 0) }

func nextAt(b []byte, depth int) (e elem, rest []byte, ok bool) {
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
		// Indefinite length: constructed only; the content runs to the
		// end-of-contents marker after the last element.
		if !e.cons || depth >= maxNesting {
			return e, nil, false
		}
		q := p
		for {
			if q+2 <= len(b) && b[q] == 0 && b[q+1] == 0 {
				break
			}
			_, r, ok := nextAt(b[q:], depth+1)
			if !ok {
				return e, nil, false
			}
			q = len(b) - len(r)
		}
		e.raw = b[:q+2]
		e.body = b[p:q]
		return e, b[q+2:], true
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

// seqOf decodes a universal SEQUENCE OF at the start of b. OpenSSL does not
// check the constructed bit of SEQUENCE OF and SET OF.
func seqOf(b []byte) (body, rest []byte, ok bool) {
	e, rest, ok := next(b)
	if !ok || e.class != classUniversal || e.tag != tagSequence {
		return nil, nil, false
	}
	return e.body, rest, true
}

// isList reports whether e is a SEQUENCE OF or SET OF with the given class
// and tag (constructed bit not checked, as in OpenSSL).
func (e elem) isList(class uint8, tag uint32) bool { return e.class == class && e.tag == tag }

// collect returns the content of a string element: its content when
// primitive, or the concatenated contents of the primitive pieces of a
// constructed (BER) string (OpenSSL checks neither their class nor their
// tag), nested at most five deep.
func collect(e elem) ([]byte, bool) {
	if !e.cons {
		return e.body, true
	}
	var out []byte
	var walk func(b []byte, depth int) bool
	walk = func(b []byte, depth int) bool {
		if depth > 5 {
			return false
		}
		for len(b) > 0 {
			if len(b) >= 2 && b[0] == 0 && b[1] == 0 {
				return false // end-of-contents in a definite-length string
			}
			x, rest, ok := next(b)
			if !ok {
				return false
			}
			if x.cons {
				if !walk(x.body, depth+1) {
					return false
				}
			} else {
				out = append(out, x.body...)
			}
			b = rest
		}
		return true
	}
	if !walk(e.body, 0) {
		return nil, false
	}
	if out == nil {
		out = []byte{}
	}
	return out, true
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

// checkUniversal validates an element the way OpenSSL's decoder does when
// it meets it inside an ANY: SEQUENCE and SET must be constructed, the
// simple types primitive and well formed, constructed strings well nested.
func checkUniversal(e elem) bool {
	if len(e.raw) == 2 && e.raw[0] == 0 && e.raw[1] == 0 {
		return false // an end-of-contents marker where a value is due
	}
	if e.class != classUniversal {
		return true
	}
	switch e.tag {
	case tagSequence, tagSet:
		return e.cons
	case tagBoolean, tagInteger, tagNull, tagOID, tagEnumerated:
		if e.cons {
			return false
		}
	}
	c, ok := collect(e)
	if !ok {
		return false
	}
	switch e.tag {
	case tagBoolean:
		return len(c) == 1
	case tagInteger, tagEnumerated:
		_, _, ok := intMagnitude(c)
		return ok
	case tagBitString:
		_, ok := bitString(c)
		return ok
	case tagNull:
		return len(c) == 0
	case tagOID:
		return validOID(c)
	case tagBMP:
		return len(c)%2 == 0
	case tagUniversal:
		return len(c)%4 == 0
	}
	return true
}
