package tls

import (
	"encoding/asn1"
	"testing"
)

func raw(class, tag int, cons bool, b []byte) []byte {
	out, err := asn1.Marshal(asn1.RawValue{Class: class, Tag: tag, IsCompound: cons, Bytes: b})
	if err != nil {
		panic(err)
	}
	return out
}

func seqOfParts(parts ...[]byte) []byte { return raw(0, 16, true, cat(parts...)) }

func oidDER(arcs ...int) []byte {
	b, err := asn1.Marshal(asn1.ObjectIdentifier(arcs))
	if err != nil {
		panic(err)
	}
	return b
}

// extensionCases are extension values with the text OpenSSL 3.0 prints
// for them (checked against libcrypto 3.0.19 with X509V3_EXT_print, no
// indent, falling back to ASN1_STRING_print as the original does), before
// the original's JSON sanitizer runs.
var extensionCases = []struct {
	name  string
	oid   []int
	value []byte
	want  string
}{
	{"basic constraints default", []int{2, 5, 29, 19}, seqOfParts(), "CA:FALSE"},
	{"key usage none set falls back to raw", []int{2, 5, 29, 15}, []byte{3, 2, 7, 0}, "...."},
	{"netscape comment empty falls back to raw", []int{2, 16, 840, 1, 113730, 1, 13}, []byte{0x16, 0}, ".."},
	{"netscape comment", []int{2, 16, 840, 1, 113730, 1, 13}, raw(0, 22, false, []byte("hello\x00world")), "hello"},
	{"subject key identifier", []int{2, 5, 29, 14}, raw(0, 4, false, []byte{0xde, 0xad}), "DE:AD"},
	{"inhibit any policy large", []int{2, 5, 29, 54}, raw(0, 2, false, cat([]byte{1}, filled(16, 0))), "0x0100000000000000000000000000000000"},
	{"user notice", []int{2, 5, 29, 32}, seqOfParts(seqOfParts(oidDER(2, 5, 29, 32, 0), seqOfParts(
		seqOfParts(oidDER(1, 3, 6, 1, 5, 5, 7, 2, 2), seqOfParts(
			seqOfParts(raw(0, 12, false, []byte("Org")), seqOfParts(raw(0, 2, false, []byte{1}), raw(0, 2, false, []byte{2}))),
			raw(0, 26, false, []byte("explicit")))),
		seqOfParts(oidDER(1, 2, 3), raw(0, 2, false, []byte{5}))))),
		"Policy: X509v3 Any Policy\n  User Notice:\n    Organization: Org\n    Numbers: 1, 2\n    Explicit Text: explicit\n    Unknown Qualifier: 1.2.3"},
	{"authority key identifier with issuer and serial", []int{2, 5, 29, 35}, seqOfParts(
		raw(2, 0, false, []byte{1, 2}),
		raw(2, 1, true, raw(2, 4, true, seqOfParts(raw(0, 17, true, seqOfParts(oidDER(2, 5, 4, 6), raw(0, 19, false, []byte("US"))))))),
		raw(2, 2, false, []byte{0x00, 0x80})),
		"keyid:01:02\nDirName:/C=US\nserial:80"},
	{"name constraints", []int{2, 5, 29, 30}, seqOfParts(
		raw(2, 0, true, seqOfParts(raw(2, 2, false, []byte(".example.com")))),
		raw(2, 1, true, seqOfParts(raw(2, 7, false, []byte{10, 0, 0, 0, 255, 0, 0, 0})))),
		"Permitted:\n  DNS:.example.com\nExcluded:\n  IP:10.0.0.0/255.0.0.0"},
	{"crl distribution point with reasons and issuer", []int{2, 5, 29, 31}, seqOfParts(seqOfParts(
		raw(2, 0, true, raw(2, 1, true, seqOfParts(oidDER(2, 5, 4, 3), raw(0, 19, false, []byte("a, b"))))),
		raw(2, 1, false, []byte{1, 0x60}),
		raw(2, 2, true, raw(2, 6, false, []byte("http://x/"))))),
		"Relative Name:\n  CN = \"a, b\"\nReasons:\n  Key Compromise, CA Compromise\nCRL Issuer:\n  URI:http://x/"},
	{"tls feature", []int{1, 3, 6, 1, 5, 5, 7, 1, 24}, seqOfParts(raw(0, 2, false, []byte{5}), raw(0, 2, false, []byte{9})), "status_request, 9"},
	{"signed certificate timestamps", []int{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}, raw(0, 4, false, func() []byte {
		sct := cat([]byte{0}, filled(32, 0xab), []byte{0, 0, 1, 0x73, 0xb3, 0x3c, 0x5e, 0x70}, u16(0), []byte{4, 3}, u16(3), []byte{1, 2, 3})
		l := cat(u16(len(sct)), sct)
		return cat(u16(len(l)), l)
	}()), "Signed Certificate Timestamp:\n    Version   : v1 (0x0)\n    Log ID    : AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:\n                AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB\n    Timestamp : Aug  3 07:32:24.816 2020 GMT\n    Extensions: none\n    Signature : ecdsa-with-SHA256\n                01:02:03"},
	{"subject alternative names: other names", []int{2, 5, 29, 17}, seqOfParts(
		otherName([]int{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}, raw(0, 12, false, []byte("u@x"))),
		otherName([]int{1, 3, 6, 1, 5, 5, 7, 8, 7}, raw(0, 22, false, []byte("_ldap.x"))),
		otherName([]int{1, 2, 3}, raw(0, 12, false, []byte("v")))),
		"othername: UPN::u@x, othername: SRVName::_ldap.x, othername: 1.2.3::v"},
	{"name constraints: other names", []int{2, 5, 29, 30}, seqOfParts(raw(2, 0, true, cat(
		seqOfParts(otherName([]int{1, 3, 6, 1, 5, 5, 7, 8, 9}, raw(0, 12, false, []byte("m@x")))),
		seqOfParts(otherName([]int{1, 3, 6, 1, 5, 5, 7, 8, 5}, raw(0, 22, false, []byte("wrong type")))),
		seqOfParts(otherName([]int{1, 2, 3}, raw(0, 12, false, []byte("v"))))))),
		"Permitted:\n  othername:SmtpUTF8Mailbox:m@x\n  othername:<unsupported>\n  othername:<unsupported>"},
	{"unknown extension", []int{1, 2, 3, 4}, []byte("a\x00b\n\r\x7f"), "a.b\n\r."},
	// OpenSSL prints "Indirect CRL\n" here: a documented difference.
	{"extension OpenSSL prints but this package does not: hex", []int{2, 5, 29, 28}, seqOfParts(raw(2, 4, false, []byte{0xff})), "30038401ff"},
}

// otherName is a GeneralName of the otherName choice.
func otherName(oid []int, value []byte) []byte {
	return raw(2, 0, true, cat(oidDER(oid...), raw(2, 0, true, value)))
}

func TestExtensionText(t *testing.T) {
	for _, c := range extensionCases {
		got := string(extensionText(nil, encodeOID(dotted(c.oid)), c.value))
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func dotted(arcs []int) string {
	b := []byte{}
	for i, a := range arcs {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, []byte(itoa(a))...)
	}
	return string(b)
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var d []byte
	for ; v > 0; v /= 10 {
		d = append([]byte{byte('0' + v%10)}, d...)
	}
	return string(d)
}
