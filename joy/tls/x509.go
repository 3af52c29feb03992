package tls

import (
	"crypto/elliptic"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// Certificate limits of the original.
const (
	maxRDN          = 12 // issuer/subject entries printed
	maxCertExts     = 12 // extensions printed
	maxSerialLen    = 24 // longer serial numbers are omitted
	maxSignatureLen = 512
)

// nameEntry is one attribute of a distinguished name, flattened in DER
// order as OpenSSL's X509_NAME holds them.
type nameEntry struct {
	oid   []byte
	set   int
	tag   uint32
	value []byte
	raw   []byte // the value's whole encoding
}

type certExtension struct {
	oid   []byte
	value []byte // extnValue content
}

type certificate struct {
	serial    []byte
	sigAlg    []byte
	sig       []byte
	issuer    []nameEntry
	subject   []nameEntry
	notBefore elem
	notAfter  elem
	keyAlg    []byte
	keyParams *elem
	key       []byte
	exts      []certExtension
}

// appendCertificate appends the JSON object of one certificate of
// declared length length whose DER bytes are der: {"length":N} alone when
// OpenSSL could not decode it.
func appendCertificate(b []byte, length uint16, der []byte) []byte {
	b = append(b, `{"length":`...)
	b = strconv.AppendUint(b, uint64(length), 10)
	c, ok := parseCertificate(der)
	if !ok {
		return append(b, '}')
	}
	if len(c.serial) <= maxSerialLen {
		b = append(b, `,"serial_number":"`...)
		b = jsonw.Hex(b, c.serial)
		b = append(b, '"')
	}
	if len(c.sig) <= maxSignatureLen {
		b = append(b, `,"signature":"`...)
		b = jsonw.Hex(b, c.sig)
		b = append(b, '"')
		// QUIRK-28 (safe alternative): an unknown algorithm prints as
		// its dotted OID instead of crashing.
		b = append(b, `,"signature_algo":"`...)
		b = jsonw.Sanitized(b, []byte(cutID(oidLongName(c.sigAlg))))
		b = append(b, '"')
		if n := uint16(len(c.sig) * 8); n != 0 {
			b = append(b, `,"signature_key_size":`...)
			b = strconv.AppendUint(b, uint64(n), 10)
		}
	}
	b = appendNameEntries(b, `,"issuer":[`, c.issuer)
	b = appendNameEntries(b, `,"subject":[`, c.subject)
	if len(c.exts) != 0 {
		b = append(b, `,"extensions":[`...)
		var text []byte
		for i, e := range c.exts {
			if i == maxCertExts {
				break
			}
			if i > 0 {
				b = append(b, ',')
			}
			text = extensionText(text[:0], e.oid, e.value)
			b = appendOIDObject(b, e.oid, text)
		}
		b = append(b, ']')
	}
	b = append(b, `,"validity_not_before":"`...)
	b = jsonw.Sanitized(b, appendASN1Time(nil, c.notBefore.tag, c.notBefore.body))
	b = append(b, `","validity_not_after":"`...)
	b = jsonw.Sanitized(b, appendASN1Time(nil, c.notAfter.tag, c.notAfter.body))
	b = append(b, '"')
	if name, bits, ok := publicKeyInfo(c.keyAlg, c.keyParams, c.key); ok {
		b = append(b, `,"subject_public_key_algo":"`...)
		b = append(b, name...)
		b = append(b, '"')
		if n := uint16(bits); n != 0 {
			b = append(b, `,"subject_public_key_size":`...)
			b = strconv.AppendUint(b, uint64(n), 10)
		}
	}
	return append(b, '}')
}

func appendNameEntries(b []byte, key string, entries []nameEntry) []byte {
	if len(entries) == 0 {
		return b
	}
	b = append(b, key...)
	for i, e := range entries {
		if i == maxRDN {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOIDObject(b, e.oid, e.value)
	}
	return append(b, ']')
}

// appendOIDObject appends {"<name of oid>":"<value>"}, both sanitized.
func appendOIDObject(b, oid, value []byte) []byte {
	b = append(b, `{"`...)
	b = jsonw.Sanitized(b, []byte(cutID(oidLongName(oid))))
	b = append(b, `":"`...)
	b = jsonw.Sanitized(b, value)
	return append(b, `"}`...)
}

// parseCertificate decodes a certificate the way OpenSSL's d2i_X509 does
// (structure, tags, and the content checks OpenSSL applies while
// decoding). Bytes after the certificate are ignored.
func parseCertificate(der []byte) (c certificate, ok bool) {
	body, _, ok := seq(der)
	if !ok {
		return c, false
	}
	tbs, rest, ok := seq(body)
	if !ok {
		return c, false
	}
	if c.sigAlg, _, rest, ok = algorithm(rest); !ok {
		return c, false
	}
	sig, rest, ok := stringOf(rest, tagBitString)
	if !ok || len(rest) != 0 {
		return c, false
	}
	if c.sig, ok = bitString(sig); !ok {
		return c, false
	}
	if !parseTBS(&c, tbs) {
		return c, false
	}
	return c, true
}

func parseTBS(c *certificate, b []byte) bool {
	e, rest, ok := next(b)
	if !ok {
		return false
	}
	if e.is(classContext, 0, true) { // version
		v, r, ok := prim(e.body, tagInteger)
		if !ok || len(r) != 0 {
			return false
		}
		if _, _, ok := intMagnitude(v); !ok {
			return false
		}
		b = rest
	}
	serial, b, ok := prim(b, tagInteger)
	if !ok {
		return false
	}
	if c.serial, _, ok = intMagnitude(serial); !ok {
		return false
	}
	if _, _, b, ok = algorithm(b); !ok {
		return false
	}
	name, b, ok := seqOf(b)
	if !ok {
		return false
	}
	if c.issuer, ok = parseName(name); !ok {
		return false
	}
	validity, b, ok := seq(b)
	if !ok {
		return false
	}
	if c.notBefore, validity, ok = asn1Time(validity); !ok {
		return false
	}
	if c.notAfter, validity, ok = asn1Time(validity); !ok || len(validity) != 0 {
		return false
	}
	if name, b, ok = seqOf(b); !ok {
		return false
	}
	if c.subject, ok = parseName(name); !ok {
		return false
	}
	spki, b, ok := seq(b)
	if !ok {
		return false
	}
	if c.keyAlg, c.keyParams, spki, ok = algorithm(spki); !ok {
		return false
	}
	key, spki, ok := stringOf(spki, tagBitString)
	if !ok || len(spki) != 0 {
		return false
	}
	if c.key, ok = bitString(key); !ok {
		return false
	}
	// Optional unique identifiers and extensions, in this order.
	for _, tag := range []uint32{1, 2} {
		if len(b) == 0 {
			return true
		}
		e, rest, ok := next(b)
		if !ok {
			return false
		}
		if e.class == classContext && e.tag == tag {
			c, ok := collect(e)
			if !ok {
				return false
			}
			if _, ok := bitString(c); !ok {
				return false
			}
			b = rest
		}
	}
	if len(b) == 0 {
		return true
	}
	e, rest, ok = next(b)
	if !ok || !e.is(classContext, 3, true) || len(rest) != 0 {
		return false
	}
	list, r, ok := seqOf(e.body)
	if !ok || len(r) != 0 {
		return false
	}
	for len(list) > 0 {
		var ext []byte
		if ext, list, ok = seq(list); !ok {
			return false
		}
		oid, r, ok := prim(ext, tagOID)
		if !ok || !validOID(oid) {
			return false
		}
		if e, r2, ok := next(r); ok && e.is(classUniversal, tagBoolean, false) {
			if len(e.body) != 1 {
				return false
			}
			r = r2
		}
		value, r, ok := stringOf(r, tagOctetString)
		if !ok || len(r) != 0 {
			return false
		}
		c.exts = append(c.exts, certExtension{oid, value})
	}
	return true
}

// algorithm decodes an AlgorithmIdentifier: the OID content and the
// optional parameters.
func algorithm(b []byte) (oid []byte, params *elem, rest []byte, ok bool) {
	body, rest, ok := seq(b)
	if !ok {
		return nil, nil, nil, false
	}
	oid, body, ok = prim(body, tagOID)
	if !ok || !validOID(oid) {
		return nil, nil, nil, false
	}
	if len(body) != 0 {
		e, r, ok := next(body)
		if !ok || len(r) != 0 || !checkUniversal(e) {
			return nil, nil, nil, false
		}
		params = &e
	}
	return oid, params, rest, true
}

func asn1Time(b []byte) (elem, []byte, bool) {
	e, rest, ok := next(b)
	if !ok || e.class != classUniversal || (e.tag != tagUTCTime && e.tag != tagGenTime) {
		return e, nil, false
	}
	if e.body, ok = collect(e); !ok {
		return e, nil, false
	}
	return e, rest, true
}

// parseName decodes the content of a Name (SEQUENCE OF SET OF
// AttributeTypeAndValue).
func parseName(b []byte) ([]nameEntry, bool) {
	var out []nameEntry
	for set := 0; len(b) > 0; set++ {
		e, rest, ok := next(b)
		if !ok || !e.isList(classUniversal, tagSet) {
			return nil, false
		}
		if out, ok = parseNameEntries(out, e.body, set); !ok {
			return nil, false
		}
		b = rest
	}
	return out, true
}

// nameValue checks an attribute value as OpenSSL's decoder does (one of
// the string types its X.509 names accept, or a SEQUENCE, universal, with
// the character checks of its canonical-encoding step) and returns the
// bytes it stores: the string content, or the whole SEQUENCE encoding.
func nameValue(v elem) ([]byte, bool) {
	if v.class != classUniversal {
		return nil, false
	}
	switch v.tag {
	case tagSequence:
		return v.raw, v.cons
	case 7, 8, 9, 11, tagUTF8, 13, 14, 15, tagNumeric, tagPrintable, tagT61, tagIA5, tagUniversal, 29, tagBMP:
	default:
		return nil, false
	}
	c, ok := collect(v)
	if !ok || !stringContentOK(v.tag, c) {
		return nil, false
	}
	return c, true
}

// stringContentOK applies OpenSSL's conversion checks to string content.
func stringContentOK(tag uint32, c []byte) bool {
	switch tag {
	case tagUTF8:
		return utf8.Valid(c)
	case tagBMP:
		if len(c)%2 != 0 {
			return false
		}
		for i := 0; i < len(c); i += 2 {
			if u := rune(c[i])<<8 | rune(c[i+1]); u >= 0xd800 && u <= 0xdfff {
				return false
			}
		}
	case tagUniversal:
		if len(c)%4 != 0 {
			return false
		}
		for i := 0; i < len(c); i += 4 {
			u := uint32(c[i])<<24 | uint32(c[i+1])<<16 | uint32(c[i+2])<<8 | uint32(c[i+3])
			if u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff) {
				return false
			}
		}
	}
	return true
}

// Public key algorithms OpenSSL decodes, and the bit sizes it reports.
var curveBits = map[string]int{
	"1.2.840.10045.3.1.1":   192,
	"1.2.840.10045.3.1.7":   256,
	"1.3.132.0.33":          224,
	"1.3.132.0.34":          384,
	"1.3.132.0.35":          521,
	"1.3.132.0.10":          256,
	"1.3.36.3.3.2.8.1.1.7":  256,
	"1.3.36.3.3.2.8.1.1.11": 384,
	"1.3.36.3.3.2.8.1.1.13": 512,
	"1.3.36.3.3.2.8.1.1.3":  192,
	"1.3.36.3.3.2.8.1.1.5":  224,
	"1.3.36.3.3.2.8.1.1.9":  320,
	"1.3.132.0.8":           161,
	"1.3.132.0.9":           161,
	"1.3.132.0.30":          161,
	"1.3.132.0.31":          192,
	"1.3.132.0.32":          225,
}

// publicKeyInfo returns OpenSSL's name and bit size of a subject public
// key, or ok=false when OpenSSL would not decode the key.
func publicKeyInfo(alg []byte, params *elem, key []byte) (name string, bits int, ok bool) {
	switch dottedOID(alg) {
	case "1.2.840.113549.1.1.1", "2.5.8.1.1":
		n, ok := rsaModulusBits(key)
		return "rsaEncryption", n, ok
	case "1.2.840.113549.1.1.10":
		if params != nil && !params.is(classUniversal, tagSequence, true) {
			return "", 0, false
		}
		n, ok := rsaModulusBits(key)
		return "rsassaPss", n, ok
	case "1.2.840.10040.4.1":
		if _, _, ok := intOf(key); !ok {
			return "", 0, false
		}
		if params == nil || params.is(classUniversal, tagNull, false) {
			return "dsaEncryption", -1, true // no parameters: OpenSSL reports -1 bits
		}
		if !params.is(classUniversal, tagSequence, true) {
			return "", 0, false
		}
		p, rest, ok := bigIntOf(params.body)
		if !ok {
			return "", 0, false
		}
		if _, rest, ok = bigIntOf(rest); !ok {
			return "", 0, false
		}
		if _, rest, ok = bigIntOf(rest); !ok || len(rest) != 0 {
			return "", 0, false
		}
		return "dsaEncryption", p.BitLen(), true
	case "1.2.840.10045.2.1":
		if params == nil || !params.is(classUniversal, tagOID, false) {
			return "", 0, false
		}
		curve := dottedOID(params.body)
		n, known := curveBits[curve]
		if !known || !ecPointOK(curve, key) {
			return "", 0, false
		}
		return "id-ecPublicKey", n, true
	case "1.3.101.110":
		return rawKey("X25519", 253, 32, params, key)
	case "1.3.101.111":
		return rawKey("X448", 448, 56, params, key)
	case "1.3.101.112":
		return rawKey("ED25519", 256, 32, params, key)
	case "1.3.101.113":
		return rawKey("ED448", 456, 57, params, key)
	}
	return "", 0, false
}

func rawKey(name string, bits, size int, params *elem, key []byte) (string, int, bool) {
	if params != nil || len(key) != size {
		return "", 0, false
	}
	return name, bits, true
}

// rsaModulusBits decodes RSAPublicKey and returns the modulus size. The
// integers are read as unsigned magnitudes, as OpenSSL's BIGNUM decoder
// does.
func rsaModulusBits(key []byte) (int, bool) {
	body, _, ok := seq(key)
	if !ok {
		return 0, false
	}
	n, rest, ok := bigIntOf(body)
	if !ok {
		return 0, false
	}
	if _, rest, ok = bigIntOf(rest); !ok || len(rest) != 0 {
		return 0, false
	}
	return n.BitLen(), true
}

func bigIntOf(b []byte) (*big.Int, []byte, bool) {
	c, rest, ok := prim(b, tagInteger)
	if !ok {
		return nil, nil, false
	}
	return new(big.Int).SetBytes(c), rest, true
}

func intOf(b []byte) ([]byte, []byte, bool) {
	c, rest, ok := prim(b, tagInteger)
	if !ok {
		return nil, nil, false
	}
	if _, _, ok := intMagnitude(c); !ok {
		return nil, nil, false
	}
	return c, rest, true
}

// ecPointOK checks that an EC public key decodes on its curve, as
// OpenSSL's point decoder does, for the curves this package knows the
// equation of (P-224, P-256, P-384, P-521 and secp256k1); points on other
// curves are accepted unchecked.
func ecPointOK(curve string, p []byte) bool {
	var params *elliptic.CurveParams
	switch curve {
	case "1.3.132.0.33":
		params = elliptic.P224().Params()
	case "1.2.840.10045.3.1.7":
		params = elliptic.P256().Params()
	case "1.3.132.0.34":
		params = elliptic.P384().Params()
	case "1.3.132.0.35":
		params = elliptic.P521().Params()
	case "1.3.132.0.10":
		params = secp256k1()
	default:
		return len(p) > 0
	}
	if len(p) == 1 && p[0] == 0 {
		return true // the point at infinity
	}
	if len(p) == 0 {
		return false
	}
	size := (params.BitSize + 7) / 8
	switch p[0] {
	case 2, 3:
		if len(p) != 1+size {
			return false
		}
		x := new(big.Int).SetBytes(p[1:])
		y := ecY(params, x)
		return y != nil
	case 4, 6, 7:
		if len(p) != 1+2*size {
			return false
		}
		x := new(big.Int).SetBytes(p[1 : 1+size])
		y := new(big.Int).SetBytes(p[1+size:])
		if x.Cmp(params.P) >= 0 || y.Cmp(params.P) >= 0 {
			return false
		}
		y2 := ecRHS(params, x)
		if new(big.Int).Exp(y, big.NewInt(2), params.P).Cmp(y2) != 0 {
			return false
		}
		if p[0] != 4 && y.Bit(0) != uint(p[0]&1) {
			return false
		}
		return true
	}
	return false
}

// ecRHS is x^3 + a*x + b mod p, with a = -3 for the NIST curves and a = 0
// for secp256k1.
func ecRHS(c *elliptic.CurveParams, x *big.Int) *big.Int {
	r := new(big.Int).Exp(x, big.NewInt(3), c.P)
	if c.Name != "secp256k1" {
		r.Sub(r, new(big.Int).Mul(x, big.NewInt(3)))
	}
	r.Add(r, c.B)
	return r.Mod(r, c.P)
}

// ecY returns a y for x on the curve, or nil.
func ecY(c *elliptic.CurveParams, x *big.Int) *big.Int {
	if x.Cmp(c.P) >= 0 {
		return nil
	}
	return new(big.Int).ModSqrt(ecRHS(c, x), c.P)
}

func secp256k1() *elliptic.CurveParams {
	p, _ := new(big.Int).SetString("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16)
	return &elliptic.CurveParams{Name: "secp256k1", P: p, B: big.NewInt(7), BitSize: 256}
}
