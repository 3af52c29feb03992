package tls_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// The conformance tests run captures through the whole library with the
// options of the reference folder c_allproto (bidir=1 tls=1 http=1 dns=1
// ssh=1 dhcp=1 ike=1) and compare the "tls" member of every flow with the
// original's output in JOY_SHARED/ref/697dc5a, after json.Unmarshal.

func runCapture(tb testing.TB, path string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	cfg := &joy.Config{Type: 1, Verbosity: 4, Bidir: true, TLS: true, HTTP: true, DNS: true, SSH: true, DHCP: true, IKE: true}
	ctx := joy.NewContext(cfg, &buf, nil)
	ctx.WriteConfig(true)
	if err := ctx.ProcessCapture(path); err != nil {
		tb.Logf("%s: %v", path, err)
	}
	return buf.Bytes()
}

type flowKey struct{ sa, da, pr, sp, dp, ts string }

type flowTLS struct {
	tls     map[string]any // nil when the flow has no "tls" member
	sp, dp  string
	present bool
}

// tlsMembers maps each IPv4 flow of an output to its "tls" member. Lines
// that are not JSON (the original writes a few, e.g. QUIRK-37) are
// skipped; the original ignored IPv6, so IPv6 flows are dropped.
func tlsMembers(data []byte) map[flowKey]flowTLS {
	out := make(map[flowKey]flowTLS)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var rec map[string]any
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if d.Decode(&rec) != nil {
			continue
		}
		sa, ok := rec["sa"].(string)
		if !ok || strings.Contains(sa, ":") {
			continue
		}
		s := func(k string) string { return fmt.Sprint(rec[k]) }
		k := flowKey{sa, s("da"), s("pr"), s("sp"), s("dp"), s("time_start")}
		f := flowTLS{sp: s("sp"), dp: s("dp")}
		if t, ok := rec["tls"].(map[string]any); ok {
			f.tls, f.present = t, true
		}
		out[k] = f
	}
	return out
}

// srltCuts lists flows whose reference "srlt" is garbage from an index on,
// because the original read a record header past the end of the packet
// (libpcap buffer contents): only srlt[:n] is compared.
var srltCuts = map[string]map[string]int{
	// KNOWN_UNSTABLE.md item 1.
	"firefox58":     {"33302": 21},
	"joy-firefox58": {"33302": 21},
	// The header of entry 15 ends one byte past the packet; the original
	// read 0xcc there (length 2764), this package reads 0 (2560), and the
	// next packets are misread differently from then on (QUIRK-26).
	"nfstream-instagram": {"49361": 15},
}

// identifyCaptures hold TLS flows on ports other than 443 whose first
// hello record has a length byte >= 0x80. The original's protocol
// identification matched them (app 443), joy/flow's does not yet (it
// refuses bytes >= 0x80 at wildcard positions), so the module is not run
// for those records here. Reported to the lead; allowed to differ until
// joy/flow changes, and identical once it does.
var identifyCaptures = map[string]bool{
	"suricata-tls-tls-bypass-missing-event-tor_bl": true,
	"zeek-tls-tls-13draft19-early-data":            true,
	"zeek-tls-tls13_wolfssl":                       true,
}

type tally struct {
	identical, tls13, cut, identify, unexplained int
	notes                                        []string
}

// compare checks every reference flow of one capture.
func (c *tally) compare(capture string, ref, got map[flowKey]flowTLS) {
	keys := make([]flowKey, 0, len(ref))
	for k := range ref {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		r := ref[k]
		g, found := got[k]
		if !r.present && (!found || !g.present) {
			continue // no TLS on either side
		}
		if found && reflect.DeepEqual(r.tls, g.tls) {
			c.identical++
			continue
		}
		switch {
		case identifyCaptures[capture] && r.sp != "443" && r.dp != "443":
			c.identify++
		case found && g.present && r.present && tls13Only(r.tls, g.tls):
			c.tls13++
		case found && g.present && r.present && cutEqual(srltCuts[capture][r.sp], r.tls, g.tls):
			c.cut++
		default:
			c.unexplained++
			rj, _ := json.Marshal(r.tls)
			gj, _ := json.Marshal(g.tls)
			c.notes = append(c.notes, fmt.Sprintf("%s %v (found=%v):\n ref %s\n got %s", capture, k, found, rj, gj))
		}
	}
}

// tls13Only reports whether the only difference is the documented one: the
// server's version is 6 because its ServerHello selected TLS 1.3 in
// supported_versions.
func tls13Only(ref, got map[string]any) bool {
	if fmt.Sprint(got["s_version"]) != "6" || fmt.Sprint(ref["s_version"]) == "6" {
		return false
	}
	sawSV := false
	if exts, ok := got["s_extensions"].([]any); ok {
		for _, e := range exts {
			if m, ok := e.(map[string]any); ok && fmt.Sprint(m["kind"]) == "43" && m["data"] == "0304" {
				sawSV = true
			}
		}
	}
	g := make(map[string]any, len(got))
	for k, v := range got {
		g[k] = v
	}
	g["s_version"] = ref["s_version"]
	return sawSV && reflect.DeepEqual(ref, g)
}

// cutEqual compares two members with "srlt" cut to its first n entries.
func cutEqual(n int, ref, got map[string]any) bool {
	if n == 0 {
		return false
	}
	cut := func(m map[string]any) map[string]any {
		c := make(map[string]any, len(m))
		for k, v := range m {
			c[k] = v
		}
		if s, ok := c["srlt"].([]any); ok && len(s) > n {
			c["srlt"] = s[:n]
		}
		return c
	}
	return reflect.DeepEqual(cut(ref), cut(got))
}

func (c *tally) report(t *testing.T) {
	t.Logf("tls members: %d identical, %d TLS 1.3 server version (documented), %d srlt garbage in the reference, %d joy/flow identification, %d unexplained",
		c.identical, c.tls13, c.cut, c.identify, c.unexplained)
	for _, n := range c.notes {
		t.Error(n)
	}
}

// The 14 captures of the original's repository (11 flows with a "tls"
// member): every member must equal the reference (srlt of the
// KNOWN_UNSTABLE flow compared up to index 21 only).
func TestConformanceRepoCaptures(t *testing.T) {
	dir := tu.NeedShared(t)
	files, _ := filepath.Glob(filepath.Join(dir, "pcaps", "joy-*.pcap"))
	if len(files) == 0 {
		t.Skip("no joy-*.pcap captures")
	}
	var c tally
	for _, f := range files {
		stem := strings.TrimPrefix(strings.TrimSuffix(filepath.Base(f), ".pcap"), "joy-")
		refData, err := os.ReadFile(filepath.Join(dir, "ref", "697dc5a", "c_allproto", stem+".json"))
		if err != nil {
			t.Fatal(err)
		}
		c.compare(stem, tlsMembers(refData), tlsMembers(runCapture(t, f)))
	}
	c.report(t)
	if c.identical < 11 || c.tls13+c.identify != 0 {
		t.Errorf("expected only identical members in the repository captures")
	}
}

// Every capture of corpus_c with a reference and no exit code: differences
// must be explained by a listed rule. The measured figures (168 identical,
// 84 TLS 1.3 server versions, 1 reference with garbage srlt, 5 flows
// waiting for joy/flow's identification) give the floor below.
func TestConformanceCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus run skipped in -short mode")
	}
	dir := tu.NeedShared(t)
	refDir := filepath.Join(dir, "ref", "697dc5a", "corpus_c")
	pcaps := map[string]string{}
	root := filepath.Join(dir, "pcaps")
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(root, p)
			name := strings.ReplaceAll(rel, string(filepath.Separator), "__")
			pcaps[strings.TrimSuffix(name, filepath.Ext(name))] = p
		}
		return nil
	})
	refs, _ := filepath.Glob(filepath.Join(refDir, "*.json"))
	if len(refs) == 0 {
		t.Skip("no corpus_c references")
	}
	var c tally
	for _, r := range refs {
		stem := strings.TrimSuffix(filepath.Base(r), ".json")
		if _, err := os.Stat(filepath.Join(refDir, stem+".exitcode")); err == nil {
			continue // the original crashed or refused the capture
		}
		p, ok := pcaps[stem]
		if !ok {
			t.Errorf("no capture for %s", stem)
			continue
		}
		refData, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		c.compare(stem, tlsMembers(refData), tlsMembers(runCapture(t, p)))
	}
	c.report(t)
	if c.identical < 160 {
		t.Errorf("only %d identical tls members, want at least 160", c.identical)
	}
}
