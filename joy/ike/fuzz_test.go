package ike

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
)

// fuzzPackets splits fuzz input into datagrams: each is one direction byte
// (bit 0: 0 = init, 1 = resp), a two-byte length and that many bytes (cut
// short at the end of the input).
func fuzzPackets(data []byte, fn func(resp bool, p []byte)) {
	for len(data) >= 3 {
		resp := data[0]&1 == 1
		n := int(data[1])<<8 | int(data[2])
		data = data[3:]
		n = min(n, len(data))
		fn(resp, data[:n])
		data = data[n:]
	}
}

// fuzzFrame builds fuzz input from datagrams.
func fuzzFrame(dgrams ...[]byte) []byte {
	var b []byte
	for i, d := range dgrams {
		b = append(b, byte(i&1), byte(len(d)>>8), byte(len(d)))
		b = append(b, d...)
	}
	return b
}

func FuzzIKE(f *testing.F) {
	m1 := msg(spiI, zero, 0x10, 2, 0, 0, -1, pay{1, ikev1SA()}, pay{13, []byte("OEkRbGXRvmPE")}, pay{13, []byte(vendorIDs[9].id)})
	n1 := msg(spiI, zero, 0x10, 5, 0, 0, -1, pay{11, cat(u32(1), []byte{1, 2}, u16(14), []byte{1, 2})})
	v2 := msg(spiI, zero, 0x20, 34, 0x08, 0, -1, pay{33, ikev2SA()}, pay{34, cat(u16(19), u16(0), []byte{1, 2, 3})},
		pay{41, cat([]byte{1, 0}, u16(16431), u16(2), u16(3))}, pay{35, []byte{1, 0, 0, 0, 10, 0, 0, 1}}, pay{39, []byte{2, 0, 0, 0, 9}})
	sk := msg(spiI, spiR, 0x20, 35, 0x20, 1, -1, pay{46, make([]byte, 16)})
	sk[28] = 35
	enc := msg(spiI, spiR, 0x10, 32, 1, 7, 60, pay{8, make([]byte, 28)})
	short := unhex("00000000" + "0000000000000000" + "0000000023202308" + "00000001" + "0000004c00000005" + "01000000" + strings.Repeat("deadbeef", 10))
	f.Add(fuzzFrame(m1, m1[:20]))
	f.Add(fuzzFrame(m1, n1, m1))
	f.Add(fuzzFrame(v2, sk, append(make([]byte, 4), sk...)))
	f.Add(fuzzFrame(enc, enc, short))
	f.Add(fuzzFrame(v2[:50], v2[:50], v2[50:], v2[50:]))
	f.Add(fuzzFrame(cat(v2, sk, enc), []byte{0xff}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := new(State), new(State)
		fuzzPackets(data, func(resp bool, p []byte) {
			s := a
			if resp {
				s = b
			}
			s.Observe(p, 0)
			if len(s.buf) > maxMessageLen+len(p) || s.n > maxMessages {
				t.Fatalf("state out of bounds: buf %d, messages %d", len(s.buf), s.n)
			}
		})
		for _, c := range []struct {
			s    *State
			twin *State
		}{{a, b}, {b, nil}} {
			var out []byte
			if c.twin != nil {
				out = feature.AppendJSON(nil, c.s, c.twin)
			} else {
				out = feature.AppendJSON(nil, c.s, nil)
			}
			if w := `{"x":1` + string(out) + `}`; !json.Valid([]byte(w)) {
				t.Fatalf("invalid JSON: %s", w)
			}
		}
		// Every kept message checks again as it did when it was taken.
		for _, s := range []*State{a, b} {
			start := 0
			for i := 0; i < s.n; i++ {
				m := s.msgs[start:s.ends[i]]
				start = s.ends[i]
				if m[19]&flagEncrypted != 0 {
					continue
				}
				w := walker{}
				if !w.payloads(m, m[16]) {
					t.Fatalf("kept message %d does not walk: %x", i, m)
				}
			}
		}
	})
}
