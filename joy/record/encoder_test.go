package record

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONEncoder(t *testing.T) {
	var e JSON
	e.Reset(nil)
	e.Object("")
	e.Text("sa", []byte("10.0.0.1"))
	e.Null("sp")
	e.List("packets")
	for i := 0; i < 2; i++ {
		e.Object("")
		e.Uint("b", 10)
		e.String("dir", ">")
		e.Int("ipt", -1)
		e.End()
	}
	e.End()
	e.Float("p", 0.5, 'f', 6)
	e.Time("time_start", 1500000000123456)
	e.Hex("h", []byte{0xab, 1})
	e.Raw("opts", []byte(`[{"noop":null}]`))
	e.Members([]byte(`,"x":1,"y":"z"`))
	e.List("empty")
	e.End()
	e.End()
	want := `{"sa":"10.0.0.1","sp":null,"packets":[{"b":10,"dir":">","ipt":-1},{"b":10,"dir":">","ipt":-1}],` +
		`"p":0.500000,"time_start":1500000000.123456,"h":"ab01","opts":[{"noop":null}],"x":1,"y":"z","empty":[]}`
	if got := string(e.B); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	// Members first in an object: its leading comma goes.
	e.Reset(nil)
	e.Object("")
	e.Members([]byte(`,"a":1`))
	e.End()
	if got := string(e.B); got != `{"a":1}` {
		t.Errorf("got %s", got)
	}
}

// Containers nest beyond the 64 levels the bit stack holds.
func TestJSONEncoderDeep(t *testing.T) {
	var e JSON
	e.Reset(nil)
	const n = 150
	inList := false
	for i := 0; i < n; i++ {
		name := "k"
		if i == 0 || inList {
			name = ""
		}
		inList = i%3 == 0
		if inList {
			e.List(name)
		} else {
			e.Object(name)
		}
	}
	for i := 0; i < n; i++ {
		e.End()
	}
	var v any
	if err := json.Unmarshal(e.B, &v); err != nil {
		t.Fatalf("%v: %s", err, e.B)
	}
	if strings.Count(string(e.B), "]") != n/3 {
		t.Errorf("lists closed wrongly: %s", e.B)
	}
}
