package pcapfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

type pkt struct {
	ts   time.Time
	data []byte
	wire int
}

var pkts = []pkt{
	{time.Unix(1502118721, 115234000), tu.EthUDP4("10.0.0.1", "10.0.0.2", 1, 2, []byte("first")), 0},
	{time.Unix(1502118722, 999999000), tu.EthUDP4("10.0.0.2", "10.0.0.1", 2, 1, []byte("second packet")), 1500},
	{time.Unix(0, 1000), nil, 60}, // empty capture of a 60-byte packet
	{time.Unix(4294967295, 0), bytes.Repeat([]byte{0xab}, 3000), 3000},
}

func ci(p pkt) gopacket.CaptureInfo {
	wire := p.wire
	if wire == 0 {
		wire = len(p.data)
	}
	return gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: wire}
}

func readAll(t *testing.T, b []byte) (*pcapfile.Reader, []pcapfile.Packet, error) {
	t.Helper()
	r, err := pcapfile.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	var out []pcapfile.Packet
	for i := 0; i < 10000; i++ {
		p, err := r.Next()
		if err != nil {
			return r, out, err
		}
		p.Data = append([]byte(nil), p.Data...)
		out = append(out, p)
	}
	t.Fatal("more than 10000 packets")
	return nil, nil, nil
}

func checkPackets(t *testing.T, got []pcapfile.Packet, link decode.LinkType, nanosKept bool) {
	t.Helper()
	if len(got) != len(pkts) {
		t.Fatalf("%d packets, want %d", len(got), len(pkts))
	}
	for i, p := range got {
		w := pkts[i]
		if wantTS := w.ts.UnixMicro(); p.TS != wantTS {
			t.Errorf("packet %d: TS %d, want %d", i, p.TS, wantTS)
		}
		if !bytes.Equal(p.Data, w.data) {
			t.Errorf("packet %d: data differs (%d vs %d bytes)", i, len(p.Data), len(w.data))
		}
		if p.Length != ci(w).Length {
			t.Errorf("packet %d: Length %d, want %d", i, p.Length, ci(w).Length)
		}
		if p.Link != link {
			t.Errorf("packet %d: Link %d, want %d", i, p.Link, link)
		}
	}
}

func TestClassicMicro(t *testing.T) {
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(ci(p), p.data); err != nil {
			t.Fatal(err)
		}
	}
	r, got, err := readAll(t, b.Bytes())
	if !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v, want io.EOF", err)
	}
	if r.IsPcapng() || r.LinkType() != decode.LinkEthernet {
		t.Errorf("IsPcapng %v LinkType %d", r.IsPcapng(), r.LinkType())
	}
	checkPackets(t, got, decode.LinkEthernet, false)
}

func TestClassicNanos(t *testing.T) {
	var b bytes.Buffer
	w := pcapgo.NewWriterNanos(&b)
	if err := w.WriteFileHeader(65536, layers.LinkTypeLinuxSLL); err != nil {
		t.Fatal(err)
	}
	// 999 ns more than a whole µs: truncated to the µs.
	ts := time.Unix(1600000000, 123456999)
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: 3, Length: 3}, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	r, got, err := readAll(t, b.Bytes())
	if !errors.Is(err, io.EOF) || len(got) != 1 {
		t.Fatalf("err %v, %d packets", err, len(got))
	}
	if r.LinkType() != decode.LinkSLL || got[0].Link != decode.LinkSLL || got[0].TS != 1600000000123456 {
		t.Errorf("link %d/%d TS %d", r.LinkType(), got[0].Link, got[0].TS)
	}
}

// classic writes a pcap file by hand in either byte order.
func classic(order binary.AppendByteOrder, magic uint32, link uint32, recs ...[]byte) []byte {
	var b []byte
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 65535)
	b = order.AppendUint32(b, link)
	for _, r := range recs {
		b = append(b, r...)
	}
	return b
}

func record(order binary.AppendByteOrder, sec, frac uint32, data []byte, wire int) []byte {
	var b []byte
	b = order.AppendUint32(b, sec)
	b = order.AppendUint32(b, frac)
	b = order.AppendUint32(b, uint32(len(data)))
	b = order.AppendUint32(b, uint32(wire))
	return append(b, data...)
}

func TestClassicByteOrders(t *testing.T) {
	data := []byte{0x45, 0, 0, 20}
	for _, c := range []struct {
		name  string
		order binary.AppendByteOrder
		magic uint32
		frac  uint32
	}{
		{"LE µs", binary.LittleEndian, 0xa1b2c3d4, 654321},
		{"BE µs", binary.BigEndian, 0xa1b2c3d4, 654321},
		{"LE ns", binary.LittleEndian, 0xa1b23c4d, 654321999},
		{"BE ns", binary.BigEndian, 0xa1b23c4d, 654321999},
	} {
		f := classic(c.order, c.magic, 101, record(c.order, 1234567890, c.frac, data, 64))
		r, got, err := readAll(t, f)
		if !errors.Is(err, io.EOF) || len(got) != 1 {
			t.Errorf("%s: err %v, %d packets", c.name, err, len(got))
			continue
		}
		if r.LinkType() != decode.LinkRaw || got[0].TS != 1234567890654321 || got[0].Length != 64 || !bytes.Equal(got[0].Data, data) {
			t.Errorf("%s: link %d %+v", c.name, r.LinkType(), got[0])
		}
	}
	// The upper 4 bits of the link-type field (FCS length etc.) are not
	// part of the link type.
	r, err := pcapfile.NewReader(bytes.NewReader(classic(binary.LittleEndian, 0xa1b2c3d4, 0x10000001)))
	if err != nil || r.LinkType() != decode.LinkEthernet {
		t.Errorf("link type with reserved bits: err %v type %d", err, r.LinkType())
	}
}

func TestPcapng(t *testing.T) {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := w.WritePacket(ci(p), p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, got, err := readAll(t, b.Bytes())
	if !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
	if !r.IsPcapng() {
		t.Errorf("IsPcapng false")
	}
	checkPackets(t, got, decode.LinkEthernet, true)
}

// A pcapng file can mix link types: each packet carries its interface's.
func TestPcapngMixedLinkTypes(t *testing.T) {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{LinkType: layers.LinkTypeLinuxSLL, TimestampResolution: 6}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, TimestampResolution: 9})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 5000)
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: 2, Length: 2, InterfaceIndex: 0}, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: 3, Length: 3, InterfaceIndex: id}, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	_, got, err := readAll(t, b.Bytes())
	if !errors.Is(err, io.EOF) || len(got) != 2 {
		t.Fatalf("err %v, %d packets", err, len(got))
	}
	if got[0].Link != decode.LinkSLL || got[1].Link != decode.LinkRaw {
		t.Errorf("links %d %d, want 113 101", got[0].Link, got[1].Link)
	}
	if got[0].TS != 1700000000000005 || got[1].TS != 1700000000000005 {
		t.Errorf("timestamps %d %d", got[0].TS, got[1].TS)
	}
}

// Link types above 255 in pcapng (LINKTYPE_LINUX_SLL2 = 276 is what
// "tcpdump -i any" writes on current Linux). gopacket v1.1.19's pcapgo
// truncated them to 8 bits (its layers.LinkType is a uint8), which is one
// reason pcapng is read here.
func TestPcapngLinkTypeAbove255(t *testing.T) {
	f := tu.Pcapng([]uint16{276, 1}, tu.NgPacket{Iface: 0, TS: 1, Data: []byte{0, 0x08}}, tu.NgPacket{Iface: 1, TS: 2, Data: []byte{1}})
	_, got, err := readAll(t, f)
	if !errors.Is(err, io.EOF) || len(got) != 2 {
		t.Fatalf("err %v, %d packets", err, len(got))
	}
	if got[0].Link != decode.LinkSLL2 || got[1].Link != decode.LinkEthernet {
		t.Errorf("links %d %d, want 276 1", got[0].Link, got[1].Link)
	}
}

func TestHandMadePcapng(t *testing.T) {
	f := tu.Pcapng([]uint16{101, 113}, tu.NgPacket{Iface: 1, TS: 1502118721115234, Data: []byte{1, 2, 3}}, tu.NgPacket{Iface: 0, TS: 7, Data: nil})
	_, got, err := readAll(t, f)
	if !errors.Is(err, io.EOF) || len(got) != 2 {
		t.Fatalf("err %v, %d packets", err, len(got))
	}
	if got[0].Link != decode.LinkSLL || got[0].TS != 1502118721115234 || !bytes.Equal(got[0].Data, []byte{1, 2, 3}) ||
		got[1].Link != decode.LinkRaw || got[1].TS != 7 || len(got[1].Data) != 0 {
		t.Errorf("got %+v", got)
	}
}

// A pcapng interface whose if_tsresol option is 2^-64 (0xc0; 10^-20 and
// beyond do the same) made gopacket's pcapgo divide by zero (found by
// FuzzPcapReader): Next must return an error, not panic.
func TestPcapngTimestampResolutionPanic(t *testing.T) {
	le := binary.LittleEndian
	f := tu.Pcapng(nil) // section header only
	var idb []byte
	idb = le.AppendUint16(idb, 1) // Ethernet
	idb = le.AppendUint16(idb, 0)
	idb = le.AppendUint32(idb, 0)
	idb = append(idb, 9, 0, 1, 0, 0xc0, 0, 0, 0) // if_tsresol = 2^-64
	idb = append(idb, 0, 0, 0, 0)                // opt_endofopt
	f = le.AppendUint32(f, 1)
	f = le.AppendUint32(f, uint32(12+len(idb)))
	f = append(f, idb...)
	f = le.AppendUint32(f, uint32(12+len(idb)))
	r, err := pcapfile.NewReader(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if v := recover(); v != nil {
			t.Errorf("Next panicked: %v", v)
		}
	}()
	if _, err := r.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Next: %v, want an error for the corrupt interface", err)
	}
}

// An 84-byte pcapng file whose interface declares a snap length of 4 GiB-1
// made gopacket's pcapgo allocate 4 GiB (it sized its packet buffer by the
// declared snap length); the reader here sizes it by the packet.
func TestPcapngHugeAllocation(t *testing.T) {
	f := tu.Pcapng([]uint16{1}, tu.NgPacket{Data: []byte{1, 2, 3, 4}})
	// Patch the interface block's snap length (second block, body offset 4).
	shbLen := binary.LittleEndian.Uint32(f[4:])
	binary.LittleEndian.PutUint32(f[shbLen+8+4:], 0xffffffff)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	r, err := pcapfile.NewReader(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	r.Next()
	runtime.ReadMemStats(&m1)
	if a := m1.TotalAlloc - m0.TotalAlloc; a > 64<<20 {
		t.Errorf("reading a %d-byte file allocated %d MiB", len(f), a>>20)
	}
}

func TestErrors(t *testing.T) {
	le := binary.LittleEndian
	good := classic(le, 0xa1b2c3d4, 1, record(le, 1, 0, []byte{1, 2, 3, 4}, 4))
	cases := []struct {
		name    string
		data    []byte
		open    bool // NewReader itself fails
		packets int  // packets before the error
		eof     bool // the error is a clean io.EOF
	}{
		{"empty", nil, true, 0, false},
		{"three bytes", []byte{0xd4, 0xc3, 0xb2}, true, 0, false},
		{"text", []byte("# MANIFEST\nnot a capture\n"), true, 0, false},
		{"partial global header", good[:20], true, 0, false},
		{"Kuznetzov magic", classic(le, 0xa1b2cd34, 1), true, 0, false},
		{"header only", good[:24], false, 0, true},
		{"one packet", good, false, 1, true},
		{"cut record header", append(append([]byte(nil), good...), 1, 2, 3, 4, 5), false, 1, false},
		{"cut packet data", good[:len(good)-1], false, 0, false},
		{"huge caplen", classic(le, 0xa1b2c3d4, 1, record(le, 1, 0, nil, 0)[:8], le.AppendUint32(nil, 0x7fffffff), le.AppendUint32(nil, 60)), false, 0, false},
	}
	for _, c := range cases {
		r, err := pcapfile.NewReader(bytes.NewReader(c.data))
		if c.open {
			if err == nil {
				t.Errorf("%s: NewReader succeeded", c.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: NewReader: %v", c.name, err)
			continue
		}
		n := 0
		for ; n < 10; n++ {
			if _, err = r.Next(); err != nil {
				break
			}
		}
		if n != c.packets || errors.Is(err, io.EOF) != c.eof {
			t.Errorf("%s: %d packets then %v; want %d packets, clean EOF %v", c.name, n, err, c.packets, c.eof)
		}
	}
}

func TestOpen(t *testing.T) {
	if _, err := pcapfile.Open(filepath.Join(t.TempDir(), "missing.pcap")); err == nil {
		t.Errorf("Open of a missing file succeeded")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pcap")
	os.WriteFile(bad, []byte("hello, world"), 0o644)
	if _, err := pcapfile.Open(bad); err == nil {
		t.Errorf("Open of a text file succeeded")
	}
	// The name does not matter, the magic number does.
	le := binary.LittleEndian
	p := filepath.Join(dir, "capture.pcapng")
	os.WriteFile(p, classic(le, 0xa1b2c3d4, 1, record(le, 1, 0, []byte{1}, 1)), 0o644)
	r, err := pcapfile.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if r.IsPcapng() {
		t.Errorf("classic file read as pcapng")
	}
	if _, err := r.Next(); err != nil {
		t.Error(err)
	}
	if err := r.Close(); err != nil {
		t.Error(err)
	}
}

// Every capture of the shared corpus reads as gopacket's pcapgo reads it,
// packet for packet, as far as both get.
func TestAgreesWithPcapgo(t *testing.T) {
	shared := tu.NeedShared(t)
	var files []string
	filepath.WalkDir(filepath.Join(shared, "pcaps"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return nil
	})
	limit := 5000
	if testing.Short() {
		limit = 200
	}
	compared := 0
	for _, f := range files {
		want, err := tu.ReadFrames(f, limit)
		if err != nil || len(want) == 0 {
			continue
		}
		r, err := pcapfile.Open(f)
		if err != nil {
			t.Errorf("%s: pcapgo reads it, we do not: %v", filepath.Base(f), err)
			continue
		}
		for i, w := range want {
			p, err := r.Next()
			if err != nil {
				t.Errorf("%s: packet %d: %v (pcapgo read %d)", filepath.Base(f), i, err, len(want))
				break
			}
			if p.TS != w.TS && int(p.Link) == w.Link && bytes.Equal(p.Data, w.Data) && strings.Contains(f, "malformed") {
				// Fraction fields of 1e6 µs or more: we carry them into the
				// seconds, pcapgo wraps them through an int32.
				t.Logf("%s: packet %d: timestamp %d, pcapgo %d (invalid fraction)", filepath.Base(f), i, p.TS, w.TS)
				continue
			}
			if p.Link > 255 && w.Link == int(p.Link&0xff) && p.TS == w.TS && bytes.Equal(p.Data, w.Data) {
				// pcapgo keeps pcapng link types in 8 bits.
				t.Logf("%s: packet %d: link type %d, pcapgo %d (truncated to 8 bits)", filepath.Base(f), i, p.Link, w.Link)
				continue
			}
			if p.TS != w.TS || int(p.Link) != w.Link || !bytes.Equal(p.Data, w.Data) {
				t.Errorf("%s: packet %d differs: ts %d/%d link %d/%d len %d/%d", filepath.Base(f), i, p.TS, w.TS, p.Link, w.Link, len(p.Data), len(w.Data))
				break
			}
		}
		r.Close()
		compared++
	}
	t.Logf("%d captures compared with pcapgo", compared)
}

// FuzzPcapReader reads arbitrary bytes as a capture file: no panic, no
// endless loop, and every packet within what the input can hold.
func FuzzPcapReader(f *testing.F) {
	le, be := binary.LittleEndian, binary.BigEndian
	f.Add(classic(le, 0xa1b2c3d4, 1, record(le, 1, 2, pkts[0].data, 0)))
	f.Add(classic(be, 0xa1b23c4d, 113, record(be, 1, 2, []byte{1, 2, 3}, 3), record(be, 1, 2, nil, 0)))
	var ng bytes.Buffer
	w, _ := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, TimestampResolution: 6})
	for _, p := range pkts[:2] {
		w.WritePacket(ci(p), p.data)
	}
	w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(5, 0), CaptureLength: 1, Length: 1, InterfaceIndex: 1}, []byte{0x45})
	w.Flush()
	f.Add(ng.Bytes())
	for _, b := range tu.SeedFiles(4096, "joy-sample.pcap", "gopacket-pcapng-be-test202.pcapng", "gopacket-pcapng-le-test101.pcapng",
		"malformed/gopacket-pcapng-le-test901.pcapng", "malformed/libpcap-shb-option-too-long.pcapng", "ndpi-1kxun.pcap") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := pcapfile.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		if !r.IsPcapng() && len(data) < 1<<16 {
			// Read in small blocks, the same packets and error.
			want := readStream(t, data)
			got, _ := readBlocks(t, iotest.HalfReader(bytes.NewReader(data)), 100)
			if d := sameResult(want, got); d != "" {
				t.Fatalf("in blocks: %s", d)
			}
		}
		for i := 0; i < 1000; i++ {
			p, err := r.Next()
			if err != nil {
				return
			}
			if len(p.Data) > len(data) {
				t.Fatalf("packet %d has %d bytes from a %d-byte file", i, len(p.Data), len(data))
			}
		}
	})
}
