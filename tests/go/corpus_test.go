package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// capture is one file of the shared corpus run through the Go API with
// bidir on.
type capture struct {
	name     string // path under pcaps/, with "/"
	size     int64
	link     decode.LinkType // of the first packet; -1 when unreadable
	openErr  string
	panicked string
	out      []byte // config line + flows
	log      []byte
	flows    int
	v6       int // flows whose sa is IPv6
	tcpPairs int // distinct TCP conversations (unordered 5-tuples), ports 0/0 left out
	bad      int // lines that are not valid JSON objects
}

type flowTuple struct {
	Sa, Da string
	Pr     int
	Sp, Dp *int
}

var (
	corpusOnce sync.Once
	corpus     []*capture
)

// shortLimit: under -short, captures larger than this are left out.
const shortLimit = 1 << 20

func corpusFiles(t *testing.T, shared string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(shared, "pcaps"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(filepath.Join(shared, "pcaps"), p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// runCorpus processes every capture once per test binary run (the tests
// below share the results).
func runCorpus(t *testing.T) []*capture {
	shared := tu.NeedShared(t)
	corpusOnce.Do(func() {
		files := corpusFiles(t, shared)
		work := make(chan *capture)
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range work {
					c.process(filepath.Join(shared, "pcaps", filepath.FromSlash(c.name)))
				}
			}()
		}
		for _, f := range files {
			st, err := os.Stat(filepath.Join(shared, "pcaps", f))
			if err != nil {
				continue
			}
			if testing.Short() && st.Size() > shortLimit {
				continue
			}
			c := &capture{name: f, size: st.Size(), link: -1}
			corpus = append(corpus, c)
			work <- c
		}
		close(work)
		wg.Wait()
	})
	if len(corpus) == 0 {
		t.Fatal("no captures found")
	}
	return corpus
}

func (c *capture) process(path string) {
	if r, err := pcapfile.Open(path); err != nil {
		c.openErr = err.Error()
	} else {
		if p, err := r.Next(); err == nil {
			c.link = p.Link
		}
		r.Close()
	}
	cfg := joy.Config{Type: 1, Verbosity: 4, Bidir: true}
	var out, log bytes.Buffer
	ctx := joy.NewContext(&cfg, &out, logx.New(&log, 4))
	ctx.WriteConfig(true)
	func() {
		defer func() {
			if r := recover(); r != nil {
				c.panicked = fmt.Sprint(r)
			}
		}()
		if err := ctx.ProcessCapture(path); err != nil && c.openErr == "" {
			c.openErr = err.Error()
		}
	}()
	c.out, c.log = out.Bytes(), log.Bytes()
	pairs := map[[2]string]bool{}
	lines := tu.Lines(c.out)
	if len(lines) > 0 {
		lines = lines[1:] // configuration record
	}
	for _, l := range lines {
		var f flowTuple
		if !strings.HasPrefix(l, "{") || json.Unmarshal([]byte(l), &f) != nil {
			c.bad++
			continue
		}
		c.flows++
		if strings.Contains(f.Sa, ":") {
			c.v6++
		}
		if f.Pr == 6 && f.Sp != nil && f.Dp != nil && !(*f.Sp == 0 && *f.Dp == 0) {
			a, b := fmt.Sprintf("%s|%d", f.Sa, *f.Sp), fmt.Sprintf("%s|%d", f.Da, *f.Dp)
			if b < a {
				a, b = b, a
			}
			pairs[[2]string{a, b}] = true
		}
	}
	c.tcpPairs = len(pairs)
}

// manifestRow is a capture's line in pcaps/MANIFEST.md.
type manifestRow struct{ format, link, packets, contents string }

func readManifest(t *testing.T, shared string) map[string]manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(shared, "pcaps", "MANIFEST.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]manifestRow{}
	re := regexp.MustCompile("^\\| `([^`]+)` \\|")
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		cols := strings.Split(strings.Trim(sc.Text(), "|"), "|")
		if len(cols) < 9 {
			continue
		}
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		rows[m[1]] = manifestRow{format: cols[4], link: cols[5], packets: cols[6], contents: cols[8]}
	}
	return rows
}

// tunnelledIPv6 are captures whose IPv6 is carried inside an IPv4 tunnel:
// we report the outer IPv4 flows (as the original would), not IPv6 ones.
var tunnelledIPv6 = map[string]string{
	"mercury-ip_encapsulation.pcap": "IPv6 in IPv4 (protocol 41) over PPPoE",
	"ndpi-6in4tunnel.pcap":          "6in4 (protocol 41)",
	"zeek-tunnels-6in4.pcap":        "6in4 (protocol 41)",
	"zeek-tunnels-Teredo.pcap":      "Teredo (IPv6 in UDP)",
	"zeek-tunnels-ayiya3.pcap":      "AYIYA (IPv6 in UDP)",
}

// TestCorpus runs every capture of the shared corpus (malformed ones
// included, any extension) through the Go API with bidir on: no panic,
// every line valid JSON; captures of a non-Ethernet link type we decode,
// and captures with IPv6, must give flows.
func TestCorpus(t *testing.T) {
	shared := tu.NeedShared(t)
	caps := runCorpus(t)
	man := readManifest(t, shared)
	var total, totalV6, unreadable int
	for _, c := range caps {
		row, inManifest := man[c.name]
		malformed := strings.HasPrefix(c.name, "malformed/")
		if c.panicked != "" {
			t.Errorf("%s: panic: %s", c.name, c.panicked)
		}
		if c.bad > 0 {
			t.Errorf("%s: %d lines are not valid JSON objects", c.name, c.bad)
		}
		if len(c.out) > 0 && c.out[len(c.out)-1] != '\n' {
			t.Errorf("%s: output does not end with a newline", c.name)
		}
		if c.openErr != "" {
			unreadable++
			if !malformed {
				t.Errorf("%s: %s", c.name, c.openErr)
			}
		}
		total += c.flows
		totalV6 += c.v6
		note := ""
		if c.openErr != "" {
			note = " — " + c.openErr
		}
		t.Logf("%-70s link %4d  %5d flows (%d IPv6)%s", c.name, c.link, c.flows, c.v6, note)
		if malformed || !inManifest || row.packets == "0" || c.link < 0 || !decode.Supported(c.link) {
			continue
		}
		hasIP := strings.Contains(row.contents, "ip(") || strings.Contains(row.contents, "ipv6(")
		if c.link != decode.LinkEthernet && hasIP && c.flows == 0 {
			t.Errorf("%s: link type %d (%s) carries IP but gave no flows", c.name, c.link, row.link)
		}
		if strings.Contains(row.contents, "ipv6(") {
			if c.flows == 0 {
				t.Errorf("%s: IPv6 capture gave no flows", c.name)
			}
			if why, ok := tunnelledIPv6[c.name]; ok {
				if c.v6 != 0 {
					t.Logf("%s: %d IPv6 flows though its IPv6 is tunnelled (%s)", c.name, c.v6, why)
				}
			} else if c.v6 == 0 {
				t.Errorf("%s: IPv6 capture gave no IPv6 flows", c.name)
			}
		}
	}
	t.Logf("%d captures, %d flows (%d IPv6), %d unreadable or cut short", len(caps), total, totalV6, unreadable)
}

// TestTCPConversations compares our count of TCP conversations (distinct
// unordered 5-tuples of the bidirectional output) with tshark's
// "-z conv,tcp" on a handful of captures covering the link layers.
func TestTCPConversations(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	caps := runCorpus(t)
	byName := map[string]*capture{}
	for _, c := range caps {
		byName[c.name] = c
	}
	clean := []string{
		"joy-sample.pcap", "joy-firefox58.pcap", // Ethernet
		"ndpi-1kxun.pcap",                        // IPv4 + IPv6, 98 conversations
		"mercury-capture2.pcap",                  // 257 conversations
		"zeek-mixed-vlan-mpls.pcap",              // 802.1Q, MPLS
		"zeek-vlan-qinqinq.pcap",                 // stacked VLAN tags
		"mercury-pppoe_double_vlan_tagging.pcap", // PPPoE
		"mercury-sll2_tls.pcap",                  // Linux cooked v2
		"ndpi-tls_heur-vmess-tcp-tls.pcapng",     // pcapng, Linux cooked v1
		"gopacket-test_loopback.pcap",            // BSD null
		"mercury-http_rawip.pcap",                // raw IP
		"ndpi-http_ipv6.pcap",                    // IPv6
	}
	if testing.Short() {
		clean = clean[:4]
	}
	// Captures where tshark counts what we do not, by design.
	explained := map[string]string{
		"ndpi-6in4tunnel.pcap":                           "tshark counts the TCP inside 6in4; we report the outer protocol-41 flow",
		"zeek-tunnels-gre-sample.pcap":                   "tshark counts the TCP inside GRE; we report the outer GRE flow",
		"ndpi-vxlan.pcap":                                "tshark counts the TCP inside VXLAN; we report the outer UDP flows",
		"zeek-ipv4-fragmented-syn.pcap":                  "the SYN's TCP header is split over two fragments: tshark reassembles, we take the first fragment down the invalid path (ports 0) and the second as protocol 0",
		"zeek-pbb.pcap":                                  "802.1ah provider backbone bridging (EtherType 0x88e7) is not decoded",
		"tcpdump-ipoib.pcap":                             "IP over InfiniBand (link type 242) is not decoded",
		"zeek-nflog-http.pcap":                           "NFLOG (link type 239) is not decoded",
		"malformed/derived-joy-tls12-huge-incl_len.pcap": "tshark stops at the corrupt record, we read the packets before it",
	}
	if testing.Short() {
		explained = nil
	}
	names := append([]string(nil), clean...)
	for n := range explained {
		names = append(names, n)
	}
	sort.Strings(names)
	shared := tu.NeedShared(t)
	for _, n := range names {
		c, ok := byName[n]
		if !ok {
			continue // absent, or left out by -short
		}
		out, err := exec.Command(tshark, "-n", "-q", "-z", "conv,tcp", "-r", filepath.Join(shared, "pcaps", filepath.FromSlash(n))).Output()
		if err != nil && len(out) == 0 {
			t.Logf("%s: tshark: %v", n, err)
			continue
		}
		conv := bytes.Count(out, []byte("<->"))
		switch why, known := explained[n]; {
		case known && conv != c.tcpPairs:
			t.Logf("%s: %d TCP conversations, tshark %d — expected: %s", n, c.tcpPairs, conv, why)
		case known:
			t.Logf("%s: %d TCP conversations, tshark %d (listed as explained: %s)", n, c.tcpPairs, conv, why)
		case conv != c.tcpPairs:
			t.Errorf("%s: %d TCP conversations, tshark counts %d", n, c.tcpPairs, conv)
		default:
			t.Logf("%s: %d TCP conversations, as tshark", n, conv)
		}
	}
}

// joydiffSummary is joydiff's --json output.
type joydiffSummary struct {
	RefFlows  int            `json:"ref_flows"`
	OutFlows  int            `json:"out_flows"`
	Identical int            `json:"identical"`
	Differing int            `json:"differing"`
	Reversed  int            `json:"reversed"`
	Missing   int            `json:"missing"`
	Extra     int            `json:"extra"`
	RefBad    int            `json:"ref_invalid_lines"`
	OutBad    int            `json:"out_invalid_lines"`
	TopDiffs  map[string]int `json:"top_diffs"`
}

// TestCorpusCReference measures (does not require) how close our bidir=1
// output is to the original's corpus_c outputs (bidir=1 with all protocol
// modules) once the protocol members are ignored and IPv6 lines dropped,
// for every capture the original processed without crashing or refusing.
// It only logs, so it runs with -v (or JOY_CORPUS_C=1) and not with -short:
// joydiff on 270 captures takes about half a minute.
func TestCorpusCReference(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the joydiff comparison is left out")
	}
	if !testing.Verbose() && os.Getenv("JOY_CORPUS_C") == "" {
		t.Skip("only logs figures: run with -v or JOY_CORPUS_C=1")
	}
	shared := tu.NeedShared(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed (needed by tools/joydiff)")
	}
	joydiff := filepath.Join(shared, "tools", "joydiff")
	refDir := filepath.Join(shared, "ref", "697dc5a", "corpus_c")
	caps := runCorpus(t)
	tmp := t.TempDir()
	type result struct {
		c   *capture
		s   joydiffSummary
		err error
	}
	var todo []*capture
	skipped := 0
	for _, c := range caps {
		stem := strings.ReplaceAll(strings.TrimSuffix(c.name, filepath.Ext(c.name)), "/", "__")
		if _, err := os.Stat(filepath.Join(refDir, stem+".exitcode")); err == nil {
			skipped++
			continue
		}
		if _, err := os.Stat(filepath.Join(refDir, stem+".json")); err != nil {
			skipped++
			continue
		}
		todo = append(todo, c)
	}
	results := make([]result, len(todo))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, c := range todo {
		wg.Add(1)
		go func(i int, c *capture) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			stem := strings.ReplaceAll(strings.TrimSuffix(c.name, filepath.Ext(c.name)), "/", "__")
			ours := filepath.Join(tmp, stem+".json")
			if err := os.WriteFile(ours, tu.DropIPv6(c.out), 0o644); err != nil {
				results[i] = result{c: c, err: err}
				return
			}
			args := []string{joydiff, filepath.Join(refDir, stem+".json"), ours, "--json"}
			for _, m := range []string{"tls", "http", "dns", "ssh", "dhcp", "ike"} {
				args = append(args, "--ignore", m)
			}
			out, err := exec.Command(python, args...).Output()
			var s joydiffSummary
			if jerr := json.Unmarshal(lastLine(out), &s); jerr != nil {
				results[i] = result{c: c, err: fmt.Errorf("joydiff: %v %v: %s", err, jerr, out)}
				return
			}
			results[i] = result{c: c, s: s}
		}(i, c)
	}
	wg.Wait()
	var same, differ int
	var tot joydiffSummary
	causes := map[string]int{}
	var rows []string
	for _, r := range results {
		if r.err != nil {
			t.Errorf("%s: %v", r.c.name, r.err)
			continue
		}
		s := r.s
		tot.RefFlows += s.RefFlows
		tot.Identical += s.Identical
		tot.Differing += s.Differing
		tot.Reversed += s.Reversed
		tot.Missing += s.Missing
		tot.Extra += s.Extra
		for k, v := range s.TopDiffs {
			causes[k] += v
		}
		if s.Identical == s.RefFlows && s.Extra == 0 && s.OutBad <= s.RefBad {
			same++
			continue
		}
		differ++
		var top []string
		for k, v := range s.TopDiffs {
			top = append(top, fmt.Sprintf("%s×%d", k, v))
		}
		sort.Strings(top)
		if len(top) > 4 {
			top = top[:4]
		}
		rows = append(rows, fmt.Sprintf("%-66s %5d/%-5d identical, %d differing, %d reversed, %d missing, %d extra  %s",
			r.c.name, s.Identical, s.RefFlows, s.Differing, s.Reversed, s.Missing, s.Extra, strings.Join(top, " ")))
	}
	for _, row := range rows {
		t.Log(row)
	}
	var cs []string
	for k, v := range causes {
		cs = append(cs, fmt.Sprintf("%6d  %s", v, k))
	}
	sort.Sort(sort.Reverse(sort.StringSlice(cs)))
	t.Logf("member differences over all differing flows:\n%s", strings.Join(cs, "\n"))
	t.Logf("%d captures compared (%d skipped: the original crashed, refused the link type or the file): %d identical, %d differing; flows: %d/%d identical, %d differing, %d reversed, %d missing, %d extra",
		len(results), skipped, same, differ, tot.Identical, tot.RefFlows, tot.Differing, tot.Reversed, tot.Missing, tot.Extra)
}

func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}
