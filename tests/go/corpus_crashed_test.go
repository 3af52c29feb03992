package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// TestCrashedAndRefusedCaptures covers the captures the original could
// not give a reference for: it crashed (corpus_c .exitcode 139) or refused
// the link type (254). Our flows through the joy command (corpus_c options)
// must be tshark's TCP and UDP conversations with the same packet counts,
// and carry the protocol metadata where the capture has that protocol on
// the module's port. Link types we do not decode must give no flows.
// Every other difference is listed below with its reason.
func TestCrashedAndRefusedCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the tshark comparison is left out")
	}
	shared := tu.NeedShared(t)
	if cliPath == "" {
		t.Skipf("joy command not built: %v", cliErr)
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (.ci/run installs it)")
	}
	refDir := filepath.Join(shared, "ref", "697dc5a", "corpus_c")
	var names []string
	for _, f := range corpusFiles(t, shared) {
		stem := strings.ReplaceAll(strings.TrimSuffix(f, filepath.Ext(f)), "/", "__")
		b, err := os.ReadFile(filepath.Join(refDir, stem+".exitcode"))
		if err != nil {
			continue
		}
		if code := strings.TrimSpace(string(b)); code == "139" || code == "254" {
			names = append(names, f)
		}
	}
	if len(names) == 0 {
		t.Fatal("no capture the original crashed on or refused")
	}
	type result struct {
		convs, same, flows, members int
		notes, errs                 []string
	}
	results := make([]result, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, n := range names {
		wg.Add(1)
		go func(i int, n string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &results[i]
			path := filepath.Join(shared, "pcaps", filepath.FromSlash(n))
			link, short, err := captureFacts(path)
			if err != nil {
				r.errs = append(r.errs, err.Error())
				return
			}
			out, err := runOut(cliPath, append(append([]string(nil), allProto...), path)...)
			if err != nil {
				r.errs = append(r.errs, err.Error())
				return
			}
			ours, err := convsOf(out)
			if err != nil {
				r.errs = append(r.errs, err.Error())
				return
			}
			r.flows = len(tu.Lines(out)) - 1
			conv, err := tsharkConvs(tshark, path)
			if errors.Is(err, errTsharkCannotRead) {
				r.notes = append(r.notes, fmt.Sprintf("tshark cannot read it; our %d flows are valid JSON", r.flows))
				return
			}
			if err != nil {
				r.errs = append(r.errs, err.Error())
				return
			}
			r.convs = len(conv)
			if !decode.Supported(link) {
				if r.flows != 0 {
					r.errs = append(r.errs, fmt.Sprintf("link type %d is not decoded, yet %d flows", link, r.flows))
				}
				r.notes = append(r.notes, fmt.Sprintf("link type %d not decoded: no flows (tshark: %d conversations)", link, len(conv)))
				return
			}
			if why, ok := crashedExplained[n]; ok {
				r.notes = append(r.notes, why)
				return
			}
			for k, frames := range conv {
				o := ours.packets[k]
				switch {
				case o == frames:
					r.same++
				case o+ours.invalidBetween(k) == frames:
					r.same++
					r.notes = append(r.notes, fmt.Sprintf("%s: %d packets, %d more through the ports-0 path (bad TCP header, QUIRK-16)", k, o, frames-o))
				case o+ours.invalidBetween(k) < frames && frames-o-ours.invalidBetween(k) <= short:
					r.same++
					r.notes = append(r.notes, fmt.Sprintf("%s: %d of tshark's %d packets; the others hold less than their IP datagram and are dropped (as the original)", k, o, frames))
				default:
					r.errs = append(r.errs, fmt.Sprintf("%s: %d packets, tshark %d", k, o, frames))
				}
			}
			for k := range ours.packets {
				if _, ok := conv[k]; !ok {
					r.errs = append(r.errs, fmt.Sprintf("%s: ours, not a tshark conversation", k))
				}
			}
			need, err := tsharkProtocols(tshark, path)
			if err != nil {
				r.errs = append(r.errs, err.Error())
				return
			}
			for k, members := range need {
				for m := range members {
					if ours.members[k][m] {
						r.members++
					} else {
						r.errs = append(r.errs, fmt.Sprintf("%s: tshark sees %s on the module's port, our flows have no %q", k, m, m))
					}
				}
			}
		}(i, n)
	}
	wg.Wait()
	var convs, same, members int
	for i, n := range names {
		r := results[i]
		convs += r.convs
		same += r.same
		members += r.members
		for _, e := range r.errs {
			t.Errorf("%s: %s", n, e)
		}
		t.Logf("%s: %d flows, %d/%d tshark conversations with the same packet count (or the listed reason), %d protocol members present %s",
			n, r.flows, r.same, r.convs, r.members, strings.Join(r.notes, "; "))
	}
	t.Logf("%d captures: %d/%d tshark conversations with the same packet count (or the listed reason); %d protocol members present", len(names), same, convs, members)
}

// crashedExplained: captures whose tshark conversations differ from our
// flows by design, with the reason.
var crashedExplained = map[string]string{
	"malformed/tcpdump-LINKTYPE_IPV4_invalid.pcap": "link type 228 (IPv4) carrying an IPv6 packet: decoded as IPv4, a bad header; tshark follows the version nibble",
	"malformed/ndpi-quic-fuzz-overflow.pcapng":     "a lone first IPv4 fragment: tshark waits for the rest, we report its UDP header as the original does (QUIRK-57)",
}

// captureFacts: the link type of the first packet and how many frames
// hold less than their IP datagram (cut by the snap length, or a corrupt
// length): the original dropped them (§2.1 step 4) and so do we, while
// tshark counts them.
func captureFacts(path string) (decode.LinkType, int, error) {
	r, err := pcapfile.Open(path)
	if err != nil {
		return -1, 0, err
	}
	defer r.Close()
	link, short, first := r.LinkType(), 0, true
	var dec *decode.Decoder
	var pkt decode.Packet
	for {
		p, err := r.Next()
		if err != nil {
			// A reader error ends the capture here, as for the joy command.
			return link, short, nil
		}
		if first {
			link, first = p.Link, false
		}
		if dec == nil || dec.LinkType() != p.Link {
			dec = decode.NewDecoder(p.Link)
		}
		if errors.Is(dec.Decode(p.Data, &pkt), decode.ErrShort) {
			short++
		}
	}
}

// ourConvs are our TCP/UDP flows by unordered 5-tuple: packets (both
// directions, all pieces), members present, and the packets of TCP flows
// with ports 0 (the invalid path) by address pair.
type ourConvs struct {
	packets map[string]int
	members map[string]map[string]bool
	invalid map[string]int
}

func convName(pr int, a string, ap int, b string, bp int) string {
	x, y := fmt.Sprintf("%s:%d", a, ap), fmt.Sprintf("%s:%d", b, bp)
	if y < x {
		x, y = y, x
	}
	return fmt.Sprintf("%d %s <-> %s", pr, x, y)
}

func addrPair(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + " " + b
}

func (o ourConvs) invalidBetween(conv string) int {
	f := strings.Fields(conv) // "6", "a:p", "<->", "b:p"
	host := func(s string) string { return s[:strings.LastIndexByte(s, ':')] }
	return o.invalid[addrPair(host(f[1]), host(f[3]))]
}

func convsOf(out []byte) (ourConvs, error) {
	o := ourConvs{packets: map[string]int{}, members: map[string]map[string]bool{}, invalid: map[string]int{}}
	lines := tu.Lines(out)
	for _, l := range lines[min(1, len(lines)):] {
		var f map[string]any
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			return o, fmt.Errorf("invalid line %q: %v", l, err)
		}
		pr, _ := f["pr"].(float64)
		if pr != 6 && pr != 17 {
			continue
		}
		sp, _ := f["sp"].(float64)
		dp, _ := f["dp"].(float64)
		sa, _ := f["sa"].(string)
		da, _ := f["da"].(string)
		np, _ := f["num_pkts_out"].(float64)
		ni, _ := f["num_pkts_in"].(float64)
		if pr == 6 && sp == 0 && dp == 0 {
			o.invalid[addrPair(sa, da)] += int(np + ni)
			continue
		}
		k := convName(int(pr), sa, int(sp), da, int(dp))
		o.packets[k] += int(np + ni)
		if o.members[k] == nil {
			o.members[k] = map[string]bool{}
		}
		for m := range f {
			o.members[k][m] = true
		}
	}
	return o, nil
}

var errTsharkCannotRead = errors.New("tshark cannot read the capture")

// tsharkConvs: tshark's TCP and UDP conversations with their frame totals.
func tsharkConvs(tshark, path string) (map[string]int, error) {
	out, err := exec.Command(tshark, "-n", "-q", "-r", path, "-z", "conv,tcp", "-z", "conv,udp").Output()
	if err != nil && len(out) == 0 {
		return nil, errTsharkCannotRead
	}
	conv := map[string]int{}
	pr := 0
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "TCP Conversations"):
			pr = 6
		case strings.HasPrefix(l, "UDP Conversations"):
			pr = 17
		}
		f := strings.Fields(l)
		// a <-> b frames bytes unit frames bytes unit total ...
		if pr == 0 || len(f) < 10 || f[1] != "<->" {
			continue
		}
		total, err := strconv.Atoi(f[9])
		if err != nil {
			return nil, fmt.Errorf("tshark conversation line %q", l)
		}
		split := func(s string) (string, int) {
			i := strings.LastIndexByte(s, ':')
			p, _ := strconv.Atoi(s[i+1:])
			return s[:i], p
		}
		a, ap := split(f[0])
		b, bp := split(f[2])
		conv[convName(pr, a, ap, b, bp)] += total
	}
	return conv, nil
}

// moduleOf maps a tshark protocol over UDP or TCP on the module's port to
// the member our flow must carry.
func moduleOf(transport, proto string, sp, dp int) string {
	port := func(ps ...int) bool {
		for _, p := range ps {
			if sp == p || dp == p {
				return true
			}
		}
		return false
	}
	switch {
	case transport == "udp" && proto == "dns" && port(53):
		return "dns"
	case transport == "udp" && proto == "dhcp" && port(67, 68):
		return "dhcp"
	case transport == "udp" && proto == "isakmp" && port(500, 4500):
		return "ike"
	case transport == "tcp" && proto == "http" && port(80):
		return "http"
	case transport == "tcp" && proto == "ssh" && port(22):
		return "ssh"
	}
	return ""
}

// tsharkProtocols: for each conversation, the members the capture calls
// for. TLS counts only when a change-cipher-spec, alert or application
// data record follows (a handshake is parsed then, §6.1).
func tsharkProtocols(tshark, path string) (map[string]map[string]bool, error) {
	out, err := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-E", "separator=/t",
		"-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
		"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
		"-e", "frame.protocols", "-e", "tls.record.content_type").Output()
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("tshark: %v", err)
	}
	need := map[string]map[string]bool{}
	add := func(k, m string) {
		if need[k] == nil {
			need[k] = map[string]bool{}
		}
		need[k][m] = true
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 10 {
			continue
		}
		first := func(s string) string { return strings.Split(s, ",")[0] }
		sa, da := first(f[0]), first(f[1])
		if sa == "" {
			sa, da = first(f[2]), first(f[3])
		}
		protos := strings.Split(f[8], ":")
		// Only the outermost IP layer: tunnels are reported as their outer flow.
		if n := strings.Count(f[8], ":ip:") + strings.Count(f[8], ":ipv6:"); n > 1 || sa == "" {
			continue
		}
		for i := 1; i < len(protos); i++ {
			tr := protos[i-1]
			var sp, dp int
			switch tr {
			case "tcp":
				sp, _ = strconv.Atoi(first(f[4]))
				dp, _ = strconv.Atoi(first(f[5]))
			case "udp":
				sp, _ = strconv.Atoi(first(f[6]))
				dp, _ = strconv.Atoi(first(f[7]))
			default:
				continue
			}
			pr := map[string]int{"tcp": 6, "udp": 17}[tr]
			k := convName(pr, sa, sp, da, dp)
			if m := moduleOf(tr, protos[i], sp, dp); m != "" {
				add(k, m)
			}
			if tr == "tcp" && protos[i] == "tls" && (sp == 443 || dp == 443) {
				for _, ct := range strings.Split(f[9], ",") {
					if ct == "20" || ct == "21" || ct == "23" {
						add(k, "tls")
					}
				}
			}
		}
	}
	return need, nil
}
