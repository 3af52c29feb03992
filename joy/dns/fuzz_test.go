package dns

import (
	"encoding/json"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
)

// FuzzDNS feeds two arbitrary payloads, one per direction, and checks that
// every way of printing the member is valid JSON.
func FuzzDNS(f *testing.F) {
	q := name("www.example.com")
	seeds := [][]byte{
		msg(0x0100, 1, 0, q, question),
		msg(0x8180, 1, 3, q, question,
			ptr(12), rr(5, 1, 60, 6), []byte{3, 'w', 'w', 'w'}, ptr(12),
			ptr(12), rr(1, 1, 300, 4), []byte{192, 0, 2, 1},
			ptr(12), rr(16, 1, 1, 3), []byte{2, 'h', 'i'}),
		msg(0x8180, 1, 2, q, question, ptr(12), rr(6, 1, 5, 4), ptr(12), ptr(12)),
		msg(0x8180, 0, 1, ptr(12), rr(1, 1, 5, 4), []byte{1, 2, 3, 4}),
		msg(0x0100, 2, 0, q, question, q, question),
		msg(0x0100, 1, 0, []byte{3, 'a', '"', '\\'}, ptr(12), question),
		msg(0x8180, 1, 9, q, question, ptr(12), rr(99, 1, 1, 20), make([]byte, 20)),
		msg(0x0100, 1, 0, []byte{0x80}),
		msg(0x0100, 1, 0, []byte{0xc0, 0x0c}),
	}
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)])
	}
	f.Add([]byte{}, []byte{0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		out, in := new(State), new(State)
		out.Observe(a, 1)
		out.Observe(b, 2)
		in.Observe(b, 3)
		for _, m := range []string{
			string(feature.AppendJSON(nil, out, nil)),
			string(feature.AppendJSON(nil, out, in)),
			string(feature.AppendJSON(nil, in, out)),
		} {
			if doc := `{"x":1` + m + `}`; !json.Valid([]byte(doc)) {
				t.Fatalf("not valid JSON: %s", doc)
			}
		}
	})
}
