package flow

import (
	"bytes"
	"fmt"
	"testing"
)

// The 4.5 API's view of a table: accessors, application data, marks, a walk
// that may delete, and the clock.
func TestAPI45WalkDeleteAppData(t *testing.T) {
	h := newHarness(t, Options{Bidir: true, IDP: 64})
	handshake(h)
	r := h.add(T0+50000, udpFrame("10.0.0.3", "10.0.0.4", 1000, 53, 10))
	if !r.SetAppData([]byte{1, 2, 3}) || !bytes.Equal(r.AppData(), []byte{1, 2, 3}) {
		t.Fatalf("app data %x", r.AppData())
	}
	if r.SetAppData(make([]byte, MaxAppData+1)) || r.AppData() != nil {
		t.Fatalf("33 bytes must be refused and clear the app data")
	}
	var keys []uint16
	h.tab.Walk(func(r *Record) { keys = append(keys, r.Key.Dp) })
	if len(keys) != 2 || keys[0] != 80 || keys[1] != 53 {
		t.Fatalf("walk order %v, want the TCP flow then the UDP one", keys)
	}
	tcp := h.tab.Oldest()
	if tcp.Twin() == nil || tcp.SPLT() != 1 || tcp.Octets() != 18 || tcp.Packets() != 3 {
		t.Fatalf("TCP record: twin %v, SPLT %d, octets %d, packets %d", tcp.Twin(), tcp.SPLT(), tcp.Octets(), tcp.Packets())
	}
	if l, ts := tcp.SPLTAt(0); l != 18 || ts != T0+30500 {
		t.Fatalf("SPLT[0] = %d at %d", l, ts)
	}
	if len(tcp.IDP()) != 58 || tcp.IDP()[0] != 0x45 {
		t.Fatalf("IDP of %d bytes", len(tcp.IDP()))
	}
	tcp.SetExt(1)
	tcp.SetExt(4)
	if tcp.Ext() != 5 {
		t.Fatalf("marks %d", tcp.Ext())
	}
	// Delete from inside the walk: the TCP flow and its twin go.
	h.tab.Walk(func(r *Record) {
		if r.Ext() == 5 {
			h.tab.Delete(r)
		}
	})
	if h.tab.Len() != 1 || h.tab.Oldest().Key.Dp != 53 {
		t.Fatalf("after delete: %d records, oldest %v", h.tab.Len(), h.tab.Oldest())
	}
	// A recycled record starts without app data or marks.
	n := h.add(T0+60000, udpFrame("10.0.0.5", "10.0.0.6", 1, 2, 1))
	if n.AppData() != nil || n.Ext() != 0 {
		t.Fatalf("new record has app data %x, marks %d", n.AppData(), n.Ext())
	}
	// The clock decides expiry; the check marks expire_type as printed.
	h.tab.SetClock(T0 + 60000 + InactiveTimeout + 1)
	if !h.tab.Expired(h.tab.Oldest()) {
		t.Fatalf("flow not expired after the inactive timeout")
	}
	if out := h.drain(true); len(out) != 2 || !bytes.Contains([]byte(out[0]), []byte(`"expire_type":"i"`)) {
		t.Fatalf("drained %q", out)
	}
}

// joy_init_t's timeouts: inactive after 2 s here, active after 2+3 s.
func TestAPI45Timeouts(t *testing.T) {
	for _, tc := range []struct {
		inact, act uint
		clock      int64
		want       string
	}{
		{0, 0, T0 + 2_000_001, ""},
		{2, 0, T0 + 2_000_001, "i"},
		{2, 3, T0 + 1_900_000, ""},
		{0, 0, T0 + InactiveTimeout + 1, "i"},
	} {
		h := newHarness(t, Options{})
		h.tab.SetTimeouts(tc.inact, tc.act)
		h.add(T0, udpFrame("10.0.0.3", "10.0.0.4", 1000, 53, 10))
		h.tab.SetClock(tc.clock)
		got := ""
		if h.tab.Expired(h.tab.Oldest()) {
			got = string(h.tab.Oldest().expType)
		}
		if got != tc.want {
			t.Errorf("timeouts %d/%d at +%d µs: expired %q, want %q", tc.inact, tc.act, tc.clock-T0, got, tc.want)
		}
	}
	// Active: a flow with packets every second expires 2+3 s after its start.
	h := newHarness(t, Options{})
	h.tab.SetTimeouts(2, 3)
	for i := int64(0); i <= 6; i++ {
		h.add(T0+i*1_000_000, udpFrame("10.0.0.3", "10.0.0.4", 1000, 53, 10))
	}
	if !h.tab.Expired(h.tab.Oldest()) || h.tab.Oldest().expType != 'a' {
		t.Errorf("flow of 6 s not active-expired with timeouts 2/3")
	}
}

// Joy 4.5 drains every expired flow; 697dc5a stops at the first flow of
// the chronological list that has not expired (QUIRK-20).
func TestAPI45DrainEveryExpired(t *testing.T) {
	for _, tc := range []struct {
		record45 bool
		want     []uint16 // source ports drained
	}{{false, nil}, {true, []uint16{1001}}} {
		h := newHarness(t, Options{Record45: tc.record45})
		h.add(T0, udpFrame("10.0.0.3", "10.0.0.4", 1000, 53, 10))
		h.add(T0+1, udpFrame("10.0.0.3", "10.0.0.4", 1001, 53, 10))
		h.add(T0+InactiveTimeout-1, udpFrame("10.0.0.3", "10.0.0.4", 1000, 53, 10))
		h.tab.SetClock(T0 + InactiveTimeout + 2)
		var got []uint16
		h.tab.Drain(false, func(r *Record) {
			got = append(got, r.Key.Sp)
			if r.expType != 'i' {
				t.Errorf("Record45 %v: drained flow %d without expire_type i", tc.record45, r.Key.Sp)
			}
		})
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Record45 %v: drained %v, want %v", tc.record45, got, tc.want)
		}
		if n := h.tab.Drain(true, func(*Record) {}); n != 2-len(tc.want) {
			t.Errorf("Record45 %v: %d flows left, want %d", tc.record45, n, 2-len(tc.want))
		}
	}
}
