// Package udpconf is the conformance harness of the dns and dhcp modules:
// their member of every flow against the original's output, with the
// original's invalid JSON repaired first and the flows where the original
// read past a payload allowed to differ.
package udpconf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// The conformance tests run captures through the whole library with the
// reference's c_allproto options and compare one module's member of every
// flow with the original's output (JOY_SHARED/ref/697dc5a).

// Module describes the module under test.
type Module struct {
	// Member is the module's JSON member ("dns").
	Member string
	// Repairs turn the original's invalid text into what we print
	// instead; the repaired reference is then compared like any other.
	Repairs []Repair
	// MinLen is the shortest UDP payload the module parses.
	MinLen int
	// ReadsBeyond reports whether the original's parser read past the end
	// of a payload (and so printed whatever followed it in memory, where
	// we read zeros): such flows may differ.
	ReadsBeyond func(payload []byte) bool
}

// Repair is one rewrite of a reference line.
type Repair struct {
	RE   *regexp.Regexp
	With string
}

func allProto() *joy.Config {
	return &joy.Config{Type: 1, Verbosity: 4, Bidir: true, TLS: true, HTTP: true, DNS: true, SSH: true, DHCP: true, IKE: true}
}

// flowKey identifies a flow line.
type flowKey struct {
	sa, da, pr, sp, dp, ts string
}

type flowLine struct {
	key flowKey
	obj map[string]json.RawMessage // nil when the line is not valid JSON
	raw string
}

var keyRE = regexp.MustCompile(`^\{"sa":"([^"]*)","da":"([^"]*)","pr":(\d+),"sp":(\d+),"dp":(\d+),.*?"time_start":(-?[0-9.]+)`)

// parseLines splits JSON-lines output into flow lines (the configuration
// line and IPv6 flows dropped).
func parseLines(out []byte) []flowLine {
	var fl []flowLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		l := sc.Text()
		m := keyRE.FindStringSubmatch(l)
		if m == nil || strings.Contains(m[1], ":") {
			continue
		}
		f := flowLine{key: flowKey{m[1], m[2], m[3], m[4], m[5], m[6]}, raw: l}
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(l), &obj) == nil {
			f.obj = obj
		}
		fl = append(fl, f)
	}
	return fl
}

// run processes a capture with the c_allproto options.
func run(tb testing.TB, path string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	ctx := joy.NewContext(allProto(), &buf, nil)
	ctx.WriteConfig(true)
	if err := ctx.ProcessCapture(path); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return buf.Bytes()
}

func (m *Module) repair(l string) string {
	for _, r := range m.Repairs {
		l = r.RE.ReplaceAllString(l, r.With)
	}
	return l
}

// A diff is one flow whose member differs.
type diff struct {
	key  flowKey
	text string
	// why is set when the difference is explained without this module:
	// the flow itself differs (other packets reached it).
	why string
}

// result of comparing one capture.
type result struct {
	same     int // flows whose member is identical (present in either)
	missing  int // reference flows with the member absent from our output
	invalid  int // reference lines with the member that are invalid JSON
	repaired int // of which repaired and compared
	untimed  int // reference flows matched without time_start
	diffs    []diff
	notes    []string // missing flows, unrepairable lines
	fatal    []string // our invalid lines
}

func decodeJSON(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err.Error()
	}
	return v
}

// flowCounters are the members that show whether the flow saw the same
// packets.
var flowCounters = []string{"bytes_out", "num_pkts_out", "bytes_in", "num_pkts_in"}

// compare compares the member of every reference flow with ours.
func (m *Module) compare(ref, out []byte) result {
	member := m.Member
	var res result
	// Flows are matched on sa, da, pr, sp, dp and time_start; a flow whose
	// time_start differs (a capture-reader difference, not a module one)
	// is matched on the others and its order of appearance.
	ours := map[flowKey][]flowLine{}
	byTuple := map[flowKey][]flowLine{}
	for _, f := range parseLines(out) {
		if f.obj == nil {
			res.fatal = append(res.fatal, "our line is not valid JSON: "+f.raw)
		}
		ours[f.key] = append(ours[f.key], f)
		k := f.key
		k.ts = ""
		byTuple[k] = append(byTuple[k], f)
	}
	used := map[flowKey]int{}
	for _, r := range parseLines(ref) {
		if r.obj == nil {
			if !strings.Contains(r.raw, `"`+member+`":[`) {
				continue // invalid for other reasons; not ours to judge
			}
			res.invalid++
			var obj map[string]json.RawMessage
			if json.Unmarshal([]byte(m.repair(r.raw)), &obj) != nil {
				res.notes = append(res.notes, "unrepairable reference line: "+r.raw)
				continue
			}
			res.repaired++
			r.obj = obj
		}
		k := r.key
		if len(ours[k]) == 0 {
			k.ts = ""
		}
		var cands []flowLine
		if k.ts == "" {
			cands = byTuple[k]
			if r.obj[member] != nil {
				res.untimed++
			}
		} else {
			cands = ours[k]
		}
		i := used[k]
		used[k]++
		if i >= len(cands) {
			if r.obj[member] != nil {
				res.missing++
				res.notes = append(res.notes, "flow missing from our output: "+r.raw[:min(len(r.raw), 200)])
			}
			continue
		}
		o := cands[i]
		if o.obj == nil || (r.obj[member] == nil && o.obj[member] == nil) {
			continue
		}
		if reflect.DeepEqual(decodeJSON(r.obj[member]), decodeJSON(o.obj[member])) {
			res.same++
			continue
		}
		d := diff{key: r.key, text: keyLine(r.key) + "\n  ref: " + string(r.obj[member]) + "\n  our: " + string(o.obj[member])}
		for _, c := range flowCounters {
			if string(r.obj[c]) != string(o.obj[c]) {
				d.why = "the flow saw other packets (" + c + " " + string(r.obj[c]) + " vs " + string(o.obj[c]) + "): not this module"
				break
			}
		}
		res.diffs = append(res.diffs, d)
	}
	return res
}

func keyLine(k flowKey) string {
	return k.sa + ":" + k.sp + " > " + k.da + ":" + k.dp + " pr " + k.pr + " t " + k.ts
}

var fourteen = []string{"dhcp", "firefox58", "ikev1", "ikev2", "kali-normal-ssh", "kali-password-attack_hydra",
	"openssl102n", "sample", "sample_tls12_handshake_0", "ssh-dropbear-default", "ssh-gex-sha256", "tls10", "tls11", "tls12"}

// AllProto: on the 14 captures of Joy's own test suite the member must
// match the reference exactly.
func AllProto(t *testing.T, m *Module) {
	member := m.Member
	dir := tu.NeedShared(t)
	total := 0
	for _, stem := range fourteen {
		ref, err := os.ReadFile(filepath.Join(dir, "ref", "697dc5a", "c_allproto", stem+".json"))
		if err != nil {
			t.Fatal(err)
		}
		res := m.compare(ref, run(t, filepath.Join(dir, "pcaps", "joy-"+stem+".pcap")))
		total += res.same
		for _, d := range res.diffs {
			t.Errorf("%s: %s", stem, d.text)
		}
		for _, n := range append(res.notes, res.fatal...) {
			t.Errorf("%s: %s", stem, n)
		}
		if res.invalid > 0 {
			t.Logf("%s: %d reference lines are invalid JSON (%d repaired)", stem, res.invalid, res.repaired)
		}
	}
	t.Logf("%d flows with a %q member identical", total, member)
	if total == 0 {
		t.Errorf("no flow with a %q member compared", member)
	}
}

// corpusCaptures lists the corpus_c references without an .exitcode and
// the capture each was made from.
func corpusCaptures(t *testing.T, dir string) (names []string, pcaps map[string]string) {
	refDir := filepath.Join(dir, "ref", "697dc5a", "corpus_c")
	ents, err := os.ReadDir(refDir)
	if err != nil {
		t.Fatal(err)
	}
	pcaps = map[string]string{}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".json") {
			continue
		}
		stem := strings.TrimSuffix(n, ".json")
		if _, err := os.Stat(filepath.Join(refDir, stem+".exitcode")); err == nil {
			continue
		}
		rel := strings.ReplaceAll(stem, "__", "/")
		var found string
		for _, ext := range []string{".pcap", ".pcapng", ".cap"} {
			p := filepath.Join(dir, "pcaps", rel+ext)
			if _, err := os.Stat(p); err == nil {
				found = p
				break
			}
		}
		if found == "" {
			if m, _ := filepath.Glob(filepath.Join(dir, "pcaps", rel+".*")); len(m) == 1 {
				found = m[0]
			}
		}
		if found == "" {
			t.Logf("no capture for %s", n)
			continue
		}
		names = append(names, stem)
		pcaps[stem] = found
	}
	sort.Strings(names)
	return names, pcaps
}

// Corpus compares the member in every corpus_c capture the original
// processed (no .exitcode); only flows where the original read past a
// payload may differ.
func Corpus(t *testing.T, m *Module) {
	member := m.Member
	dir := tu.NeedShared(t)
	names, pcaps := corpusCaptures(t, dir)
	var same, explained, differ, missing, untimed, invalid, repaired, files int
	for _, stem := range names {
		ref, err := os.ReadFile(filepath.Join(dir, "ref", "697dc5a", "corpus_c", stem+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(ref, []byte(`"`+member+`":[`)) {
			continue
		}
		files++
		res := m.compare(ref, run(t, pcaps[stem]))
		same += res.same
		invalid += res.invalid
		repaired += res.repaired
		missing += res.missing
		untimed += res.untimed
		var keys []flowKey
		for _, d := range res.diffs {
			if d.why == "" {
				keys = append(keys, d.key)
			}
		}
		var why map[flowKey]string
		if len(keys) > 0 {
			why = m.explain(t, pcaps[stem], keys)
		}
		for _, d := range res.diffs {
			if d.why == "" {
				d.why = why[d.key]
			}
			if d.why != "" {
				explained++
				t.Logf("%s: allowed (%s): %s", stem, d.why, d.text)
				continue
			}
			differ++
			t.Errorf("%s: %s", stem, d.text)
		}
		for _, n := range res.notes {
			t.Logf("%s: %s", stem, n)
		}
		for _, n := range res.fatal {
			t.Errorf("%s: %s", stem, n)
		}
	}
	t.Logf("%d captures with a %q member: %d flows identical, %d differ as explained, %d differ unexplained; "+
		"%d reference flows with the member not found in our output (flow table/reader), %d matched without time_start; "+
		"%d reference lines invalid JSON (%d repaired and compared)",
		files, member, same, explained, differ, missing, untimed, invalid, repaired)
}

// explain returns, for the differing flows whose difference is allowed,
// the reason: the original's parser read beyond a payload of the flow
// and printed whatever followed the payload in its memory; we read zeros
// there.
func (m *Module) explain(t *testing.T, path string, keys []flowKey) map[flowKey]string {
	want := map[[4]string]flowKey{}
	for _, k := range keys {
		want[[4]string{k.sa, k.sp, k.da, k.dp}] = k
		want[[4]string{k.da, k.dp, k.sa, k.sp}] = k
	}
	why := map[flowKey]string{}
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var dec *decode.Decoder
	var p decode.Packet
	for {
		pk, err := r.Next()
		if err != nil {
			break
		}
		if dec == nil || dec.LinkType() != pk.Link {
			dec = decode.NewDecoder(pk.Link)
		}
		if dec.Decode(pk.Data, &p) != nil || p.Version != 4 || p.Proto != 17 || len(p.Transport) < 8 {
			continue
		}
		t4 := [4]string{
			netip.AddrFrom4([4]byte(p.Src[:4])).String(), strconv.Itoa(int(binary.BigEndian.Uint16(p.Transport))),
			netip.AddrFrom4([4]byte(p.Dst[:4])).String(), strconv.Itoa(int(binary.BigEndian.Uint16(p.Transport[2:]))),
		}
		k, ok := want[t4]
		if !ok {
			continue
		}
		if pl := p.Transport[8:]; len(pl) >= m.MinLen {
			if m.ReadsBeyond(pl) {
				why[k] = "the original read past a payload of this flow"
			}
		}
	}
	return why
}
