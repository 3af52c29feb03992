package tls

import (
	"encoding/json"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
)

// encodePackets encodes payloads for FuzzTLS: per packet a control byte
// (bit 0: direction, the rest: milliseconds since the previous packet), a
// 16-bit length and the payload.
func encodePackets(dirs []byte, payloads ...[]byte) []byte {
	var out []byte
	for i, p := range payloads {
		out = append(out, dirs[i%len(dirs)])
		out = append(out, u16(len(p))...)
		out = append(out, p...)
	}
	return out
}

func fuzzSeeds(tb testing.TB) [][]byte {
	cert := testCertificate(tb, nil)
	ccs := record(20, []byte{1})
	ch := record(22, clientHello(0x0303, filled(32, 1), []byte{1, 2}, []int{0xc02f, 0x1301},
		sniExt("seed.example"), ext(43, []byte{2, 3, 4}), ext(65281, []byte{0})))
	sh := record(22, cat(serverHello(0x0303, filled(32, 2), []byte{3}, 0x1301, ext(43, []byte{3, 4})),
		certificateMsg(cert), handshake(14, nil)))
	cke := record(22, handshake(16, cat([]byte{65}, filled(65, 4))))
	app := record(23, filled(64, 9))
	full := cat(sh, ccs, app)
	return [][]byte{
		encodePackets([]byte{0, 3, 4, 5, 2}, ch, sh, cat(cke, ccs), ccs, app),
		encodePackets([]byte{0, 3}, ch, full[:300], full[300:700], full[700:]),
		encodePackets([]byte{1}, app[:3], app[3:]),
		encodePackets([]byte{0, 1}, record(22, filled(200, 0)), record(21, []byte{2, 40})),
		encodePackets([]byte{0}, truncatedHello(), ccs),
		{},
	}
}

// FuzzTLS feeds arbitrary payload sequences to both directions of a flow
// and checks that every way of printing them gives valid JSON.
func FuzzTLS(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var st [2]*State
		st[0], st[1] = new(State), new(State)
		ts := int64(1_600_000_000_000_000)
		for n := 0; len(data) >= 3 && n < 64; n++ {
			ctl := data[0]
			l := int(data[1])<<8 | int(data[2])
			data = data[3:]
			if l > len(data) {
				l = len(data)
			}
			ts += int64(ctl>>1) * 1000
			st[ctl&1].Observe(data[:l], ts)
			data = data[l:]
		}
		check := func(out []byte) {
			if !json.Valid(append(append([]byte(`{"x":1`), out...), '}')) {
				t.Fatalf("invalid JSON: %s", out)
			}
		}
		check(feature.AppendJSON(nil, st[0], st[1]))
		check(feature.AppendJSON(nil, st[1], st[0]))
		check(feature.AppendJSON(nil, st[0], nil))
		check(feature.AppendJSON(nil, st[1], nil))
	})
}

// FuzzCertificate feeds arbitrary bytes to the certificate printer.
func FuzzCertificate(f *testing.F) {
	f.Add(testCertificate(f, nil))
	f.Add(withSignatureOID(f, testCertificate(f, nil), []int{1, 2, 3}))
	f.Fuzz(func(t *testing.T, der []byte) {
		out := appendCertificate(nil, uint16(len(der)), der)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
	})
}
