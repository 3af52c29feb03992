package plot

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// elem is a parsed SVG element with the context of its enclosing <g id>.
type elem struct {
	name  string
	attrs map[string]string
	group string // id of the innermost enclosing <g> with an id
	text  string // character data directly inside (for <text>, <title>)
	title string // text of a <title> child
}

// parseSVG decodes the document with encoding/xml, checking that it is
// well-formed SVG, and lists its elements.
func parseSVG(t *testing.T, doc []byte) (root elem, els []*elem) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*elem
	var groups []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			e := &elem{name: x.Name.Local, attrs: map[string]string{}}
			for _, a := range x.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if x.Name.Space != "http://www.w3.org/2000/svg" || x.Name.Local != "svg" {
					t.Fatalf("root element %v, want svg in the SVG namespace", x.Name)
				}
				root = *e
			}
			if len(groups) > 0 {
				e.group = groups[len(groups)-1]
			}
			if e.name == "g" {
				groups = append(groups, e.attrs["id"])
			}
			stack = append(stack, e)
			els = append(els, e)
		case xml.EndElement:
			e := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if e.name == "g" {
				groups = groups[:len(groups)-1]
			}
			if e.name == "title" && len(stack) > 0 {
				stack[len(stack)-1].title = e.text
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(x)
			}
		}
	}
	return root, els
}

func byClass(els []*elem, class string) []*elem {
	var out []*elem
	for _, e := range els {
		if e.name == "rect" && e.attrs["class"] == class {
			out = append(out, e)
		}
	}
	return out
}

func attr(t *testing.T, e *elem, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attrs[name], 64)
	if err != nil {
		t.Fatalf("%s %s=%q: %v", e.name, name, e.attrs[name], err)
	}
	return v
}

func TestSVGStructure(t *testing.T) {
	rec := `{"sa":"10.0.0.1","da":"10.0.0.2","pr":6,"sp":5555,"dp":443,"bytes_out":1600,"num_pkts_out":4,"bytes_in":3000,"num_pkts_in":3,` +
		`"time_start":1.000000,"time_end":1.500000,"packets":[{"b":100,"dir":">","ipt":2},{"b":1500,"dir":"<","ipt":10},` +
		`{"b":1500,"dir":"<","ipt":0},{"b":1500,"dir":">","ipt":30},{"rep":65436,"dir":">","ipt":5}],` +
		`"byte_dist":[` + strings.Repeat("0,", 65) + `7,` + strings.Repeat("0,", 189) + `3],"p_malware":0.25}`
	var buf bytes.Buffer
	if err := Write(&buf, []byte(rec), Options{}); err != nil {
		t.Fatal(err)
	}
	root, els := parseSVG(t, buf.Bytes())
	if root.attrs["width"] != "960" || root.attrs["viewBox"] == "" {
		t.Errorf("root attributes %v", root.attrs)
	}
	out, in, bd := byClass(els, "out"), byClass(els, "in"), byClass(els, "bd")
	if len(out) != 3 || len(in) != 2 {
		t.Fatalf("%d out and %d in bars, want 3 and 2", len(out), len(in))
	}
	for _, e := range append(append([]*elem{}, out...), in...) {
		if e.group != "splt" {
			t.Errorf("bar outside <g id=splt>: %v", e)
		}
	}
	// out bars end on the axis from above, in bars start on it; heights
	// follow the lengths; x follows time
	axis := attr(t, out[0], "y") + attr(t, out[0], "height")
	for _, e := range out {
		if y := attr(t, e, "y") + attr(t, e, "height"); y != axis {
			t.Errorf("out bar bottom %g, want the axis %g", y, axis)
		}
	}
	for _, e := range in {
		if y := attr(t, e, "y"); y != axis {
			t.Errorf("in bar top %g, want the axis %g", y, axis)
		}
	}
	if h0, h1 := attr(t, out[0], "height"), attr(t, out[1], "height"); h1 < 14*h0 || h1 > 16*h0 {
		t.Errorf("heights %g and %g for 100 and 1500 bytes", h0, h1)
	}
	if out[0].title != "#1 out 100 bytes at 2 ms (ipt 2)" || out[2].title != "#5 out 100 bytes at 47 ms (ipt 5)" {
		t.Errorf("titles %q, %q", out[0].title, out[2].title)
	}
	if in[0].attrs["x"] != in[1].attrs["x"] {
		t.Errorf("two packets at the same time drawn at different x")
	}
	if !(attr(t, out[0], "x") < attr(t, in[0], "x") && attr(t, in[0], "x") < attr(t, out[1], "x") && attr(t, out[1], "x") < attr(t, out[2], "x")) {
		t.Errorf("x does not follow time")
	}
	// byte distribution: one bar per non-zero count, height by count
	if len(bd) != 2 || bd[0].group != "bd" || bd[0].title != "0x41 'A': 7 (70.00%)" || bd[1].title != "0xff: 3 (30.00%)" {
		t.Fatalf("bd bars %d: %+v", len(bd), bd)
	}
	if h0, h1 := attr(t, bd[0], "height"), attr(t, bd[1], "height"); h0/h1 < 2.3 || h0/h1 > 2.4 {
		t.Errorf("bd heights %g, %g for 7 and 3", h0, h1)
	}
	var title, sub string
	for _, e := range els {
		switch e.attrs["id"] {
		case "title":
			title = e.text
		case "subtitle":
			sub = e.text
		}
	}
	if title != "10.0.0.1:5555 → 10.0.0.2:443  TCP" || !strings.Contains(sub, "p_malware 0.250000") {
		t.Errorf("title %q, subtitle %q", title, sub)
	}

	// by index: evenly spaced
	buf.Reset()
	Write(&buf, []byte(rec), Options{XAxis: "index", Width: 500})
	root, els = parseSVG(t, buf.Bytes())
	if root.attrs["width"] != "500" {
		t.Errorf("width %q", root.attrs["width"])
	}
	var xs []float64
	for _, e := range els {
		if e.name == "rect" && (e.attrs["class"] == "out" || e.attrs["class"] == "in") {
			xs = append(xs, attr(t, e, "x"))
		}
	}
	for i := 2; i < len(xs); i++ {
		if d1, d2 := xs[i]-xs[i-1], xs[1]-xs[0]; d1 < d2-0.02 || d1 > d2+0.02 {
			t.Errorf("index axis not evenly spaced: %v", xs)
		}
	}
}

// TestSVGEdgeCases: one-sided flows, no packets, no byte_dist, odd
// addresses, all escaped and well-formed.
func TestSVGEdgeCases(t *testing.T) {
	for _, rec := range []string{
		`{"sa":"a<&>\"b","da":"::1","pr":58,"sp":null,"dp":null,"bytes_out":0,"num_pkts_out":1,"time_start":5.000001,"time_end":5.000001,"packets":[]}`,
		`{"sa":"1.2.3.4","da":"5.6.7.8","pr":17,"sp":1,"dp":2,"bytes_out":10,"num_pkts_out":2,"time_start":5.0,"time_end":5.0,"packets":[{"b":5,"dir":"<","ipt":0},{"b":5,"dir":"<","ipt":0}],"byte_dist":[1,2]}`,
		`{"sa":"1.2.3.4","da":"5.6.7.8","pr":6,"sp":1,"dp":2,"bytes_out":10,"num_pkts_out":2,"bytes_in":0,"num_pkts_in":1,"time_start":5.0,"time_end":5.0,"packets":[{"b":0,"dir":">","ipt":4294967295}]}`,
	} {
		var buf bytes.Buffer
		if err := Write(&buf, []byte(rec), Options{Title: "x & <y>"}); err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		_, els := parseSVG(t, buf.Bytes())
		if !bytes.Contains(buf.Bytes(), []byte("x &amp; &lt;y&gt;")) {
			t.Errorf("title not escaped")
		}
		var f struct{ Packets []map[string]any }
		json.Unmarshal([]byte(rec), &f)
		if n := len(byClass(els, "out")) + len(byClass(els, "in")); n != len(f.Packets) {
			t.Errorf("%d bars for %d packets", n, len(f.Packets))
		}
		if len(byClass(els, "in")) != 0 {
			t.Errorf("in bars in a flow with no in packets")
		}
		if len(byClass(els, "bd")) != 0 || !bytes.Contains(buf.Bytes(), []byte("no byte_dist")) {
			t.Errorf("byte_dist panel of a record without a 256-value byte_dist")
		}
	}
	if err := Write(io.Discard, []byte(`{"version":"1","end-config":1}`), Options{}); err == nil {
		t.Error("the config record was drawn")
	}
	if err := Write(io.Discard, []byte(`not json`), Options{}); err == nil {
		t.Error("non-JSON drawn")
	}
}

// TestMainOnReference selects flows of the original's records by --where
// and --index and checks the bars against each record.
func TestMainOnReference(t *testing.T) {
	dir := filepath.Join(tu.NeedShared(t), "ref", "697dc5a")
	input := filepath.Join(dir, "b_bidir", "firefox58.json")
	out := filepath.Join(t.TempDir(), "flow.svg")
	for _, tc := range []struct {
		args []string
		want string // a fragment of the chosen record
	}{
		{[]string{"--where", "dp = 443 and bytes_in > 5000", input}, `"bytes_in":5254,`},
		{[]string{"--where", "dp = 443", "--index", "2", input}, ""},
		{[]string{input}, ""},
		{[]string{"--index", "3", filepath.Join(dir, "d_bd_entropy_idp", "tls12.json"), input}, ""},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(append([]string{"-o", out}, tc.args...), nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%q: exit %d: %s", tc.args, code, stderr.String())
		}
		// which record: "joy plot: FILE:LINE → OUT"
		src := strings.TrimPrefix(strings.Fields(stderr.String())[2], "")
		file, line, _ := strings.Cut(src, ":")
		n, _ := strconv.Atoi(line)
		data, _ := os.ReadFile(file)
		rec := strings.Split(string(data), "\n")[n-1]
		if !strings.Contains(rec, tc.want) {
			t.Errorf("%q chose %s", tc.args, rec)
		}
		f, err := Parse([]byte(rec))
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := os.ReadFile(out)
		_, els := parseSVG(t, doc)
		var nOut, nIn int
		for _, p := range f.Packets {
			if p.Out {
				nOut++
			} else {
				nIn++
			}
		}
		if len(byClass(els, "out")) != nOut || len(byClass(els, "in")) != nIn {
			t.Errorf("%q: %d/%d bars, want %d/%d", tc.args, len(byClass(els, "out")), len(byClass(els, "in")), nOut, nIn)
		}
		nz := 0
		for _, c := range f.ByteDist {
			if c != 0 {
				nz++
			}
		}
		if len(byClass(els, "bd")) != nz {
			t.Errorf("%q: %d bd bars, want %d", tc.args, len(byClass(els, "bd")), nz)
		}
	}
	// to stdout
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--index", "1"}, strings.NewReader(mustRead(t, input)), &stdout, &stderr); code != 0 || !bytes.HasPrefix(stdout.Bytes(), []byte("<?xml")) {
		t.Errorf("stdin → stdout: %d %q", code, stderr.String())
	}
	// no such record: 1; bad options: 2, one line each
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--index", "1000", input}, 1},
		{[]string{"--where", "dp = 1", input}, 1},
		{[]string{"/nonexistent.json"}, 1},
		{[]string{"--where", "dp = (", input}, 2},
		{[]string{"--x", "log", input}, 2},
		{[]string{"--index", "-1", input}, 2},
		{[]string{"--nope", input}, 2},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(tc.args, nil, &stdout, &stderr); code != tc.code || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
			t.Errorf("%q: exit %d (want %d), stderr %q", tc.args, code, tc.code, stderr.String())
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
