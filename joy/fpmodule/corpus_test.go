package fpmodule_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/tests/go/testutil"
	"github.com/gojoy/libjoy/tests/go/testutil/tshark"
)

// fpConfig is tls=1 quic=1 fingerprint=1 bidir=1 (with all: every other
// protocol and per-flow feature too).
func fpConfig(all bool) *joy.Config {
	cfg := &joy.Config{Bidir: true, Type: 1, TLS: true, Settings: map[string]uint{"quic": 1, "fingerprint": 1}}
	if all {
		cfg.HTTP, cfg.DNS, cfg.SSH, cfg.DHCP, cfg.IKE = true, true, true, true, true
		cfg.WHT, cfg.Salt, cfg.PPI, cfg.Payload = true, true, true, 32
		cfg.Dist, cfg.Entropy, cfg.HD = true, true, 1
	}
	return cfg
}

// run returns the records of a capture (the configuration record left
// out), and the whole output.
func run(t testing.TB, cfg *joy.Config, file string) ([]map[string]any, []byte) {
	var out bytes.Buffer
	if err := joy.NewContext(cfg, &out, nil).ProcessCapture(file); err != nil {
		t.Logf("%s: %v", filepath.Base(file), err)
	}
	var recs []map[string]any
	for _, l := range bytes.Split(out.Bytes(), []byte("\n")) {
		if len(l) == 0 || bytes.Contains(l, []byte(`"end-config"`)) {
			continue
		}
		var r map[string]any
		if json.Unmarshal(l, &r) == nil {
			recs = append(recs, r)
		}
	}
	return recs, out.Bytes()
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// ourFlow is what the records of one flow say.
type ourFlow struct {
	ja3, ja3s map[string]bool // full strings
	md5s      map[string]bool // ja3 and ja3s hashes
	proto     string
}

// ours returns the fingerprints of a capture's records by flow, and checks
// that every JA3/JA3S hash is the MD5 of its string.
func ours(t *testing.T, recs []map[string]any) map[string]*ourFlow {
	flows := map[string]*ourFlow{}
	for _, r := range recs {
		fp, ok := r["fingerprint"].(map[string]any)
		if !ok {
			continue
		}
		sa, _ := r["sa"].(string)
		da, _ := r["da"].(string)
		key := tshark.FlowKey(sa, num(r["sp"]), da, num(r["dp"]))
		f := flows[key]
		if f == nil {
			f = &ourFlow{ja3: map[string]bool{}, ja3s: map[string]bool{}, md5s: map[string]bool{}}
			flows[key] = f
		}
		f.proto, _ = fp["proto"].(string)
		for _, k := range []string{"ja3", "ja3s"} {
			full, ok := fp[k+"_full"].(string)
			if !ok {
				continue
			}
			sum := md5.Sum([]byte(full))
			if h, _ := fp[k].(string); h != hex.EncodeToString(sum[:]) {
				t.Errorf("flow %s: %s %q is not the MD5 of %q", key, k, h, full)
			}
			f.md5s[fp[k].(string)] = true
			if k == "ja3" {
				f.ja3[full] = true
			} else {
				f.ja3s[full] = true
			}
		}
	}
	return flows
}

// notInRecords are captures whose hellos tshark finds where joy's records
// cannot have them, beside tshark.NotCompared's.
var notInRecords = map[string]string{
	"ndpi-6in4tunnel.pcap":                  "IPv6 in IPv4 (protocol 41): joy's records, like the original's, are the tunnel's flows",
	"ndpi-vxlan.pcap":                       "VXLAN: joy's records, like the original's, are the tunnel's UDP flows",
	"ndpi-dlt_ppp.pcap":                     "link type PPP (9), which joy's decoder does not read",
	"tcpdump-quic_handshake_truncated.pcap": "the client's first Initial is captured with 256 of 1252 bytes and joy's decoder drops it (docs/quic.md)",
}

// TestRecordsAgainstTshark runs tls=1 quic=1 fingerprint=1 bidir=1 over
// every TLS, DTLS and QUIC capture of the corpus and checks, flow by flow,
// that the record's JA3 and JA3S strings are among those tshark (4.0)
// prints for the flow's hellos, and that every flow whose hellos tshark
// fingerprints has them.
func TestRecordsAgainstTshark(t *testing.T) {
	shared := testutil.NeedShared(t)
	tsharkPath := tshark.Need(t)
	if testing.Short() {
		t.Skip("runs tshark over the corpus's TLS captures; not with -short")
	}
	files := tshark.TLSCaptures(t, shared)
	type result struct {
		hellos []tshark.Hello
		err    error
		recs   []map[string]any
	}
	results := make([]result, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i].hellos, results[i].err = tshark.JA3(tsharkPath, f)
			results[i].recs, _ = run(t, fpConfig(false), f)
		}()
	}
	wg.Wait()
	flowsCompared, values, extra := 0, 0, 0
	byProto := map[string]int{}
	for i, res := range results {
		name := filepath.Base(files[i])
		if res.err != nil {
			t.Logf("%s: %v (skipped)", name, res.err)
			continue
		}
		if why, ok := tshark.NotCompared[name]; ok {
			t.Logf("%s: not compared: %s", name, why)
			continue
		}
		if why, ok := notInRecords[name]; ok {
			t.Logf("%s: not compared: %s", name, why)
			continue
		}
		our := ours(t, res.recs)
		type want struct{ c, s map[string]bool }
		wants := map[string]*want{}
		var keys []string
		for _, h := range res.hellos {
			w := wants[h.Flow]
			if w == nil {
				w = &want{map[string]bool{}, map[string]bool{}}
				wants[h.Flow] = w
				keys = append(keys, h.Flow)
			}
			if h.Server {
				w.s[h.JA3] = true
			} else {
				w.c[h.JA3] = true
			}
		}
		for _, k := range keys {
			w, o := wants[k], our[k]
			if o == nil {
				t.Errorf("%s: flow %s: tshark fingerprints %d hellos, the records have no fingerprint member", name, k, len(w.c)+len(w.s))
				continue
			}
			flowsCompared++
			byProto[o.proto]++
			for _, x := range []struct {
				what       string
				want, have map[string]bool
			}{{"JA3", w.c, o.ja3}, {"JA3S", w.s, o.ja3s}} {
				if len(x.want) == 0 {
					continue
				}
				if len(x.have) == 0 {
					t.Errorf("%s: flow %s: no %s in the records; tshark: %v", name, k, x.what, keysOf(x.want))
					continue
				}
				for v := range x.have {
					if !x.want[v] {
						t.Errorf("%s: flow %s: %s %q is not tshark's %v", name, k, x.what, v, keysOf(x.want))
					} else {
						values++
					}
				}
				// A second hello after a HelloRetryRequest (or a
				// repeated DTLS ClientHello with a cookie) may differ.
				extra += len(x.want) - 1
			}
		}
	}
	t.Logf("%d flows compared (%v), %d JA3/JA3S values of the records equal to tshark's; %d other strings of second hellos (after HRR) not in records", flowsCompared, byProto, values, extra)
	if values == 0 {
		t.Error("no value compared: the test cannot have checked anything")
	}
}

func keysOf(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// ndpiFlowRE matches a flow line of ndpiReader -v 2: protocol, the two
// ends, and the rest with [JA3C: ...] and [JA3S: ...].
var ndpiFlowRE = regexp.MustCompile(`^\s*\d+\s+(TCP|UDP) (\S+) <-> (\S+) (.*)$`)
var ndpiJA3RE = regexp.MustCompile(`\[JA3(C|S): ([0-9a-f]{32})\]`)

// splitEnd splits "1.2.3.4:443" or "[::1]:443", the address written as
// RFC 5952 (and joy) write it when nDPI's form parses.
func splitEnd(s string) (string, int) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	var p int
	fmt.Sscan(s[i+1:], &p)
	a := strings.Trim(s[:i], "[]")
	if ip, err := netip.ParseAddr(a); err == nil {
		a = ip.String()
	}
	return a, p
}

// ndpiDiffers lists the captures where nDPI's JA3 or JA3S differs from
// ours, and why; everywhere else every nDPI hash must be the record's.
var ndpiDiffers = map[string]string{
	"ndpi-6in4tunnel.pcap":                   "IPv6 in IPv4: nDPI fingerprints the inner flows, joy's records are the tunnel's",
	"ndpi-tls_missing_ch_frag.pcap":          "a ClientHello whose middle segment is missing: nDPI fingerprints what it has, ours only whole hellos (tshark prints none either)",
	"zeek-tls-tls-13draft19-early-data.pcap": "TLS 1.3 draft-19 ServerHellos: ours are tshark's (\"32531,4866,40\"), nDPI 4.2 computes another JA3S",
	"ndpi-pinterest.pcap":                    "nDPI 4.2 prints the address 2600:1901:0:7a0b:: as \"2600:1901::7a0b::\", which names no flow",
}

// TestRecordsAgainstNDPI compares the records' JA3 and JA3S hashes with
// nDPI's (ndpiReader of Debian's libndpi-bin) on the corpus's TLS
// captures, flow by flow.
func TestRecordsAgainstNDPI(t *testing.T) {
	shared := testutil.NeedShared(t)
	ndpi, err := exec.LookPath("ndpiReader")
	if err != nil {
		t.Skip("ndpiReader not installed (apt-get install -y libndpi-bin): the JA3 comparison with nDPI needs it")
	}
	if testing.Short() {
		t.Skip("runs ndpiReader over the corpus's TLS captures; not with -short")
	}
	equal, differ, flows := 0, 0, 0
	for _, f := range tshark.TLSCaptures(t, shared) {
		name := filepath.Base(f)
		cmd := exec.Command(ndpi, "-q", "-i", f, "-v", "2")
		cmd.Dir = t.TempDir()
		out, err := cmd.Output()
		if err != nil {
			t.Logf("%s: ndpiReader: %v (skipped)", name, err)
			continue
		}
		recs, _ := run(t, fpConfig(false), f)
		our := ours(t, recs)
		for _, l := range strings.Split(string(out), "\n") {
			m := ndpiFlowRE.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			hs := ndpiJA3RE.FindAllStringSubmatch(m[4], -1)
			if len(hs) == 0 {
				continue
			}
			a, ap := splitEnd(m[2])
			b, bp := splitEnd(m[3])
			key := tshark.FlowKey(a, ap, b, bp)
			o := our[key]
			flows++
			for _, h := range hs {
				switch {
				case o != nil && o.md5s[h[2]]:
					equal++
				default:
					differ++
					if why, ok := ndpiDiffers[name]; ok {
						t.Logf("%s: flow %s: nDPI's JA3%s %s is not the record's: %s", name, key, h[1], h[2], why)
					} else {
						t.Errorf("%s: flow %s: nDPI's JA3%s %s is not the record's", name, key, h[1], h[2])
					}
				}
			}
		}
	}
	t.Logf("nDPI: %d flows with JA3, %d hashes equal to the records', %d not (explained above)", flows, equal, differ)
	if equal == 0 {
		t.Error("no nDPI hash equal to ours: the comparison checked nothing")
	}
}

// TestCorpusAllOn runs every capture of the corpus and of its malformed/
// directory with tls=1 quic=1 fingerprint=1 bidir=1 and every other
// protocol and per-flow feature: no panic, every line a JSON object, and
// fingerprints in the records.
func TestCorpusAllOn(t *testing.T) {
	shared := testutil.NeedShared(t)
	if testing.Short() {
		t.Skip("runs the whole corpus; not with -short")
	}
	var files []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "malformed/*"} {
		m, _ := filepath.Glob(filepath.Join(shared, "pcaps", pat))
		files = append(files, m...)
	}
	if len(files) < 100 {
		t.Fatalf("only %d captures found under %s/pcaps", len(files), shared)
	}
	lines, fps := 0, 0
	protos := map[string]int{}
	for _, f := range files {
		recs, out := run(t, fpConfig(true), f)
		lines += testutil.CheckJSONLines(t, out)
		for _, r := range recs {
			if fp, ok := r["fingerprint"].(map[string]any); ok {
				fps++
				p, _ := fp["proto"].(string)
				protos[p]++
			}
		}
	}
	t.Logf("%d captures, %d lines, %d records with a fingerprint member %v", len(files), lines, fps, protos)
	for _, p := range []string{"tls", "dtls", "quic"} {
		if protos[p] == 0 {
			t.Errorf("no %s fingerprint in the whole corpus", p)
		}
	}
}

// hexList turns tshark's "0x0304|0x0303" (or decimal) values into the
// member's ["0304","0303"].
func hexList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, "|") {
		if v == "" {
			continue
		}
		var n uint64
		if strings.HasPrefix(v, "0x") {
			fmt.Sscanf(v[2:], "%x", &n)
		} else {
			fmt.Sscan(v, &n)
		}
		out = append(out, fmt.Sprintf("%04x", n))
	}
	return out
}

func strList(v any) []string {
	a, _ := v.([]any)
	var out []string
	for _, x := range a {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestTLS13FieldsAgainstTshark checks the TLS 1.3 fields of the records'
// fingerprint members against tshark, flow by flow, on the TLS captures:
// the first ClientHello's supported versions, key-share groups, early
// data, Encrypted Client Hello and its outer server name; the last
// ServerHello's selected version, key-share group and ALPN protocol; and
// that a flow has "hrr" exactly when tshark sees a HelloRetryRequest.
func TestTLS13FieldsAgainstTshark(t *testing.T) {
	shared := testutil.NeedShared(t)
	tsharkPath := tshark.Need(t)
	if testing.Short() {
		t.Skip("runs tshark over the corpus's TLS captures; not with -short")
	}
	equal := map[string]int{}
	for _, f := range tshark.TLSCaptures(t, shared) {
		name := filepath.Base(f)
		if _, ok := tshark.NotCompared[name]; ok {
			continue
		}
		if _, ok := notInRecords[name]; ok {
			continue
		}
		rows, err := tshark.Rows(tsharkPath, f, "(tls.handshake.type==1||tls.handshake.type==2)&&!quic",
			"tls.handshake.type", "tls.handshake.extensions.supported_version", "tls.handshake.extensions_key_share_group",
			"tls.handshake.extension.type", "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
			"tls.handshake.random")
		if err != nil {
			continue // tshark refuses the file (malformed/)
		}
		recs, _ := run(t, fpConfig(false), f)
		fps := map[string]map[string]any{}
		for _, r := range recs {
			if fp, ok := r["fingerprint"].(map[string]any); ok && fp["proto"] == "tls" {
				sa, _ := r["sa"].(string)
				da, _ := r["da"].(string)
				fps[tshark.FlowKey(sa, num(r["sp"]), da, num(r["dp"]))] = fp
			}
		}
		type hellos struct {
			c, s    []string // the first ClientHello's, the last ServerHello's fields
			hrr     bool
			servers int
		}
		flows := map[string]*hellos{}
		for _, r := range rows {
			h := flows[r.Flow]
			if h == nil {
				h = &hellos{}
				flows[r.Flow] = h
			}
			switch r.Fields[0] {
			case "1":
				if h.c == nil {
					h.c = r.Fields
				}
			case "2":
				// RFC 8446 §4.1.3's random marks a HelloRetryRequest.
				if strings.HasPrefix(r.Fields[6], "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c") {
					h.hrr = true
				}
				h.s = r.Fields
				h.servers++
			}
		}
		for key, h := range flows {
			fp := fps[key]
			if fp == nil {
				continue // TestRecordsAgainstTshark reports missing members
			}
			check := func(what string, got, want any) {
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: flow %s: %s is %v, tshark %v", name, key, what, got, want)
				} else {
					equal[what]++
				}
			}
			if h.c != nil {
				c, _ := fp["c_tls"].(map[string]any)
				exts := "|" + h.c[3] + "|"
				check("c_tls.supported_versions", strList(c["supported_versions"]), hexList(h.c[1]))
				ks := hexList(h.c[2])
				if strings.Contains(exts, "|65486|") && len(ks) > 0 {
					// tshark lists the key share of the ESNI draft's
					// extension (0xffce) among the groups.
					ks = ks[:len(ks)-1]
				}
				check("c_tls.key_share_groups", strList(c["key_share_groups"]), ks)
				check("c_tls.early_data", c["early_data"] == true, strings.Contains(exts, "|42|"))
				ech := strings.Contains(exts, "|65037|")
				check("c_tls.ech", c["ech"] == true, ech)
				if ech {
					check("ech_outer_sni", fp["ech_outer_sni"], h.c[4])
				}
			}
			if h.s != nil && h.hrr && h.servers == 1 {
				// tshark 4.0 does not show the ServerHello after a
				// HelloRetryRequest (zeek-tls-hrr.pcap).
				check("hrr", fp["hrr"] == true, true)
			} else if h.s != nil {
				s, _ := fp["s_tls"].(map[string]any)
				check("s_tls.supported_versions", strList(s["supported_versions"]), hexList(h.s[1]))
				check("s_tls.key_share_groups", strList(s["key_share_groups"]), hexList(h.s[2]))
				alpn, _ := fp["s_alpn"].(string)
				check("s_alpn", alpn, h.s[5])
				check("hrr", fp["hrr"] == true, h.hrr)
			}
		}
	}
	t.Logf("values equal to tshark's: %v", equal)
	if equal["s_tls.supported_versions"] == 0 || equal["ech_outer_sni"] == 0 {
		t.Error("nothing compared")
	}
}
