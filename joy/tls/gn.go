package tls

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// generalName is one decoded GeneralName.
type generalName struct {
	tag      uint32 // 0 otherName ... 8 registeredID
	body     []byte // content of the primitive forms
	dir      []nameEntry
	otherOID []byte
	other    elem
}

// parseGeneralNames decodes the content of a SEQUENCE OF GeneralName.
func parseGeneralNames(b []byte) ([]generalName, bool) {
	var out []generalName
	for len(b) > 0 {
		e, rest, ok := next(b)
		if !ok {
			return nil, false
		}
		g, ok := parseGeneralName(e)
		if !ok {
			return nil, false
		}
		out = append(out, g)
		b = rest
	}
	return out, true
}

func parseGeneralName(e elem) (generalName, bool) {
	g := generalName{tag: e.tag, body: e.body}
	if e.class != classContext || e.tag > 8 {
		return g, false
	}
	switch e.tag {
	case 1, 2, 6, 7: // IA5 strings, IP address
		c, ok := collect(e)
		g.body = c
		return g, ok
	case 8:
		return g, !e.cons && validOID(e.body)
	case 0:
		if !e.cons {
			return g, false
		}
		oid, r, ok := prim(e.body, tagOID)
		if !ok || !validOID(oid) {
			return g, false
		}
		x, r, ok := next(r)
		if !ok || len(r) != 0 || !x.is(classContext, 0, true) {
			return g, false
		}
		v, r, ok := next(x.body)
		if !ok || len(r) != 0 || !checkUniversal(v) {
			return g, false
		}
		g.otherOID, g.other = oid, v
		return g, true
	case 4:
		if !e.cons {
			return g, false
		}
		name, r, ok := seqOf(e.body)
		if !ok || len(r) != 0 {
			return g, false
		}
		g.dir, ok = parseName(name)
		return g, ok
	case 5:
		return g, e.cons && ediPartyOK(e.body)
	}
	return g, e.cons // x400Address
}

// ediPartyOK checks an EDIPartyName: an optional [0] and a mandatory [1],
// each explicitly wrapping one DirectoryString.
func ediPartyOK(b []byte) bool {
	for tag := uint32(0); tag < 2; tag++ {
		e, rest, ok := next(b)
		if !ok || !e.is(classContext, tag, true) {
			if tag == 0 {
				continue
			}
			return false
		}
		s, r, ok := next(e.body)
		if !ok || len(r) != 0 || s.class != classUniversal {
			return false
		}
		switch s.tag {
		case tagPrintable, tagT61, tagBMP, tagUniversal, tagUTF8:
		default:
			return false
		}
		if !checkUniversal(s) {
			return false
		}
		b = rest
	}
	return len(b) == 0
}

// gensValues is OpenSSL's i2v_GENERAL_NAME for each name, appended to
// vals. It fails when a string holds a NUL byte.
func gensValues(vals []confValue, gens []generalName) ([]confValue, bool) {
	for _, g := range gens {
		switch g.tag {
		case 0:
			v, ok := otherNameValue(g)
			if !ok {
				return nil, false
			}
			vals = append(vals, v)
		case 1, 2, 6:
			if bytes.IndexByte(g.body, 0) >= 0 {
				return nil, false
			}
			vals = append(vals, nv([...]string{1: "email", 2: "DNS", 6: "URI"}[g.tag], string(g.body)))
		case 3:
			vals = append(vals, nv("X400Name", "<unsupported>"))
		case 4:
			vals = append(vals, nv("DirName", string(nameOneline(nil, g.dir))))
		case 5:
			vals = append(vals, nv("EdiPartyName", "<unsupported>"))
		case 7:
			vals = append(vals, nv("IP Address", ipString(g.body)))
		case 8:
			vals = append(vals, nv("Registered ID", cut(oidLongName(g.body), 255)))
		}
	}
	return vals, true
}

// knownOtherNames are the otherName types OpenSSL prints by name, with
// the string type their value must have.
var knownOtherNames = map[string]struct {
	name string
	tag  uint32
}{
	"1.3.6.1.5.5.7.8.9":      {"SmtpUTF8Mailbox", tagUTF8},
	"1.3.6.1.5.5.7.8.5":      {"XmppAddr", tagUTF8},
	"1.3.6.1.5.5.7.8.7":      {"SRVName", tagIA5},
	"1.3.6.1.4.1.311.20.2.3": {"UPN", tagUTF8},
	"1.3.6.1.5.5.7.8.8":      {"NAIRealm", tagUTF8},
}

func otherNameValue(g generalName) (confValue, bool) {
	str := func(name string, tag uint32) (confValue, bool) {
		if !g.other.is(classUniversal, tag, false) || bytes.IndexByte(g.other.body, 0) >= 0 {
			return confValue{}, false
		}
		return nv(name, string(g.other.body)), true
	}
	if k, ok := knownOtherNames[dottedOID(g.otherOID)]; ok {
		return str("othername: "+k.name+":", k.tag)
	}
	name := "othername: " + cut(oidLongName(g.otherOID), 255) + ":"
	if g.other.is(classUniversal, tagIA5, false) || g.other.is(classUniversal, tagUTF8, false) {
		if bytes.IndexByte(g.other.body, 0) < 0 {
			return nv(name, string(g.other.body)), true
		}
	}
	return nv(name, "<unsupported>"), true
}

// generalNamePrint is OpenSSL's GENERAL_NAME_print.
func generalNamePrint(dst []byte, g generalName) []byte {
	switch g.tag {
	case 0:
		str := func(label string, tag uint32) []byte {
			if !g.other.is(classUniversal, tag, false) {
				return append(dst, "othername:<unsupported>"...)
			}
			dst = append(dst, label...)
			return appendCString(dst, g.other.body)
		}
		if k, ok := knownOtherNames[dottedOID(g.otherOID)]; ok {
			return str("othername:"+k.name+":", k.tag)
		}
		return append(dst, "othername:<unsupported>"...)
	case 1:
		return asn1StringPrint(append(dst, "email:"...), g.body)
	case 2:
		return asn1StringPrint(append(dst, "DNS:"...), g.body)
	case 3:
		return append(dst, "X400Name:<unsupported>"...)
	case 4:
		return nameOneLineEx(append(dst, "DirName:"...), g.dir)
	case 5:
		return append(dst, "EdiPartyName:<unsupported>"...)
	case 6:
		return asn1StringPrint(append(dst, "URI:"...), g.body)
	case 7:
		return append(append(dst, "IP Address:"...), ipString(g.body)...)
	case 8:
		return append(append(dst, "Registered ID:"...), oidLongName(g.body)...)
	}
	return dst
}

// ipString is OpenSSL's IP address text: dotted quad, eight uppercase hex
// groups, or a note on the length.
func ipString(p []byte) string {
	switch len(p) {
	case 4:
		var b []byte
		for i, c := range p {
			if i > 0 {
				b = append(b, '.')
			}
			b = strconv.AppendUint(b, uint64(c), 10)
		}
		return string(b)
	case 16:
		var b []byte
		for i := 0; i < 16; i += 2 {
			if i > 0 {
				b = append(b, ':')
			}
			b = strconv.AppendUint(b, uint64(p[i])<<8|uint64(p[i+1]), 16)
		}
		return string(bytes.ToUpper(b))
	}
	return "<invalid length=" + strconv.Itoa(len(p)) + ">"
}

// nameOneline is OpenSSL's X509_NAME_oneline into a 256-byte buffer:
// "/C=US/O=Example" ("+" between entries of one set), non-printable
// bytes as \xHH, "/" and "+" escaped; entries that do not fit are dropped.
func nameOneline(dst []byte, entries []nameEntry) []byte {
	const hex = "0123456789ABCDEF"
	const limit = 255
	l := 0
	for i, e := range entries {
		sn := oidShortName(e.oid)
		if _, known := lookupOID(e.oid); !known {
			sn = cut(sn, 79)
		}
		q := e.value
		doit := [4]bool{true, true, true, true}
		if e.tag == tagGeneral && len(q)%4 == 0 {
			var nz [4]bool
			for j, c := range q {
				if c != 0 {
					nz[j&3] = true
				}
			}
			if nz[0] || nz[1] || nz[2] {
				doit = [4]bool{true, true, true, true}
			} else {
				doit = [4]bool{false, false, false, true}
			}
		}
		l2 := 0
		for j, c := range q {
			if !doit[j&3] {
				continue
			}
			l2++
			if c == '/' || c == '+' {
				l2++
			} else if c < ' ' || c > '~' {
				l2 += 3
			}
		}
		l += 1 + len(sn) + 1 + l2
		if l > limit {
			break
		}
		if i > 0 && e.set == entries[i-1].set {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '/')
		}
		dst = append(dst, sn...)
		dst = append(dst, '=')
		for j, c := range q {
			if !doit[j&3] {
				continue
			}
			switch {
			case c < ' ' || c > '~':
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
			case c == '/' || c == '+':
				dst = append(dst, '\\', c)
			default:
				dst = append(dst, c)
			}
		}
	}
	return dst
}

// nameOneLineEx is X509_NAME_print_ex with XN_FLAG_ONELINE: "C = US,
// O = Example", entries of one set joined by " + ". Values are converted
// to UTF-8; bytes above 0x7f and control characters print as \XX; a value
// holding one of ,+"\<>; (or starting with a space or '#', or ending with
// a space) is quoted, with " and \ escaped by a backslash; types OpenSSL does not print as text are dumped as
// '#' and the hex of their encoding.
func nameOneLineEx(dst []byte, entries []nameEntry) []byte {
	const hex = "0123456789ABCDEF"
	for i, e := range entries {
		if i > 0 {
			if e.set == entries[i-1].set {
				dst = append(dst, " + "...)
			} else {
				dst = append(dst, ", "...)
			}
		}
		if info, ok := lookupOID(e.oid); ok {
			dst = append(dst, info.sn...)
		} else {
			dst = append(dst, cut(dottedOID(e.oid), 79)...)
		}
		dst = append(dst, " = "...)
		chars, known := nameChars(e.tag, e.value)
		if !known {
			dst = append(dst, '#')
			for _, c := range e.raw {
				dst = append(dst, hex[c>>4], hex[c&15])
			}
			continue
		}
		var text []byte
		quote := false
		for k, c := range chars {
			if c > 0x7f {
				var u [4]byte
				n := utf8.EncodeRune(u[:], rune(c))
				for _, x := range u[:n] {
					text = append(text, '\\', hex[x>>4], hex[x&15])
				}
				continue
			}
			ch := byte(c)
			switch {
			case ch == '"' || ch == '\\':
				quote = true
				text = append(text, '\\', ch)
			case strings.IndexByte(",+<>;", ch) >= 0,
				k == 0 && (ch == ' ' || ch == '#'),
				k == len(chars)-1 && ch == ' ':
				quote = true
				text = append(text, ch)
			case ch < ' ' || ch == 0x7f:
				text = append(text, '\\', hex[ch>>4], hex[ch&15])
			default:
				text = append(text, ch)
			}
		}
		if quote {
			dst = append(dst, '"')
		}
		dst = append(dst, text...)
		if quote {
			dst = append(dst, '"')
		}
	}
	return dst
}

// nameChars decodes a string value into characters for nameOneLineEx;
// known is false for types printed as a hex dump.
func nameChars(tag uint32, v []byte) (chars []uint32, known bool) {
	switch tag {
	case tagBMP:
		for i := 0; i+1 < len(v); i += 2 {
			chars = append(chars, uint32(v[i])<<8|uint32(v[i+1]))
		}
	case tagUniversal:
		for i := 0; i+3 < len(v); i += 4 {
			chars = append(chars, uint32(v[i])<<24|uint32(v[i+1])<<16|uint32(v[i+2])<<8|uint32(v[i+3]))
		}
	case tagUTF8:
		for _, r := range string(v) {
			chars = append(chars, uint32(r))
		}
	case tagNumeric, tagPrintable, tagT61, tagIA5, tagUTCTime, tagGenTime, tagVisible:
		for _, c := range v {
			chars = append(chars, uint32(c))
		}
	default:
		return nil, false
	}
	return chars, true
}

// parseNameEntries decodes a SET OF AttributeTypeAndValue content (a
// relative distinguished name) as entries of one set, appended to out.
func parseNameEntries(out []nameEntry, b []byte, set int) ([]nameEntry, bool) {
	for len(b) > 0 {
		atv, rest, ok := seq(b)
		if !ok {
			return nil, false
		}
		oid, r, ok := prim(atv, tagOID)
		if !ok || !validOID(oid) {
			return nil, false
		}
		v, r, ok := next(r)
		if !ok || len(r) != 0 {
			return nil, false
		}
		value, ok := nameValue(v)
		if !ok {
			return nil, false
		}
		out = append(out, nameEntry{oid, set, v.tag, value, v.raw})
		b = rest
	}
	return out, true
}
