package sleuth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gojoy/libjoy/joy/format/parquet"
)

// A Parquet file of joy's is read as its JSON records (so joy sleuth,
// train and plot take it), the configuration record left out.
func TestForEachParquet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewWriter(f)
	in := `{"version":"2.1-dev","end-config":1}
{"sa":"10.0.0.1","da":"10.0.0.2","pr":6,"sp":1,"dp":443,"bytes_out":5,"num_pkts_out":1,"time_start":1.0,"time_end":1.0,"packets":[{"b":5,"dir":">","ipt":0}],"tls":{"s_version":5}}
{"sa":"10.0.0.3","da":"10.0.0.4","pr":17,"sp":2,"dp":53,"bytes_out":7,"num_pkts_out":1,"time_start":2.0,"time_end":2.0,"packets":[{"b":7,"dir":">","ipt":0}]}
`
	if _, err := w.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var dps []float64
	var tlsVersion float64
	err = ForEach([]string{path}, nil, func(l Line) error {
		var r map[string]any
		if err := json.Unmarshal(l.Data, &r); err != nil {
			t.Fatalf("line %d: %v: %s", l.Num, err, l.Data)
		}
		dps = append(dps, r["dp"].(float64))
		if tls, ok := r["tls"].(map[string]any); ok {
			tlsVersion = tls["s_version"].(float64)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dps) != 2 || dps[0] != 443 || dps[1] != 53 || tlsVersion != 5 {
		t.Errorf("dp %v, tls.s_version %v", dps, tlsVersion)
	}
}
