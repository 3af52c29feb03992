package quic

import (
	"reflect"
	"testing"

	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/tests/go/testutil"
)

// The walk of a connection fills the same row the record.Filler of the
// tabular formats makes as ParseJSON makes of its JSON text, on the
// corpus's QUIC flows.
func TestEmitFillsParsedRow(t *testing.T) {
	shared := testutil.NeedShared(t)
	files := quicCaptures(t, shared)
	if len(files) == 0 {
		t.Skip("no QUIC captures in the corpus's MANIFEST.md")
	}
	filler := record.NewFiller()
	var enc record.Enc
	compared := 0
	for _, file := range files {
		flows, err := readFlows(file)
		if err != nil {
			t.Fatal(err)
		}
		for k, f := range flows {
			if f.conn.LongHeaders == 0 && !f.conn.VNSeen {
				continue
			}
			text := f.conn.AppendJSON([]byte(`{"sa":"10.0.0.1","pr":17`))
			text = append(text, '}')
			var want record.Flow
			if err := want.ParseJSON(text); err != nil {
				t.Fatalf("%s %s: %v: %s", file, k, err, text)
			}
			var got record.Flow
			filler.Reset()
			filler.Start(&got)
			enc.Reset(nil)
			enc.Use(filler)
			enc.Object("")
			enc.String("sa", "10.0.0.1")
			enc.Uint("pr", 17)
			f.conn.Emit(&enc)
			enc.End()
			if !reflect.DeepEqual(&got, &want) {
				t.Errorf("%s %s:\nJSON %s\nrow  %s", file, k, want.AppendJSON(nil), got.AppendJSON(nil))
			}
			if want.Other == nil {
				t.Fatalf("%s %s: no quic member in the row: %s", file, k, text)
			}
			compared++

			// Emitting again, as JSON into a buffer of the right size,
			// allocates nothing.
			var j record.Enc
			buf := make([]byte, 0, 2*len(text))
			if n := testing.AllocsPerRun(5, func() {
				j.ResetMembers(buf)
				f.conn.Emit(&j)
			}); n != 0 {
				t.Errorf("%s %s: %.1f allocations per Emit", file, k, n)
			}
		}
	}
	if compared == 0 {
		t.Fatal("no QUIC connection compared")
	}
	t.Logf("%d connections compared", compared)
}
