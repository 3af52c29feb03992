package sleuth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// refRecords decodes every flow record of c_allproto by hand (plain
// encoding/json, no sleuth code), in file order.
func refRecords(t *testing.T) (files []string, recs []map[string]any) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(tu.NeedShared(t), "ref", "697dc5a", "c_allproto", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no c_allproto records: %v", err)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s:%d: %v", f, i+1, err)
			}
			if _, ok := m["end-config"]; ok {
				continue
			}
			recs = append(recs, m)
		}
	}
	return files, recs
}

// run runs "joy sleuth" and decodes its output lines.
func run(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := Main(args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("sleuth %q: exit %d: %s", args, code, stderr.String())
	}
	var out []map[string]any
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func TestGroupByDistMatchesIndependentCount(t *testing.T) {
	files, recs := refRecords(t)
	want := map[string]int{}
	total := 0
	for _, r := range recs {
		if num(r["dp"]) == 443 {
			want[r["sa"].(string)]++
			total++
		}
	}
	if total == 0 {
		t.Fatal("no dp 443 flow in c_allproto")
	}
	out := run(t, append([]string{"--where", "dp = 443", "--groupby", "sa", "--dist"}, files...)...)
	got := map[string]int{}
	prev := 1 << 30
	for _, o := range out {
		c := int(num(o["count"]))
		got[o["sa"].(string)] = c
		if int(num(o["total"])) != c {
			t.Errorf("%v: total %v, want the group size %d", o, o["total"], c)
		}
		if c > prev {
			t.Errorf("groups not largest first: %v", out)
		}
		prev = c
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groupby sa: got %v, want %v", got, want)
	}
	t.Logf("dp = 443 by sa: %v (%d flows)", got, total)

	// --groupby alone gives the same counts
	out = run(t, append([]string{"--where", "dp = 443", "--groupby", "sa"}, files...)...)
	got = map[string]int{}
	for _, o := range out {
		got[o["sa"].(string)] = int(num(o["count"]))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groupby sa (no dist): got %v, want %v", got, want)
	}
}

func TestSelectDistMatchesIndependentCount(t *testing.T) {
	files, recs := refRecords(t)
	// distinct (pr, dp) pairs over every record
	want := map[string]int{}
	for _, r := range recs {
		want[fmt.Sprintf("%v/%v", r["pr"], r["dp"])]++
	}
	out := run(t, append([]string{"--select", "pr,dp", "--dist"}, files...)...)
	got := map[string]int{}
	for _, o := range out {
		got[fmt.Sprintf("%v/%v", o["pr"], o["dp"])] = int(num(o["count"]))
		if int(num(o["total"])) != len(recs) {
			t.Errorf("%v: total %v, want %d", o, o["total"], len(recs))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("select pr,dp --dist: got %v, want %v", got, want)
	}
}

func TestDistWithinGroups(t *testing.T) {
	files, recs := refRecords(t)
	// for TCP: per da, how many flows for each TLS server version (absent: no key)
	type key struct{ da, v string }
	want := map[key]int{}
	size := map[string]int{}
	for _, r := range recs {
		if num(r["pr"]) != 6 {
			continue
		}
		da := r["da"].(string)
		size[da]++
		v := "absent"
		if tls, ok := r["tls"].(map[string]any); ok {
			if sv, ok := tls["s_version"]; ok {
				v = fmt.Sprint(sv)
			}
		}
		want[key{da, v}]++
	}
	out := run(t, append([]string{"--where", "pr = 6", "--select", "tls.s_version", "--groupby", "da", "--dist"}, files...)...)
	got := map[key]int{}
	for _, o := range out {
		da := o["da"].(string)
		v := "absent"
		if tls, ok := o["tls"].(map[string]any); ok {
			v = fmt.Sprint(tls["s_version"])
		}
		got[key{da, v}] = int(num(o["count"]))
		if int(num(o["total"])) != size[da] {
			t.Errorf("%v: total %v, want %d", o, o["total"], size[da])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSumMatchesIndependentSum(t *testing.T) {
	files, recs := refRecords(t)
	type agg struct{ bytes, pkts, n int }
	want := map[float64]*agg{}
	for _, r := range recs {
		pr := num(r["pr"])
		if want[pr] == nil {
			want[pr] = &agg{}
		}
		a := want[pr]
		a.bytes += int(num(r["bytes_out"])) + int(num(r["bytes_in"]))
		for _, p := range r["packets"].([]any) {
			if b, ok := p.(map[string]any)["b"]; ok {
				a.pkts += int(num(b))
			}
		}
		a.n++
	}
	out := run(t, append([]string{"--groupby", "pr", "--sum", "bytes_out,bytes_in,packets.b"}, files...)...)
	if len(out) != len(want) {
		t.Fatalf("%d groups, want %d: %v", len(out), len(want), out)
	}
	for _, o := range out {
		w := want[num(o["pr"])]
		got := agg{int(num(o["bytes_out"]) + num(o["bytes_in"])), int(num(o["packets"].(map[string]any)["b"])), int(num(o["count"]))}
		if w == nil || got != *w {
			t.Errorf("pr %v: got %+v, want %+v", o["pr"], got, w)
		}
	}
	// without --groupby: one line
	out = run(t, append([]string{"--where", "dp = 443", "--sum", "bytes_out"}, files...)...)
	var sum, n int
	for _, r := range recs {
		if num(r["dp"]) == 443 {
			sum += int(num(r["bytes_out"]))
			n++
		}
	}
	if len(out) != 1 || int(num(out[0]["bytes_out"])) != sum || int(num(out[0]["count"])) != n {
		t.Errorf("--sum bytes_out: %v, want %d over %d", out, sum, n)
	}
}

func TestWhereSelectMatchesIndependentFilter(t *testing.T) {
	files, recs := refRecords(t)
	var want []string
	for _, r := range recs {
		tls, _ := r["tls"].(map[string]any)
		big := false
		for _, p := range r["packets"].([]any) {
			if num(p.(map[string]any)["b"]) > 1000 {
				big = true
			}
		}
		if (tls != nil && num(tls["s_version"]) >= 2) || (num(r["pr"]) == 17 && big) {
			want = append(want, fmt.Sprintf("%v:%v>%v:%v", r["sa"], r["sp"], r["da"], r["dp"]))
		}
	}
	out := run(t, append([]string{"--where", "tls.s_version >= 2 or (pr = 17 and packets.b > 1000)", "--select", "sa,sp,da,dp"}, files...)...)
	var got []string
	for _, o := range out {
		if len(o) != 4 {
			t.Errorf("selected %v", o)
		}
		got = append(got, fmt.Sprintf("%v:%v>%v:%v", o["sa"], o["sp"], o["da"], o["dp"]))
	}
	if !reflect.DeepEqual(got, want) || len(want) == 0 {
		t.Errorf("got %v, want %v", got, want)
	}
	// plain output keeps the records byte for byte, in order
	var stdout, stderr bytes.Buffer
	if code := Main(append([]string{"--where", "dp = 443"}, files...), nil, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	var wantLines []string
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if strings.Contains(l, `"dp":443,`) && !strings.Contains(l, "end-config") {
				wantLines = append(wantLines, l)
			}
		}
	}
	if got := strings.Split(strings.TrimSpace(stdout.String()), "\n"); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("plain output differs from the input lines")
	}
}

// TestInputs: stdin, gzip, directories, the config record, blank and bad
// lines, --pretty.
func TestInputs(t *testing.T) {
	dir := t.TempDir()
	lines := `{"version":"2.1-dev","end-config":1}
{"sa":"a","dp":1,"n":{"x":[1,2]}}

{"sa":"b","dp":2}
`
	plain := filepath.Join(dir, "a.json")
	os.WriteFile(plain, []byte(lines), 0o644)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(lines))
	zw.Close()
	os.WriteFile(filepath.Join(sub, "b.json.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(sub, ".hidden"), []byte("garbage\n"), 0o644)

	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--select", "sa", dir}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got, want := stdout.String(), "{\"sa\":\"a\"}\n{\"sa\":\"b\"}\n{\"sa\":\"a\"}\n{\"sa\":\"b\"}\n"; got != want {
		t.Errorf("dir: %q, want %q", got, want)
	}
	stdout.Reset()
	if code := Main([]string{"--where", "n.x = 2", "--pretty"}, strings.NewReader(lines), &stdout, &stderr); code != 0 {
		t.Fatalf("stdin: exit %d", code)
	}
	if got, want := stdout.String(), "{\n  \"sa\": \"a\",\n  \"dp\": 1,\n  \"n\": {\n    \"x\": [\n      1,\n      2\n    ]\n  }\n}\n"; got != want {
		t.Errorf("pretty: %q, want %q", got, want)
	}
	// a line that is not JSON: reported, the rest still processed, status 1
	stdout.Reset()
	stderr.Reset()
	code := Main([]string{"--select", "sa", "-"}, strings.NewReader(lines+"not json\n[1]\n"), &stdout, &stderr)
	if code != 1 || strings.Count(stdout.String(), "\n") != 2 || !strings.Contains(stderr.String(), "-:5") {
		t.Errorf("bad lines: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	// a missing file
	stderr.Reset()
	if code := Main([]string{filepath.Join(dir, "nope.json")}, nil, &stdout, &stderr); code != 1 || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("missing file: exit %d, %q", code, stderr.String())
	}
	// dist of whole records, and of nothing selected
	stdout.Reset()
	in := "{\"a\":1}\n{\"a\":1}\n{\"b\":2}\n"
	Main([]string{"--dist"}, strings.NewReader(in), &stdout, &stderr)
	if got, want := stdout.String(), "{\"a\":1,\"count\":2,\"total\":3}\n{\"b\":2,\"count\":1,\"total\":3}\n"; got != want {
		t.Errorf("whole-record dist: %q, want %q", got, want)
	}
	stdout.Reset()
	Main([]string{"--groupby", "a", "--select", "b", "--dist"}, strings.NewReader(in), &stdout, &stderr)
	if got, want := stdout.String(), "{\"a\":1,\"count\":2,\"total\":2}\n{\"a\":null,\"b\":2,\"count\":1,\"total\":1}\n"; got != want {
		t.Errorf("group dist: %q, want %q", got, want)
	}
	stdout.Reset()
	Main([]string{"--sum", "x", "--where", "a = 5"}, strings.NewReader(in), &stdout, &stderr)
	if got, want := stdout.String(), "{\"x\":0,\"count\":0}\n"; got != want {
		t.Errorf("empty sum: %q, want %q", got, want)
	}
}

// TestBadUsage: a bad expression or option is one line on stderr and exit
// status 2, with nothing on stdout.
func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--where", "dp = "},
		{"--where", "dp 443"},
		{"--where", "(dp = 443"},
		{"--where", "dp = 443 and"},
		{"--where", "dp === 443"},
		{"--where", "dp = 'x"},
		{"--select", "a..b"},
		{"--groupby", "a b"},
		{"--dist", "--sum", "x"},
		{"--bogus"},
		{"--where"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(args, strings.NewReader(`{"dp":443}`+"\n"), &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || strings.Count(stderr.String(), "\n") != 1 || !strings.HasPrefix(stderr.String(), "joy sleuth: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"-h"}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "--where") {
		t.Errorf("-h: %d %q", code, stdout.String())
	}
}
