package tls

import (
	"strings"
	"testing"
)

// testCertJSON is the certificate object of testCertificate(nil) as the
// original prints it: checked field for field against libcrypto 3.0.19
// (d2i_X509, OBJ_nid2ln, X509V3_EXT_print, ASN1_TIME_print, EVP_PKEY_bits).
const testCertJSON = `{"length":757,"serial_number":"0102030405","signature":"d3f58b2c57eca9b0cd8257677c0add491a7bb6f4980116d1631146c0c46a3da8614e8933bf3f83280b434aa8bd13fab6f604bfa4e51df379c89b8cf0e67d6307","signature_algo":"ED25519","signature_key_size":512,` +
	`"issuer":[{"countryName":"US"},{"stateOrProvinceName":"California"},{"localityName":"Los Angeles"},{"organizationName":"Joy .Test. Co.Ltd"},{"commonName":"test.example"}],` +
	`"subject":[{"countryName":"US"},{"stateOrProvinceName":"California"},{"localityName":"Los Angeles"},{"organizationName":"Joy .Test. Co.Ltd"},{"commonName":"test.example"}],` +
	`"extensions":[{"X509v3 Key Usage":"Digital Signature, Certificate Sign"},{"X509v3 Extended Key Usage":"TLS Web Server Authentication, TLS Web Client Authentication"},{"X509v3 Basic Constraints":"CA:TRUE, pathlen:2"},{"X509v3 Subject Key Identifier":"F8:99:15:30"},{"X509v3 Authority Key Identifier":"F8:99:15:30"},{"Authority Information Access":"OCSP - URI:http:..ocsp.example..CA Issuers - URI:http:..ca.example.ca.crt"},{"X509v3 Subject Alternative Name":"DNS:test.example, DNS:*.test.example, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:5"},{"X509v3 CRL Distribution Points":"Full Name:.  URI:http:..crl.example.x.crl"},{"X509v3 Certificate Policies":"Policy: 2.23.140.1.2.1.  CPS: https:..cps.example."}],` +
	`"validity_not_before":"Aug  7 15:04:17 2017 GMT","validity_not_after":"Dec 31 23:59:59 2051 GMT","subject_public_key_algo":"ED25519","subject_public_key_size":256}`

func TestCertificateObject(t *testing.T) {
	der := testCertificate(t, nil)
	if got := string(appendCertificate(nil, uint16(len(der)), der)); got != testCertJSON {
		t.Fatalf("got  %s\nwant %s", got, testCertJSON)
	}
	// A certificate OpenSSL cannot decode prints its length alone.
	if got := string(appendCertificate(nil, 5, []byte{0x30, 0x03, 1, 1, 0})); got != `{"length":5}` {
		t.Fatalf("undecodable: %s", got)
	}
}

// handshakeFlow runs a TLS 1.2 handshake with a certificate through a
// client and a server state.
func handshakeFlow(t *testing.T) (c, s *State) {
	t.Helper()
	c, s = new(State), new(State)
	runHandshake(t, c, s, testCertificate(t, nil))
	return c, s
}

// runHandshake feeds the handshake of handshakeFlow to c and s.
func runHandshake(t *testing.T, c, s *State, cert []byte) {
	t.Helper()
	cr, sr := filled(32, 0x11), filled(32, 0x22)
	ts := int64(1502118721115234)
	c.Observe(record(22, clientHello(0x0303, cr, []byte{0xaa, 0xbb}, []int{0xc02f, 0x002f, 0x00ff},
		sniExt("www.example.com"), ext(11, []byte{1, 0}), ext(35, nil), ext(0x3374, []byte{9}))), ts)
	c.Observe(nil, ts+1000) // zero-length packets are ignored
	s.Observe(cat(record(22, serverHello(0x0303, sr, []byte{0xcc}, 0xc02f, ext(65281, []byte{0}))),
		record(22, certificateMsg(cert)), record(22, handshake(14, nil))), ts+2000)
	c.Observe(cat(record(22, handshake(16, cat([]byte{4}, filled(4, 0x55)))), record(20, []byte{1}),
		record(22, filled(40, 0))), ts+3000)
	s.Observe(cat(record(20, []byte{1}), record(22, filled(40, 0x99))), ts+5500)
	c.Observe(record(23, filled(30, 1)), ts+7000)
}

func TestHandshake(t *testing.T) {
	c, s := handshakeFlow(t)
	const common = `"c_key_length":40,"c_key_exchange":"0455555555",`
	const cr = `"1111111111111111111111111111111111111111111111111111111111111111"`
	const sr = `"2222222222222222222222222222222222222222222222222222222222222222"`
	const hello = `"sni":["www.example.com"],"scs":"c02f","cs":["c02f","002f","00ff"],` +
		`"c_extensions":[{"server_name":"001200000f7777772e6578616d706c652e636f6d"},{"ec_point_formats":"0100"},{"session_ticket":""},{"kind":13172,"data":"09"}],` +
		`"s_extensions":[{"renegotiation_info":"00"}],"s_cert":[` + testCertJSON + `],`
	// The client's encrypted Finished starts with eight zero bytes, which
	// the original reads as HelloRequest messages (at most five a record).
	srlt := func(out, in string) string {
		return `"srlt":[{"b":92,"dir":"` + out + `","ipt":0,"tp":22,"hs_types":[1],"hs_lens":[88]},` +
			`{"b":50,"dir":"` + in + `","ipt":2,"tp":22,"hs_types":[2],"hs_lens":[46]},` +
			`{"b":767,"dir":"` + in + `","ipt":0,"tp":22,"hs_types":[11],"hs_lens":[763]},` +
			`{"b":4,"dir":"` + in + `","ipt":0,"tp":22,"hs_types":[14],"hs_lens":[0]},` +
			`{"b":9,"dir":"` + out + `","ipt":1,"tp":22,"hs_types":[16],"hs_lens":[5]},` +
			`{"b":1,"dir":"` + out + `","ipt":0,"tp":20},` +
			`{"b":40,"dir":"` + out + `","ipt":0,"tp":22,"hs_types":[0,0,0,0,0],"hs_lens":[0,0,0,0,0]},` +
			`{"b":1,"dir":"` + in + `","ipt":2,"tp":20},{"b":40,"dir":"` + in + `","ipt":0,"tp":22},` +
			`{"b":30,"dir":"` + out + `","ipt":1,"tp":23}]`
	}
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"client out", tlsJSON(t, c, s), `"tls":{"c_version":5,"s_version":5,` + common +
			`"c_random":` + cr + `,"s_random":` + sr + `,"c_sid":"aabb","s_sid":"cc",` + hello + srlt(">", "<") + `}`},
		{"server out", tlsJSON(t, s, c), `"tls":{"s_version":5,"c_version":5,` + common +
			`"s_random":` + sr + `,"c_random":` + cr + `,"s_sid":"cc","c_sid":"aabb",` + hello + srlt("<", ">") + `}`},
		{"client alone", tlsJSON(t, c, nil), `"tls":{"c_version":5,` + common + `"c_random":` + cr + `,"c_sid":"aabb",` +
			`"sni":["www.example.com"],"cs":["c02f","002f","00ff"],` +
			`"c_extensions":[{"server_name":"001200000f7777772e6578616d706c652e636f6d"},{"ec_point_formats":"0100"},{"session_ticket":""},{"kind":13172,"data":"09"}],` +
			`"srlt":[{"b":92,"dir":"<","ipt":0,"tp":22,"hs_types":[1],"hs_lens":[88]},{"b":9,"dir":"<","ipt":3,"tp":22,"hs_types":[16],"hs_lens":[5]},` +
			`{"b":1,"dir":"<","ipt":0,"tp":20},{"b":40,"dir":"<","ipt":0,"tp":22,"hs_types":[0,0,0,0,0],"hs_lens":[0,0,0,0,0]},{"b":30,"dir":"<","ipt":4,"tp":23}]}`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}

func TestPrintRules(t *testing.T) {
	ch := record(22, clientHello(0x0303, filled(32, 1), nil, []int{0x0a0b}))
	sh := record(22, serverHello(0x0302, filled(32, 2), nil, 0x0a0b))
	ccs := record(20, []byte{1})
	type flow struct{ out, in [][]byte }
	cases := []struct {
		name string
		flow flow
		want string
	}{
		{"handshake never closed: nothing", flow{[][]byte{ch}, nil}, ``},
		{"twin without version: nothing", flow{[][]byte{ch, ccs}, [][]byte{sh}}, ``},
		{"mid-stream capture: no role", flow{[][]byte{record(23, []byte{1, 2})}, nil},
			`"tls":{"error":"no role"}`},
		{"twin clients", flow{[][]byte{ch, ccs}, [][]byte{ch, ccs}},
			`"tls":{"c_version":5,"error":"twin clients"}`},
		{"twin servers", flow{[][]byte{sh, ccs}, [][]byte{sh, ccs}},
			`"tls":{"s_version":4,"error":"twin servers"}`},
		// QUIRK-30: both versions are the out side's (client 1.2, server 1.1).
		{"QUIRK-30 versions", flow{[][]byte{ch, ccs}, [][]byte{sh, ccs}},
			`"tls":{"c_version":5,"s_version":5,"c_random":"` + strings.Repeat("01", 32) + `","s_random":"` + strings.Repeat("02", 32) +
				`","scs":"0a0b","cs":["0a0b"],"srlt":[{"b":45,"dir":">","ipt":0,"tp":22,"hs_types":[1],"hs_lens":[41]},` +
				`{"b":42,"dir":"<","ipt":0,"tp":22,"hs_types":[2],"hs_lens":[38]},{"b":1,"dir":">","ipt":0,"tp":20},{"b":1,"dir":"<","ipt":0,"tp":20}]}`},
		// QUIRK-25: a handshake packet that would fill the 11000-byte buffer
		// is dropped with its records.
		{"QUIRK-25 buffer full", flow{[][]byte{ch, record(22, filled(11000, 0)), ccs}, nil},
			`"tls":{"c_version":5,"c_random":"` + strings.Repeat("01", 32) + `","cs":["0a0b"],` +
				`"srlt":[{"b":45,"dir":"<","ipt":0,"tp":22,"hs_types":[1],"hs_lens":[41]},{"b":1,"dir":"<","ipt":2,"tp":20}]}`},
		// QUIRK-27: server extensions stop at the first one over 256 bytes.
		{"QUIRK-27 long server extension", flow{[][]byte{record(22, serverHello(0x0303, filled(32, 2), nil, 0x1301,
			ext(11, []byte{1, 0}), ext(51, filled(257, 3)), ext(43, []byte{3, 4}))), ccs}, nil},
			`"tls":{"s_version":6,"s_random":"` + strings.Repeat("02", 32) + `","scs":"1301","s_extensions":[{"ec_point_formats":"0100"}],` +
				`"srlt":[{"b":317,"dir":"<","ipt":0,"tp":22,"hs_types":[2],"hs_lens":[313]},{"b":1,"dir":"<","ipt":1,"tp":20}]}`},
		// Extension data longer than 1024 bytes prints as "".
		{"long hex field", flow{[][]byte{record(22, clientHello(0x0301, filled(32, 1), nil, []int{1}, ext(21, filled(1025, 0)))), ccs}, nil},
			`"tls":{"c_version":3,"c_random":"` + strings.Repeat("01", 32) + `","cs":["0001"],"c_extensions":[{"padding":""}],` +
				`"srlt":[{"b":1076,"dir":"<","ipt":0,"tp":22,"hs_types":[1],"hs_lens":[1072]},{"b":1,"dir":"<","ipt":1,"tp":20}]}`},
	}
	for _, c := range cases {
		o, i := new(State), new(State)
		feed(o, 0, c.flow.out...)
		feed(i, 500, c.flow.in...)
		var got string
		if c.flow.in != nil {
			got = tlsJSON(t, o, i)
		} else {
			got = tlsJSON(t, o, nil)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// Records split over packets: a pending offset skips the rest of a long
// record; a record whose header fits but whose body does not by less
// than five bytes is not tracked and the next packet is misread
// (QUIRK-26).
func TestRecordWalk(t *testing.T) {
	ch := record(22, clientHello(0x0303, filled(32, 1), nil, []int{1}))
	app := record(23, filled(100, 0x41))
	cases := []struct {
		name    string
		packets [][]byte
		want    string
	}{
		{"record spanning three packets", [][]byte{ch, record(20, []byte{1}), app[:40], app[40:80], cat(app[80:], record(21, []byte{1, 0}))},
			`{"b":1,"dir":"<","ipt":1,"tp":20},{"b":100,"dir":"<","ipt":1,"tp":23},{"b":2,"dir":"<","ipt":2,"tp":21}]`},
		// The last three body bytes (0x41) and the next record's first two
		// bytes are read as a header: type 0x41, length 0x1503.
		{"QUIRK-26 straddle", [][]byte{ch, cat(record(20, []byte{1}), app[:102]), cat(app[102:], record(21, []byte{1, 0}))},
			`{"b":1,"dir":"<","ipt":1,"tp":20},{"b":100,"dir":"<","ipt":0,"tp":23},{"b":5379,"dir":"<","ipt":1,"tp":65}]`},
	}
	for _, c := range cases {
		s := new(State)
		feed(s, 0, c.packets...)
		got := tlsJSON(t, s, nil)
		if !strings.HasSuffix(got, c.want+"}") {
			t.Errorf("%s: got %s\nwant suffix %s}", c.name, got, c.want)
		}
	}
}

func TestMillis(t *testing.T) {
	cases := []struct {
		us   int64
		want uint32
	}{{0, 0}, {999, 0}, {1000, 1}, {1999999, 1999}, {-1, 4294967295}, {-1000, 4294967295}, {-1001, 4294967294}}
	for _, c := range cases {
		if got := millis(c.us); got != c.want {
			t.Errorf("millis(%d) = %d, want %d", c.us, got, c.want)
		}
	}
}

func TestASN1Time(t *testing.T) {
	cases := []struct {
		tag  uint32
		in   string
		want string
	}{
		{tagUTCTime, "170807150417Z", "Aug  7 15:04:17 2017 GMT"},
		{tagUTCTime, "491231235959Z", "Dec 31 23:59:59 2049 GMT"},
		{tagUTCTime, "500101000000Z", "Jan  1 00:00:00 1950 GMT"},
		{tagUTCTime, "1708071504Z", "Aug  7 15:04:00 2017 GMT"},
		{tagUTCTime, "170807150417+0130", "Aug  7 13:34:17 2017"},
		{tagGenTime, "20510102030405Z", "Jan  2 03:04:05 2051 GMT"},
		{tagGenTime, "20510102030405.123Z", "Jan  2 03:04:05.123 2051 GMT"},
		{tagGenTime, "20000229000000Z", "Feb 29 00:00:00 2000 GMT"},
		{tagGenTime, "19000229000000Z", "Bad time value"},
		{tagUTCTime, "171307150417Z", "Bad time value"},
		{tagUTCTime, "170807150417", "Bad time value"},
		{tagGenTime, "", "Bad time value"},
	}
	for _, c := range cases {
		if got := string(appendASN1Time(nil, c.tag, []byte(c.in))); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// After the handshake the packet path keeps no new memory.
func TestObserveDoesNotAllocate(t *testing.T) {
	c, _ := handshakeFlow(t)
	p := cat(record(23, filled(100, 1)), record(23, filled(30, 2)))
	ts := int64(1e15)
	if n := testing.AllocsPerRun(1000, func() { ts += 10; c.Observe(p, ts) }); n != 0 {
		t.Fatalf("Observe allocates %.1f times per packet", n)
	}
}
