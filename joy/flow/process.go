package flow

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/feature"
)

// Observe updates the table with one decoded packet taken at ts (µs since
// the epoch) and returns the record it landed in (nil if none).
func (t *Table) Observe(p *decode.Packet, ts int64) *Record {
	testPanic(p.Transport)
	t.advance(ts)
	k := Key{Proto: p.Proto, V6: p.Version == 6}
	if k.V6 {
		k.Src, k.Dst = p.Src, p.Dst
	} else {
		copy(k.Src[:4], p.Src[:4])
		copy(k.Dst[:4], p.Dst[:4])
	}
	var r *Record
	switch p.Proto {
	case 6:
		r = t.tcp(&k, p.Transport, ts)
		if r != nil && t.hasTCPModules && r.tcpDone != t.tcpAll {
			t.observeTCPModules(r, p.Transport, ts, false)
		}
	case 17:
		r = t.udp(&k, p.Transport, ts)
	case 1:
		r = t.icmp(&k, p.Transport, ts)
	default:
		r = t.ip(k, p.Transport, ts)
	}
	if r == nil {
		// A transport the handler refused (bad header, or a retransmission
		// when they are not wanted) is accounted as plain IP data of the
		// same key and counted as invalid, as the original does.
		r = t.ip(k, p.Transport, ts)
		r.invalid++
	}
	if p.HasID && r.numID < MaxIPIDs {
		r.ids[r.numID] = p.ID
		r.numID++
	}
	if p.TTL < r.ttl {
		r.ttl = p.TTL
	}
	r.np++
	if r.np == 1 {
		r.start = ts
	}
	r.end = ts
	if t.opts.IDP > 0 && r.op > 0 && r.idpLen == 0 {
		// The initial data packet, from its IP header on.
		n := min(len(p.IP), t.opts.IDP)
		r.idp = append(r.idp[:0], p.IP[:n]...)
		r.idpLen = n
	}
	return r
}

// countBytes updates the byte statistics with a payload.
func (t *Table) countBytes(r *Record, payload []byte) {
	if !t.opts.countBytes() || len(payload) == 0 {
		return
	}
	if r.bytes == nil {
		r.bytes, r.spare.bytes = r.spare.bytes, nil
		if r.bytes == nil {
			r.bytes = new(bytestats.Counts)
		}
	}
	r.bytes.Observe(payload, t.opts.Compact)
}

func (t *Table) addSPLT(r *Record, n int, ts int64) bool {
	if r.op >= MaxSPLT || (n == 0 && !t.opts.Zeros) {
		return false
	}
	r.pktLen[r.op] = uint32(n)
	r.pktTime[r.op] = ts
	r.op++
	return true
}

func (t *Table) tcp(k *Key, seg []byte, ts int64) *Record {
	hl := 0
	if len(seg) > 12 {
		hl = int(seg[12]>>4) * 4
	}
	if hl < 20 || hl > len(seg) {
		t.log.Errorf("Invalid TCP header length: %d bytes", hl)
		return nil
	}
	k.Sp = binary.BigEndian.Uint16(seg)
	k.Dp = binary.BigEndian.Uint16(seg[2:])
	seq := binary.BigEndian.Uint32(seg[4:])
	ack := binary.BigEndian.Uint32(seg[8:])
	flags := seg[13]
	win := binary.BigEndian.Uint16(seg[14:])
	payload := seg[hl:]
	n := len(payload)

	r := t.lookup(*k, ts)
	if n > 0 && seq < r.seq {
		r.retrans++
		if !t.opts.Retrans {
			if t.hasRetransModules && r.tcpDone != t.tcpAll {
				t.observeTCPModules(r, seg, ts, true)
			}
			return nil
		}
	}
	if t.opts.SALT && n > 0 && r.op > 0 && ack == r.ack && r.pktLen[r.op-1] > 0 {
		// SALT: data sent before the peer acknowledges anything new is
		// one application message, so it joins the previous entry.
		r.pktLen[r.op-1] += uint32(n)
		r.seq = seq
	} else if t.addSPLT(r, n, ts) {
		r.seq, r.ack = seq, ack
	}
	if flags == 0x02 || flags == 0x12 { // exactly SYN or SYN+ACK
		if r.flags == 0 {
			r.flags = flags
		}
		if flags == 0x02 && r.firstSeq == 0 {
			r.firstSeq = seq
		}
		if r.firstWindow == 0 {
			r.firstWindow = win
		}
		if ol := hl - 20; ol > 0 {
			r.optLen = copy(r.opts[:], seg[20:hl])
		}
	}
	r.ob += uint64(n)
	t.countBytes(r, payload)
	if r.app == 0 && r.op <= 2 && n > 0 {
		r.app, r.dir = identify(payload)
	}
	t.observeModules(r, payload, ts)
	if hb := t.opts.HeaderBytes; hb > 0 && n >= hb {
		if r.hd == nil {
			r.hd, r.spare.hd = r.spare.hd, nil
			if r.hd == nil {
				r.hd = new(headerDesc)
			}
		}
		r.hd.observe(payload[:hb])
	}
	return r
}

// observeTCPModules feeds a valid TCP segment to the TCP modules; a
// segment the table counts as a retransmission (retrans) only to those
// whose Kind asks for them. The callers skip it once every TCP module has
// what it wanted of the record's direction (r.tcpDone == t.tcpAll).
func (t *Table) observeTCPModules(r *Record, seg []byte, ts int64, retrans bool) {
	hl := int(seg[12]>>4) * 4
	t.seg = feature.TCPSegment{Header: seg[:hl], Payload: seg[hl:], PayloadLen: len(seg) - hl, TS: ts}
	f := feature.Flow{Proto: r.Key.Proto, Sp: r.Key.Sp, Dp: r.Key.Dp, App: r.app}
	for _, i := range t.tcpMods {
		k := &t.opts.Modules[i]
		if r.tcpDone&tcpBit(i) != 0 || (retrans && !k.Retransmissions) || !k.Accepts(f) {
			continue
		}
		if r.mods[i] == nil {
			r.mods[i] = t.pools[i].Get()
		}
		if o, ok := r.mods[i].(feature.TCPObserver); ok && !o.ObserveTCP(&t.seg) && i < 63 {
			r.tcpDone |= tcpBit(i)
		}
	}
}

// tcpBit is module i's bit in a record's tcpDone; modules from the 64th on
// share the last bit, which is never set (they are always called).
func tcpBit(i int) uint64 {
	return 1 << min(i, 63)
}

// observeModules feeds a payload to every enabled module whose filter
// accepts the flow, creating the module's state on its first packet. A TCP
// module sees the payloads of its other flows (UDP) here.
func (t *Table) observeModules(r *Record, payload []byte, ts int64) {
	if len(t.opts.Modules) == 0 {
		return
	}
	f := feature.Flow{Proto: r.Key.Proto, Sp: r.Key.Sp, Dp: r.Key.Dp, App: r.app}
	for i := range t.opts.Modules {
		k := &t.opts.Modules[i]
		if (k.TCP && f.Proto == 6) || !k.Accepts(f) {
			continue
		}
		if r.mods[i] == nil {
			r.mods[i] = t.pools[i].Get()
		}
		r.mods[i].Observe(payload, ts)
	}
}

func (t *Table) udp(k *Key, dgram []byte, ts int64) *Record {
	if len(dgram) < 8 {
		t.log.Errorf("Invalid UDP packet length: %d bytes", len(dgram))
		return nil
	}
	k.Sp = binary.BigEndian.Uint16(dgram)
	k.Dp = binary.BigEndian.Uint16(dgram[2:])
	return t.data(*k, dgram[8:], ts)
}

func (t *Table) icmp(k *Key, msg []byte, ts int64) *Record {
	if len(msg) < 8 {
		t.log.Errorf("Invalid ICMP packet length: %d bytes", len(msg))
		return nil
	}
	return t.data(*k, msg[8:], ts)
}

// ip is the generic path: the whole transport area is the payload.
func (t *Table) ip(k Key, area []byte, ts int64) *Record {
	return t.data(k, area, ts)
}

func (t *Table) data(k Key, payload []byte, ts int64) *Record {
	r := t.lookup(k, ts)
	t.addSPLT(r, len(payload), ts)
	r.ob += uint64(len(payload))
	t.countBytes(r, payload)
	t.observeModules(r, payload, ts)
	return r
}
