package joy

import (
	"bytes"
	"io"
	"testing"

	"github.com/gojoy/libjoy/joy/ipfix"
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

// A bounded table prints its oldest flows early, marked "m", and never
// holds more records than allowed.
func TestFlowTableBound(t *testing.T) {
	var out bytes.Buffer
	ctx := NewContext(&Config{Type: 1, MaxRecords: 1000}, &out, nil)
	frame, _ := steadyFrames(t)
	ts := int64(1_600_000_000_000_000)
	const flows = 50_000
	for i := 0; i < flows; i++ {
		// A new source port for every packet: each is a new flow.
		frame[34], frame[35] = byte(i>>8), byte(i)
		frame[26] = byte(i >> 16)
		ctx.ProcessPacket(ts+int64(i), frame)
		if ctx.Flows() > 1000 {
			t.Fatalf("%d records held, bound 1000", ctx.Flows())
		}
	}
	ctx.PrintFlows(AllFlows)
	lines := bytes.Count(out.Bytes(), []byte("\n"))
	evicted := bytes.Count(out.Bytes(), []byte(`"expire_type":"m"`))
	if lines != flows || uint64(evicted) != ctx.Evicted() || evicted != flows-1000 {
		t.Fatalf("%d records printed (want %d), %d marked m, %d counted", lines, flows, evicted, ctx.Evicted())
	}
}

// Exporting flows over IPFIX allocates nothing once the buffers have grown:
// the conversion reuses one record, the exporter encodes in place.
func TestExportDoesNotAllocate(t *testing.T) {
	out, in := steadyFrames(t)
	ctx := NewContext(&Config{Bidir: true, Type: 1, Dist: true, IDP: 100, ReportIDP: true}, io.Discard, nil)
	ctx.SetExporter(ipfix.NewExporter(io.Discard, ipfix.Options{}))
	ts := int64(1_600_000_000_000_000)
	cycle := func() {
		for i := 0; i < 5; i++ {
			ts += 10
			ctx.ProcessPacket(ts, out)
			ctx.ProcessPacket(ts+5, in)
		}
		ctx.ExportFlows(AllFlows)
	}
	for i := 0; i < 10; i++ {
		cycle()
	}
	if allocs := testing.AllocsPerRun(200, cycle); allocs != 0 {
		t.Fatalf("exporting a flow allocates %.1f times, want 0", allocs)
	}
	st, _ := ctx.ExportStats()
	if st.Records == 0 || st.Errors != 0 {
		t.Fatalf("exporter stats %+v", st)
	}
}
