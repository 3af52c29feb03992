package pcapfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/pcapfile"
)

// ng builds pcapng files block by block in one byte order.
type ng struct {
	o   binary.AppendByteOrder
	out []byte
}

func (n *ng) block(typ uint32, body []byte) *ng {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	l := uint32(12 + len(body))
	n.out = n.o.AppendUint32(n.out, typ)
	n.out = n.o.AppendUint32(n.out, l)
	n.out = append(n.out, body...)
	n.out = n.o.AppendUint32(n.out, l)
	return n
}

// opt appends one option (code, length, value padded to 4).
func (n *ng) opt(b []byte, code uint16, v []byte) []byte {
	b = n.o.AppendUint16(b, code)
	b = n.o.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func (n *ng) shb(opts ...[]byte) *ng {
	var b []byte
	b = n.o.AppendUint32(b, 0x1a2b3c4d)
	b = n.o.AppendUint16(b, 1)
	b = n.o.AppendUint16(b, 0)
	b = n.o.AppendUint64(b, ^uint64(0))
	for _, o := range opts {
		b = append(b, o...)
	}
	return n.block(0x0a0d0d0a, b)
}

func (n *ng) idb(link uint16, snap uint32, opts ...[]byte) *ng {
	var b []byte
	b = n.o.AppendUint16(b, link)
	b = n.o.AppendUint16(b, 0)
	b = n.o.AppendUint32(b, snap)
	for _, o := range opts {
		b = append(b, o...)
	}
	return n.block(1, b)
}

func (n *ng) epb(iface uint32, ts uint64, data []byte, wire uint32, opts ...[]byte) *ng {
	var b []byte
	b = n.o.AppendUint32(b, iface)
	b = n.o.AppendUint32(b, uint32(ts>>32))
	b = n.o.AppendUint32(b, uint32(ts))
	b = n.o.AppendUint32(b, uint32(len(data)))
	b = n.o.AppendUint32(b, wire)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	for _, o := range opts {
		b = append(b, o...)
	}
	return n.block(6, b)
}

func (n *ng) spb(wire uint32, data []byte) *ng {
	return n.block(3, append(n.o.AppendUint32(nil, wire), data...))
}

// Both byte orders, two sections of different orders in one file, several
// interfaces with their own link types (one above 255), resolutions and
// offsets, options everywhere, unknown blocks, simple packets.
func TestPcapngBlocks(t *testing.T) {
	le := &ng{o: binary.LittleEndian}
	comment := le.opt(nil, 1, []byte("a comment that is skipped"))
	end := le.opt(nil, 0, nil)
	le.shb(comment, end).
		idb(276, 0, le.opt(nil, 2, []byte("any")), end).                                      // SLL2, µs
		idb(101, 0, le.opt(nil, 9, []byte{9}), le.opt(nil, 14, le.o.AppendUint64(nil, 100))). // raw, ns, +100 s
		idb(1, 4, le.opt(nil, 9, []byte{0x80 | 20})).                                         // Ethernet, 2^-20 s, snap 4
		block(0x0bad, make([]byte, 40)).                                                      // unknown: skipped
		epb(0, 1502118721_115234, []byte{1, 2, 3}, 60, comment, end).
		epb(1, 1502118721_123456789, []byte{4, 5}, 2).
		epb(2, 3<<20|1<<19, []byte{6}, 1). // 3.5 s
		spb(10, []byte{7, 8, 9, 10, 11, 12, 0, 0})
	be := &ng{o: binary.BigEndian}
	be.shb().idb(113, 0).epb(0, 42, []byte{0xaa}, 1)
	// Simple packets take interface 0 of their section: SLL2 here, whose
	// snap length 0 means "no limit", so 10 bytes of the 12 in the block.
	file := append(append([]byte(nil), le.out...), be.out...)

	_, got, err := readAll(t, file)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
	want := []pcapfile.Packet{
		{Data: []byte{1, 2, 3}, TS: 1502118721_115234, Length: 60, Link: decode.LinkSLL2},
		{Data: []byte{4, 5}, TS: 1502118821_123456, Length: 2, Link: decode.LinkRaw},
		{Data: []byte{6}, TS: 3_500_000, Length: 1, Link: decode.LinkEthernet},
		{Data: []byte{7, 8, 9, 10, 11, 12, 0, 0}, TS: 0, Length: 10, Link: decode.LinkSLL2},
		{Data: []byte{0xaa}, TS: 42, Length: 1, Link: decode.LinkSLL},
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !bytes.Equal(got[i].Data, want[i].Data) || got[i].TS != want[i].TS || got[i].Length != want[i].Length || got[i].Link != want[i].Link {
			t.Errorf("packet %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// A simple packet is cut to interface 0's snap length.
func TestPcapngSimplePacketSnap(t *testing.T) {
	n := &ng{o: binary.BigEndian}
	n.shb().idb(1, 3).spb(5, []byte{1, 2, 3, 4, 5})
	_, got, err := readAll(t, n.out)
	if !errors.Is(err, io.EOF) || len(got) != 1 || !bytes.Equal(got[0].Data, []byte{1, 2, 3}) || got[0].Length != 5 {
		t.Fatalf("err %v, %+v", err, got)
	}
}

// Corrupt files end with an error, never a panic, a hang or a big
// allocation.
func TestPcapngCorrupt(t *testing.T) {
	le := func() *ng { return (&ng{o: binary.LittleEndian}).shb() }
	huge := le()
	huge.out = binary.LittleEndian.AppendUint32(huge.out, 0x0bad)
	huge.out = binary.LittleEndian.AppendUint32(huge.out, 0xfffffff0) // a 4 GiB block, cut short
	shortBlock := le()
	shortBlock.out = binary.LittleEndian.AppendUint32(shortBlock.out, 6)
	shortBlock.out = binary.LittleEndian.AppendUint32(shortBlock.out, 8)
	tooMany := le()
	for i := 0; i < 1<<16+1; i++ {
		tooMany.idb(1, 0)
	}
	cases := []struct {
		name    string
		data    []byte
		packets int
		msg     string
	}{
		{"packet before interface", le().epb(0, 1, []byte{1}, 1).out, 0, "interface 0 not described"},
		{"simple packet before interface", le().spb(1, []byte{1}).out, 0, "before any interface"},
		{"interface out of range", le().idb(1, 0).epb(1, 1, []byte{1}, 1).out, 0, "interface 1 not described"},
		{"captured length past the block", func() []byte {
			n := le().idb(1, 0).epb(0, 1, []byte{1, 2, 3, 4}, 4)
			binary.LittleEndian.PutUint32(n.out[len(n.out)-4-4-8:], 400) // caplen field
			return n.out
		}(), 0, "runs past the block"},
		{"huge unknown block", huge.out, 0, "truncated"},
		{"block length under 12", shortBlock.out, 0, "invalid block length 8"},
		{"option past its block", le().block(1, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 200, 0}).out, 0, "runs past the block"},
		{"resolution 2^-64", le().idb(1, 0, (&ng{o: binary.LittleEndian}).opt(nil, 9, []byte{0xc0})).out, 0, "2^-64"},
		{"resolution 10^-20", le().idb(1, 0, (&ng{o: binary.LittleEndian}).opt(nil, 9, []byte{20})).out, 0, "10^-20"},
		{"too many interfaces", tooMany.out, 0, "more than 65536 interfaces"},
		{"cut packet", le().idb(1, 0).epb(0, 1, []byte{1, 2, 3, 4}, 4).out[:28+20+20], 0, "truncated"},
		{"good then cut", func() []byte {
			n := le().idb(1, 0).epb(0, 1, []byte{1}, 1)
			return append(n.out, 6, 0, 0)
		}(), 1, "truncated"},
	}
	for _, c := range cases {
		r, err := pcapfile.NewReader(bytes.NewReader(c.data))
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
		if n != c.packets || err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %d packets then %v; want %d packets and an error with %q", c.name, n, err, c.packets, c.msg)
		}
	}
	// Section headers that cannot be read fail at NewReader.
	bad := (&ng{o: binary.LittleEndian}).shb().out
	bad[8] = 0 // byte-order magic
	v2 := (&ng{o: binary.BigEndian}).shb().out
	v2[13] = 2 // major version 2
	longOpt := (&ng{o: binary.LittleEndian}).shb([]byte{1, 0, 0x30, 0x30, 'x', 'y', 'z', 0}).out
	for name, f := range map[string][]byte{"byte order": bad, "version 2": v2, "cut": bad[:12], "option past the block": longOpt} {
		if _, err := pcapfile.NewReader(bytes.NewReader(f)); err == nil {
			t.Errorf("%s: NewReader succeeded", name)
		}
	}
}

// Reading a pcapng file allocates in proportion to the packets, not to
// the lengths its blocks declare.
func TestPcapngBoundedAllocation(t *testing.T) {
	n := (&ng{o: binary.LittleEndian}).shb().idb(1, 0xffffffff)
	for i := 0; i < 100; i++ {
		n.epb(0, uint64(i), []byte{1, 2, 3, 4}, 0xffffffff)
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_, got, err := readAll(t, n.out)
	runtime.ReadMemStats(&m1)
	if !errors.Is(err, io.EOF) || len(got) != 100 {
		t.Fatalf("err %v, %d packets", err, len(got))
	}
	if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
		t.Errorf("reading %d bytes allocated %d KiB", len(n.out), a>>10)
	}
}
