package record

import (
	"encoding/json"
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
		if out := r.AppendJSON(nil); json.Valid(in) && !json.Valid(out) {
			t.Fatalf("valid %s printed back as invalid %s", in, out)
		}
	})
}
