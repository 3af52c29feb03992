//go:build linux

package live

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy/decode"
	"golang.org/x/sys/unix"
)

// block builds one ring block holding frames, as the kernel lays it out.
func block(size int, vlan bool, frames ...[]byte) []byte {
	le := binary.NativeEndian
	b := make([]byte, size)
	le.PutUint32(b[8:], tpStatusUser)
	le.PutUint32(b[12:], uint32(len(frames)))
	off := 64
	le.PutUint32(b[16:], uint32(off))
	for i, f := range frames {
		h := b[off:]
		mac := 80
		le.PutUint32(h[4:], 1700000000)
		le.PutUint32(h[8:], 123456789)
		le.PutUint32(h[12:], uint32(len(f)))
		le.PutUint32(h[16:], uint32(len(f)))
		le.PutUint16(h[24:], uint16(mac))
		if vlan {
			le.PutUint32(h[20:], tpStatusVLANValid)
			le.PutUint32(h[32:], 42)
		}
		copy(h[mac:], f)
		next := (mac + len(f) + 15) &^ 15
		if i < len(frames)-1 {
			le.PutUint32(h[0:], uint32(next))
		}
		off += next
	}
	return b
}

func member(link decode.LinkType, cooked bool, ring []byte) *Member {
	// Poll ignores a negative descriptor; index 1 is the loopback.
	return &Member{fd: -1, ring: ring, blockSize: len(ring), blocks: 1, link: link, cooked: cooked,
		pfd: []unix.PollFd{{Fd: -1}}, ifindex: 1}
}

func TestReadBlock(t *testing.T) {
	a := []byte("\x02\x02\x02\x02\x02\x02\x04\x04\x04\x04\x04\x04\x08\x00first")
	b := []byte("\x02\x02\x02\x02\x02\x02\x04\x04\x04\x04\x04\x04\x08\x00second!")
	var got [][]byte
	var ts []int64
	m := member(decode.LinkEthernet, false, block(4096, false, a, b))
	n, err := m.Read(0, func(t int64, f []byte) { got = append(got, append([]byte(nil), f...)); ts = append(ts, t) })
	if err != nil || n != 2 || len(got) != 2 || string(got[0]) != string(a) || string(got[1]) != string(b) {
		t.Fatalf("Read: %d %v %q", n, err, got)
	}
	if ts[0] != 1700000000*1000000+123456 {
		t.Errorf("time %d µs", ts[0])
	}
	if st := binary.NativeEndian.Uint32(m.ring[8:]); st != tpStatusKernel {
		t.Errorf("block not handed back: status %d", st)
	}
	// The kernel took a VLAN tag out: it is put back after the addresses.
	got = nil
	m = member(decode.LinkEthernet, false, block(4096, true, a))
	m.Read(0, func(_ int64, f []byte) { got = append(got, append([]byte(nil), f...)) })
	want := string(a[:12]) + "\x81\x00\x00\x2a" + string(a[12:])
	if len(got) != 1 || string(got[0]) != want {
		t.Errorf("VLAN frame %q, want %q", got, want)
	}
	// Not ready: nothing read, nothing waited for with a zero timeout.
	m = member(decode.LinkEthernet, false, make([]byte, 4096))
	if n, _ := m.Read(time.Duration(0), func(int64, []byte) { t.Error("frame from an empty block") }); n != 0 {
		t.Errorf("%d frames from a block the kernel still owns", n)
	}
}

// FuzzReadBlock: whatever a block holds, Read stays inside it.
func FuzzReadBlock(f *testing.F) {
	f.Add(block(512, false, []byte("0123456789abcdef0123")), false)
	f.Add(block(512, true, []byte("0123456789abcdef0123")), true)
	f.Fuzz(func(t *testing.T, data []byte, cooked bool) {
		if len(data) < 48 {
			return
		}
		ring := append([]byte(nil), data...)
		binary.NativeEndian.PutUint32(ring[8:], tpStatusUser)
		m := member(decode.LinkEthernet, cooked, ring)
		m.Read(0, func(_ int64, frame []byte) { _ = len(frame) })
	})
}
