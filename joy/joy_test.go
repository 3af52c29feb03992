package joy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/logx"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// udpFrame builds an Ethernet/IPv4/UDP frame with n zero bytes of payload.
func udpFrame(src, dst string, sp, dp uint16, n int) []byte {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(make([]byte, n)))
	return buf.Bytes()
}

// ExampleContext feeds a DNS query and its answer to a bidirectional
// context and prints the flow.
func ExampleContext() {
	cfg := &joy.Config{Bidir: true, Type: 1}
	ctx := joy.NewContext(cfg, os.Stdout, nil)

	query := udpFrame("192.168.1.10", "192.168.1.1", 53000, 53, 30)
	answer := udpFrame("192.168.1.1", "192.168.1.10", 53, 53000, 46)
	ctx.ProcessPacket(1502118721115234, query) // µs since the epoch
	ctx.ProcessPacket(1502118721127001, answer)

	n := ctx.PrintFlows(joy.AllFlows)
	fmt.Println(n, "flow")
	// Output:
	// {"sa":"192.168.1.10","da":"192.168.1.1","pr":17,"sp":53000,"dp":53,"bytes_out":30,"num_pkts_out":1,"bytes_in":46,"num_pkts_in":1,"time_start":1502118721.115234,"time_end":1502118721.127001,"packets":[{"b":30,"dir":">","ipt":0},{"b":46,"dir":"<","ipt":11}],"ip":{"out":{"ttl":64,"id":[0]},"in":{"ttl":64,"id":[0]}}}
	// 1 flow
}

const T0 int64 = 1502118721_000000

func newCtx(cfg *joy.Config) (*joy.Context, *bytes.Buffer, *bytes.Buffer) {
	var out, log bytes.Buffer
	return joy.NewContext(cfg, &out, logx.New(&log, int(cfg.Verbosity))), &out, &log
}

type flowKey struct {
	Sa, Da string
	Pr     int
	Sp, Dp *int
}

func (k flowKey) String() string {
	p := func(v *int) string {
		if v == nil {
			return "null"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprintf("%s:%s→%s:%s/%d", k.Sa, p(k.Sp), k.Da, p(k.Dp), k.Pr)
}

func keys(t *testing.T, out []byte) []string {
	t.Helper()
	var ks []string
	for _, l := range tu.Lines(out) {
		var k flowKey
		if err := json.Unmarshal([]byte(l), &k); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		ks = append(ks, k.String())
	}
	return ks
}

func TestLinkTypes(t *testing.T) {
	ip4udp := tu.Serialize(tu.IPv4("192.0.2.1", "198.51.100.2", layers.IPProtocolUDP), tu.UDP(1111, 53), gopacket.Payload("query"))
	ip4tcp := tu.Serialize(tu.IPv4("192.0.2.1", "198.51.100.2", layers.IPProtocolTCP), tu.TCP(40000, 443, 1, 0, "S", 1024))
	ip6udp := tu.Serialize(tu.IPv6("2001:db8::1", "2001:db8::2", layers.IPProtocolUDP), tu.UDP(1111, 53), gopacket.Payload("query"))
	ip6hbh := tu.Serialize(tu.IPv6("fe80::1", "ff02::16", layers.IPProtocolIPv6HopByHop),
		gopacket.Payload([]byte{58, 0, 5, 2, 0, 0, 1, 0, 143, 0, 0, 0, 0, 0, 0, 0}))
	const (
		k4udp = "192.0.2.1:1111→198.51.100.2:53/17"
		k4tcp = "192.0.2.1:40000→198.51.100.2:443/6"
		k6udp = "2001:db8::1:1111→2001:db8::2:53/17"
	)
	cases := []struct {
		name  string
		link  joy.LinkType
		frame []byte
		want  string
	}{
		{"ethernet", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeIPv4), gopacket.Payload(ip4udp)), k4udp},
		{"ethernet tcp", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeIPv4), gopacket.Payload(ip4tcp)), k4tcp},
		{"802.1Q", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp)), k4udp},
		{"QinQ", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 6, Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp)), k4udp},
		{"MPLS", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 16}, &layers.MPLS{Label: 17, StackBottom: true}, gopacket.Payload(ip4tcp)), k4tcp},
		{"PPPoE", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypePPPoESession), &layers.PPPoE{Version: 1, Type: 1, SessionId: 1},
			&layers.PPP{PPPType: layers.PPPTypeIPv4}, gopacket.Payload(ip4udp)), k4udp},
		{"ipv6", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeIPv6), gopacket.Payload(ip6udp)), k6udp},
		{"ipv6 hop-by-hop MLD", joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeIPv6), gopacket.Payload(ip6hbh)), "fe80::1:null→ff02::16:null/58"},
		{"SLL", joy.LinkSLL, tu.SLL(layers.EthernetTypeIPv4, ip4udp), k4udp},
		{"SLL2", joy.LinkSLL2, tu.SLL2(layers.EthernetTypeIPv6, ip6udp), k6udp},
		{"null", joy.LinkNull, tu.Null(2, ip4tcp), k4tcp},
		{"loop", joy.LinkLoop, tu.Loop(24, ip6udp), k6udp},
		{"raw 101 v4", joy.LinkRaw, ip4udp, k4udp},
		{"raw 101 v6", joy.LinkRaw, ip6udp, k6udp},
		{"raw 12", 12, ip4udp, k4udp},
		{"ipv4 228", joy.LinkIPv4, ip4tcp, k4tcp},
		{"ipv6 229", joy.LinkIPv6, ip6udp, k6udp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, out, _ := newCtx(&joy.Config{Bidir: true, Type: 1, Verbosity: 4})
			ctx.SetLinkType(c.link)
			if ctx.LinkType() != c.link {
				t.Errorf("LinkType() = %d", ctx.LinkType())
			}
			ctx.ProcessPacket(T0, c.frame)
			ctx.PrintFlows(joy.AllFlows)
			if got := keys(t, out.Bytes()); len(got) != 1 || got[0] != c.want {
				t.Errorf("flows %v, want [%s]", got, c.want)
			}
		})
	}
}

func TestBadIPHeaderLogged(t *testing.T) {
	ctx, out, log := newCtx(&joy.Config{Type: 1, Verbosity: 4})
	f := udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 10)
	f[14] = 0x44 // IHL 4: 16 bytes
	ctx.ProcessPacket(T0, f)
	ctx.PrintFlows(joy.AllFlows)
	if out.Len() != 0 {
		t.Errorf("flow printed for a bad header: %s", out)
	}
	if got := log.String(); got != "ERR:  Invalid IP header length: 16 bytes\n" {
		t.Errorf("log %q", got)
	}
	if s := ctx.Stats(); s.Packets != 1 || s.BadHeaders != 1 || s.IPPackets != 0 {
		t.Errorf("stats %+v", s)
	}
	// Below the error level nothing is written, but the message is counted.
	var logBuf bytes.Buffer
	l := logx.New(&logBuf, 5)
	ctx = joy.NewContext(&joy.Config{Type: 1}, &bytes.Buffer{}, l)
	ctx.ProcessPacket(T0, f)
	if logBuf.Len() != 0 || l.Count(logx.Err) != 1 {
		t.Errorf("verbosity 5: log %q count %d", logBuf.String(), l.Count(logx.Err))
	}
}

func TestInvalidTCPHeaderLogged(t *testing.T) {
	ctx, out, log := newCtx(&joy.Config{Bidir: true, Type: 1, Verbosity: 4})
	f := tu.EthTCP4("10.0.0.1", "10.0.0.2", tu.TCP(1234, 80, 1, 0, "PA", 100), []byte("abcdef"))
	f[14+20+12] = 0x40
	ctx.ProcessPacket(T0, f)
	ctx.PrintFlows(joy.AllFlows)
	if !strings.Contains(out.String(), `"pr":6,"sp":0,"dp":0,"bytes_out":26,`) || !strings.Contains(out.String(), `"debug":{"invalid":1}`) {
		t.Errorf("output %s", out)
	}
	if log.String() != "ERR: Invalid TCP header length: 16 bytes\n" {
		t.Errorf("log %q", log.String())
	}
}

func TestStatsAndTruncation(t *testing.T) {
	ctx, out, _ := newCtx(&joy.Config{Type: 1, Verbosity: 4})
	full := udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 40)
	arp := tu.Serialize(tu.Ether(layers.EthernetTypeARP), gopacket.Payload(make([]byte, 28)))
	ip6 := tu.Serialize(tu.Ether(layers.EthernetTypeIPv6), tu.IPv6("2001:db8::1", "2001:db8::2", layers.IPProtocolUDP), tu.UDP(1, 2), gopacket.Payload("x"))
	ctx.ProcessPacket(T0, full[:len(full)-14]) // accepted: the original's 14-byte slack
	ctx.ProcessPacket(T0+1, full[:len(full)-15])
	ctx.ProcessPacket(T0+2, arp)
	ctx.ProcessPacket(T0+3, ip6)
	s := ctx.Stats()
	if s.Packets != 4 || s.IPPackets != 2 || s.IPv4Packets != 1 || s.Ignored != 2 || s.BadHeaders != 0 {
		t.Errorf("stats %+v", s)
	}
	if ctx.Flows() != 2 {
		t.Errorf("Flows() = %d, want 2", ctx.Flows())
	}
	if n := ctx.PrintFlows(joy.AllFlows); n != 2 || ctx.Stats().FlowsPrinted != 2 || ctx.Flows() != 0 {
		t.Errorf("printed %d, stats %+v, left %d", n, ctx.Stats(), ctx.Flows())
	}
	// The truncated frame counts its full UDP payload; the missing bytes
	// read as zeros.
	lines := tu.Lines(out.Bytes())
	if !strings.Contains(lines[0], `"bytes_out":40,"num_pkts_out":1,`) || !strings.Contains(lines[0], `"packets":[{"b":40,`) {
		t.Errorf("truncated flow: %s", lines[0])
	}
}

func TestWriteConfig(t *testing.T) {
	ctx, out, _ := newCtx(&joy.Config{Bidir: true, Type: 1, Verbosity: 4})
	ctx.WriteConfig(true)
	if !strings.HasPrefix(out.String(), `{"version":"2.1-dev","interface":"none",`) || !strings.HasSuffix(out.String(), `"ppi":0,"end-config":1}`+"\n") || !json.Valid(out.Bytes()) {
		t.Errorf("JSON config %s", out)
	}
	out.Reset()
	ctx.WriteConfig(false)
	if !strings.HasPrefix(out.String(), "joy version = 2.1-dev\ninterface = none\n") || !strings.HasSuffix(out.String(), "verbosity = 4\n") {
		t.Errorf("terminal config %s", out)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) { w.n++; return 0, fmt.Errorf("disk full") }

func TestWriteErrors(t *testing.T) {
	var log bytes.Buffer
	w := &failWriter{}
	ctx := joy.NewContext(&joy.Config{Type: 1}, w, logx.New(&log, 4))
	for i := 0; i < 3; i++ {
		ctx.ProcessPacket(T0, udpFrame("10.0.0.1", "10.0.0.2", uint16(i), 2, 1))
	}
	ctx.PrintFlows(joy.AllFlows)
	ctx.WriteConfig(true)
	// Two failed writes (the flows, the configuration line), four lines
	// lost, one log line.
	if s := ctx.Stats(); s.WriteErrors != 2 || s.RecordsLost != 4 || s.FlowsPrinted != 3 ||
		strings.Count(log.String(), "\n") != 1 || !strings.Contains(log.String(), "ERR: output: could not write flow records: disk full") {
		t.Errorf("stats %+v, log %q", s, log.String())
	}
}

// writePcap writes frames taken at the given µs timestamps to a pcap file.
func writePcap(t *testing.T, link layers.LinkType, ts []int64, frames ...[]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.pcap")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	w.WriteFileHeader(65536, link)
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.UnixMicro(ts[i]), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	return p
}

// The command line cadence: expired flows are printed after every 5th IPv4
// packet, and once more at the end; IPv6 packets do not count. Flow A has
// one packet at T0 and one at T0+20 s, after five packets of a tail flow.
// When the tail is IPv4 the 10th IPv4 packet drains A (expired) before its
// second packet, which then starts a new flow; an IPv6 tail does not count,
// so A stays one flow.
func TestProcessCaptureCadence(t *testing.T) {
	ip6 := func(n int) []byte {
		return tu.Serialize(tu.Ether(layers.EthernetTypeIPv6), tu.IPv6("2001:db8::1", "2001:db8::2", layers.IPProtocolUDP), tu.UDP(1, 2), gopacket.Payload(make([]byte, n)))
	}
	for _, c := range []struct {
		name     string
		last     func(int) []byte
		flowsOfA int
	}{
		{"ipv6 tail", ip6, 1},
		{"ipv4 tail", func(n int) []byte { return udpFrame("10.9.9.9", "10.8.8.8", 1, 2, n) }, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			frames := [][]byte{udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 1)}
			tsOf := []int64{T0}
			for i := 1; i <= 4; i++ {
				frames = append(frames, udpFrame("10.0.0.3", "10.0.0.4", 3, 4, 1))
				tsOf = append(tsOf, T0+int64(i)*1_000_000)
			}
			for i := 0; i < 5; i++ {
				frames = append(frames, c.last(1))
				tsOf = append(tsOf, T0+20_000_000)
			}
			frames = append(frames, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 1))
			tsOf = append(tsOf, T0+20_000_000)
			path := writePcap(t, layers.LinkTypeEthernet, tsOf, frames...)
			ctx, out, _ := newCtx(&joy.Config{Bidir: true, Type: 1, Verbosity: 4})
			if err := ctx.ProcessCapture(path); err != nil {
				t.Fatal(err)
			}
			a := strings.Count(out.String(), `"sa":"10.0.0.1"`)
			if a != c.flowsOfA {
				t.Fatalf("flow A printed as %d flows, want %d:\n%s", a, c.flowsOfA, out)
			}
		})
	}
}

func TestProcessCaptureErrors(t *testing.T) {
	ctx, _, _ := newCtx(&joy.Config{Type: 1, Verbosity: 4})
	if err := ctx.ProcessCapture(filepath.Join(t.TempDir(), "missing.pcap")); err == nil {
		t.Errorf("missing file: no error")
	}
	// An unsupported link type is decoded as Ethernet, with a warning.
	path := writePcap(t, layers.LinkType(147), []int64{T0}, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 1))
	ctx, out, log := newCtx(&joy.Config{Type: 1, Verbosity: 3})
	if err := ctx.ProcessCapture(path); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "WARN: ") || !strings.Contains(log.String(), "link type 147 is not supported") || len(tu.Lines(out.Bytes())) != 1 {
		t.Errorf("log %q, out %s", log.String(), out)
	}
	// A file cut in the middle keeps the flows seen so far and logs.
	path = writePcap(t, layers.LinkTypeEthernet, []int64{T0, T0 + 1}, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 1), udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 1))
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-5], 0o644)
	ctx, out, log = newCtx(&joy.Config{Type: 1, Verbosity: 4})
	if err := ctx.ProcessCapture(path); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "ERR: ") || !strings.Contains(out.String(), `"num_pkts_out":1,`) {
		t.Errorf("log %q, out %s", log.String(), out)
	}
}

// Each context has its own clock (the original shared one, QUIRK-4).
func TestContextsIndependent(t *testing.T) {
	a, outA, _ := newCtx(&joy.Config{Type: 1})
	b, outB, _ := newCtx(&joy.Config{Type: 1})
	a.ProcessPacket(T0, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 1))
	b.ProcessPacket(T0+365*86400*1_000_000, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 1))
	if a.PrintFlows(joy.ExpiredFlows) != 0 || outA.Len() != 0 {
		t.Errorf("context a expired by b's clock: %s", outA)
	}
	if b.PrintFlows(joy.ExpiredFlows) != 0 || outB.Len() != 0 {
		t.Errorf("context b: %s", outB)
	}
	if a.Discard() != 1 || a.Flows() != 0 {
		t.Errorf("Discard")
	}
}

// Contexts on different goroutines share nothing (run with -race).
func TestConcurrentContexts(t *testing.T) {
	var wg sync.WaitGroup
	outs := make([]string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var out bytes.Buffer
			ctx := joy.NewContext(&joy.Config{Bidir: true, Type: 1}, &out, nil)
			for i := 0; i < 200; i++ {
				ctx.ProcessPacket(T0+int64(i)*100_000, udpFrame("10.0.0.1", "10.0.0.2", uint16(i%7), 53, i%50))
				ctx.ProcessPacket(T0+int64(i)*100_000+10, udpFrame("10.0.0.2", "10.0.0.1", 53, uint16(i%7), i%30))
				if i%5 == 0 {
					ctx.PrintFlows(joy.ExpiredFlows)
				}
			}
			ctx.PrintFlows(joy.AllFlows)
			outs[g] = out.String()
		}(g)
	}
	wg.Wait()
	for g := 1; g < 8; g++ {
		if outs[g] != outs[0] {
			t.Fatalf("goroutine %d produced different output", g)
		}
	}
	if n := tu.CheckJSONLines(t, []byte(outs[0])); n != 7 {
		t.Errorf("%d flows, want 7", n)
	}
}

var fuzzLinks = []joy.LinkType{joy.LinkEthernet, joy.LinkNull, joy.LinkRaw, joy.LinkLoop, joy.LinkSLL, joy.LinkIPv4, joy.LinkIPv6, joy.LinkSLL2}

// FuzzProcessPacket feeds one arbitrary frame, three times (the last past
// both timeouts), to a fresh context and prints everything: nothing may
// panic and every output line must be a JSON object. link picks the link
// type from fuzzLinks (one context per input keeps the target fast); opts
// switches bidir, zeros, retrans, preemptive timeout, and with 0x10 every
// protocol module and byte feature, so their parsers see the payloads too.
func FuzzProcessPacket(f *testing.F) {
	ip4udp := tu.Serialize(tu.IPv4("192.0.2.1", "198.51.100.2", layers.IPProtocolUDP), tu.UDP(1111, 53), gopacket.Payload("query"))
	syn := tu.TCP(40000, 443, 1, 0, "S", 1024)
	syn.Options = []layers.TCPOption{{OptionType: 2, OptionData: []byte{5, 0xb4}}, {OptionType: 1}, {OptionType: 3, OptionData: []byte{7}}}
	linkIndex := func(l joy.LinkType) uint8 {
		for i, x := range fuzzLinks {
			if x == l {
				return uint8(i)
			}
		}
		return 0
	}
	seeds := []struct {
		link  joy.LinkType
		frame []byte
	}{
		{joy.LinkEthernet, udpFrame("10.0.0.1", "10.0.0.2", 1, 2, 10)},
		{joy.LinkEthernet, tu.EthTCP4("10.0.0.1", "10.0.0.2", syn, nil)},
		{joy.LinkEthernet, tu.EthTCP4("10.0.0.1", "10.0.0.2", tu.TCP(1, 443, 5, 6, "PA", 9), []byte("\x16\x03\x01\x00\x10\x01"))},
		{joy.LinkEthernet, tu.EthTCP4("10.0.0.1", "10.0.0.2", tu.TCP(1, 80, 5, 6, "PA", 9), []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))},
		{joy.LinkEthernet, tu.EthTCP4("10.0.0.1", "10.0.0.2", tu.TCP(1, 22, 5, 6, "PA", 9), []byte("SSH-2.0-OpenSSH_7.4\r\n"))},
		{joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeDot1Q), &layers.Dot1Q{Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp))},
		{joy.LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeIPv6), tu.IPv6("2001:db8::1", "2001:db8::2", layers.IPProtocolIPv6HopByHop),
			gopacket.Payload([]byte{58, 0, 1, 4, 0, 0, 0, 0, 128, 0, 0, 0, 0, 1, 0, 1}))},
		{joy.LinkSLL, tu.SLL(layers.EthernetTypeIPv4, ip4udp)},
		{joy.LinkNull, tu.Null(2, ip4udp)},
		{joy.LinkRaw, ip4udp},
	}
	for _, s := range seeds {
		f.Add(int64(T0), s.frame, linkIndex(s.link), uint8(0x11))
		f.Add(int64(T0), s.frame, linkIndex(s.link), uint8(0x00))
	}
	for _, fr := range tu.SeedFrames(4, "joy-sample.pcap", "joy-tls12.pcap", "joy-dhcp.pcap", "joy-ikev2.pcap", "joy-ssh-gex-sha256.pcap",
		"mercury-sll_tls.pcap", "ndpi-6in4tunnel.pcap", "libpcap-ipv6_ext_headers.pcap", "mercury-ip_encapsulation.pcap",
		"malformed/mercury-bad_tcp.pcap", "malformed/zeek-tcp-truncated-header.pcap", "malformed/zeek-dns-dns-invalid-names.pcap") {
		f.Add(fr.TS, fr.Data, linkIndex(joy.LinkType(fr.Link)), uint8(0x13))
	}
	f.Fuzz(func(t *testing.T, ts int64, frame []byte, link uint8, opts uint8) {
		cfg := &joy.Config{Type: 1, Verbosity: 4, Bidir: opts&1 != 0, Zeros: opts&2 != 0, Retrans: opts&4 != 0, PreemptiveTimeout: opts&8 != 0}
		if opts&0x10 != 0 {
			cfg.DNS, cfg.SSH, cfg.TLS, cfg.DHCP, cfg.HTTP, cfg.IKE = true, true, true, true, true, true
			cfg.Dist, cfg.Entropy, cfg.WHT, cfg.Payload, cfg.HD = true, true, true, 32, 1
		}
		if opts&0x20 != 0 {
			cfg.Type = 2 // SALT
		}
		lt := fuzzLinks[int(link)%len(fuzzLinks)]
		var out bytes.Buffer
		ctx := joy.NewContext(cfg, &out, logx.New(&bytes.Buffer{}, 1))
		ctx.SetLinkType(lt)
		ctx.ProcessPacket(ts, frame)
		ctx.ProcessPacket(ts+1, frame)
		ctx.ProcessPacket(ts+31_000_000, frame) // past both timeouts
		n := ctx.PrintFlows(joy.ExpiredFlows)
		n += ctx.PrintFlows(joy.AllFlows)
		if ctx.Flows() != 0 {
			t.Fatalf("link %d: %d records left after printing all", lt, ctx.Flows())
		}
		if got := tu.CheckJSONLines(t, out.Bytes()); got != int(ctx.Stats().FlowsPrinted) || n > got {
			t.Fatalf("link %d: %d lines, %d flows printed (%d by PrintFlows)", lt, got, ctx.Stats().FlowsPrinted, n)
		}
	})
}
