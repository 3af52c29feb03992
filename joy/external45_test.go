package joy_test

import (
	"encoding/binary"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/flow"
)

// The SPLT bytes of Joy 4.5's callbacks in both layouts, each flow visited
// once, marks, and the deletion of marked flows.
func TestExternal45SPLT(t *testing.T) {
	cfg := &joy.Config{Type: 1, NumPkts: 50, Record45: true}
	c, _, _ := newCtx(cfg)
	const t0 = int64(1_700_000_000_000_000)
	for i, n := range []int{10, 20, 30} {
		c.ProcessPacket(t0+int64(i)*1500, udpFrame("10.0.0.1", "10.0.0.2", 1000, 53, n))
	}
	buf := make([]byte, joy.Data45Size)
	u16 := func(i int) uint16 { return binary.NativeEndian.Uint16(buf[2*i:]) }
	for _, tc := range []struct {
		nfv9 bool
		want []uint16
		n    int
	}{
		// NetFlow v9: 10 lengths (padded 0x8000), 10 times (ms, floored).
		{true, []uint16{10, 20, 30, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0x8000, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0}, 40},
		// IPFIX: the 3 lengths, the 3 times.
		{false, []uint16{10, 20, 30, 0, 1, 1}, 12},
	} {
		visits := 0
		c.External45(joy.SPLT45, tc.nfv9, 3, buf, func(r *flow.Record, n int, withData bool) {
			visits++
			if n != tc.n || !withData {
				t.Errorf("nfv9 %v: %d bytes (data %v), want %d", tc.nfv9, n, withData, tc.n)
			}
			for i, w := range tc.want {
				if u16(i) != w {
					t.Errorf("nfv9 %v: value %d is %d, want %d", tc.nfv9, i, u16(i), w)
				}
			}
			r.Ext() // the record is valid during the visit
		})
		if visits != 1 {
			t.Fatalf("nfv9 %v: %d visits, want 1", tc.nfv9, visits)
		}
		// The flow is marked: a second walk skips it; unmark for the next layout.
		c.External45(joy.SPLT45, tc.nfv9, 0, buf, func(*flow.Record, int, bool) { visits++ })
		if visits != 1 {
			t.Errorf("nfv9 %v: marked flow visited again", tc.nfv9)
		}
		if tc.nfv9 {
			if n, ok := c.DeleteMarked45(uint(joy.ProcessedSPLT) | 1<<7); ok || n != 0 {
				t.Errorf("unknown mark bits accepted: %d %v", n, ok)
			}
			if n, _ := c.DeleteMarked45(uint(joy.ProcessedSPLT | joy.ProcessedIDP)); n != 0 {
				t.Errorf("flow without the IDP mark deleted")
			}
			if n, _ := c.DeleteMarked45(uint(joy.ProcessedSPLT)); n != 1 {
				t.Fatalf("marked flow not deleted: %d", n)
			}
			for i, n := range []int{10, 20, 30} {
				c.ProcessPacket(t0+int64(i)*1500, udpFrame("10.0.0.1", "10.0.0.2", 1000, 53, n))
			}
		}
	}
	if got := c.FeatureCounts45(); got.SPLT != 0 || got.BD != 0 {
		t.Errorf("feature counts %+v: 3 packets and 60 bytes are ready for nothing", got)
	}
}
