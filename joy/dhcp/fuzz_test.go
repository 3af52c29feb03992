package dhcp

import (
	"encoding/json"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
)

// FuzzDHCP feeds two arbitrary payloads, one per direction, and checks that
// every way of printing the member is valid JSON.
func FuzzDHCP(f *testing.F) {
	seeds := [][]byte{
		bootp(1, "", "", 53, 1, 3, 50, 4, 10, 0, 2, 15, 12, 3, 'p', 'y', 't', 255),
		bootp(2, "srv", "boot\"file", 53, 1, 5, 1, 4, 255, 255, 255, 0, 250, 2, 1, 2, 254, 0, 255),
		bootp(1, "", "", 53, 0, 1, 0, 53, 1, 99),
		bootp(1, "", "", 12, 200, 'a'),
		bootp(1, "", ""),
		bootp(1, "", "")[:MinLen-1],
	}
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)])
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		// Most random inputs fail the cookie; put it in place half the
		// time so the option walk is exercised.
		if len(a) >= MinLen && len(a)%2 == 0 {
			a = append([]byte(nil), a...)
			copy(a[fixedLen:], cookie[:])
		}
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
