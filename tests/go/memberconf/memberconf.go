// Package memberconf is the conformance harness shared by the tests of the
// http and ssh modules: one member of every flow against the original's
// output.
package memberconf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// The conformance tests run captures through the whole library with the
// options of the reference folder c_allproto (bidir=1 tls=1 http=1 dns=1
// ssh=1 dhcp=1 ike=1) and compare the module's member of every flow with
// the original's output in JOY_SHARED/ref/697dc5a.

func allProto() *joy.Config {
	return &joy.Config{Type: 1, Verbosity: 4, Bidir: true, TLS: true, HTTP: true, DNS: true, SSH: true, DHCP: true, IKE: true}
}

// allFeatures are the options of corpus_x (x_all_features): bidir=1
// tls=1 http=1 dns=1 ssh=1 dhcp=1 ike=1 dist=1 entropy=1 classify=1 hd=1
// wht=1 salt=1 ppi=1 payload=1 zeros=1 retrans=1.
func allFeatures() *joy.Config {
	c := allProto()
	c.Dist, c.Entropy, c.Classify, c.HD, c.WHT, c.Salt, c.PPI, c.Payload = true, true, true, 1, true, true, true, 1
	c.Zeros, c.Retrans = true, true
	return c
}

// runCapture processes a capture as the reference CLI run did.
func runCapture(tb testing.TB, path string) []byte {
	return runWith(tb, allProto(), path)
}

func runWith(tb testing.TB, cfg *joy.Config, path string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	ctx := joy.NewContext(cfg, &buf, nil)
	ctx.WriteConfig(true)
	if err := ctx.ProcessCapture(path); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return buf.Bytes()
}

type flowKey struct{ sa, da, pr, sp, dp, ts string }

func (k flowKey) String() string {
	return k.sa + ":" + k.sp + " > " + k.da + ":" + k.dp + " pr " + k.pr + " start " + k.ts
}

var keyRE = regexp.MustCompile(`^\{"sa":"([^"]*)","da":"([^"]*)","pr":(\d+),"sp":(\w+),"dp":(\w+),.*?"time_start":([0-9.]+)`)

// flowMembers maps every IPv4 flow line of a JSON-lines output to its
// member text (nil when absent); lines with the same key keep their order.
func flowMembers(tb testing.TB, out []byte, member string) map[flowKey][]json.RawMessage {
	m := map[flowKey][]json.RawMessage{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 256<<20)
	for sc.Scan() {
		l := sc.Bytes()
		k := keyRE.FindSubmatch(l)
		if k == nil || bytes.Contains(k[1], []byte(":")) {
			continue // configuration line, or an IPv6 flow the original ignored
		}
		key := flowKey{string(k[1]), string(k[2]), string(k[3]), string(k[4]), string(k[5]), string(k[6])}
		m[key] = append(m[key], memberText(tb, l, member))
	}
	return m
}

// memberText returns the value of the member in a flow line. A line that
// is invalid JSON for another module's reason (the original's DNS text,
// QUIRK-37) still gives its member when that member is itself valid.
func memberText(tb testing.TB, line []byte, member string) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(line, &obj) == nil {
		return obj[member]
	}
	i := bytes.Index(line, []byte(`,"`+member+`":`))
	if i < 0 {
		return nil
	}
	v := line[i+len(member)+4:]
	depth, inStr := 0, false
	for j := 0; j < len(v); j++ {
		c := v[j]
		switch {
		case inStr && c == '\\':
			j++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return json.RawMessage(v[:j+1])
			}
		}
	}
	return json.RawMessage(v) // unterminated: compares as invalid
}

func decode(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid JSON: " + string(raw)
	}
	return v
}

type comparison struct {
	same, differ int
	diffs        []string
}

// compareMembers compares the member of every reference flow with ours.
func compareMembers(tb testing.TB, ref, out []byte, member string) (c comparison) {
	ours := flowMembers(tb, out, member)
	theirs := flowMembers(tb, ref, member)
	keys := make([]flowKey, 0, len(theirs))
	for k := range theirs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		for i, r := range theirs[k] {
			var o json.RawMessage
			found := i < len(ours[k])
			if found {
				o = ours[k][i]
			}
			if r == nil && o == nil {
				continue
			}
			if found && reflect.DeepEqual(decode(r), decode(o)) {
				c.same++
				continue
			}
			c.differ++
			if !found {
				c.diffs = append(c.diffs, k.String()+": flow missing from our output")
				continue
			}
			c.diffs = append(c.diffs, k.String()+"\n  ref: "+string(r)+"\n  our: "+string(o))
		}
	}
	return c
}

var fourteen = []string{"dhcp", "firefox58", "ikev1", "ikev2", "kali-normal-ssh", "kali-password-attack_hydra",
	"openssl102n", "sample", "sample_tls12_handshake_0", "ssh-dropbear-default", "ssh-gex-sha256", "tls10", "tls11", "tls12"}

// TestConformanceAllProto: on the 14 captures of Joy's own test suite the
// member must be identical for every flow (no allowed differences).
// AllProto compares member over the 14 Joy captures (c_allproto).
func AllProto(t *testing.T, member string) {
	dir := tu.NeedShared(t)
	same := 0
	for _, stem := range fourteen {
		ref, err := os.ReadFile(filepath.Join(dir, "ref", "697dc5a", "c_allproto", stem+".json"))
		if err != nil {
			t.Fatal(err)
		}
		c := compareMembers(t, ref, runCapture(t, filepath.Join(dir, "pcaps", "joy-"+stem+".pcap")), member)
		same += c.same
		for _, d := range c.diffs {
			t.Errorf("%s: %s", stem, d)
		}
	}
	t.Logf("%d flows with a %q member, all identical", same, member)
	if same == 0 {
		t.Errorf("no flow with a %q member was compared", member)
	}
}

// corpus lists the corpus_c references that have no .exitcode (the
// original neither crashed nor refused the capture) with their capture.
func corpus(t *testing.T, dir, folder string) (stems []string, pcaps map[string]string) {
	refDir := filepath.Join(dir, "ref", "697dc5a", folder)
	ents, err := os.ReadDir(refDir)
	if err != nil {
		t.Fatal(err)
	}
	pcaps = map[string]string{}
	for _, e := range ents {
		stem, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(refDir, stem+".exitcode")); err == nil {
			continue
		}
		base := filepath.Join(dir, "pcaps", strings.ReplaceAll(stem, "__", "/"))
		m, _ := filepath.Glob(base + ".*")
		if len(m) > 1 {
			// e.g. malformed/tcpdump-empty.pcap and .pcapng (both
			// without packets): the reference was made from the .pcap
			m, _ = filepath.Glob(base + ".pcap")
		}
		if len(m) != 1 {
			t.Logf("%s: no capture found for the reference", stem)
			continue
		}
		stems = append(stems, stem)
		pcaps[stem] = m[0]
	}
	sort.Strings(stems)
	return stems, pcaps
}

// TestConformanceCorpus compares every flow of every corpus_c capture
// the original processed. There are no allowed differences.
// Corpus compares member over corpus_c.
func Corpus(t *testing.T, member string) { corpusTest(t, member, "corpus_c", allProto()) }

// TestConformanceCorpusAllFeatures does the same with the corpus_x
// references, made with every option on (zero-length packets and
// retransmissions change what the module is fed).
// CorpusAllFeatures compares member over corpus_x.
func CorpusAllFeatures(t *testing.T, member string) {
	corpusTest(t, member, "corpus_x", allFeatures())
}

func corpusTest(t *testing.T, member, folder string, cfg *joy.Config) {
	dir := tu.NeedShared(t)
	stems, pcaps := corpus(t, dir, folder)
	if testing.Short() {
		t.Skip("corpus comparison skipped in short mode")
	}
	files, same, differ := 0, 0, 0
	for _, stem := range stems {
		ref, err := os.ReadFile(filepath.Join(dir, "ref", "697dc5a", folder, stem+".json"))
		if err != nil {
			t.Fatal(err)
		}
		c := compareMembers(t, ref, runWith(t, cfg, pcaps[stem]), member)
		if c.same+c.differ > 0 {
			files++
		}
		same += c.same
		differ += c.differ
		for _, d := range c.diffs {
			t.Errorf("%s: %s", stem, d)
		}
	}
	t.Logf("%s: %d captures, %d with a %q member: %d flows identical, %d differ", folder, len(stems), files, member, same, differ)
}
