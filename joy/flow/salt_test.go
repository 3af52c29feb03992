package flow

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/decode"
)

type discardLog struct{}

func (discardLog) Errorf(string, ...any) {}
func (discardLog) Always(string, ...any) {}

// tcpPacket builds a decoded IPv4 TCP packet from a to b.
func tcpPacket(a, b byte, sp, dp uint16, seq, ack uint32, payload int) *decode.Packet {
	seg := make([]byte, 20+payload)
	binary.BigEndian.PutUint16(seg[0:], sp)
	binary.BigEndian.PutUint16(seg[2:], dp)
	binary.BigEndian.PutUint32(seg[4:], seq)
	binary.BigEndian.PutUint32(seg[8:], ack)
	seg[12] = 5 << 4
	seg[13] = 0x18 // PSH+ACK
	p := &decode.Packet{Version: 4, Proto: 6, TTL: 64, HasID: true, Transport: seg}
	p.Src[0], p.Src[3] = 10, a
	p.Dst[0], p.Dst[3] = 10, b
	return p
}

// With type 2 (SALT), payloads sent before the peer acknowledges anything
// new form one entry: 100+200 bytes, then the reply, then 50.
func TestSALTAggregatesUntilAckChanges(t *testing.T) {
	for _, tc := range []struct {
		salt bool
		want string
	}{
		{true, `"packets":[{"b":300,"dir":">","ipt":0},{"b":80,"dir":"<","ipt":2},{"b":50,"dir":">","ipt":1}]`},
		{false, `"packets":[{"b":100,"dir":">","ipt":0},{"b":200,"dir":">","ipt":1},{"b":80,"dir":"<","ipt":1},{"b":50,"dir":">","ipt":1}]`},
	} {
		tab := NewTable(Options{Bidir: true, SALT: tc.salt}, discardLog{}, func(*Record) {})
		ms := int64(1_600_000_000_000_000)
		tab.Observe(tcpPacket(1, 2, 1000, 80, 1, 7, 100), ms)
		tab.Observe(tcpPacket(1, 2, 1000, 80, 101, 7, 200), ms+1000)
		tab.Observe(tcpPacket(2, 1, 80, 1000, 7, 301, 80), ms+2000)
		tab.Observe(tcpPacket(1, 2, 1000, 80, 301, 87, 50), ms+3000)
		var out []byte
		tab.Drain(true, func(r *Record) { out = tab.AppendJSON(out, r) })
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("salt=%v: got %s\nwant %s", tc.salt, out, tc.want)
		}
	}
}

// A SALT entry can exceed 32767 bytes; it is printed as a length, not as
// the raw SPLT's run-length marker.
func TestSALTLargeMessage(t *testing.T) {
	tab := NewTable(Options{SALT: true}, discardLog{}, func(*Record) {})
	ts := int64(1_600_000_000_000_000)
	seq := uint32(1)
	for i := 0; i < 30; i++ {
		tab.Observe(tcpPacket(1, 2, 1000, 80, seq, 5, 1400), ts)
		seq += 1400
	}
	var out []byte
	tab.Drain(true, func(r *Record) { out = tab.AppendJSON(out, r) })
	if !strings.Contains(string(out), `"packets":[{"b":42000,"dir":"<","ipt":0}]`) {
		t.Fatalf("got %s", out)
	}
}
