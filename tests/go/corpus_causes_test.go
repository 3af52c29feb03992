package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Flow-by-flow comparison of one output with the original's, and the
// causes every difference is explained by. The matching is joydiff's:
// flows are named by (sa, da, pr, sp, dp, time_start); two flows are
// identical when every member has the same value once the ignored members
// are dropped (numbers compare by value, key order does not count).

// flowRec is one flow line, decoded (nil when the line is not valid JSON).
type flowRec struct {
	line string
	obj  map[string]any
	key  string
}

var keyRE = map[string]*regexp.Regexp{}

func init() {
	for _, k := range []string{"sa", "da", "pr", "sp", "dp", "time_start"} {
		keyRE[k] = regexp.MustCompile(`"` + k + `":("[^"]*"|[^,}]*)`)
	}
}

// textKey names a flow from its text, for lines that are not valid JSON.
func textKey(line string) string {
	var parts []string
	for _, k := range []string{"sa", "da", "pr", "sp", "dp", "time_start"} {
		m := keyRE[k].FindStringSubmatch(line)
		if m == nil {
			parts = append(parts, "?")
			continue
		}
		parts = append(parts, strings.Trim(m[1], `"`))
	}
	return strings.Join(parts, "|")
}

func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		if f, err := x.Float64(); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return string(x)
	}
	return fmt.Sprint(v)
}

func objKey(o map[string]any) string {
	return strings.Join([]string{scalarText(o["sa"]), scalarText(o["da"]), scalarText(o["pr"]),
		scalarText(o["sp"]), scalarText(o["dp"]), scalarText(o["time_start"])}, "|")
}

func tupleOf(o map[string]any) string {
	return strings.Join([]string{scalarText(o["sa"]), scalarText(o["da"]), scalarText(o["pr"]),
		scalarText(o["sp"]), scalarText(o["dp"])}, "|")
}

func reverseTuple(o map[string]any) string {
	return strings.Join([]string{scalarText(o["da"]), scalarText(o["sa"]), scalarText(o["pr"]),
		scalarText(o["dp"]), scalarText(o["sp"])}, "|")
}

// parseFlows splits an output into flow records (the configuration line is
// left out), dropping the ignored top-level members and applying cuts.
func parseFlows(out []byte, cmp *comparison) []*flowRec {
	var fl []*flowRec
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) == "" || strings.Contains(l, `"end-config"`) {
			continue
		}
		f := &flowRec{line: l}
		d := json.NewDecoder(strings.NewReader(l))
		d.UseNumber()
		var o map[string]any
		if !json.Valid([]byte(l)) || d.Decode(&o) != nil || o == nil {
			f.key = textKey(l)
			fl = append(fl, f)
			continue
		}
		for _, k := range cmp.ignore {
			delete(o, k)
		}
		if cmp.cutSRLT != nil && cmp.cutSRLT(o) {
			if tls, ok := o["tls"].(map[string]any); ok {
				if s, ok := tls["srlt"].([]any); ok && len(s) > 21 {
					tls["srlt"] = s[:21]
				}
			}
		}
		f.obj, f.key = o, objKey(o)
		fl = append(fl, f)
	}
	return fl
}

// diffEntry is one difference inside a matched pair: kind is value,
// missing (in the reference only), extra (ours only), length or type.
type diffEntry struct {
	kind, path string
	ref, out   any
}

func numEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, e1 := a.Float64()
	y, e2 := b.Float64()
	return e1 == nil && e2 == nil && x == y
}

func diffValues(a, b any, path string, out *[]diffEntry) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, diffEntry{"type", path, a, b})
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if v, ok := y[k]; ok {
				diffValues(x[k], v, p, out)
			} else {
				*out = append(*out, diffEntry{"missing", p, x[k], nil})
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				p := k
				if path != "" {
					p = path + "." + k
				}
				*out = append(*out, diffEntry{"extra", p, nil, y[k]})
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok {
			*out = append(*out, diffEntry{"type", path, a, b})
			return
		}
		if len(x) != len(y) {
			*out = append(*out, diffEntry{"length", path, len(x), len(y)})
		}
		for i := 0; i < len(x) && i < len(y); i++ {
			diffValues(x[i], y[i], fmt.Sprintf("%s[%d]", path, i), out)
		}
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			*out = append(*out, diffEntry{"type", path, a, b})
		} else if !numEqual(x, y) {
			*out = append(*out, diffEntry{"value", path, a, b})
		}
	default:
		if fmt.Sprintf("%T", a) != fmt.Sprintf("%T", b) {
			*out = append(*out, diffEntry{"type", path, a, b})
		} else if a != b {
			*out = append(*out, diffEntry{"value", path, a, b})
		}
	}
}

// item is one flow that is not identical: a reference flow whose match
// differs or that has no match, or one of our flows without a match.
type item struct {
	kind  string // "differing", "missing", "extra"
	ref   *flowRec
	out   *flowRec
	diffs []diffEntry
	cause string
}

// matchFlows pairs reference and output flows as joydiff does (a reference
// flow takes the unused output flow of the same name with the fewest
// differences) and returns the identical count and the other items.
// Reference lines that are not valid JSON are returned as "missing" items
// with a nil obj.
func matchFlows(ref, out []*flowRec) (identical int, items []*item) {
	byKey := map[string][]*flowRec{}
	for _, f := range out {
		if f.obj != nil {
			byKey[f.key] = append(byKey[f.key], f)
		}
	}
	used := map[*flowRec]bool{}
	for _, r := range ref {
		if r.obj == nil {
			items = append(items, &item{kind: "missing", ref: r})
			continue
		}
		var best *flowRec
		var bestD []diffEntry
		for _, c := range byKey[r.key] {
			if used[c] {
				continue
			}
			var d []diffEntry
			diffValues(r.obj, c.obj, "", &d)
			if best == nil || len(d) < len(bestD) {
				best, bestD = c, d
			}
		}
		switch {
		case best == nil:
			items = append(items, &item{kind: "missing", ref: r})
		case len(bestD) == 0:
			used[best] = true
			identical++
		default:
			used[best] = true
			items = append(items, &item{kind: "differing", ref: r, out: best, diffs: bestD})
		}
	}
	for _, f := range out {
		if !used[f] {
			items = append(items, &item{kind: "extra", out: f})
		}
	}
	return identical, items
}

// ---------------------------------------------------------------------------
// Causes

// facts are what the classifiers know about one capture and one path.
type facts struct {
	capture string
	// counter holds our flows for the capture rewritten as the original
	// saw it: only Ethernet frames it decoded (IPv4, or IPv4 behind one
	// 802.1Q tag); other frames its "ip or vlan" filter passed become
	// ignorable tagged ARP frames (they still count for the drain
	// cadence); the rest is left out. Keyed by flow name and by 5-tuple.
	counterByKey  map[string][]*flowRec
	counterTuples map[string]bool
	shortFrames   bool // frames shorter than their IP datagram, accepted (fix 5)
}

// cause is a reason for a difference with the compatibility row(s) it maps to.
type cause struct {
	name string
	rows string // rows of docs/compatibility.md
	test func(it *item, f *facts) bool
}

// onlyUnder says whether every difference lies under one of the prefixes.
func onlyUnder(d []diffEntry, prefixes ...string) bool {
	if len(d) == 0 {
		return false
	}
	for _, e := range d {
		ok := false
		for _, p := range prefixes {
			if e.path == p || strings.HasPrefix(e.path, p+".") || strings.HasPrefix(e.path, p+"[") {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func num(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

var srltIndex = regexp.MustCompile(`^tls\.srlt\[(\d+)\]`)

// The causes, in the order they are tried. Each is small on purpose: the
// reader should be able to check it against the row it names.
var causes = []cause{
	{
		// The server chose TLS 1.3 in supported_versions; the original
		// printed the hello's 1.2.
		name: "TLS 1.3 negotiated version", rows: "39",
		test: func(it *item, _ *facts) bool {
			if it.kind != "differing" || !onlyUnder(it.diffs, "tls.s_version", "tls.c_version") {
				return false
			}
			for _, d := range it.diffs {
				r, _ := num(d.ref)
				o, _ := num(d.out)
				if d.kind != "value" || r != 5 || o != 6 {
					return false
				}
			}
			return true
		},
	},
	{
		// A record header split over two packets: the original read its
		// length's second byte past the payload (heap garbage), we read
		// 0; the entries after it are garbage in both.
		name: "TLS record header read past the packet", rows: "40",
		test: func(it *item, _ *facts) bool {
			if it.kind != "differing" || !onlyUnder(it.diffs, "tls.srlt") {
				return false
			}
			first := -1
			for _, d := range it.diffs {
				if m := srltIndex.FindStringSubmatch(d.path); m != nil {
					i, _ := strconv.Atoi(m[1])
					if first < 0 || i < first {
						first = i
					}
				}
			}
			if first < 0 {
				return false
			}
			r := it.ref.obj["tls"].(map[string]any)["srlt"].([]any)[first].(map[string]any)
			o := it.out.obj["tls"].(map[string]any)["srlt"].([]any)[first].(map[string]any)
			rb, ok1 := num(r["b"])
			ob, ok2 := num(o["b"])
			return ok1 && ok2 && int(rb)>>8 == int(ob)>>8 && int(ob)&0xff == 0 && rb != ob
		},
	},
	{
		// The original's DNS parser stopped on a malformed record after
		// reading past the payload; we read zeros there.
		name: "DNS read past the payload", rows: "33",
		test: func(it *item, _ *facts) bool {
			return it.kind == "differing" && onlyUnder(it.diffs, "dns") &&
				strings.Contains(it.ref.line, `"malformed"`)
		},
	},
	{
		// Exact mean from the counts against the original's running mean
		// that missed a rounding tie.
		name: "byte_dist_mean rounding tie", rows: "37",
		test: func(it *item, _ *facts) bool {
			if it.kind != "differing" || len(it.diffs) != 1 || it.diffs[0].path != "byte_dist_mean" {
				return false
			}
			r, _ := num(it.diffs[0].ref)
			o, _ := num(it.diffs[0].out)
			return math.Abs(r-o) < 1.5e-6
		},
	},
	{
		// Frames shorter than their IP datagram: the missing bytes are
		// zeros here and whatever lay past the capture buffer there, so
		// only the members made of payload bytes differ, with zeros here.
		name: "bytes past the frame read as zeros", rows: "5",
		test: func(it *item, f *facts) bool {
			if it.kind != "differing" || !f.shortFrames ||
				!onlyUnder(it.diffs, "byte_dist", "byte_dist_mean", "byte_dist_std", "entropy", "total_entropy", "wht", "p_malware", "payload", "hd") {
				return false
			}
			for _, d := range it.diffs {
				switch {
				case strings.HasPrefix(d.path, "byte_dist["):
					// Ours has more zero bytes, no more of any other value.
					r, _ := num(d.ref)
					o, _ := num(d.out)
					if (d.path == "byte_dist[0]") != (o > r) {
						return false
					}
				case strings.HasPrefix(d.path, "payload."):
					if strings.Trim(scalarText(d.out), "0") != "" {
						return false
					}
				}
			}
			return true
		},
	},
	{
		// Our flows are identical to the original's once the frames it
		// ignored (IPv6, QinQ, MPLS, PPPoE, other link types) are taken
		// out of the capture: those frames advanced our clock, so flows
		// expired (or were cut) where the original's did not.
		name: "clock advanced by frames the original ignored", rows: "2, 3, 19",
		test: func(it *item, f *facts) bool {
			switch it.kind {
			case "differing", "missing":
				if it.ref.obj == nil {
					return false
				}
				for _, c := range f.counterByKey[it.ref.key] {
					var d []diffEntry
					diffValues(it.ref.obj, c.obj, "", &d)
					if len(d) == 0 {
						return true
					}
				}
			case "extra":
				// A piece of a flow cut by the advanced clock: the flow
				// exists without those frames, but not this piece.
				o := it.out.obj
				return o != nil && len(f.counterByKey[it.out.key]) == 0 &&
					(f.counterTuples[tupleOf(o)] || f.counterTuples[reverseTuple(o)])
			}
			return false
		},
	},
	{
		name: "IPv6 flow the original ignored", rows: "2",
		test: func(it *item, _ *facts) bool {
			return it.kind == "extra" && it.out.obj != nil && strings.Contains(scalarText(it.out.obj["sa"]), ":")
		},
	},
	{
		// No flow of this 5-tuple remains once the frames the original
		// could not decode are taken out.
		name: "flow of frames the original did not decode (QinQ, MPLS, PPPoE, other link types)", rows: "3",
		test: func(it *item, f *facts) bool {
			o := it.out
			return it.kind == "extra" && o.obj != nil && !f.counterTuples[tupleOf(o.obj)] && !f.counterTuples[reverseTuple(o.obj)]
		},
	},
}

// invalidJSON is the cause of a reference line that is not JSON (DNS
// question errors, QUIRK-37; DHCP options without value, QUIRK-42) paired
// by name with one of our flows (valid JSON, like every line we write).
const invalidJSON = "the original wrote invalid JSON"

// readerDifferences are captures the original's libpcap read differently
// from both of today's readers (ours in the joy command, the host's
// libpcap 1.10 in the C path), with what differs. Row 18.
var readerDifferences = map[string]string{
	"malformed/suricata-bug-1450-04-tls_DER-incomplete-header.pcap": "a 4 MB record: today's readers stop there, the original's libpcap read 7 more packets",
	"malformed/gopacket-pcapng-le-test901.pcapng":                   "a pcapng section of version 2.0: today's readers stop there, the original's libpcap read its packet",
	"gopacket-pcapng-le-test100.pcapng":                             "simple packet blocks without timestamps and a second link type: the original's libpcap drained the first flow before the third packet",
}

const readerCause = "the original's libpcap read the file differently"

// classify gives every item a cause, or leaves it empty when none fits. A
// reference line that is not JSON and our flow of the same name become one
// item.
func classify(items []*item, f *facts) []*item {
	extras := map[string][]*item{}
	for _, it := range items {
		if it.kind == "extra" && it.out.obj != nil {
			extras[it.out.key] = append(extras[it.out.key], it)
		}
	}
	paired := map[*item]bool{}
	for _, it := range items {
		if it.kind == "missing" && it.ref.obj == nil {
			for _, e := range extras[it.ref.key] {
				if !paired[e] {
					paired[e] = true
					it.out, it.kind, it.cause = e.out, "differing", invalidJSON
					break
				}
			}
		}
	}
	kept := items[:0]
	for _, it := range items {
		if !paired[it] {
			kept = append(kept, it)
		}
	}
	items = kept
	for _, it := range items {
		if it.cause != "" {
			continue
		}
		for _, c := range causes {
			if c.test(it, f) {
				it.cause = c.name
				break
			}
		}
		if it.cause == "" {
			if _, ok := readerDifferences[f.capture]; ok {
				it.cause = readerCause
			}
		}
	}
	return items
}

func causeRows(name string) string {
	switch name {
	case readerCause:
		return "18"
	case invalidJSON:
		return "33, 34"
	}
	for _, c := range causes {
		if c.name == name {
			return c.rows
		}
	}
	return "?"
}

// describe is a short text of an unexplained item for the failure message.
func (it *item) describe() string {
	var b bytes.Buffer
	switch it.kind {
	case "differing":
		if it.ref.obj == nil {
			fmt.Fprintf(&b, "invalid reference line %s", it.ref.key)
			break
		}
		fmt.Fprintf(&b, "differing %s:", it.ref.key)
		for i, d := range it.diffs {
			if i == 6 {
				fmt.Fprintf(&b, " …(%d)", len(it.diffs))
				break
			}
			fmt.Fprintf(&b, " %s %s (%v → %v);", d.kind, d.path, clip(d.ref), clip(d.out))
		}
	case "missing":
		fmt.Fprintf(&b, "missing %s", it.ref.key)
	case "extra":
		fmt.Fprintf(&b, "extra %s", it.out.key)
	}
	return b.String()
}

func clip(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
