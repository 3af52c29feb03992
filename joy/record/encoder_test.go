package record

import (
	"encoding/json"
	"reflect"
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

// HexUint prints the same digits straight as JSON and as Hex of its bytes
// through another encoder.
func TestEncHexUint(t *testing.T) {
	var direct, through Enc
	var other JSON
	direct.Reset(nil)
	through.Reset(nil)
	other.Reset(nil)
	through.Use(&other)
	for _, e := range []*Enc{&direct, &through} {
		e.Object("")
		e.HexUint("scs", 0x1301, 2)
		e.HexUint("version", 0xff00001d, 4)
		e.HexUint("wide", 0x0102030405060708, 8)
		e.HexUint("none", 7, 0)
		e.End()
	}
	want := `{"scs":"1301","version":"ff00001d","wide":"0102030405060708","none":""}`
	if got := string(direct.JSON.B); got != want {
		t.Errorf("JSON: got %s, want %s", got, want)
	}
	if got := string(other.B); got != want {
		t.Errorf("through another encoder: got %s, want %s", got, want)
	}
}

// walkLists walks a record's packet list and ip member through e.
func walkLists(e *Enc) {
	e.Object("")
	e.String("sa", "a")
	e.List("packets")
	e.Packet(100, false, '>', 0)
	e.Packet(3, true, '<', 12)
	e.End()
	e.Object("ip")
	e.Object("out")
	e.Uint("ttl", 64)
	e.Uint16s("id", []uint16{1, 2, 65535})
	e.End()
	e.Object("in")
	e.Uint("ttl", 128)
	e.Uint16s("id", []uint16{})
	e.End()
	e.End()
	e.End()
}

// valueWalker is an Encoder that is not a ListEncoder: Enc hands it the
// packet entries and ids value by value.
type valueWalker struct{ Encoder }

// The packet list and the IP ids print the same JSON whether straight,
// through an encoder that takes them value by value, or filled whole into
// a row (ListEncoder), and the two rows are the same.
func TestListsWholeOrByValue(t *testing.T) {
	const want = `{"sa":"a","packets":[{"b":100,"dir":">","ipt":0},{"rep":3,"dir":"<","ipt":12}],` +
		`"ip":{"out":{"ttl":64,"id":[1,2,65535]},"in":{"ttl":128,"id":[]}}}`
	var direct, through Enc
	var other JSON
	direct.Reset(nil)
	other.Reset(nil)
	through.Use(&other)
	walkLists(&direct)
	walkLists(&through)
	if got := string(direct.JSON.B); got != want {
		t.Errorf("JSON: got  %s\nwant %s", got, want)
	}
	if got := string(other.B); got != want {
		t.Errorf("through another encoder: got  %s\nwant %s", got, want)
	}

	if _, ok := Encoder(valueWalker{}).(ListEncoder); ok {
		t.Fatal("valueWalker takes lists whole")
	}
	var whole, byValue Flow
	for i, row := range []*Flow{&whole, &byValue} {
		f := NewFiller()
		f.Start(row)
		var e Enc
		if i == 0 {
			e.Use(f)
		} else {
			e.Use(valueWalker{f})
		}
		walkLists(&e)
	}
	if got := string(whole.AppendJSON(nil)); !strings.Contains(got, `"packets":[{"b":100,"dir":">","ipt":0},{"rep":3,"dir":"<","ipt":12}]`) ||
		!strings.Contains(got, `"ip":{"out":{"ttl":64,"id":[1,2,65535]},"in":{"ttl":128,"id":[]}}`) {
		t.Errorf("row filled whole prints %s", got)
	}
	if !reflect.DeepEqual(whole, byValue) {
		t.Errorf("rows differ:\nwhole    %s\nby value %s", whole.AppendJSON(nil), byValue.AppendJSON(nil))
	}
}

// Packet entries and id lists where a row has no column for them (inside
// another member) are walked value by value into that member's text, not
// dropped.
func TestListsElsewhereKept(t *testing.T) {
	var row Flow
	f := NewFiller()
	f.Start(&row)
	var e Enc
	e.Use(f)
	e.Object("")
	e.List("x")
	e.Packet(1, false, '>', 0)
	e.End()
	e.Object("y")
	e.Uint16s("id", []uint16{5})
	e.End()
	e.End()
	if want := `{"x":[{"b":1,"dir":">","ipt":0}],"y":{"id":[5]}}`; row.Other == nil || *row.Other != want {
		t.Errorf("other %v, want %s", row.Other, want)
	}
}
