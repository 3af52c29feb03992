package payload

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
)

func observe(payloads ...[]byte) *State {
	s := Kind.New(&config.Config{Payload: 1}).(*State)
	for _, p := range payloads {
		s.Observe(p, 0)
	}
	return s
}

func TestAppendJSON(t *testing.T) {
	long := make([]byte, 40)
	for i := range long {
		long[i] = byte(i)
	}
	const first32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	tests := []struct {
		name    string
		out, in *State
		want    string
	}{
		{"out only", observe([]byte("GET ")), nil, `,"payload":{"out":"47455420"}`},
		// Zero-length packets are skipped; later payloads do not replace
		// the first.
		{"first non-empty", observe(nil, []byte{}, []byte{0xab}, []byte{0xcd}), nil, `,"payload":{"out":"ab"}`},
		{"truncated to 32 bytes", observe(long), nil, `,"payload":{"out":"` + first32 + `"}`},
		{"both", observe([]byte{1, 2}), observe([]byte{0xff}), `,"payload":{"out":"0102","in":"ff"}`},
		// The out side's state exists (a zero-length packet created it) but
		// holds nothing: "in" alone, as the original prints it.
		{"in only", observe([]byte{}), observe([]byte{0x16, 0x03}), `,"payload":{"in":"1603"}`},
		{"out with empty twin", observe([]byte{9}), observe(nil), `,"payload":{"out":"09"}`},
		{"nothing", observe([]byte{}), observe([]byte{}), ``},
		{"nothing, no twin", observe(), nil, ``},
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

// The kept bytes are a copy: the caller may reuse its packet buffer.
func TestCopies(t *testing.T) {
	p := []byte{1, 2, 3}
	s := observe(p)
	p[0] = 0xee
	if got, want := string(feature.AppendJSON(nil, s, nil)), `,"payload":{"out":"010203"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestNoAllocations(t *testing.T) {
	s, tw := observe(), observe([]byte{7})
	p := bytes.Repeat([]byte{1, 2, 3}, 100)
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

// FuzzAppendJSON feeds arbitrary payloads to both sides and checks the
// member is valid JSON in an object and carries at most 32 bytes a side.
func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(3))
	f.Add([]byte{0}, uint8(0))
	f.Add(bytes.Repeat([]byte{0xff}, 80), uint8(40))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		out, in := observe(), observe()
		if len(data) > 0 {
			cut := min(int(data[0]), len(data)-1)
			in.Observe(data[1:1+cut], 0)
			rest := data[1+cut:]
			step := int(chunk)
			for len(rest) > 0 {
				n := min(step, len(rest))
				out.Observe(rest[:n], 0)
				rest = rest[n:]
				step++
			}
		}
		for _, tw := range []feature.Module{nil, in} {
			b := feature.AppendJSON([]byte(`{"x":1`), out, tw)
			b = append(b, '}')
			var v struct {
				X       int
				Payload map[string]string
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("invalid JSON %s: %v", b, err)
			}
			for k, h := range v.Payload {
				if (k != "out" && k != "in") || len(h) == 0 || len(h) > 64 {
					t.Fatalf("bad member %q: %s", k, b)
				}
			}
		}
	})
}
