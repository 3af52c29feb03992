package ike

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/tests/go/testutil/emitallocs"
)

// ---------------------------------------------------------------------------
// Message builders.

type pay struct {
	t    byte
	body []byte
}

func u16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// msg builds a message: header fields, then the payload chain with its
// next-payload fields filled in. length < 0 means the real length.
func msg(ispi, rspi string, ver, exch, flags byte, id uint32, length int, ps ...pay) []byte {
	var body []byte
	for i, p := range ps {
		next := byte(0)
		if i+1 < len(ps) {
			next = ps[i+1].t
		}
		body = append(body, next, 0)
		body = append(body, u16(4+len(p.body))...)
		body = append(body, p.body...)
	}
	first := byte(0)
	if len(ps) > 0 {
		first = ps[0].t
	}
	if length < 0 {
		length = 28 + len(body)
	}
	h := cat(unhex(ispi), unhex(rspi), []byte{first, ver, exch, flags}, u32(int(id)), u32(length))
	return append(h, body...)
}

// generic substructure (proposal/transform) with its 4-byte header.
func sub(last bool, more byte, rest []byte) []byte {
	next := more
	if last {
		next = 0
	}
	return cat([]byte{next, 0}, u16(4+len(rest)), rest)
}

func tv(typ, val int) []byte       { return cat(u16(0x8000|typ), u16(val)) }
func tlv(typ int, v []byte) []byte { return cat(u16(typ), u16(len(v)), v) }

// out runs payloads through a fresh pair of states (init gets ini, resp
// gets rsp; rsp nil means no twin) and returns the member text.
func out(t *testing.T, ini, rsp [][]byte) string {
	t.Helper()
	a := new(State)
	for _, p := range ini {
		a.Observe(p, 0)
	}
	var twin *State
	if rsp != nil {
		twin = new(State)
		for _, p := range rsp {
			twin.Observe(p, 0)
		}
	}
	var b []byte
	if twin != nil {
		b = feature.AppendJSON(nil, a, twin)
	} else {
		b = feature.AppendJSON(nil, a, nil)
	}
	wrapped := `{"x":1` + string(b) + `}`
	if !json.Valid([]byte(wrapped)) {
		t.Fatalf("invalid JSON: %s", wrapped)
	}
	return string(b)
}

func expect(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

const (
	spiI = "c6d1459285150c7e"
	spiR = "6e961f01bf179b35"
	zero = "0000000000000000"
)

// ---------------------------------------------------------------------------
// IKEv1

// ikev1SA is the SA offered in joy-ikev1.pcap: one ISAKMP proposal with one
// KEY_IKE transform and six TV attributes.
func ikev1SA() []byte {
	attrs := cat(tv(11, 1), tv(12, 0x1e78), tv(1, 5), tv(2, 2), tv(3, 1), tv(4, 2))
	tr := sub(true, 3, cat([]byte{0, 1, 0, 0}, attrs))
	prop := sub(true, 2, cat([]byte{0, 1, 0, 1}, tr))
	return cat(u32(1), u32(1), prop)
}

const ikev1SAText = `{"security_association":{"doi":"ipsec","situation":1,"proposals":[{"num":0,"protocol_id":"ike","transforms":[{"id":"key_ike","num":0,"attributes":[{"life_type":"seconds"},{"life_duration":"1e78"},{"encryption_algorithm":"encr_3des_cbc"},{"hash_algorithm":"sha"},{"authentication_method":"pre_shared_key"},{"group_description":"dh_modp1024"}]}]}]}}`

func TestIKEv1MainMode(t *testing.T) {
	m1 := msg(spiI, zero, 0x10, 2, 0, 0, -1,
		pay{1, ikev1SA()},
		pay{13, unhex("882fe56d6fd20dbc2251613b2ebe5beb")},
		pay{13, unhex("12f5f28c457168a9702d9fe274cc0100")},
		pay{13, unhex("09002689dfd6b712")},
		pay{13, unhex("afcad71368a1f1c96b8696fc77570100")},
		pay{13, unhex("4a131c81070358455c5728f20e95452f")},
		pay{13, unhex("90cb80913ebb696e086381b5ec427b1f")},
	)
	notif := msg(spiI, zero, 0x10, 5, 0, 0, -1,
		pay{11, cat(u32(1), []byte{1, 0}, u16(14))})
	ke := msg(spiI, spiR, 0x10, 2, 0, 0, -1,
		pay{4, unhex("a812a5fb")}, pay{10, unhex("7483e964")}, pay{20, unhex("0102")})
	enc := msg(spiI, spiR, 0x10, 2, 1, 0, 68, pay{5, make([]byte, 36)})
	qm := msg(spiI, spiR, 0x10, 32, 1, 572501820, 52, pay{8, make([]byte, 20)})

	hdr := func(r, ex string, flags string, parsed string, id, l int) string {
		return `{"header":{"init_spi":"` + spiI + `","resp_spi":"` + r + `","major":1,"minor":0,"exchange_type":"` + ex +
			`","flags":{"hex":"` + flags + `","parsed":[` + parsed + `]},"message_id":` + itoa(id) + `,"length":` + itoa(l) + `}`
	}
	clear := `"no_encryption","no_commit","no_authentication"`
	want := `,"ike":{"init":{"messages":[` +
		hdr(zero, "identity_protection", "0000", clear, 0, len(m1)) + `,"payloads":[` + ikev1SAText +
		`,{"vendor_id":"strongSwan"},{"vendor_id":"Cisco Unity"},{"vendor_id":"XAuth"},{"vendor_id":"Dead Peer Detection"},{"vendor_id":"NAT-T (RFC 3947)"},{"vendor_id":"draft-ietf-ipsec-nat-t-ike-02\n"}]},` +
		hdr(zero, "informational", "0000", clear, 0, 40) + `,"payloads":[{"notification":{"doi":"ipsec","protocol_id":"proto_isakmp","no_proposal_chosen":""}}]},` +
		hdr(spiR, "identity_protection", "0000", clear, 0, len(ke)) + `,"payloads":[{"key_exchange":"a812a5fb"},{"nonce":"7483e964"},{"nat_discovery":{}}]},` +
		hdr(spiR, "identity_protection", "0001", `"encryption","no_commit","no_authentication"`, 0, 68) + `},` +
		hdr(spiR, "quick_mode", "0001", `"encryption","no_commit","no_authentication"`, 572501820, 52) + `}` +
		`]}}`
	expect(t, out(t, [][]byte{m1, notif, ke, enc, qm}, nil), want)
}

func itoa(v int) string {
	return string(appendUint(nil, v))
}

func appendUint(b []byte, v int) []byte {
	if v >= 10 {
		b = appendUint(b, v/10)
	}
	return append(b, byte('0'+v%10))
}

func TestIKEv1OtherPayloads(t *testing.T) {
	m := msg(spiI, spiR, 0x10, 4, 0x06, 7, -1,
		pay{5, cat([]byte{2, 17}, u16(500), []byte("vpn.example"))}, // ID: FQDN
		pay{6, cat([]byte{4}, unhex("3082"))},                       // CERT
		pay{7, []byte{4}},                                           // CERTREQ, no CA
		pay{8, unhex("00112233")},                                   // HASH
		pay{9, unhex("aabb")},                                       // SIGNATURE: no body
		pay{11, cat(u32(1), []byte{3, 4}, u16(24578), unhex("01020304"), unhex("ff"))}, // INITIAL-CONTACT with SPI
		pay{12, unhex("00000001")},                     // DELETE: no body
		pay{13, unhex("0102030405")},                   // unknown vendor
		pay{99, unhex("01")},                           // unknown type
		pay{11, cat(u32(7), []byte{9, 0}, u16(60000))}, // unknown DOI, protocol and type
	)
	want := `,"ike":{"init":{"messages":[{"header":{"init_spi":"` + spiI + `","resp_spi":"` + spiR +
		`","major":1,"minor":0,"exchange_type":"aggressive","flags":{"hex":"0006","parsed":["no_encryption","commit","authentication"]},"message_id":7,"length":` + itoa(len(m)) + `},"payloads":[` +
		`{"identification":{"id_fqdn":"76706e2e6578616d706c65"}},` +
		`{"certificate":{"x509_certificate_signature":"3082"}},` +
		`{"certificate_request":{"x509_certificate_signature":""}},` +
		`{"hash":"00112233"},` +
		`{"signature":{}},` +
		`{"notification":{"doi":"ipsec","protocol_id":"proto_ipsec_esp","spi":"01020304","initial_contact":"ff"}},` +
		`{"delete":{}},` +
		`{"vendor_id":"0102030405"},` +
		`{"kind":"99","body":{}},` +
		`{"notification":{"doi":"00000007","protocol_id":"09","ea60":""}}` +
		`]}]}}`
	expect(t, out(t, [][]byte{m}, nil), want)
}

func TestIKEv1TransformsAndAttributes(t *testing.T) {
	// An ESP proposal with an SPI, two transforms, a TLV attribute and
	// values with no name.
	t1 := sub(false, 3, cat([]byte{1, 12, 0, 0}, tv(14, 256), tlv(12, unhex("00015180")), tv(1, 99)))
	t2 := sub(true, 3, cat([]byte{2, 200, 0, 0}))
	prop := sub(true, 2, cat([]byte{1, 3, 4, 2}, unhex("deadbeef"), t1, t2))
	m := msg(spiI, spiR, 0x10, 2, 0, 0, -1, pay{1, cat(u32(1), u32(1), prop)})
	want := `{"security_association":{"doi":"ipsec","situation":1,"proposals":[{"num":1,"protocol_id":"esp","spi":"deadbeef","transforms":[` +
		`{"id":"esp_aes_cbc","num":1,"attributes":[{"key_length":"0100"},{"life_duration":"00015180"},{"encryption_algorithm":"0063"}]},` +
		`{"id":"c8","num":2}]}]}}`
	got := out(t, [][]byte{m}, nil)
	if !strings.Contains(got, `"payloads":[`+want+`]`) {
		t.Errorf("got %s\nwant payload %s", got, want)
	}
}

// ---------------------------------------------------------------------------
// IKEv2

func ikev2SA() []byte {
	tr := cat(
		sub(false, 3, cat([]byte{1, 0}, u16(13), tv(14, 0xc0))),
		sub(false, 3, cat([]byte{3, 0}, u16(14))),
		sub(false, 3, cat([]byte{2, 0}, u16(5))),
		sub(true, 3, cat([]byte{4, 0}, u16(19))),
	)
	return sub(true, 2, cat([]byte{1, 1, 0, 4}, tr))
}

const ikev2SAText = `{"security_association":{"proposals":[{"num":1,"protocol_id":"ike","transforms":[{"encryption_algorithm":"encr_aes_ctr","attributes":[{"key_length":"00c0"}]},{"integrity_algorithm":"auth_hmac_sha2_512_256"},{"pseudorandom_function":"prf_hmac_sha2_256"},{"diffie_hellman_group":"dh_p256"}]}]}}`

func TestIKEv2Exchange(t *testing.T) {
	const i2, r2 = "81f24c0acd8fa55c", "192383172724c706"
	init1 := msg(i2, zero, 0x20, 34, 0x08, 0, -1,
		pay{33, ikev2SA()},
		pay{34, cat(u16(19), u16(0), unhex("228a8dcf"))},
		pay{40, unhex("686e713e")},
		pay{41, cat([]byte{0, 0}, u16(16388), unhex("1d52677b"))},
	)
	auth := msg(i2, r2, 0x20, 35, 0x08, 1, -1, pay{46, make([]byte, 40)})
	auth[28] = 35 // an encrypted payload names the first payload inside it
	resp1 := msg(i2, r2, 0x20, 34, 0x20, 0, -1,
		pay{33, ikev2SA()},
		pay{41, cat([]byte{0, 0}, u16(16404))},
	)
	h := func(r, ex, flags, parsed string, id, l int) string {
		return `{"header":{"init_spi":"` + i2 + `","resp_spi":"` + r + `","major":2,"minor":0,"exchange_type":"` + ex +
			`","flags":{"hex":"` + flags + `","parsed":[` + parsed + `]},"message_id":` + itoa(id) + `,"length":` + itoa(l) + `}`
	}
	ini := `"initiator","no_higher_version","request"`
	want := `,"ike":{"init":{"messages":[` +
		h(zero, "ike_sa_init", "0008", ini, 0, len(init1)) + `,"payloads":[` + ikev2SAText +
		`,{"key_exchange":{"dh_p256":"228a8dcf"}},{"nonce":"686e713e"},{"notify":{"protocol_id":"reserved","nat_detection_source_ip":"1d52677b"}}]},` +
		h(r2, "ike_auth", "0008", ini, 1, len(auth)) + `,"payloads":[{"encrypted":{}}]}` +
		`]},"resp":{"messages":[` +
		h(r2, "ike_sa_init", "0020", `"responder","no_higher_version","response"`, 0, len(resp1)) + `,"payloads":[` + ikev2SAText +
		`,{"notify":{"protocol_id":"reserved","multiple_auth_supported":""}}]}` +
		`]}}`
	expect(t, out(t, [][]byte{init1, auth}, [][]byte{resp1}), want)
}

func TestIKEv2OtherPayloads(t *testing.T) {
	m := msg(spiI, spiR, 0x20, 36, 0x38, 3, -1,
		pay{35, cat([]byte{1, 0, 0, 0}, unhex("c0a80001"))},
		pay{36, cat([]byte{13, 0, 0, 0})},
		pay{37, cat([]byte{4}, unhex("3082"))},
		pay{38, cat([]byte{99}, unhex("aa"))},
		pay{39, cat([]byte{2, 0, 0, 0}, unhex("0102"))},
		pay{41, cat([]byte{3, 4}, u16(16431), unhex("01020304"), unhex("0002000300040009"))},
		pay{41, cat([]byte{9, 0}, u16(50000))},
		pay{34, cat(u16(1000), u16(0))},
		pay{43, unhex("4a131c81070358455c5728f20e95452f")},
		pay{44, unhex("00")},
		pay{200, nil},
	)
	want := `{"header":{"init_spi":"` + spiI + `","resp_spi":"` + spiR + `","major":2,"minor":0,"exchange_type":"create_child_sa","flags":{"hex":"0038","parsed":["initiator","higher_version","response"]},"message_id":3,"length":` + itoa(len(m)) + `},"payloads":[` +
		`{"identification_intiator":{"id_ipv4_addr":"c0a80001"}},` +
		`{"identification_responder":{"id_null":""}},` +
		`{"certificate":{"x509_certificate_signature":"3082"}},` +
		`{"certificate_request":{"63":"aa"}},` +
		`{"authentication":{"shared_key_message_integrity_code":"0102"}},` +
		`{"notify":{"protocol_id":"esp","spi":"01020304","signature_hash_algorithms":"0002000300040009","parsed":["sha2_256","sha2_384","sha2_512","0009"]}},` +
		`{"notify":{"protocol_id":"09","c350":""}},` +
		`{"key_exchange":{"03e8":""}},` +
		`{"vendor_id":"NAT-T (RFC 3947)"},` +
		`{"traffic_selector_initiator":{}},` +
		`{"kind":"200","body":{}}` +
		`]}`
	expect(t, out(t, [][]byte{m}, nil), `,"ike":{"init":{"messages":[`+want+`]}}`)
}

// ---------------------------------------------------------------------------
// Buffering, limits and quirks

func TestEmptyAndNoTwin(t *testing.T) {
	expect(t, out(t, nil, nil), `,"ike":{"init":{}}`)
	expect(t, out(t, [][]byte{{}}, [][]byte{}), `,"ike":{"init":{},"resp":{}}`)
	// A typed nil twin prints no "resp".
	var nilState *State
	if got := string(feature.AppendJSON(nil, new(State), nilState)); got != `,"ike":{"init":{}}` {
		t.Errorf("typed nil twin: %s", got)
	}
}

// QUIRK-43 (reproduced): a 28-byte message is not read until 32 bytes are
// buffered.
func TestQuirk43HeaderNeeds32Bytes(t *testing.T) {
	m := msg(spiI, spiR, 0x20, 37, 0x08, 5, -1) // header only, length 28
	if len(m) != 28 {
		t.Fatal(len(m))
	}
	expect(t, out(t, [][]byte{m}, nil), `,"ike":{"init":{}}`)
	// With the next message behind it, both are read.
	got := out(t, [][]byte{m, m}, nil)
	if n := strings.Count(got, `"header"`); n != 1 {
		// The second copy is again only 28 bytes on its own.
		t.Errorf("want 1 message, got %d: %s", n, got)
	}
	got = out(t, [][]byte{m, m, m[:4]}, nil)
	if n := strings.Count(got, `"header"`); n != 2 {
		t.Errorf("want 2 messages, got %d: %s", n, got)
	}
}

// QUIRK-44 (safe alternative): an unknown vendor ID is printed in hex
// after the 19 known ones have been compared; the original read past the
// end of its table.
func TestQuirk44UnknownVendor(t *testing.T) {
	if len(vendorIDs) != 19 {
		t.Fatalf("vendor table has %d entries", len(vendorIDs))
	}
	m := msg(spiI, zero, 0x10, 2, 0, 0, -1,
		pay{13, []byte("OEkRbGXRvmPE")}, pay{13, unhex("882fe56d6fd20dbc2251613b2ebe5b")}, pay{13, nil})
	got := out(t, [][]byte{m}, nil)
	if !strings.Contains(got, `"payloads":[{"vendor_id":"4f456b5262475852766d5045"},{"vendor_id":"882fe56d6fd20dbc2251613b2ebe5b"},{"vendor_id":""}]`) {
		t.Errorf("got %s", got)
	}
	for _, v := range vendorIDs {
		if vendorName([]byte(v.id)) != v.desc {
			t.Errorf("%q not found", v.desc)
		}
	}
}

// A leading non-ESP marker is stripped; an ESP packet (non-zero SPI) is
// not and blocks the buffer.
func TestNonESPMarker(t *testing.T) {
	m := msg(spiI, spiR, 0x10, 5, 1, 9, 60)
	m = append(m, make([]byte, 32)...)
	got := out(t, [][]byte{cat(make([]byte, 4), m)}, nil)
	if !strings.Contains(got, `"init_spi":"`+spiI+`"`) || !strings.Contains(got, `"length":60`) {
		t.Errorf("marker not stripped: %s", got)
	}
	got = out(t, [][]byte{unhex("f4dc0ae500000001" + strings.Repeat("e279b8a1", 10)), m}, nil)
	expect(t, got, `,"ike":{"init":{}}`)
	// Only the datagram's first four bytes are a marker.
	got = out(t, [][]byte{make([]byte, 4), m}, nil)
	if !strings.Contains(got, `"init_spi":"`+spiI+`"`) {
		t.Errorf("got %s", got)
	}
}

// tcpdump's ikev2-id-short capture (port 500): a marker, then an
// encrypted-flag message whose header length (5) is shorter than the
// header; 5 bytes are consumed and the rest does not form a message. The
// reference prints exactly this one message.
func TestShortHeaderLength(t *testing.T) {
	p := unhex("00000000" + "0000000000000000" + "0000000023202308" + "00000001" + "0000004c00000005" + "01000000" + strings.Repeat("deadbeef", 10))
	want := `,"ike":{"init":{"messages":[{"header":{"init_spi":"0000000000000000","resp_spi":"0000000023202308","major":0,"minor":0,"exchange_type":"exchange_type_none","flags":{"hex":"0001","parsed":[]},"message_id":76,"length":5}}]}}`
	expect(t, out(t, [][]byte{p}, nil), want)
}

// An encrypted message whose header length is 0 consumes nothing: the same
// message is taken until the 20-message limit.
func TestZeroLengthEncryptedRepeats(t *testing.T) {
	m := msg(spiI, spiR, 0x10, 5, 1, 0, 0)
	m = append(m, 1, 2, 3, 4)
	got := out(t, [][]byte{m}, nil)
	if n := strings.Count(got, `"header"`); n != maxMessages {
		t.Errorf("want %d messages, got %d", maxMessages, n)
	}
}

func TestGarbageBlocks(t *testing.T) {
	good := msg(spiI, spiR, 0x20, 37, 0x08, 1, -1, pay{46, make([]byte, 8)})
	long := msg(spiI, spiR, 0x20, 37, 0x08, 1, 35001)
	long = append(long, make([]byte, 8)...)
	got := out(t, [][]byte{good, long, good, good}, nil)
	if n := strings.Count(got, `"header"`); n != 1 {
		t.Errorf("want 1 message, got %d: %s", n, got)
	}
	s := new(State)
	s.Observe(good, 0)
	s.Observe(long, 0)
	if !s.blocked || s.buf != nil {
		t.Errorf("state not blocked after a header length > 35000")
	}
	// A payload chain that does not end at the header length.
	bad := msg(spiI, spiR, 0x20, 37, 0x08, 1, -1, pay{46, make([]byte, 8)})
	binary.BigEndian.PutUint32(bad[24:], uint32(len(bad)-4))
	got = out(t, [][]byte{bad, good}, nil)
	expect(t, got, `,"ike":{"init":{}}`)
}

// A message split over two datagrams is taken once it is complete.
func TestReassembly(t *testing.T) {
	m := msg(spiI, spiR, 0x20, 34, 0x08, 0, -1, pay{33, ikev2SA()}, pay{40, make([]byte, 32)})
	whole := out(t, [][]byte{m}, nil)
	split := out(t, [][]byte{m[:40], m[40:70], m[70:]}, nil)
	expect(t, split, whole)
	// Two messages in one datagram.
	two := out(t, [][]byte{cat(m, m)}, nil)
	if n := strings.Count(two, `"header"`); n != 2 {
		t.Errorf("want 2 messages, got %d", n)
	}
}

func TestMessageLimit(t *testing.T) {
	m := msg(spiI, spiR, 0x20, 37, 0x08, 1, -1, pay{46, make([]byte, 8)})
	s := new(State)
	for i := 0; i < 30; i++ {
		s.Observe(m, 0)
	}
	if s.n != maxMessages || s.buf != nil {
		t.Fatalf("n=%d buf=%d", s.n, len(s.buf))
	}
	got := string(feature.AppendJSON(nil, s, nil))
	if n := strings.Count(got, `"header"`); n != maxMessages {
		t.Errorf("want %d messages, got %d", maxMessages, n)
	}
}

func TestStructureLimits(t *testing.T) {
	// 21 payloads fail; 20 succeed.
	var ps []pay
	for i := 0; i < 21; i++ {
		ps = append(ps, pay{40, []byte{byte(i)}})
	}
	expect(t, out(t, [][]byte{msg(spiI, spiR, 0x20, 37, 8, 1, -1, ps...)}, nil), `,"ike":{"init":{}}`)
	if got := out(t, [][]byte{msg(spiI, spiR, 0x20, 37, 8, 1, -1, ps[:20]...)}, nil); strings.Count(got, `"nonce"`) != 20 {
		t.Errorf("20 payloads: %s", got)
	}
	// 21 attributes fail.
	var attrs []byte
	for i := 0; i < 21; i++ {
		attrs = append(attrs, tv(14, i)...)
	}
	prop := sub(true, 2, cat([]byte{1, 1, 0, 1}, sub(true, 3, cat([]byte{1, 0}, u16(12), attrs))))
	expect(t, out(t, [][]byte{msg(spiI, spiR, 0x20, 34, 8, 0, -1, pay{33, prop})}, nil), `,"ike":{"init":{}}`)
	// Transform count larger than what the proposal holds.
	prop = sub(true, 2, cat([]byte{1, 1, 0, 2}, sub(true, 3, cat([]byte{1, 0}, u16(12)))))
	expect(t, out(t, [][]byte{msg(spiI, spiR, 0x20, 34, 8, 0, -1, pay{33, prop})}, nil), `,"ike":{"init":{}}`)
	// Short bodies.
	for _, p := range []pay{{1, u32(1)}, {34, u16(19)}, {35, []byte{1}}, {41, []byte{0, 4, 0}}, {11, cat(u32(1), []byte{1, 4}, u16(1))}, {37, nil}, {39, []byte{1}}} {
		expect(t, out(t, [][]byte{msg(spiI, spiR, 0x20, 37, 8, 1, -1, p)}, nil), `,"ike":{"init":{}}`)
	}
}

// Observe keeps no reference to its argument.
func TestPayloadNotRetained(t *testing.T) {
	m := msg(spiI, spiR, 0x20, 34, 0x08, 0, -1, pay{40, unhex("0102")})
	s := new(State)
	p := bytes.Clone(m)
	s.Observe(p[:30], 0)
	s.Observe(p[30:], 0)
	for i := range p {
		p[i] = 0xee
	}
	if got := string(feature.AppendJSON(nil, s, nil)); !strings.Contains(got, `"nonce":"0102"`) {
		t.Errorf("got %s", got)
	}
}

func TestAllocations(t *testing.T) {
	m := msg(spiI, spiR, 0x20, 37, 0x08, 1, -1, pay{46, make([]byte, 100)})
	full := new(State)
	for i := 0; i < maxMessages; i++ {
		full.Observe(m, 0)
	}
	blocked := new(State)
	blocked.Observe(unhex("f4dc0ae500000001"+strings.Repeat("e279b8a1", 10)), 0)
	for name, s := range map[string]*State{"full": full, "blocked": blocked} {
		if a := testing.AllocsPerRun(100, func() { s.Observe(m, 0) }); a != 0 {
			t.Errorf("%s: Observe allocates %v times", name, a)
		}
	}
	if a := emitallocs.Count(1<<16, nil, func(e *record.Enc) { full.Emit(e, blocked) }); a != 0 {
		t.Errorf("Emit allocates %v times", a)
	}
}

// An encrypted message whose header length is longer than what arrived
// (the first IP fragment of a large message) is taken with what is there;
// the original's behaviour here is not documented (see the package
// report).
func TestEncryptedLongerThanDatagram(t *testing.T) {
	m := msg(spiI, spiR, 0x10, 2, 1, 0, 1500, pay{5, make([]byte, 40)})
	next := msg(spiI, spiR, 0x10, 2, 1, 0, 40, pay{5, make([]byte, 8)})
	got := out(t, [][]byte{m, next}, nil)
	if n := strings.Count(got, `"header"`); n != 2 || !strings.Contains(got, `"length":1500`) || !strings.Contains(got, `"length":40`) {
		t.Errorf("got %s", got)
	}
}

// The walk of an unencrypted message stops at its header length, so an
// IKEv2 encrypted payload followed by another message in the same
// datagram still ends its message.
func TestEncryptedPayloadEndsWalk(t *testing.T) {
	sk := msg(spiI, spiR, 0x20, 35, 0x08, 1, -1, pay{46, make([]byte, 20)})
	sk[28] = 35
	got := out(t, [][]byte{cat(sk, sk)}, nil)
	if n := strings.Count(got, `{"encrypted":{}}`); n != 2 {
		t.Errorf("got %s", got)
	}
}
