package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// want is what a decoded packet should hold; ports are read from the
// transport area when the key protocol is TCP or UDP.
type want struct {
	version  uint8
	src, dst string
	proto    uint8
	ttl      uint8
	sp, dp   uint16
	trLen    int // len(Transport)
}

func addr(p *Packet, b [16]byte) string {
	if p.Version == 4 {
		return netip.AddrFrom4([4]byte(b[:4])).String()
	}
	return netip.AddrFrom16(b).String()
}

func check(t *testing.T, p *Packet, w want) {
	t.Helper()
	if p.Version != w.version {
		t.Errorf("Version = %d, want %d", p.Version, w.version)
	}
	if s := addr(p, p.Src); s != w.src {
		t.Errorf("Src = %s, want %s", s, w.src)
	}
	if s := addr(p, p.Dst); s != w.dst {
		t.Errorf("Dst = %s, want %s", s, w.dst)
	}
	if p.Proto != w.proto {
		t.Errorf("Proto = %d, want %d", p.Proto, w.proto)
	}
	if p.TTL != w.ttl {
		t.Errorf("TTL = %d, want %d", p.TTL, w.ttl)
	}
	if len(p.Transport) != w.trLen {
		t.Errorf("len(Transport) = %d, want %d", len(p.Transport), w.trLen)
	}
	if (w.proto == 6 || w.proto == 17) && len(p.Transport) >= 4 {
		sp, dp := binary.BigEndian.Uint16(p.Transport), binary.BigEndian.Uint16(p.Transport[2:])
		if sp != w.sp || dp != w.dp {
			t.Errorf("ports = %d→%d, want %d→%d", sp, dp, w.sp, w.dp)
		}
	}
}

// Network-layer packets reused by the link-type cases.
var (
	payload10 = []byte("0123456789")
	ip4udp    = tu.Serialize(tu.IPv4("192.0.2.1", "198.51.100.2", layers.IPProtocolUDP), tu.UDP(1111, 53), gopacket.Payload(payload10))
	ip4tcp    = tu.Serialize(tu.IPv4("192.0.2.1", "198.51.100.2", layers.IPProtocolTCP), tu.TCP(40000, 443, 1, 0, "S", 1024))
	ip6udp    = tu.Serialize(tu.IPv6("2001:db8::1", "2001:db8::2", layers.IPProtocolUDP), tu.UDP(1111, 53), gopacket.Payload(payload10))
	want4udp  = want{version: 4, src: "192.0.2.1", dst: "198.51.100.2", proto: 17, ttl: 64, sp: 1111, dp: 53, trLen: 18}
	want4tcp  = want{version: 4, src: "192.0.2.1", dst: "198.51.100.2", proto: 6, ttl: 64, sp: 40000, dp: 443, trLen: 20}
	want6udp  = want{version: 6, src: "2001:db8::1", dst: "2001:db8::2", proto: 17, ttl: 64, sp: 1111, dp: 53, trLen: 18}
)

// ipv6Ext builds an IPv6 packet whose fixed header is followed by the
// given raw extension-header bytes and then the transport bytes.
func ipv6Ext(first layers.IPProtocol, ext []byte, transport []byte) []byte {
	return tu.Serialize(tu.IPv6("2001:db8::1", "2001:db8::2", first), gopacket.Payload(append(append([]byte(nil), ext...), transport...)))
}

var udpHdr = tu.Serialize(tu.UDP(1111, 53), gopacket.Payload(payload10)) // 18 bytes, no checksum layer

func TestLinkTypes(t *testing.T) {
	ether := func(ls ...gopacket.SerializableLayer) []byte { return tu.Serialize(ls...) }
	icmp6 := []byte{128, 0, 0, 0, 0, 1, 0, 1} // echo request
	cases := []struct {
		name  string
		link  LinkType
		frame []byte
		want  want
	}{
		{"ethernet/ipv4/udp", LinkEthernet, tu.EthUDP4("192.0.2.1", "198.51.100.2", 1111, 53, payload10), want4udp},
		{"ethernet/ipv4/tcp", LinkEthernet, ether(tu.Ether(layers.EthernetTypeIPv4), gopacket.Payload(ip4tcp)), want4tcp},
		{"802.1Q", LinkEthernet, ether(tu.Ether(layers.EthernetTypeDot1Q),
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp)), want4udp},
		{"QinQ 88a8+8100", LinkEthernet, ether(tu.Ether(layers.EthernetTypeQinQ),
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp)), want4udp},
		{"double 8100", LinkEthernet, ether(tu.Ether(layers.EthernetTypeDot1Q),
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp)), want4udp},
		{"9100 outer tag", LinkEthernet, ether(tu.Ether(0x9100),
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp)), want4udp},
		{"802.1Q/ipv6", LinkEthernet, ether(tu.Ether(layers.EthernetTypeDot1Q),
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeIPv6}, gopacket.Payload(ip6udp)), want6udp},
		{"MPLS two labels", LinkEthernet, ether(tu.Ether(layers.EthernetTypeMPLSUnicast),
			&layers.MPLS{Label: 100, TTL: 9}, &layers.MPLS{Label: 200, StackBottom: true, TTL: 9}, gopacket.Payload(ip4udp)), want4udp},
		{"MPLS ipv6", LinkEthernet, ether(tu.Ether(layers.EthernetTypeMPLSUnicast),
			&layers.MPLS{Label: 100, StackBottom: true, TTL: 9}, gopacket.Payload(ip6udp)), want6udp},
		{"802.1Q+MPLS", LinkEthernet, ether(tu.Ether(layers.EthernetTypeDot1Q),
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeMPLSUnicast},
			&layers.MPLS{Label: 100, StackBottom: true, TTL: 9}, gopacket.Payload(ip4udp)), want4udp},
		{"PPPoE/ipv4", LinkEthernet, ether(tu.Ether(layers.EthernetTypePPPoESession),
			&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 7},
			&layers.PPP{PPPType: layers.PPPTypeIPv4}, gopacket.Payload(ip4udp)), want4udp},
		{"PPPoE/ipv6", LinkEthernet, ether(tu.Ether(layers.EthernetTypePPPoESession),
			&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 7},
			&layers.PPP{PPPType: layers.PPPTypeIPv6}, gopacket.Payload(ip6udp)), want6udp},
		{"QinQ+PPPoE", LinkEthernet, ether(tu.Ether(layers.EthernetTypeQinQ),
			&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypePPPoESession},
			&layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 7},
			&layers.PPP{PPPType: layers.PPPTypeIPv4}, gopacket.Payload(ip4udp)), want4udp},
		{"ethernet/ipv6/udp", LinkEthernet, ether(tu.Ether(layers.EthernetTypeIPv6), gopacket.Payload(ip6udp)), want6udp},
		{"ipv6 hop-by-hop → ICMPv6", LinkEthernet, ether(tu.Ether(layers.EthernetTypeIPv6),
			gopacket.Payload(ipv6Ext(layers.IPProtocolIPv6HopByHop, []byte{58, 0, 1, 4, 0, 0, 0, 0}, icmp6))),
			want{version: 6, src: "2001:db8::1", dst: "2001:db8::2", proto: 58, ttl: 64, trLen: 8}},
		{"ipv6 hbh+routing+dstopts → UDP", LinkRaw, ipv6Ext(layers.IPProtocolIPv6HopByHop, []byte{
			43, 0, 1, 4, 0, 0, 0, 0, // hop-by-hop, 8 bytes
			60, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // routing, 24 bytes
			17, 0, 1, 4, 0, 0, 0, 0, // destination options, 8 bytes
		}, udpHdr), want6udp},
		{"ipv6 AH → UDP", LinkRaw, ipv6Ext(layers.IPProtocolAH, []byte{
			17, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // AH, (4+2)*4 = 24 bytes
		}, udpHdr), want6udp},
		{"ipv6 first fragment", LinkRaw, ipv6Ext(layers.IPProtocolIPv6Fragment, []byte{17, 0, 0, 1, 0, 0, 0, 9}, udpHdr), want6udp},
		{"ipv6 later fragment", LinkRaw, ipv6Ext(layers.IPProtocolIPv6Fragment, []byte{17, 0, 0x05, 0x08, 0, 0, 0, 9}, udpHdr),
			want{version: 6, src: "2001:db8::1", dst: "2001:db8::2", proto: 0, ttl: 64, trLen: 18}},
		{"linux SLL v1 ipv4", LinkSLL, tu.SLL(layers.EthernetTypeIPv4, ip4udp), want4udp},
		{"linux SLL v1 ipv6", LinkSLL, tu.SLL(layers.EthernetTypeIPv6, ip6udp), want6udp},
		// The address field is 8 bytes whatever the address length says
		// (gopacket sliced past the frame by it; ndpi-reasm_crash_anon).
		{"linux SLL v1 address length 0xffff", LinkSLL, func() []byte {
			f := tu.SLL(layers.EthernetTypeIPv4, ip4udp)
			f[4], f[5] = 0xff, 0xff
			return f[:len(f):len(f)]
		}(), want4udp},
		{"linux SLL v2 ipv4", LinkSLL2, tu.SLL2(layers.EthernetTypeIPv4, ip4udp), want4udp},
		{"linux SLL v2 ipv6", LinkSLL2, tu.SLL2(layers.EthernetTypeIPv6, ip6udp), want6udp},
		{"linux SLL v2 802.1Q", LinkSLL2, tu.SLL2(layers.EthernetTypeDot1Q, append([]byte{0, 10, 0x08, 0x00}, ip4udp...)), want4udp},
		{"BSD null ipv4", LinkNull, tu.Null(2, ip4udp), want4udp},
		{"BSD null ipv6 (24)", LinkNull, tu.Null(24, ip6udp), want6udp},
		{"BSD null ipv6 (28, FreeBSD)", LinkNull, tu.Null(28, ip6udp), want6udp},
		{"BSD null ipv6 (30, Darwin)", LinkNull, tu.Null(30, ip6udp), want6udp},
		{"BSD null big-endian ipv4", LinkNull, tu.Loop(2, ip4udp), want4udp},
		{"OpenBSD loop ipv4", LinkLoop, tu.Loop(2, ip4udp), want4udp},
		{"OpenBSD loop ipv6", LinkLoop, tu.Loop(24, ip6udp), want6udp},
		{"raw 101 ipv4", LinkRaw, ip4udp, want4udp},
		{"raw 101 ipv6", LinkRaw, ip6udp, want6udp},
		{"raw DLT 12", LinkRawDLT12, ip4udp, want4udp},
		{"raw DLT 14", LinkRawDLT14, ip6udp, want6udp},
		{"raw ipv4 228", LinkIPv4, ip4tcp, want4tcp},
		{"raw ipv6 229", LinkIPv6, ip6udp, want6udp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := NewDecoder(c.link).Decode(c.frame, &p); err != nil {
				t.Fatalf("Decode: %v\nframe % x", err, c.frame)
			}
			check(t, &p, c.want)
		})
	}
}

func TestIPv4Fields(t *testing.T) {
	ip := tu.IPv4("10.1.2.3", "10.4.5.6", layers.IPProtocolUDP)
	ip.TTL, ip.Id = 7, 0xbeef
	frame := tu.Serialize(tu.Ether(layers.EthernetTypeIPv4), ip, tu.UDP(5, 6), gopacket.Payload(payload10))
	var p Packet
	if err := NewDecoder(LinkEthernet).Decode(frame, &p); err != nil {
		t.Fatal(err)
	}
	if !p.HasID || p.ID != 0xbeef || p.TTL != 7 {
		t.Errorf("HasID %v ID %#x TTL %d, want true 0xbeef 7", p.HasID, p.ID, p.TTL)
	}
	if !bytes.Equal(p.Transport[8:], payload10) {
		t.Errorf("Transport payload % x", p.Transport[8:])
	}
	var p6 Packet
	if err := NewDecoder(LinkRaw).Decode(ip6udp, &p6); err != nil {
		t.Fatal(err)
	}
	if p6.HasID {
		t.Errorf("IPv6 packet has HasID set")
	}
}

func TestIPv4Options(t *testing.T) {
	// IHL 6: a 4-byte option (NOP NOP NOP EOL) before UDP.
	ip := tu.IPv4("10.1.2.3", "10.4.5.6", layers.IPProtocolUDP)
	ip.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
	frame := tu.Serialize(tu.Ether(layers.EthernetTypeIPv4), ip, tu.UDP(5, 6), gopacket.Payload(payload10))
	if frame[14]&0x0f != 6 {
		t.Fatalf("test frame has IHL %d, want 6", frame[14]&0x0f)
	}
	var p Packet
	if err := NewDecoder(LinkEthernet).Decode(frame, &p); err != nil {
		t.Fatal(err)
	}
	check(t, &p, want{version: 4, src: "10.1.2.3", dst: "10.4.5.6", proto: 17, ttl: 64, sp: 5, dp: 6, trLen: 18})
}

func TestIPv4HeaderLengthErrors(t *testing.T) {
	base := tu.EthUDP4("10.0.0.1", "10.0.0.2", 1, 2, payload10)
	for ihl := 0; ihl < 5; ihl++ {
		f := append([]byte(nil), base...)
		f[14] = 0x40 | byte(ihl)
		var p Packet
		err := NewDecoder(LinkEthernet).Decode(f, &p)
		var bad *BadHeaderError
		if !errors.As(err, &bad) || bad.HeaderLen != ihl*4 {
			t.Errorf("IHL %d: err = %v, want BadHeaderError{%d}", ihl, err, ihl*4)
		}
	}
	// IHL 15 (60 bytes) in a 38-byte datagram: header longer than the datagram.
	f := append([]byte(nil), base...)
	f[14] = 0x4f
	var p Packet
	var bad *BadHeaderError
	if err := NewDecoder(LinkEthernet).Decode(f, &p); !errors.As(err, &bad) || bad.HeaderLen != 60 {
		t.Errorf("IHL 15 in a short datagram: err = %v, want BadHeaderError{60}", err)
	}
}

func setTotal(f []byte, off int, total int) []byte {
	f = append([]byte(nil), f...)
	binary.BigEndian.PutUint16(f[off+2:], uint16(total))
	return f
}

func TestIPv4TotalLength(t *testing.T) {
	base := tu.EthUDP4("10.0.0.1", "10.0.0.2", 1, 2, payload10) // IP total 38, frame 52
	d := NewDecoder(LinkEthernet)
	var p Packet
	for _, total := range []int{0, 19} {
		if err := d.Decode(setTotal(base, 14, total), &p); !errors.Is(err, ErrShort) {
			t.Errorf("total length %d: err = %v, want ErrShort", total, err)
		}
	}
	// A total length larger than the captured frame drops the packet; the
	// whole frame (link header included) is the limit, as in the original.
	if err := d.Decode(setTotal(base, 14, len(base)+1), &p); !errors.Is(err, ErrShort) {
		t.Errorf("total = frame+1: err = %v, want ErrShort", err)
	}
	// Ethernet padding after the datagram is not part of the transport area.
	padded := append(append([]byte(nil), base...), make([]byte, 8)...)
	if err := d.Decode(padded, &p); err != nil || len(p.Transport) != 18 {
		t.Errorf("padded frame: err %v, len(Transport) %d, want nil, 18", err, len(p.Transport))
	}
}

// The original compares the IP total length with the captured length of the
// whole frame, so a capture missing up to the link-header length of trailing
// bytes is still processed; the missing bytes read as zeros.
func TestTruncatedFrame(t *testing.T) {
	pl := bytes.Repeat([]byte{0xff}, 40)
	full := tu.EthUDP4("10.0.0.1", "10.0.0.2", 1, 2, pl) // IP total 68, frame 82
	d := NewDecoder(LinkEthernet)
	var p Packet
	for cut := 1; cut <= 14; cut++ {
		if err := d.Decode(full[:len(full)-cut], &p); err != nil {
			t.Fatalf("frame missing %d bytes: %v", cut, err)
		}
		if len(p.Transport) != 48 {
			t.Fatalf("missing %d: len(Transport) = %d, want 48", cut, len(p.Transport))
		}
		got := p.Transport[8:]
		wantPl := append(bytes.Repeat([]byte{0xff}, 40-cut), make([]byte, cut)...)
		if !bytes.Equal(got, wantPl) {
			t.Fatalf("missing %d: payload\n% x\nwant\n% x", cut, got, wantPl)
		}
	}
	if err := d.Decode(full[:len(full)-15], &p); !errors.Is(err, ErrShort) {
		t.Errorf("frame missing 15 bytes: err = %v, want ErrShort", err)
	}
	// The zero padding must not leak into the next packet's view of the
	// frame: the original frame bytes are not modified.
	if !bytes.Equal(full[len(full)-40:], pl) {
		t.Errorf("decoder modified the frame")
	}
	// Behind an 802.1Q tag the tolerance is the 18 link bytes.
	vlan := tu.Serialize(tu.Ether(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 1, Type: layers.EthernetTypeIPv4},
		tu.IPv4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP), tu.UDP(1, 2), gopacket.Payload(pl))
	if err := d.Decode(vlan[:len(vlan)-18], &p); err != nil {
		t.Errorf("802.1Q frame missing 18 bytes: %v", err)
	}
	if err := d.Decode(vlan[:len(vlan)-19], &p); !errors.Is(err, ErrShort) {
		t.Errorf("802.1Q frame missing 19 bytes: err = %v, want ErrShort", err)
	}
	// Raw IP has no link header, hence no tolerance.
	raw := full[14:]
	if err := NewDecoder(LinkRaw).Decode(raw[:len(raw)-1], &p); !errors.Is(err, ErrShort) {
		t.Errorf("raw IP missing 1 byte: err = %v, want ErrShort", err)
	}
}

func TestIPv6Lengths(t *testing.T) {
	d := NewDecoder(LinkRaw)
	var p Packet
	if err := d.Decode(ip6udp[:39], &p); !errors.Is(err, ErrShort) {
		t.Errorf("39-byte IPv6: err = %v, want ErrShort", err)
	}
	if err := d.Decode(ip6udp[:len(ip6udp)-1], &p); !errors.Is(err, ErrShort) {
		t.Errorf("IPv6 missing a byte: err = %v, want ErrShort", err)
	}
	// Payload length 0 with data after the header: a jumbogram, sized by
	// the capture.
	j := append([]byte(nil), ip6udp...)
	binary.BigEndian.PutUint16(j[4:], 0)
	if err := d.Decode(j, &p); err != nil || len(p.Transport) != 18 || p.Proto != 17 {
		t.Errorf("jumbogram: err %v len %d proto %d, want nil 18 17", err, len(p.Transport), p.Proto)
	}
	// An extension header cut short by the payload length stops the walk.
	short := ipv6Ext(layers.IPProtocolIPv6HopByHop, []byte{17, 4, 1, 4, 0, 0, 0, 0}, nil) // claims 40 bytes, has 8
	if err := d.Decode(short, &p); err != nil || p.Proto != 0 {
		t.Errorf("cut extension header: err %v proto %d, want nil and the extension's own number (0)", err, p.Proto)
	}
}

func TestFragments(t *testing.T) {
	mk := func(flags layers.IPv4Flag, off uint16) []byte {
		ip := tu.IPv4("10.0.0.1", "10.0.0.2", layers.IPProtocolUDP)
		ip.Flags, ip.FragOffset = flags, off
		return tu.Serialize(tu.Ether(layers.EthernetTypeIPv4), ip, gopacket.Payload(udpHdr))
	}
	d := NewDecoder(LinkEthernet)
	var p Packet
	if err := d.Decode(mk(layers.IPv4MoreFragments, 0), &p); err != nil || p.Proto != 17 {
		t.Errorf("first fragment (MF, offset 0): err %v proto %d, want 17", err, p.Proto)
	}
	for _, off := range []uint16{1, 185, 0x1fff} {
		if err := d.Decode(mk(layers.IPv4MoreFragments, off), &p); err != nil || p.Proto != 0 || len(p.Transport) != 18 {
			t.Errorf("offset %d: err %v proto %d len %d, want proto 0 len 18", off, err, p.Proto, len(p.Transport))
		}
		if err := d.Decode(mk(0, off), &p); err != nil || p.Proto != 0 {
			t.Errorf("last fragment offset %d: err %v proto %d, want proto 0", off, err, p.Proto)
		}
	}
	if err := d.Decode(mk(layers.IPv4DontFragment, 0), &p); err != nil || p.Proto != 17 {
		t.Errorf("DF: err %v proto %d, want 17", err, p.Proto)
	}
}

func TestNotIP(t *testing.T) {
	arp := tu.Serialize(tu.Ether(layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: 1,
		SourceHwAddress: make([]byte, 6), SourceProtAddress: make([]byte, 4), DstHwAddress: make([]byte, 6), DstProtAddress: make([]byte, 4)})
	cases := []struct {
		name  string
		link  LinkType
		frame []byte
	}{
		{"ARP", LinkEthernet, arp},
		{"ethernet header only", LinkEthernet, arp[:14]},
		{"13 bytes", LinkEthernet, arp[:13]},
		{"PPPoE discovery", LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypePPPoEDiscovery), gopacket.Payload(make([]byte, 20)))},
		{"PPPoE LCP", LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypePPPoESession),
			&layers.PPPoE{Version: 1, Type: 1, SessionId: 7}, &layers.PPP{PPPType: 0xc021}, gopacket.Payload(make([]byte, 20)))},
		{"MPLS without bottom of stack", LinkEthernet, tu.Serialize(tu.Ether(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 1}, &layers.MPLS{Label: 2})},
		{"null family 7", LinkNull, tu.Null(7, ip4udp)},
		{"raw version 5", LinkRaw, append([]byte{0x55}, ip4udp[1:]...)},
		{"raw empty", LinkRaw, nil},
		{"SLL ARP", LinkSLL, tu.SLL(layers.EthernetTypeARP, make([]byte, 28))},
		{"SLL2 short", LinkSLL2, make([]byte, 19)},
	}
	for _, c := range cases {
		var p Packet
		if err := NewDecoder(c.link).Decode(c.frame, &p); err == nil {
			t.Errorf("%s: decoded as IPv%d proto %d, want an error", c.name, p.Version, p.Proto)
		}
	}
}

func TestSupported(t *testing.T) {
	for _, l := range []LinkType{0, 1, 12, 14, 101, 108, 113, 228, 229, 276} {
		if !Supported(l) {
			t.Errorf("Supported(%d) = false", l)
		}
	}
	for _, l := range []LinkType{9, 105, 127, 147, 160, 239, 231} {
		if Supported(l) {
			t.Errorf("Supported(%d) = true", l)
		}
	}
	// An unknown link type decodes as Ethernet, as the original assumes.
	var p Packet
	d := NewDecoder(147)
	if d.LinkType() != 147 {
		t.Errorf("LinkType() = %d", d.LinkType())
	}
	if err := d.Decode(tu.EthUDP4("192.0.2.1", "198.51.100.2", 1111, 53, payload10), &p); err != nil {
		t.Fatal(err)
	}
	check(t, &p, want4udp)
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	frames := map[LinkType][][]byte{
		LinkEthernet: {
			tu.EthUDP4("192.0.2.1", "198.51.100.2", 1111, 53, payload10),
			tu.Serialize(tu.Ether(layers.EthernetTypeDot1Q), &layers.Dot1Q{Type: layers.EthernetTypeIPv6}, gopacket.Payload(ip6udp)),
		},
		LinkSLL:  {tu.SLL(layers.EthernetTypeIPv4, ip4udp)},
		LinkNull: {tu.Null(2, ip4udp)},
		LinkRaw:  {ip6udp},
	}
	for link, fs := range frames {
		d := NewDecoder(link)
		var p Packet
		for _, f := range fs {
			n := testing.AllocsPerRun(100, func() { _ = d.Decode(f, &p) })
			if n != 0 {
				t.Errorf("link %d: %v allocations per Decode", link, n)
			}
		}
	}
}

var fuzzLinks = []LinkType{LinkEthernet, LinkNull, LinkRaw, LinkLoop, LinkSLL, LinkIPv4, LinkIPv6, LinkSLL2}

func FuzzDecode(f *testing.F) {
	seeds := [][]byte{
		tu.EthUDP4("192.0.2.1", "198.51.100.2", 1111, 53, payload10),
		tu.Serialize(tu.Ether(layers.EthernetTypeIPv4), gopacket.Payload(ip4tcp)),
		tu.Serialize(tu.Ether(layers.EthernetTypeQinQ), &layers.Dot1Q{Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{Type: layers.EthernetTypeIPv4}, gopacket.Payload(ip4udp)),
		tu.Serialize(tu.Ether(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 100, StackBottom: true}, gopacket.Payload(ip4udp)),
		tu.Serialize(tu.Ether(layers.EthernetTypePPPoESession), &layers.PPPoE{Version: 1, Type: 1}, &layers.PPP{PPPType: layers.PPPTypeIPv6}, gopacket.Payload(ip6udp)),
		ipv6Ext(layers.IPProtocolIPv6HopByHop, []byte{44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0, 1, 0, 0, 0, 9}, udpHdr),
		tu.SLL(layers.EthernetTypeIPv4, ip4udp),
		tu.SLL2(layers.EthernetTypeIPv6, ip6udp),
		tu.Null(24, ip6udp),
		ip4udp, ip6udp,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	for _, fr := range tu.SeedFrames(3, "joy-sample.pcap", "mercury-sll2_tls.pcap", "mercury-pppoe_double_vlan_tagging.pcap",
		"libpcap-ipv6_ext_headers.pcap", "mercury-http_rawip.pcap", "gopacket-test_loopback.pcap") {
		for i, l := range fuzzLinks {
			if int(l) == fr.Link {
				f.Add(uint8(i), fr.Data)
			}
		}
	}
	decoders := make([]*Decoder, len(fuzzLinks))
	refs := make([]*gopacketNetwork, len(fuzzLinks))
	for i, l := range fuzzLinks {
		decoders[i] = NewDecoder(l)
		refs[i] = newGopacketNetwork(l)
	}
	f.Fuzz(func(t *testing.T, which uint8, frame []byte) {
		orig := append([]byte(nil), frame...)
		for i, d := range decoders {
			sameNetwork(t, d, refs[i], frame)
			var p, q Packet
			err := d.Decode(frame, &p)
			if !bytes.Equal(frame, orig) {
				t.Fatalf("link %d: Decode modified the frame", fuzzLinks[i])
			}
			var bad *BadHeaderError
			switch {
			case err == nil:
			case errors.Is(err, ErrNotIP), errors.Is(err, ErrShort):
				continue
			case errors.As(err, &bad):
				if bad.HeaderLen < 0 || bad.HeaderLen > 60 {
					t.Fatalf("link %d: BadHeaderError{%d}", fuzzLinks[i], bad.HeaderLen)
				}
				continue
			default:
				t.Fatalf("link %d: unexpected error %v", fuzzLinks[i], err)
			}
			if p.Version != 4 && p.Version != 6 {
				t.Fatalf("link %d: Version %d", fuzzLinks[i], p.Version)
			}
			if p.HasID != (p.Version == 4) {
				t.Fatalf("link %d: HasID %v for IPv%d", fuzzLinks[i], p.HasID, p.Version)
			}
			// The transport area never exceeds what the IP length allows
			// nor what the frame plus the tolerated missing tail can hold.
			if len(p.Transport) > 65535 || len(p.Transport) > len(frame) {
				t.Fatalf("link %d: len(Transport) %d for a %d-byte frame", fuzzLinks[i], len(p.Transport), len(frame))
			}
			tr := append([]byte(nil), p.Transport...)
			if err := d.Decode(frame, &q); err != nil || !samePacket(&p, tr, &q) {
				t.Fatalf("link %d: decoding twice differs", fuzzLinks[i])
			}
		}
	})
}

func samePacket(p *Packet, ptr []byte, q *Packet) bool {
	return p.Version == q.Version && p.Src == q.Src && p.Dst == q.Dst && p.Proto == q.Proto &&
		p.TTL == q.TTL && p.HasID == q.HasID && p.ID == q.ID && bytes.Equal(ptr, q.Transport)
}
