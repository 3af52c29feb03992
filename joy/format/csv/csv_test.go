package csv

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// A header, then one line per flow; absent members are empty, lists are
// JSON arrays, JSON members their text.
func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := `{"version":"2.1-dev","end-config":1}
{"sa":"10.0.0.1","da":"10.0.0.2","pr":17,"sp":53,"dp":5353,"bytes_out":35,"num_pkts_out":1,"time_start":1.000001,"time_end":2.5,"packets":[{"b":35,"dir":"<","ipt":0}],"dns":[{"qn":"a,\"b"}]}
{"sa":"::1","da":"::2","pr":58,"sp":null,"dp":null,"bytes_out":8,"num_pkts_out":1,"bytes_in":8,"num_pkts_in":1,"time_start":3.0,"time_end":3.0,"packets":[]}
`
	if _, err := w.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d lines: %q", len(recs), recs)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	get := func(r int, c string) string { return recs[r][col[c]] }
	checks := []struct {
		row       int
		col, want string
	}{
		{1, "sa", "10.0.0.1"}, {1, "sp", "53"}, {1, "bytes_in", ""}, {1, "time_start", "1.000001"},
		{1, "time_end", "2.500000"}, {1, "packets_b", "[35]"}, {1, "packets_dir", "<"},
		{1, "dns", `[{"qn":"a,\"b"}]`}, {2, "sp", ""}, {2, "bytes_in", "8"}, {2, "packets_b", "[]"},
	}
	for _, c := range checks {
		if got := get(c.row, c.col); got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.col, got, c.want)
		}
	}
}
