package wht

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

func observe(payloads ...[]byte) *State {
	s := Kind.New(&config.Config{WHT: true}).(*State)
	for _, p := range payloads {
		s.Observe(p, 0)
	}
	return s
}

func TestAppendJSON(t *testing.T) {
	eight := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	zeros := make([]byte, 19996)
	tests := []struct {
		name    string
		out, in *State
		want    string
	}{
		// Blocks (1,2,3,4) and (5,6,7,8): x = (4,6,−2,−2) → (10,−2,−4,0) and
		// x = (12,14,−2,−2) → (26,−2,−4,0); the sum (36,−4,−8,0) over 8 bytes.
		{"eight bytes", observe(eight), nil, `,"wht":[4.5,-0.5,-1,0]`},
		// The same bytes in two payloads give the same blocks.
		{"split", observe(eight[:4], nil, eight[4:]), nil, `,"wht":[4.5,-0.5,-1,0]`},
		// Five bytes: (1,2,3,4) → (10,−2,−4,0), then (5,0,0,0) padded →
		// x = (5,0,5,0) → (5,5,5,5); (15,3,1,5)/5 = (3,0.6,0.2,1), and
		// float32(0.6) = 0.60000002… prints as 0.6.
		{"padded", observe(eight[:5]), nil, `,"wht":[3,0.6,0.2,1]`},
		// A single byte 255 is block (255,0,0,0) → (255,255,255,255).
		{"one byte", observe([]byte{255}), nil, `,"wht":[255,255,255,255]`},
		// Both sides: (36,−4,−8,0) + (255,255,255,255) = (291,251,247,255)
		// over 9 bytes: 32.333…, 27.888…, 27.444…, 28.333….
		{"bidirectional", observe(eight), observe([]byte{255}), `,"wht":[32.333,27.889,27.444,28.333]`},
		// The other side's bytes count even when this side has none.
		{"only twin bytes", observe(nil), observe([]byte{255}), `,"wht":[255,255,255,255]`},
		// (1,0,0,0) → (1,1,1,1), then 19996 zero bytes: 1/20000 = 5e-05 in
		// float32 (4.99999987e-05), printed in C's exponent form.
		{"exponent", observe([]byte{1, 0, 0, 0}, zeros), nil, `,"wht":[5e-05,5e-05,5e-05,5e-05]`},
		// (0,1,0,0) → x = (0,1,0,1) → (1,−1,1,−1) over 3 bytes:
		// 0.33333334 in float32.
		{"negative", observe([]byte{0, 1, 0}), nil, `,"wht":[0.33333,-0.33333,0.33333,-0.33333]`},
		{"no bytes", observe(nil, []byte{}), nil, ``},
		{"no bytes either side", observe(nil), observe(nil), ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var twin feature.Module
			if tc.in != nil {
				twin = tc.in
			}
			got := string(feature.AppendJSON(nil, tc.out, twin))
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// A typed nil twin is treated as no twin.
func TestNilTwin(t *testing.T) {
	var nilState *State
	got := string(feature.AppendJSON(nil, observe([]byte{255}), nilState))
	if want := `,"wht":[255,255,255,255]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// The sums are the original's int32_t and wrap after about 8 MB of payload:
// 9 MiB of 0xff is 2359296 blocks of (1020,0,0,0); 2359296×1020 =
// 2406481920 wraps to −1888485376, over 9437184 bytes −200.11….
func TestWrap(t *testing.T) {
	mb := bytes.Repeat([]byte{0xff}, 1<<20)
	s := observe()
	for range 9 {
		s.Observe(mb, 0)
	}
	got := string(feature.AppendJSON(nil, s, nil))
	if want := `,"wht":[-200.11,0,0,0]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestNoAllocations(t *testing.T) {
	s, tw := observe(), observe([]byte{7})
	p := bytes.Repeat([]byte{1, 2, 3, 4, 5}, 100)
	buf := make([]byte, 0, 256)
	var e record.Enc // reused, as the flow table reuses its encoder
	if n := testing.AllocsPerRun(100, func() {
		s.Observe(p, 0)
		e.ResetMembers(buf[:0])
		s.Emit(&e, tw)
		buf = e.JSON.B
	}); n != 0 {
		t.Errorf("%v allocations per packet and print", n)
	}
}

// FuzzAppendJSON feeds arbitrary payloads to both sides (the input split
// at its first byte's value, the out part into packets of varying sizes)
// and checks the member is valid JSON in an object.
func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(3))
	f.Add([]byte{0}, uint8(0))
	f.Add(bytes.Repeat([]byte{0xff}, 64), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		out, in := observe(), observe()
		if len(data) > 0 {
			cut := min(int(data[0]), len(data)-1)
			in.Observe(data[1:1+cut], 0)
			rest := data[1+cut:]
			step := int(chunk) + 1
			for len(rest) > 0 {
				n := min(step, len(rest))
				out.Observe(rest[:n], 0)
				rest = rest[n:]
			}
		}
		for _, tw := range []feature.Module{nil, in} {
			b := feature.AppendJSON([]byte(`{"x":1`), out, tw)
			b = append(b, '}')
			if !json.Valid(b) {
				t.Fatalf("invalid JSON: %s", b)
			}
			if len(b) > len(`{"x":1}`) && !bytes.HasPrefix(b, []byte(`{"x":1,"wht":[`)) {
				t.Fatalf("unexpected member: %s", b)
			}
		}
	})
}
