package fingerprint

import (
	"encoding/binary"
	"testing"

	"github.com/gojoy/libjoy/joy/tls"
)

// hello builds a ClientHello handshake message (header included).
type helloSpec struct {
	version  uint16
	suites   []uint16
	exts     []tls.Extension
	dtls     bool
	serverCS uint16 // >0: a ServerHello selecting this suite
}

func u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func buildHello(s helloSpec) []byte {
	var body []byte
	body = append(body, u16(s.version)...)
	body = append(body, make([]byte, 32)...)
	body = append(body, 0) // session id
	if s.serverCS != 0 {
		body = append(body, u16(s.serverCS)...)
		body = append(body, 0)
	} else {
		if s.dtls {
			body = append(body, 0) // cookie
		}
		body = append(body, u16(uint16(2*len(s.suites)))...)
		for _, c := range s.suites {
			body = append(body, u16(c)...)
		}
		body = append(body, 1, 0)
	}
	var ext []byte
	for _, e := range s.exts {
		ext = append(ext, u16(e.Type)...)
		ext = append(ext, u16(uint16(len(e.Data)))...)
		ext = append(ext, e.Data...)
	}
	if s.exts != nil {
		body = append(body, u16(uint16(len(ext)))...)
		body = append(body, ext...)
	}
	typ := byte(1)
	if s.serverCS != 0 {
		typ = 2
	}
	n := len(body)
	msg := []byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}
	if s.dtls {
		msg = append(msg, 0, 0, 0, 0, 0, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(msg, body...)
}

func list16(lenBytes int, v ...uint16) []byte {
	b := make([]byte, lenBytes)
	for _, x := range v {
		b = append(b, u16(x)...)
	}
	if lenBytes == 1 {
		b[0] = byte(2 * len(v))
	} else {
		binary.BigEndian.PutUint16(b, uint16(2*len(v)))
	}
	return b
}

func alpn(protos ...string) []byte {
	var l []byte
	for _, p := range protos {
		l = append(l, byte(len(p)))
		l = append(l, p...)
	}
	return append(u16(uint16(len(l))), l...)
}

func sni(name string) []byte {
	e := append([]byte{0}, u16(uint16(len(name)))...)
	e = append(e, name...)
	return append(u16(uint16(len(e))), e...)
}

// specHello is the ClientHello of the example of FoxIO's JA4 specification
// (github.com/FoxIO-LLC/ja4, technical_details/JA4.md at commit d8f731c,
// sections "Cipher hash", "Extension hash" and "Raw Output"), with GREASE
// values added in front of the suites, extensions and groups, which the
// specification says to ignore.
func specHello(t *testing.T) *tls.Hello {
	suites := []uint16{0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	sigs := list16(2, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
	data := map[uint16][]byte{
		0x0000: sni("example.com"),
		0x0010: alpn("h2", "http/1.1"),
		0x000d: sigs,
		0x002b: list16(1, 0x5a5a, 0x0304, 0x0303),
		0x000a: list16(2, 0x8a8a, 0x001d, 0x0017),
	}
	exts := []tls.Extension{{Type: 0xeaea}}
	for _, typ := range []uint16{0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015} {
		exts = append(exts, tls.Extension{Type: typ, Data: data[typ]})
	}
	h, err := tls.ParseHello(buildHello(helloSpec{version: 0x0303, suites: suites, exts: exts}), false)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestJA4SpecificationExample(t *testing.T) {
	h := specHello(t)
	for _, c := range []struct{ name, got, want string }{
		// JA4.md "Example".
		{"JA4", string(AppendJA4(nil, h, JA4TCP)), "t13d1516h2_8daaf6152771_e5627efa2ab1"},
		// JA4.md "Raw Output".
		{"JA4_r", string(AppendJA4R(nil, h, JA4TCP, false)), "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"},
		{"JA4_ro", string(AppendJA4R(nil, h, JA4TCP, true)), "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601"},
		{"JA4_o", string(AppendJA4O(nil, h, JA4TCP)), "t13d1516h2_acb858a92679_18f69afefd3d"},
		{"JA4 QUIC", string(AppendJA4(nil, h, JA4QUIC)), "q13d1516h2_8daaf6152771_e5627efa2ab1"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
}

// TestJA4SpecificationHashes checks the hashes JA4.md gives for its example
// lists, including the list without signature algorithms.
func TestJA4SpecificationHashes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9", "8daaf6152771"},
		{"0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601", "e5627efa2ab1"},
		{"0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01", "6d807ffa2a79"},
	} {
		if got := string(appendSection(nil, []byte(c.in), false)); got != c.want {
			t.Errorf("hash(%s) = %s, want %s", c.in, got, c.want)
		}
	}
	// No signature algorithms (an empty list): no underscore before
	// hashing (JA4.md).
	h := specHello(t)
	h.SignatureAlgorithms = nil
	if got, want := string(AppendJA4(nil, h, JA4TCP)), "t13d1516h2_8daaf6152771_6d807ffa2a79"; got != want {
		t.Errorf("JA4 without signature algorithms = %s, want %s", got, want)
	}
}

// TestJA4ALPN checks the ALPN rules of JA4.md "ALPN Extension Value" with
// its own examples.
func TestJA4ALPN(t *testing.T) {
	for _, c := range []struct {
		alpn []byte
		want string
	}{
		{nil, "00"},
		{[]byte("h2"), "h2"},
		{[]byte("http/1.1"), "h1"},
		{[]byte("x"), "xx"},
		{[]byte{0xab}, "ab"},
		{[]byte{0xab, 0xcd}, "ad"},
		{[]byte{0x30, 0xab}, "3b"},
		{[]byte{0x30, 0x31, 0xab, 0xcd}, "3d"},
		{[]byte{0x30, 0xab, 0xcd, 0x31}, "01"},
	} {
		var exts []tls.Extension
		if c.alpn != nil {
			exts = append(exts, tls.Extension{Type: tls.ExtALPN, Data: alpn(string(c.alpn))})
		}
		h, err := tls.ParseHello(buildHello(helloSpec{version: 0x0303, suites: []uint16{0x1301}, exts: exts}), false)
		if err != nil {
			t.Fatal(err)
		}
		a := string(AppendJA4(nil, h, JA4TCP))
		if got := a[8:10]; got != c.want {
			t.Errorf("ALPN %x: %s, want %s", c.alpn, got, c.want)
		}
	}
	// No extensions at all: c is twelve zeros; an IP destination is "i".
	h, _ := tls.ParseHello(buildHello(helloSpec{version: 0x0301, suites: []uint16{0x002f}}), false)
	if got, want := string(AppendJA4(nil, h, JA4TCP)), "t10i010000_"; got[:11] != want {
		t.Errorf("JA4 of a bare hello = %s", got)
	}
	if got := string(AppendJA4(nil, h, JA4TCP)); got[len(got)-12:] != "000000000000" {
		t.Errorf("JA4 of a hello without extensions = %s, want c = 000000000000", got)
	}
}

func TestJA3(t *testing.T) {
	h := specHello(t)
	full, hash := JA3(h)
	want := "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23,"
	if full != want {
		t.Errorf("JA3 = %s\nwant  %s", full, want)
	}
	if len(hash) != 32 {
		t.Errorf("JA3 hash %q", hash)
	}
	s, err := tls.ParseHello(buildHello(helloSpec{version: 0x0303, serverCS: 0x1301, exts: []tls.Extension{{Type: 0x002b, Data: u16(0x0304)}, {Type: 0x0033, Data: []byte{0, 0x1d, 0, 0}}}}), false)
	if err != nil {
		t.Fatal(err)
	}
	if full, _ := JA3(s); full != "771,4865,43-51" {
		t.Errorf("JA3S = %s", full)
	}
	if !s.HelloRetryRequest && s.SelectedVersion() != 0x0304 {
		t.Errorf("selected version %#x", s.SelectedVersion())
	}
}

func TestMercuryTLS(t *testing.T) {
	h, err := tls.ParseHello(buildHello(helloSpec{
		version: 0x0303,
		suites:  []uint16{0x2a2a, 0x1301, 0xc02b},
		exts: []tls.Extension{
			{Type: 0xdada},
			{Type: 0x0000, Data: sni("a.example")},
			{Type: 0x000a, Data: list16(2, 0x4a4a, 0x001d)},
			{Type: 0x002b, Data: list16(1, 0x7a7a, 0x0304)},
			{Type: 0x0023},
		},
	}), false)
	if err != nil {
		t.Fatal(err)
	}
	got := string(AppendMercuryTLS(nil, h))
	want := "tls/1/(0303)(0a0a1301c02b)[(0000)(000a00060004" + "0a0a001d)(0023)(002b0005040a0a0304)(0a0a)]"
	if got != want {
		t.Errorf("tls/1 = %s\nwant    %s", got, want)
	}
	q := string(AppendMercuryQUIC(nil, 1, h))
	// 0x0023 (session_ticket) is not one of npf.md's TLS_EXT_INCLUDE.
	wantQ := "quic/1/(00000001)(0303)(0a0a1301c02b)[(0000)(000a000600040a0a001d)(002b0005040a0a0304)(0a0a)]"
	if q != wantQ {
		t.Errorf("quic/1 = %s\nwant     %s", q, wantQ)
	}
}
