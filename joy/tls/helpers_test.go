package tls

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy/feature"
)

// Builders for hand-made TLS bytes.

func u16(v int) []byte { return []byte{byte(v >> 8), byte(v)} }
func u24(v int) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// record is a TLS record: type, version 3.3 unless given, length, body.
func record(typ byte, body []byte) []byte { return recordV(typ, 0x0303, body) }

func recordV(typ byte, ver int, body []byte) []byte {
	return cat([]byte{typ}, u16(ver), u16(len(body)), body)
}

// handshake is one handshake message.
func handshake(typ byte, body []byte) []byte { return cat([]byte{typ}, u24(len(body)), body) }

func ext(typ int, data []byte) []byte { return cat(u16(typ), u16(len(data)), data) }

func sniExt(name string) []byte {
	entry := cat([]byte{0}, u16(len(name)), []byte(name))
	return ext(0, cat(u16(len(entry)), entry))
}

func filled(n int, b byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = b
	}
	return p
}

func clientHello(ver int, random, sid []byte, suites []int, exts ...[]byte) []byte {
	var cs []byte
	for _, s := range suites {
		cs = append(cs, u16(s)...)
	}
	e := cat(exts...)
	body := cat(u16(ver), random, []byte{byte(len(sid))}, sid, u16(len(cs)), cs, []byte{1, 0})
	if len(exts) > 0 {
		body = cat(body, u16(len(e)), e)
	}
	return handshake(1, body)
}

func serverHello(ver int, random, sid []byte, suite int, exts ...[]byte) []byte {
	e := cat(exts...)
	body := cat(u16(ver), random, []byte{byte(len(sid))}, sid, u16(suite), []byte{0})
	if len(exts) > 0 {
		body = cat(body, u16(len(e)), e)
	}
	return handshake(2, body)
}

func certificateMsg(certs ...[]byte) []byte {
	var list []byte
	for _, c := range certs {
		list = append(list, cat(u24(len(c)), c)...)
	}
	return handshake(11, cat(u24(len(list)), list))
}

// feed runs payloads through a state, 1 ms apart from start.
func feed(s *State, start int64, payloads ...[]byte) {
	for i, p := range payloads {
		s.Observe(p, start+int64(i)*1000)
	}
}

// tlsJSON returns the module's member of s (with twin t) without the
// leading comma, checking that it is valid JSON.
func tlsJSON(tb testing.TB, s *State, t *State) string {
	tb.Helper()
	var twin any
	if t != nil {
		twin = t
	}
	var out []byte
	if twin != nil {
		out = feature.AppendJSON(nil, s, t)
	} else {
		out = feature.AppendJSON(nil, s, nil)
	}
	if !json.Valid(append(append([]byte(`{"x":1`), out...), '}')) {
		tb.Fatalf("invalid JSON: %s", out)
	}
	if len(out) == 0 {
		return ""
	}
	return string(out[1:])
}

type policyQualifier struct {
	ID  asn1.ObjectIdentifier
	CPS string `asn1:"ia5"`
}

type policyInfo struct {
	ID    asn1.ObjectIdentifier
	Quals []policyQualifier
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// testCertificate builds a deterministic self-signed Ed25519 certificate.
func testCertificate(tb testing.TB, mutate func(*x509.Certificate)) []byte {
	tb.Helper()
	key := ed25519.NewKeyFromSeed(filled(32, 7))
	name := pkix.Name{
		Country: []string{"US"}, Province: []string{"California"}, Locality: []string{"Los Angeles"},
		Organization: []string{"Joy \"Test\" Co/Ltd"}, CommonName: "test.example",
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(0x0102030405),
		Subject:               name,
		Issuer:                name,
		NotBefore:             time.Date(2017, 8, 7, 15, 4, 17, 0, time.UTC),
		NotAfter:              time.Date(2051, 12, 31, 23, 59, 59, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            2,
		SubjectKeyId:          []byte{0xf8, 0x99, 0x15, 0x30},
		AuthorityKeyId:        []byte{0xf8, 0x99, 0x15, 0x30},
		DNSNames:              []string{"test.example", "*.test.example"},
		IPAddresses:           []net.IP{net.IPv4(192, 0, 2, 1), net.ParseIP("2001:db8::5")},
		OCSPServer:            []string{"http://ocsp.example/"},
		IssuingCertificateURL: []string{"http://ca.example/ca.crt"},
		CRLDistributionPoints: []string{"http://crl.example/x.crl"},
		ExtraExtensions: []pkix.Extension{{
			// Certificate policies: 2.23.140.1.2.1 with a CPS pointer.
			Id: asn1.ObjectIdentifier{2, 5, 29, 32},
			Value: mustMarshal(tb, []policyInfo{{
				ID:    asn1.ObjectIdentifier{2, 23, 140, 1, 2, 1},
				Quals: []policyQualifier{{asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}, "https://cps.example/"}},
			}}),
		}},
	}
	if mutate != nil {
		mutate(tmpl)
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}
