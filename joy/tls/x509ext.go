package tls

import (
	"math/big"
	"time"
)

// The text of a certificate extension is what OpenSSL's X509V3_EXT_print
// writes (3.0 generation, indent 0, no flags); when OpenSSL has no printer
// for the extension, or cannot decode it, the original falls back to
// ASN1_STRING_print of the raw value. Printers are implemented for every
// extension seen in the test corpus and for the other common ones; the
// few remaining types OpenSSL knows print as lowercase hex (QUIRK-29).

type extKind uint8

const (
	extRaw    extKind = iota // no OpenSSL printer: ASN1_STRING_print
	extHex                   // OpenSSL prints it; this package prints hex
	extHexAny                // the same, for a value of any type
	extSKID
	extKeyUsage
	extNSCertType
	extPKUP
	extGeneralNames
	extBasicConstraints
	extInteger
	extNameConstraints
	extCRLDP
	extPolicies
	extPolicyMappings
	extAKID
	extPolicyConstraints
	extEKU
	extInfoAccess
	extTLSFeature
	extNoCheck
	extSCT
	extPoison
	extIA5
	extCRLReason
	extObject
	extGenTime
)

var extKinds = func() map[string]extKind {
	m := map[string]extKind{
		"2.5.29.14":               extSKID,
		"2.5.29.15":               extKeyUsage,
		"2.5.29.16":               extPKUP,
		"2.5.29.17":               extGeneralNames,
		"2.5.29.18":               extGeneralNames,
		"2.5.29.19":               extBasicConstraints,
		"2.5.29.20":               extInteger,
		"2.5.29.21":               extCRLReason,
		"2.5.29.23":               extObject,
		"2.5.29.24":               extGenTime,
		"2.5.29.27":               extInteger,
		"2.5.29.28":               extHex,
		"2.5.29.29":               extGeneralNames,
		"2.5.29.30":               extNameConstraints,
		"2.5.29.31":               extCRLDP,
		"2.5.29.32":               extPolicies,
		"2.5.29.33":               extPolicyMappings,
		"2.5.29.35":               extAKID,
		"2.5.29.36":               extPolicyConstraints,
		"2.5.29.37":               extEKU,
		"2.5.29.46":               extCRLDP,
		"2.5.29.54":               extInteger,
		"1.3.6.1.5.5.7.1.1":       extInfoAccess,
		"1.3.6.1.5.5.7.1.7":       extHex,
		"1.3.6.1.5.5.7.1.8":       extHex,
		"1.3.6.1.5.5.7.1.11":      extInfoAccess,
		"1.3.6.1.5.5.7.1.14":      extHex,
		"1.3.101.1.4.1":           extHex,
		"1.3.6.1.5.5.7.48.1.2":    extHexAny,
		"1.3.6.1.5.5.7.48.1.3":    extHex,
		"1.3.6.1.5.5.7.48.1.4":    extHex,
		"1.3.6.1.5.5.7.48.1.6":    extGenTime,
		"1.3.6.1.5.5.7.48.1.7":    extHex,
		"1.2.643.100.111":         extHex,
		"1.2.643.100.112":         extHex,
		"1.3.36.8.3.3":            extHex,
		"1.3.6.1.5.5.7.1.24":      extTLSFeature,
		"1.3.6.1.5.5.7.48.1.5":    extNoCheck,
		"1.3.6.1.4.1.11129.2.4.2": extSCT,
		"1.3.6.1.4.1.11129.2.4.3": extPoison,
		"1.3.6.1.4.1.11129.2.4.5": extSCT,
		"2.16.840.1.113730.1.1":   extNSCertType,
		"2.16.840.1.113730.1.2":   extIA5,
		"2.16.840.1.113730.1.3":   extIA5,
		"2.16.840.1.113730.1.4":   extIA5,
		"2.16.840.1.113730.1.7":   extIA5,
		"2.16.840.1.113730.1.8":   extIA5,
		"2.16.840.1.113730.1.12":  extIA5,
		"2.16.840.1.113730.1.13":  extIA5,
	}
	out := make(map[string]extKind, len(m))
	for k, v := range m {
		out[string(encodeOID(k))] = v
	}
	return out
}()

// extensionText appends the text of one extension (oid and extnValue
// content) to dst. The caller sanitizes it.
func extensionText(dst []byte, oid, value []byte) []byte {
	kind := extKinds[string(oid)]
	var out []byte
	ok := false
	switch kind {
	case extRaw:
		return asn1StringPrint(dst, value)
	case extHex, extHexAny:
		// OpenSSL would decode these (all but the OCSP nonce are
		// SEQUENCEs) and print them with printers this package does not
		// have; undecodable values still take the raw print.
		if kind == extHex {
			if e, _, ok := next(value); !ok || !e.is(classUniversal, tagSequence, true) {
				return asn1StringPrint(dst, value)
			}
		}
		const digits = "0123456789abcdef"
		for _, c := range value {
			dst = append(dst, digits[c>>4], digits[c&15])
		}
		return dst
	case extSKID:
		var c []byte
		if c, _, ok = stringOf(value, tagOctetString); ok {
			out = hexColons(dst, c)
		}
	case extKeyUsage:
		out, ok = printBits(dst, value, keyUsageNames[:])
	case extNSCertType:
		out, ok = printBits(dst, value, nsCertTypeNames[:])
	case extPKUP:
		out, ok = printPKUP(dst, value)
	case extGeneralNames:
		var body []byte
		if body, _, ok = seqOf(value); ok {
			var gens []generalName
			if gens, ok = parseGeneralNames(body); ok {
				var vals []confValue
				if vals, ok = gensValues(nil, gens); ok {
					out = valuesPrint(dst, vals, false)
				}
			}
		}
	case extBasicConstraints:
		out, ok = printBasicConstraints(dst, value)
	case extInteger:
		var c []byte
		if c, _, ok = prim(value, tagInteger); ok {
			var s string
			if s, ok = intString(c); ok {
				out = append(dst, s...)
			}
		}
	case extNameConstraints:
		out, ok = printNameConstraints(dst, value)
	case extCRLDP:
		out, ok = printCRLDP(dst, value)
	case extPolicies:
		out, ok = printPolicies(dst, value)
	case extPolicyMappings:
		out, ok = printPolicyMappings(dst, value)
	case extAKID:
		out, ok = printAKID(dst, value)
	case extPolicyConstraints:
		out, ok = printPolicyConstraints(dst, value)
	case extEKU:
		out, ok = printEKU(dst, value)
	case extInfoAccess:
		out, ok = printInfoAccess(dst, value)
	case extTLSFeature:
		out, ok = printTLSFeature(dst, value)
	case extNoCheck:
		var c []byte
		if c, _, ok = prim(value, tagNull); ok && len(c) == 0 {
			out = dst
		} else {
			ok = false
		}
	case extSCT:
		out, ok = printSCTList(dst, value)
	case extPoison:
		var c []byte
		if c, _, ok = prim(value, tagNull); ok && len(c) == 0 {
			out = append(dst, "NULL"...)
		} else {
			ok = false
		}
	case extIA5:
		var c []byte
		// OpenSSL's printer refuses an empty string.
		if c, _, ok = stringOf(value, tagIA5); ok && len(c) > 0 {
			out = appendCString(dst, c)
		} else {
			ok = false
		}
	case extCRLReason:
		var c []byte
		if c, _, ok = prim(value, tagEnumerated); ok {
			var s string
			if s, ok = intString(c); ok {
				if name, known := crlReasons[s]; known {
					s = name
				}
				out = append(dst, s...)
			}
		}
	case extObject:
		var c []byte
		if c, _, ok = prim(value, tagOID); ok && validOID(c) {
			out = append(dst, oidLongName(c)...)
		} else {
			ok = false
		}
	case extGenTime:
		var c []byte
		if c, _, ok = stringOf(value, tagGenTime); ok {
			out = appendASN1Time(dst, tagGenTime, c)
		}
	}
	if !ok {
		return asn1StringPrint(dst[:len(dst):len(dst)], value)
	}
	return out
}

// asn1StringPrint is OpenSSL's ASN1_STRING_print: printable ASCII, '\n'
// and '\r' as they are, every other byte as '.'.
func asn1StringPrint(dst, p []byte) []byte {
	for _, c := range p {
		if c > '~' || (c < ' ' && c != '\n' && c != '\r') {
			c = '.'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendCString appends p up to its first NUL (a C "%s" / "%.*s").
func appendCString(dst, p []byte) []byte {
	for _, c := range p {
		if c == 0 {
			break
		}
		dst = append(dst, c)
	}
	return dst
}

// hexColons is OpenSSL's i2s_ASN1_OCTET_STRING: "AB:CD:EF".
func hexColons(dst, p []byte) []byte {
	const digits = "0123456789ABCDEF"
	for i, c := range p {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}

// intString is OpenSSL's i2s_ASN1_INTEGER: decimal below 128 bits, else
// "0x" and uppercase hex.
func intString(c []byte) (string, bool) {
	mag, neg, ok := intMagnitude(c)
	if !ok {
		return "", false
	}
	n := new(big.Int).SetBytes(mag)
	sign := ""
	if neg && n.Sign() != 0 {
		sign = "-"
	}
	if n.BitLen() < 128 {
		return sign + n.String(), true
	}
	const digits = "0123456789ABCDEF"
	var hex []byte
	started := false
	for _, x := range n.Bytes() {
		if !started && x == 0 {
			continue
		}
		started = true
		hex = append(hex, digits[x>>4], digits[x&15])
	}
	return sign + "0x" + string(hex), true
}

// confValue is one name/value pair of OpenSSL's i2v printers.
type confValue struct {
	name, value string
	hasName     bool
	hasValue    bool
}

func nv(name, value string) confValue { return confValue{name, value, true, true} }
func vOnly(value string) confValue    { return confValue{"", value, false, true} }
func nOnly(name string) confValue     { return confValue{name, "", true, false} }

// valuesPrint is X509V3_EXT_val_prn with indent 0.
func valuesPrint(dst []byte, vals []confValue, multiline bool) []byte {
	if len(vals) == 0 {
		return append(dst, "<EMPTY>\n"...)
	}
	for i, v := range vals {
		if i > 0 {
			if multiline {
				dst = append(dst, '\n')
			} else {
				dst = append(dst, ", "...)
			}
		}
		switch {
		case !v.hasName:
			dst = append(dst, v.value...)
		case !v.hasValue:
			dst = append(dst, v.name...)
		default:
			dst = append(dst, v.name...)
			dst = append(dst, ':')
			dst = append(dst, v.value...)
		}
	}
	return dst
}

var crlReasons = map[string]string{
	"0": "Unspecified", "1": "Key Compromise", "2": "CA Compromise", "3": "Affiliation Changed",
	"4": "Superseded", "5": "Cessation Of Operation", "6": "Certificate Hold", "8": "Remove From CRL",
	"9": "Privilege Withdrawn", "10": "AA Compromise",
}

var keyUsageNames = [...]string{
	"Digital Signature", "Non Repudiation", "Key Encipherment", "Data Encipherment",
	"Key Agreement", "Certificate Sign", "CRL Sign", "Encipher Only", "Decipher Only",
}

var nsCertTypeNames = [...]string{
	"SSL Client", "SSL Server", "S/MIME", "Object Signing",
	"Unused", "SSL CA", "S/MIME CA", "Object Signing CA",
}

var reasonNames = [...]string{
	"Unused", "Key Compromise", "CA Compromise", "Affiliation Changed", "Superseded",
	"Cessation Of Operation", "Certificate Hold", "Privilege Withdrawn", "AA Compromise",
}

func bitSet(bits []byte, n int) bool {
	w := n / 8
	return w < len(bits) && bits[w]&(0x80>>(n&7)) != 0
}

// printBits prints the names of the set bits of a BIT STRING extension;
// OpenSSL fails (and the original falls back to the raw print) when none
// is set.
func printBits(dst, value []byte, names []string) ([]byte, bool) {
	c, _, ok := stringOf(value, tagBitString)
	if !ok {
		return nil, false
	}
	bits, ok := bitString(c)
	if !ok {
		return nil, false
	}
	var vals []confValue
	for i, n := range names {
		if bitSet(bits, i) {
			vals = append(vals, nOnly(n))
		}
	}
	if len(vals) == 0 {
		return nil, false
	}
	return valuesPrint(dst, vals, false), true
}

func printBasicConstraints(dst, value []byte) ([]byte, bool) {
	body, _, ok := seq(value)
	if !ok {
		return nil, false
	}
	ca := false
	if e, rest, ok := next(body); ok && e.is(classUniversal, tagBoolean, false) {
		if len(e.body) != 1 {
			return nil, false
		}
		ca = e.body[0] != 0
		body = rest
	}
	vals := []confValue{nv("CA", "FALSE")}
	if ca {
		vals[0].value = "TRUE"
	}
	if len(body) != 0 {
		c, rest, ok := prim(body, tagInteger)
		if !ok || len(rest) != 0 {
			return nil, false
		}
		s, ok := intString(c)
		if !ok {
			return nil, false
		}
		vals = append(vals, nv("pathlen", s))
	}
	return valuesPrint(dst, vals, false), true
}

func printPKUP(dst, value []byte) ([]byte, bool) {
	body, _, ok := seq(value)
	if !ok {
		return nil, false
	}
	var before, after []byte
	hasBefore, hasAfter := false, false
	if e, rest, ok := next(body); ok && e.class == classContext && e.tag == 0 {
		if before, ok = collect(e); !ok {
			return nil, false
		}
		hasBefore, body = true, rest
	}
	if e, rest, ok := next(body); ok && e.class == classContext && e.tag == 1 {
		if after, ok = collect(e); !ok {
			return nil, false
		}
		hasAfter, body = true, rest
	}
	if len(body) != 0 {
		return nil, false
	}
	if hasBefore {
		dst = append(dst, "Not Before: "...)
		dst = appendASN1Time(dst, tagGenTime, before)
		if hasAfter {
			dst = append(dst, ", "...)
		}
	}
	if hasAfter {
		dst = append(dst, "Not After: "...)
		dst = appendASN1Time(dst, tagGenTime, after)
	}
	return dst, true
}

func printAKID(dst, value []byte) ([]byte, bool) {
	body, _, ok := seq(value)
	if !ok {
		return nil, false
	}
	var keyid, serial []byte
	var issuer []generalName
	hasKeyid, hasIssuer, hasSerial := false, false, false
	if e, rest, ok := next(body); ok && e.class == classContext && e.tag == 0 {
		if keyid, ok = collect(e); !ok {
			return nil, false
		}
		hasKeyid, body = true, rest
	}
	if e, rest, ok := next(body); ok && e.isList(classContext, 1) {
		if issuer, ok = parseGeneralNames(e.body); !ok {
			return nil, false
		}
		hasIssuer, body = true, rest
	}
	if e, rest, ok := next(body); ok && e.is(classContext, 2, false) {
		if serial, _, ok = intMagnitude(e.body); !ok {
			return nil, false
		}
		hasSerial, body = true, rest
	}
	if len(body) != 0 {
		return nil, false
	}
	var vals []confValue
	if hasKeyid {
		k := string(hexColons(nil, keyid))
		if hasIssuer || hasSerial {
			vals = append(vals, nv("keyid", k))
		} else {
			vals = append(vals, vOnly(k))
		}
	}
	if hasIssuer {
		if vals, ok = gensValues(vals, issuer); !ok {
			return nil, false
		}
	}
	if hasSerial {
		vals = append(vals, nv("serial", string(hexColons(nil, serial))))
	}
	if vals == nil {
		return nil, false
	}
	return valuesPrint(dst, vals, true), true
}

// printList prints a SEQUENCE OF whose elements each give one value:
// item reads the element at the start of body and returns its value and
// what follows. A bad element fails the whole list, and so does an empty
// one unless emptyOK.
func printList(dst, value []byte, multiline, emptyOK bool, item func(body []byte) (confValue, []byte, bool)) ([]byte, bool) {
	body, _, ok := seqOf(value)
	if !ok {
		return nil, false
	}
	var vals []confValue
	for len(body) > 0 {
		var v confValue
		if v, body, ok = item(body); !ok {
			return nil, false
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 && !emptyOK {
		return nil, false
	}
	return valuesPrint(dst, vals, multiline), true
}

func printEKU(dst, value []byte) ([]byte, bool) {
	return printList(dst, value, false, false, func(body []byte) (confValue, []byte, bool) {
		c, rest, ok := prim(body, tagOID)
		if !ok || !validOID(c) {
			return confValue{}, nil, false
		}
		return vOnly(cut(oidLongName(c), 79)), rest, true
	})
}

func printPolicyMappings(dst, value []byte) ([]byte, bool) {
	return printList(dst, value, false, false, func(body []byte) (confValue, []byte, bool) {
		m, rest, ok := seq(body)
		if !ok {
			return confValue{}, nil, false
		}
		a, r, ok := prim(m, tagOID)
		if !ok || !validOID(a) {
			return confValue{}, nil, false
		}
		b, r, ok := prim(r, tagOID)
		if !ok || !validOID(b) || len(r) != 0 {
			return confValue{}, nil, false
		}
		return nv(cut(oidLongName(a), 79), cut(oidLongName(b), 79)), rest, true
	})
}

func printPolicyConstraints(dst, value []byte) ([]byte, bool) {
	body, _, ok := seq(value)
	if !ok {
		return nil, false
	}
	var vals []confValue
	for i, name := range []string{"Require Explicit Policy", "Inhibit Policy Mapping"} {
		if e, rest, ok := next(body); ok && e.is(classContext, uint32(i), false) {
			s, ok := intString(e.body)
			if !ok {
				return nil, false
			}
			vals = append(vals, nv(name, s))
			body = rest
		}
	}
	if len(body) != 0 || len(vals) == 0 {
		return nil, false
	}
	return valuesPrint(dst, vals, false), true
}

func printTLSFeature(dst, value []byte) ([]byte, bool) {
	return printList(dst, value, false, false, func(body []byte) (confValue, []byte, bool) {
		c, rest, ok := prim(body, tagInteger)
		if !ok {
			return confValue{}, nil, false
		}
		s, ok := intString(c)
		if !ok {
			return confValue{}, nil, false
		}
		switch s {
		case "5":
			s = "status_request"
		case "17":
			s = "status_request_v2"
		}
		return vOnly(s), rest, true
	})
}

func printInfoAccess(dst, value []byte) ([]byte, bool) {
	return printList(dst, value, true, true, func(body []byte) (confValue, []byte, bool) {
		ad, rest, ok := seq(body)
		if !ok {
			return confValue{}, nil, false
		}
		method, r, ok := prim(ad, tagOID)
		if !ok || !validOID(method) {
			return confValue{}, nil, false
		}
		e, r, ok := next(r)
		if !ok || len(r) != 0 {
			return confValue{}, nil, false
		}
		gn, ok := parseGeneralName(e)
		if !ok {
			return confValue{}, nil, false
		}
		one, ok := gensValues(nil, []generalName{gn})
		if !ok {
			return confValue{}, nil, false
		}
		v := one[0]
		v.name = cut(oidLongName(method), 79) + " - " + v.name
		return v, rest, true
	})
}

// printCRLDP is OpenSSL's CRL distribution points printer.
func printCRLDP(dst, value []byte) ([]byte, bool) {
	body, _, ok := seqOf(value)
	if !ok {
		return nil, false
	}
	var out []byte
	for i := 0; len(body) > 0; i++ {
		var dp []byte
		if dp, body, ok = seq(body); !ok {
			return nil, false
		}
		var part []byte
		if i > 0 {
			part = append(part, '\n')
		}
		if e, rest, ok := next(dp); ok && e.is(classContext, 0, true) {
			inner, r, ok := next(e.body)
			if !ok || len(r) != 0 {
				return nil, false
			}
			switch {
			case inner.isList(classContext, 0):
				gens, ok := parseGeneralNames(inner.body)
				if !ok {
					return nil, false
				}
				part = append(part, "Full Name:\n"...)
				if part, ok = printGens(part, gens); !ok {
					return nil, false
				}
			case inner.isList(classContext, 1):
				entries, ok := parseNameEntries(nil, inner.body, 0)
				if !ok {
					return nil, false
				}
				part = append(part, "Relative Name:\n  "...)
				part = nameOneLineEx(part, entries)
				part = append(part, '\n')
			default:
				return nil, false
			}
			dp = rest
		}
		if e, rest, ok := next(dp); ok && e.class == classContext && e.tag == 1 {
			c, ok := collect(e)
			if !ok {
				return nil, false
			}
			bits, ok := bitString(c)
			if !ok {
				return nil, false
			}
			part = append(part, "Reasons:\n  "...)
			first := true
			for n, name := range reasonNames {
				if bitSet(bits, n) {
					if !first {
						part = append(part, ", "...)
					}
					first = false
					part = append(part, name...)
				}
			}
			if first {
				part = append(part, "<EMPTY>\n"...)
			} else {
				part = append(part, '\n')
			}
			dp = rest
		}
		if e, rest, ok := next(dp); ok && e.isList(classContext, 2) {
			gens, ok := parseGeneralNames(e.body)
			if !ok {
				return nil, false
			}
			part = append(part, "CRL Issuer:\n"...)
			if part, ok = printGens(part, gens); !ok {
				return nil, false
			}
			dp = rest
		}
		if len(dp) != 0 {
			return nil, false
		}
		out = append(out, part...)
	}
	return append(dst, out...), true
}

func printGens(dst []byte, gens []generalName) ([]byte, bool) {
	for i, g := range gens {
		if i > 0 {
			dst = append(dst, '\n')
		}
		dst = append(dst, "  "...)
		dst = generalNamePrint(dst, g)
	}
	return dst, true
}

func printNameConstraints(dst, value []byte) ([]byte, bool) {
	body, _, ok := seq(value)
	if !ok {
		return nil, false
	}
	var trees [2][]generalName
	var present [2]bool
	for i := 0; i < 2; i++ {
		e, rest, ok := next(body)
		if !ok || !e.isList(classContext, uint32(i)) {
			continue
		}
		for s := e.body; len(s) > 0; {
			var st []byte
			if st, s, ok = seq(s); !ok {
				return nil, false
			}
			be, r, ok := next(st)
			if !ok {
				return nil, false
			}
			g, ok := parseGeneralName(be)
			if !ok {
				return nil, false
			}
			for k := uint32(0); k < 2; k++ {
				if x, r2, ok := next(r); ok && x.is(classContext, k, false) {
					if _, _, ok := intMagnitude(x.body); !ok {
						return nil, false
					}
					r = r2
				}
			}
			if len(r) != 0 {
				return nil, false
			}
			trees[i] = append(trees[i], g)
		}
		present[i] = true
		body = rest
	}
	if len(body) != 0 {
		return nil, false
	}
	for i, name := range []string{"Permitted", "Excluded"} {
		if i == 1 && present[0] && present[1] {
			dst = append(dst, '\n')
		}
		if len(trees[i]) > 0 {
			dst = append(dst, name...)
			dst = append(dst, ":\n"...)
		}
		for k, g := range trees[i] {
			if k > 0 {
				dst = append(dst, '\n')
			}
			dst = append(dst, "  "...)
			if g.tag == 7 {
				ip := g.body
				l1 := len(ip)
				switch {
				case len(ip) >= 16:
					l1 = 16
				case len(ip) >= 4:
					l1 = 4
				}
				dst = append(dst, "IP:"...)
				dst = append(dst, ipString(ip[:l1])...)
				dst = append(dst, '/')
				dst = append(dst, ipString(ip[l1:])...)
			} else {
				dst = generalNamePrint(dst, g)
			}
		}
	}
	return dst, true
}

// printPolicies is OpenSSL's certificate policies printer.
func printPolicies(dst, value []byte) ([]byte, bool) {
	body, _, ok := seqOf(value)
	if !ok {
		return nil, false
	}
	var out []byte
	for i := 0; len(body) > 0; i++ {
		var pi []byte
		if pi, body, ok = seq(body); !ok {
			return nil, false
		}
		id, r, ok := prim(pi, tagOID)
		if !ok || !validOID(id) {
			return nil, false
		}
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, "Policy: "...)
		out = append(out, oidLongName(id)...)
		if len(r) == 0 {
			continue
		}
		quals, r2, ok := seqOf(r)
		if !ok || len(r2) != 0 {
			return nil, false
		}
		out = append(out, '\n')
		for k := 0; len(quals) > 0; k++ {
			var q []byte
			if q, quals, ok = seq(quals); !ok {
				return nil, false
			}
			qid, qr, ok := prim(q, tagOID)
			if !ok || !validOID(qid) {
				return nil, false
			}
			if k > 0 {
				out = append(out, '\n')
			}
			switch dottedOID(qid) {
			case "1.3.6.1.5.5.7.2.1":
				c, rest, ok := stringOf(qr, tagIA5)
				if !ok || len(rest) != 0 {
					return nil, false
				}
				out = append(out, "  CPS: "...)
				out = appendCString(out, c)
			case "1.3.6.1.5.5.7.2.2":
				if out, ok = printUserNotice(out, qr); !ok {
					return nil, false
				}
			default:
				if len(qr) != 0 {
					e, rest, ok := next(qr)
					if !ok || len(rest) != 0 || !checkUniversal(e) {
						return nil, false
					}
				}
				out = append(out, "    Unknown Qualifier: "...)
				out = append(out, oidLongName(qid)...)
			}
		}
	}
	return append(dst, out...), true
}

func displayText(b []byte) (c, rest []byte, ok bool) {
	e, rest, ok := next(b)
	if !ok || e.class != classUniversal {
		return nil, nil, false
	}
	switch e.tag {
	case tagIA5, tagVisible, tagBMP, tagUTF8:
		if c, ok = collect(e); !ok || (e.tag == tagBMP && len(c)%2 != 0) {
			return nil, nil, false
		}
		return c, rest, true
	}
	return nil, nil, false
}

// stringOf decodes a universal string element with the given tag,
// primitive or constructed.
func stringOf(b []byte, tag uint32) (c, rest []byte, ok bool) {
	e, rest, ok := next(b)
	if !ok || e.class != classUniversal || e.tag != tag {
		return nil, nil, false
	}
	c, ok = collect(e)
	return c, rest, ok
}

func printUserNotice(out, b []byte) ([]byte, bool) {
	body, rest, ok := seq(b)
	if !ok || len(rest) != 0 {
		return nil, false
	}
	out = append(out, "  User Notice:\n"...)
	var org []byte
	var nums []string
	hasRef := false
	if ref, r, ok := seq(body); ok {
		var c []byte
		if c, ref, ok = displayText(ref); !ok {
			return nil, false
		}
		org = c
		list, r2, ok := seqOf(ref)
		if !ok || len(r2) != 0 {
			return nil, false
		}
		for len(list) > 0 {
			var n []byte
			if n, list, ok = prim(list, tagInteger); !ok {
				return nil, false
			}
			s, ok := intString(n)
			if !ok {
				return nil, false
			}
			nums = append(nums, s)
		}
		hasRef = true
		body = r
	}
	var text []byte
	hasText := false
	if len(body) != 0 {
		var r []byte
		if text, r, ok = displayText(body); !ok || len(r) != 0 {
			return nil, false
		}
		hasText = true
	}
	if hasRef {
		out = append(out, "    Organization: "...)
		out = appendCString(out, org)
		out = append(out, "\n    Number"...)
		if len(nums) > 1 {
			out = append(out, 's')
		}
		out = append(out, ": "...)
		for i, n := range nums {
			if i > 0 {
				out = append(out, ", "...)
			}
			out = append(out, n...)
		}
		if hasText {
			out = append(out, '\n')
		}
	}
	if hasText {
		out = append(out, "    Explicit Text: "...)
		out = appendCString(out, text)
	}
	return out, true
}

// printSCTList is OpenSSL's printer of embedded signed certificate
// timestamps.
func printSCTList(dst, value []byte) ([]byte, bool) {
	list, _, ok := stringOf(value, tagOctetString)
	if !ok || len(list) < 2 || int(list[0])<<8|int(list[1]) != len(list)-2 {
		return nil, false
	}
	list = list[2:]
	var out []byte
	for i := 0; len(list) > 0; i++ {
		if len(list) < 2 {
			return nil, false
		}
		n := int(list[0])<<8 | int(list[1])
		list = list[2:]
		if n == 0 || n > len(list) {
			return nil, false
		}
		sct := list[:n]
		list = list[n:]
		if i > 0 {
			out = append(out, '\n')
		}
		var ok bool
		if out, ok = printSCT(out, sct); !ok {
			return nil, false
		}
	}
	return append(dst, out...), true
}

func printSCT(out, p []byte) ([]byte, bool) {
	out = append(out, "Signed Certificate Timestamp:\n    Version   : "...)
	if p[0] != 0 {
		out = append(out, "unknown\n                "...)
		return hexBlock(out, p), true
	}
	if len(p) < 43 {
		return nil, false
	}
	logID := p[1:33]
	var ts uint64
	for _, c := range p[33:41] {
		ts = ts<<8 | uint64(c)
	}
	extLen := int(p[41])<<8 | int(p[42])
	rest := p[43:]
	if extLen > len(rest) {
		return nil, false
	}
	ext := rest[:extLen]
	rest = rest[extLen:]
	if len(rest) <= 4 {
		return nil, false
	}
	hashAlg, sigAlg := rest[0], rest[1]
	var sigName string
	switch {
	case hashAlg == 4 && sigAlg == 3:
		sigName = "ecdsa-with-SHA256"
	case hashAlg == 4 && sigAlg == 1:
		sigName = "sha256WithRSAEncryption"
	default:
		return nil, false
	}
	sigLen := int(rest[2])<<8 | int(rest[3])
	if sigLen > len(rest)-4 {
		return nil, false
	}
	sig := rest[4 : 4+sigLen]
	out = append(out, "v1 (0x0)\n    Log ID    : "...)
	out = hexBlock(out, logID)
	out = append(out, "\n    Timestamp : "...)
	out = appendSCTTime(out, ts)
	out = append(out, "\n    Extensions: "...)
	if len(ext) == 0 {
		out = append(out, "none"...)
	} else {
		out = hexBlock(out, ext)
	}
	out = append(out, "\n    Signature : "...)
	out = append(out, sigName...)
	out = append(out, "\n                "...)
	return hexBlock(out, sig), true
}

// hexBlock is OpenSSL's BIO_hex_string with indent 16 and 16 bytes a line.
func hexBlock(out, d []byte) []byte {
	const digits = "0123456789ABCDEF"
	if len(d) < 1 {
		return out
	}
	j := 0
	i := 0
	for ; i < len(d)-1; i++ {
		if i != 0 && j == 0 {
			out = append(out, "                "...)
		}
		out = append(out, digits[d[i]>>4], digits[d[i]&15], ':')
		j = (j + 1) % 16
		if j == 0 {
			out = append(out, '\n')
		}
	}
	if i != 0 && j == 0 {
		out = append(out, "                "...)
	}
	return append(out, digits[d[i]>>4], digits[d[i]&15])
}

// appendSCTTime prints a millisecond timestamp as OpenSSL prints the
// GeneralizedTime it builds from it.
func appendSCTTime(out []byte, ms uint64) []byte {
	// OpenSSL adds int(ms/86400000) days and the remaining seconds to the
	// epoch; it prints nothing when the year leaves 0-9999.
	days := int32(ms / 86400000)
	t := time.Unix(int64(days)*86400+int64(ms%86400000/1000), 0).UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return out
	}
	ms %= 1000
	frac := [4]byte{'.', byte('0' + ms/100), byte('0' + ms/10%10), byte('0' + ms%10)}
	return append(appendTimeText(out, t, frac[:]), " GMT"...)
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
