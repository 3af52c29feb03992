package record

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

const sample = `{"sa":"10.0.0.1","da":"10.0.0.2","pr":6,"sp":40000,"dp":80,"sa_labels": [ "l1" ],"da_labels": [ ],"bytes_out":18,"num_pkts_out":3,"bytes_in":100,"num_pkts_in":2,"time_start":1502118721.000001,"time_end":1502118721.041000,"packets":[{"b":18,"dir":">","ipt":30},{"rep":2,"dir":"<","ipt":10}],"byte_dist":[1,2],"byte_dist_mean":1.5,"p_malware":0.123400,"ip":{"out":{"ttl":64}},"http":[{"out":[{"Host":"a\"b"}]}],"idp_out":"4500","idp_len_out":2,"zzz":{"k":[1,{"x":"}"}]},"expire_type":"i"}`

// A record printed back from its row has the same JSON values, odd
// spacing (the original's label lists), escapes and unknown members
// included.
func TestRoundTrip(t *testing.T) {
	var f Flow
	for _, shared := range []bool{false, true} {
		if err := f.parse([]byte(sample), shared); err != nil {
			t.Fatal(err)
		}
		var a, b map[string]any
		if err := json.Unmarshal([]byte(sample), &a); err != nil {
			t.Fatal(err)
		}
		out := f.AppendJSON(nil)
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("invalid JSON back: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("shared=%v:\nwant %s\ngot  %s", shared, sample, out)
		}
	}
	if *f.Other != `{"zzz":{"k":[1,{"x":"}"}]}}` || !reflect.DeepEqual(f.PacketsB, []int32{18, -2}) {
		t.Errorf("other %q, packets %v", *f.Other, f.PacketsB)
	}
}

func TestMalformed(t *testing.T) {
	var f Flow
	for _, in := range []string{``, `[]`, `{"sa":`, `{"sa":"x"`, `{"sa" "x"}`, `{"pr":"6"}`, `{"packets":{}}`, `{"time_start":x}`} {
		if err := f.ParseJSON([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// Any input gives a row or an error, never a panic; a row printed back is
// valid JSON.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"sa":"::1","da":"::2","pr":58,"sp":null,"dp":null,"bytes_out":1,"num_pkts_out":1,"time_start":0.5,"time_end":-1.5,"packets":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var r Flow
		if r.ParseJSON(in) != nil {
			return
		}
		out := r.AppendJSON(nil)
		if json.Valid(in) && !json.Valid(out) {
			t.Fatalf("valid %s printed back as invalid %s", in, out)
		}
		// What a row prints reads back as the same row: printing again
		// gives the same JSON values (escapes may differ: a byte that is
		// not UTF-8 prints as \u00XX, which reads back as that letter).
		var again Flow
		if err := again.ParseJSON(out); err != nil {
			t.Fatalf("%s printed back as %s, which does not read: %v", in, out, err)
		}
		out2 := again.AppendJSON(nil)
		var v1, v2 any
		if json.Unmarshal(out, &v1) == nil && (json.Unmarshal(out2, &v2) != nil || !reflect.DeepEqual(v1, v2)) {
			t.Fatalf("%s printed back as\n%s\nthen as\n%s", in, out, out2)
		}
	})
}

// The ip member of Joy's shape fills the four ip columns; any other shape
// is kept whole in "other", and each prints back as it was read.
func TestIPColumns(t *testing.T) {
	const head = `{"sa":"a","da":"b","pr":17,"sp":1,"dp":2,"bytes_out":0,"num_pkts_out":0,"time_start":0.000000,"time_end":0.000000,"packets":[]`
	for _, c := range []struct {
		ip    string
		typed bool
	}{
		{`{"out":{"ttl":64,"id":[1,2,65535]},"in":{"ttl":128,"id":[7]}}`, true},
		{`{"out":{"ttl":64}}`, true},
		{`{"out":{"ttl":64,"id":[]}}`, true},
		{`{"in":{"ttl":3}}`, true},
		{`{}`, false},
		{`{"out":{"ttl":64},"up":{"ttl":1}}`, false},
		{`{"out":{"id":[1]}}`, false},
		{`{"out":{"ttl":64,"id":[1],"x":1}}`, false},
		{`{"out":{"ttl":"64"}}`, false},
		{`{"out":{"ttl":64},"out":{"ttl":65}}`, false},
		{`{"in":{"ttl":3},"out":{"ttl":64}}`, false},
		{`{"out":{"id":[1],"ttl":64}}`, false},
		{`[1]`, false},
		{`null`, false},
	} {
		in := head + `,"ip":` + c.ip + "}"
		var f Flow
		if err := f.ParseJSON([]byte(in)); err != nil {
			t.Fatalf("%s: %v", c.ip, err)
		}
		if typed := f.IPOutTTL != nil || f.IPInTTL != nil; typed != c.typed {
			t.Errorf("%s: typed %v, want %v", c.ip, typed, c.typed)
		}
		if !c.typed && (f.Other == nil || *f.Other != `{"ip":`+c.ip+`}`) {
			t.Errorf("%s: other %v", c.ip, f.Other)
		}
		if out := string(f.AppendJSON(nil)); out != in+"\n" {
			t.Errorf("printed back as\n%s\nwant\n%s", out, in)
		}
	}
	var f Flow
	if err := f.ParseJSON([]byte(head + `,"ip":{"out":{"ttl":64,"id":[1,2,65535]},"in":{"ttl":128,"id":[7]}}}`)); err != nil {
		t.Fatal(err)
	}
	if *f.IPOutTTL != 64 || *f.IPInTTL != 128 || !reflect.DeepEqual(f.IPOutID, []int32{1, 2, 65535}) || !reflect.DeepEqual(f.IPInID, []int32{7}) {
		t.Errorf("ip columns %d %v %d %v", *f.IPOutTTL, f.IPOutID, *f.IPInTTL, f.IPInID)
	}
}

// SetIP fills the ip columns, or adds the member to "other" (empty or
// not) when it has another shape.
func TestSetIP(t *testing.T) {
	empty, one := `{}`, `{"zzz":1}`
	for _, c := range []struct {
		other *string
		ip    string
		want  string
	}{
		{nil, `{"out":{"ttl":9,"id":[4]}}`, `<nil> 9 [4]`},
		{nil, `{"x":1}`, `{"ip":{"x":1}} <nil> []`},
		{&empty, `{"x":1}`, `{"ip":{"x":1}} <nil> []`},
		{&one, `[]`, `{"zzz":1,"ip":[]} <nil> []`},
	} {
		f := Flow{Other: c.other}
		f.SetIP([]byte(c.ip))
		got := "<nil>"
		if f.Other != nil {
			got = *f.Other
		}
		if f.IPOutTTL != nil {
			got += fmt.Sprintf(" %d %v", *f.IPOutTTL, f.IPOutID)
		} else {
			got += fmt.Sprintf(" <nil> %v", f.IPOutID)
		}
		if got != c.want {
			t.Errorf("SetIP(%s) with other %v: %s, want %s", c.ip, c.other, got, c.want)
		}
	}
}
