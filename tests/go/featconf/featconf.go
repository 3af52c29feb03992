// Package featconf is the conformance harness shared by the tests of the
// wht, payload, salt and ppi modules.
package featconf

// Conformance with the original (cisco/joy 697dc5a): the 14 Joy captures
// against ref/697dc5a/x_all_features and every capture of the shared corpus
// against ref/697dc5a/corpus_x, both produced with
//
//	bidir=1 tls=1 http=1 dns=1 ssh=1 dhcp=1 ike=1 dist=1 entropy=1 idp=1300
//	classify=1 hd=1 wht=1 salt=1 ppi=1 payload=1 zeros=1 retrans=1 num_pkts=199
//
// The captures are run with the options that matter to this module's
// members; flows are matched on sa, da, pr, sp, dp and time_start (our IPv6
// flows, which the original never produced, are dropped) and the members
// are compared byte for byte. A difference is explained when the flow's
// inputs already differ (bytes, packet counts, packets or byte_dist: a
// decoding or flow-table difference upstream of the module); any other
// difference fails the test. The harness is the same in the wht, payload,
// salt and ppi packages; only the member list differs.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// knownKeys are the members looked for in lines that are not valid JSON.
var knownKeys = append([]string{"wht", "payload", "oseq", "oack", "iseq", "iack", "ppi"}, inputs...)

// inputs holds the members that tell whether a flow's input differs.
var inputs = []string{"bytes_out", "bytes_in", "num_pkts_out", "num_pkts_in", "packets", "byte_dist"}

// ordered lists keys whose relative order is checked (those printed by
// the flow table and the wht, payload, salt and ppi modules).
var ordered = []string{"ip", "tcp", "wht", "payload", "oseq", "oack", "iseq", "iack", "ppi", "probable_os", "debug", "expire_type"}

func testConfig() *joy.Config {
	return &joy.Config{Type: 1, Verbosity: 4, Bidir: true, Zeros: true, Retrans: true, Dist: true,
		WHT: true, Payload: 1, Salt: true, PPI: true}
}

var keyRE = regexp.MustCompile(`^\{"sa":"([^"]*)","da":"([^"]*)","pr":(\d+),"sp":(\w+),"dp":(\w+),.*?"time_start":([0-9.]+)`)

type flowLine struct {
	keys []string                   // top-level keys in order (as far as the line parses)
	vals map[string]json.RawMessage // their values, byte for byte
}

// parseLine reads the top-level members of a flow line in order. The
// original writes a few invalid lines (DNS, QUIRK-37); their members after
// the damage are then found by their `,"name":` text.
func parseLine(l string) flowLine {
	f := flowLine{vals: map[string]json.RawMessage{}}
	dec := json.NewDecoder(strings.NewReader(l))
	if _, err := dec.Token(); err != nil {
		return f
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		f.keys = append(f.keys, k)
		f.vals[k] = v
	}
	if json.Valid([]byte(l)) {
		return f
	}
	for _, k := range knownKeys {
		if _, ok := f.vals[k]; ok {
			continue
		}
		i := strings.Index(l, `,"`+k+`":`)
		if i < 0 {
			continue
		}
		var v json.RawMessage
		if json.NewDecoder(strings.NewReader(l[i+len(k)+4:])).Decode(&v) == nil {
			f.vals[k] = v
			f.keys = nil // order unknown
		}
	}
	return f
}

// parseOutput returns the flow lines of JSON-lines output by flow key.
func parseOutput(tb testing.TB, out []byte, ours bool) map[string][]flowLine {
	tb.Helper()
	m := map[string][]flowLine{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for sc.Scan() {
		l := sc.Text()
		if ours && !json.Valid([]byte(l)) {
			tb.Errorf("invalid JSON line: %.300s", l)
		}
		k := keyRE.FindStringSubmatch(l)
		if k == nil || strings.Contains(k[1], ":") {
			continue
		}
		key := strings.Join(k[1:], " ")
		m[key] = append(m[key], parseLine(l))
	}
	return m
}

type tally struct {
	members                 []string
	same, explained, differ map[string]int
	missing, flows          int
	shown                   int
}

func newTally(members []string) *tally {
	return &tally{members: members, same: map[string]int{}, explained: map[string]int{}, differ: map[string]int{}}
}

func orderOf(keys []string, other map[string]json.RawMessage) []string {
	var o []string
	for _, k := range keys {
		if _, ok := other[k]; !ok {
			continue
		}
		for _, x := range ordered {
			if k == x {
				o = append(o, k)
			}
		}
	}
	return o
}

// compare runs one capture and compares it with its reference.
func (t *tally) compare(tb testing.TB, pcap, ref string) {
	tb.Helper()
	want, err := os.ReadFile(ref)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	ctx := joy.NewContext(testConfig(), &buf, nil)
	ctx.WriteConfig(true)
	if err := ctx.ProcessCapture(pcap); err != nil {
		tb.Logf("%s: %v", filepath.Base(pcap), err)
	}
	got := parseOutput(tb, buf.Bytes(), true)
	ref2 := parseOutput(tb, want, false)
	keys := make([]string, 0, len(ref2))
	for k := range ref2 {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, g := ref2[k], got[k]
		if len(g) != len(w) {
			t.missing += len(w)
			continue
		}
		for i := range w {
			t.flows++
			upstream := ""
			for _, c := range inputs {
				if string(g[i].vals[c]) != string(w[i].vals[c]) {
					upstream = c
					break
				}
			}
			for _, m := range t.members {
				a, b := g[i].vals[m], w[i].vals[m]
				switch {
				case string(a) == string(b):
					t.same[m]++
				case upstream != "":
					t.explained[m]++
				default:
					t.differ[m]++
					if t.shown < 10 {
						t.shown++
						tb.Errorf("%s flow %s member %q:\n got %.1000s\nwant %.1000s", filepath.Base(pcap), k, m, a, b)
					}
				}
			}
			if w[i].keys != nil && upstream == "" {
				og, ow := orderOf(g[i].keys, w[i].vals), orderOf(w[i].keys, g[i].vals)
				if strings.Join(og, ",") != strings.Join(ow, ",") {
					tb.Errorf("%s flow %s: key order %v, want %v", filepath.Base(pcap), k, og, ow)
				}
			}
		}
	}
}

func (t *tally) report(tb testing.TB, what string) {
	tb.Helper()
	for _, m := range t.members {
		tb.Logf("%s %q: %d identical, %d differing with differing input (explained), %d differing (unexplained)",
			what, m, t.same[m], t.explained[m], t.differ[m])
	}
	tb.Logf("%s: %d flows compared, %d reference flows without a match (flow-table differences)", what, t.flows, t.missing)
	if t.flows == 0 {
		tb.Errorf("%s: no flow compared", what)
	}
}

// AllFeatures compares members over the 14 Joy captures with
// ref/697dc5a/x_all_features; any difference fails.
func AllFeatures(t *testing.T, members []string) {
	shared := tu.NeedShared(t)
	pcaps, err := filepath.Glob(filepath.Join(shared, "pcaps", "joy-*.pcap"))
	if err != nil || len(pcaps) == 0 {
		t.Skipf("no joy-*.pcap under %s/pcaps", shared)
	}
	tl := newTally(members)
	for _, p := range pcaps {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "joy-"), ".pcap")
		tl.compare(t, p, filepath.Join(shared, "ref", "697dc5a", "x_all_features", name+".json"))
	}
	tl.report(t, "x_all_features")
	if tl.missing != 0 {
		t.Errorf("%d reference flows without a match", tl.missing)
	}
	for _, m := range members {
		if tl.explained[m] != 0 {
			t.Errorf("%q: %d differences on the Joy captures", m, tl.explained[m])
		}
	}
}

// Corpus compares members over every corpus capture with a reference in
// ref/697dc5a/corpus_x; differences whose inputs also differ are counted
// as explained, any other fails.
func Corpus(t *testing.T, members []string) {
	if testing.Short() {
		t.Skip("-short: the corpus run takes minutes under -race")
	}
	shared := tu.NeedShared(t)
	refDir := filepath.Join(shared, "ref", "697dc5a", "corpus_x")
	root := filepath.Join(shared, "pcaps")
	tl := newTally(members)
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".md") {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		name := strings.ReplaceAll(filepath.ToSlash(rel), "/", "__")
		name = strings.TrimSuffix(name, filepath.Ext(name))
		ref := filepath.Join(refDir, name+".json")
		if _, err := os.Stat(filepath.Join(refDir, name+".exitcode")); err == nil {
			return nil // the original crashed or refused the link type
		}
		if _, err := os.Stat(ref); err != nil {
			return nil
		}
		n++
		tl.compare(t, p, ref)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Skipf("no corpus capture with a reference under %s", root)
	}
	tl.report(t, "corpus_x")
}
