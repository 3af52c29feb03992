package decode

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// gopacketNetwork is the link-layer decoding the package did before it
// read Ethernet, 802.1Q and the loopback family itself: gopacket's
// DecodingLayerParser, then etherPayload. network must agree with it on
// every frame (FuzzDecode checks).
type gopacketNetwork struct {
	d       *Decoder
	parser  *gopacket.DecodingLayerParser
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	loop    layers.Loopback
	decoded []gopacket.LayerType
}

func newGopacketNetwork(t LinkType) *gopacketNetwork {
	g := &gopacketNetwork{d: NewDecoder(t)}
	first := layers.LayerTypeEthernet
	if t == LinkNull || t == LinkLoop {
		first = layers.LayerTypeLoopback
	}
	g.parser = gopacket.NewDecodingLayerParser(first, &g.eth, &g.dot1q, &g.loop)
	return g
}

func (g *gopacketNetwork) network(frame []byte) ([]byte, int, error) {
	switch g.d.link {
	case LinkRaw, LinkRawDLT12, LinkRawDLT14, LinkIPv4, LinkIPv6, LinkSLL, LinkSLL2:
		return g.d.network(frame) // never went through gopacket
	}
	err := g.parser.DecodeLayers(frame, &g.decoded)
	if len(g.decoded) == 0 {
		return nil, 0, ErrNotIP
	}
	if err != nil {
		if _, ok := err.(gopacket.UnsupportedLayerType); !ok {
			return nil, 0, ErrNotIP
		}
	}
	switch g.decoded[len(g.decoded)-1] {
	case layers.LayerTypeEthernet:
		return g.d.etherPayload(uint16(g.eth.EthernetType), g.eth.Payload)
	case layers.LayerTypeDot1Q:
		return g.d.etherPayload(uint16(g.dot1q.Type), g.dot1q.Payload)
	case layers.LayerTypeLoopback:
		switch g.loop.Family {
		case layers.ProtocolFamilyIPv4:
			return g.loop.Payload, 4, nil
		case layers.ProtocolFamilyIPv6BSD, layers.ProtocolFamilyIPv6FreeBSD, layers.ProtocolFamilyIPv6Darwin, layers.ProtocolFamilyIPv6Linux:
			return g.loop.Payload, 6, nil
		}
	}
	return nil, 0, ErrNotIP
}

// sameNetwork fails t when network and the gopacket decoding differ on
// frame.
func sameNetwork(t *testing.T, d *Decoder, g *gopacketNetwork, frame []byte) {
	t.Helper()
	b1, v1, e1 := d.network(frame)
	b2, v2, e2 := g.network(frame)
	if e1 != e2 || (e1 == nil && (v1 != v2 || !bytes.Equal(b1, b2) || len(b1) != len(b2))) {
		t.Fatalf("link %d, frame % x: network = (%d bytes, v%d, %v), gopacket = (%d bytes, v%d, %v)",
			d.link, frame, len(b1), v1, e1, len(b2), v2, e2)
	}
}

func TestNetworkMatchesGopacket(t *testing.T) {
	eth := func(types ...uint16) []byte {
		f := make([]byte, 12, 64)
		for i, ty := range types {
			if i > 0 {
				f = append(f, 0, 7) // a VLAN id
			}
			f = binary.BigEndian.AppendUint16(f, ty)
		}
		return append(f, ip4udp...)
	}
	frames := [][]byte{
		nil, {1, 2, 3}, eth(0x0800), eth(0x86dd), eth(0x0806), eth(0x0200), eth(0x05ff), eth(0x0600),
		eth(0x8100, 0x0800), eth(0x88a8, 0x8100, 0x0800), eth(0x9100, 0x0800), eth(0x8100, 0x9100, 0x86dd),
		eth(0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x8100, 0x0800),
		eth(0x8847), eth(0x8864), eth(0x8100)[:16], eth(0x8100)[:14], eth(0x8100)[:13],
		{2, 0, 0, 0, 0x45}, {0, 0, 0, 2, 0x45}, {0, 0, 0, 24}, {30, 0, 0, 0, 0x60}, {0, 0, 1, 2}, {3, 0, 0, 0},
	}
	for _, l := range []LinkType{LinkEthernet, LinkNull, LinkLoop, LinkType(147)} {
		d, g := NewDecoder(l), newGopacketNetwork(l)
		for _, f := range frames {
			sameNetwork(t, d, g, f)
		}
	}
}
