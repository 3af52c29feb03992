package joy

import (
	"io"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// steadyFrames builds a TCP flow's frames in both directions.
func steadyFrames(t testing.TB) (out, in []byte) {
	build := func(src, dst [4]byte, sp, dp layers.TCPPort, payload []byte) []byte {
		eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src[:], DstIP: dst[:]}
		tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: 1000, ACK: true, Window: 512}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	return build(a, b, 40000, 443, []byte("hello")), build(b, a, 443, 40000, []byte("world!"))
}

// A packet of a flow that already exists must not allocate: the packet
// path reuses the decoder, the record and its arrays.
func TestProcessPacketDoesNotAllocate(t *testing.T) {
	out, in := steadyFrames(t)
	ctx := NewContext(&Config{Bidir: true, Type: 1}, io.Discard, nil)
	ts := int64(1_600_000_000_000_000)
	ctx.ProcessPacket(ts, out)
	ctx.ProcessPacket(ts+1, in)
	allocs := testing.AllocsPerRun(1000, func() {
		ts += 10
		ctx.ProcessPacket(ts, out)
		ctx.ProcessPacket(ts+5, in)
	})
	if allocs != 0 {
		t.Fatalf("steady-state packets allocate %.1f times per pair, want 0", allocs)
	}
	if ctx.Flows() != 2 {
		t.Fatalf("flows = %d, want one record per direction", ctx.Flows())
	}
}

func BenchmarkProcessPacket(b *testing.B) {
	out, in := steadyFrames(b)
	ctx := NewContext(&Config{Bidir: true, Type: 1}, io.Discard, nil)
	ts := int64(1_600_000_000_000_000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ts += 10
		ctx.ProcessPacket(ts, out)
		ctx.ProcessPacket(ts+5, in)
	}
}
