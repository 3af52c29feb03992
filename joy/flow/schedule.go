package flow

import (
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/decode"
)

// PacketKey returns the key of the record Observe puts p in: the
// addresses and key protocol, and the ports of a TCP segment whose header
// length is valid or of a UDP datagram of at least 8 bytes. Everything
// else (ICMP, other protocols, later IP fragments with their key protocol
// 0, malformed TCP or UDP headers) has ports 0, as Observe's plain-IP path
// gives it.
func PacketKey(p *decode.Packet) Key {
	k := Key{Proto: p.Proto, V6: p.Version == 6}
	if k.V6 {
		k.Src, k.Dst = p.Src, p.Dst
	} else {
		copy(k.Src[:4], p.Src[:4])
		copy(k.Dst[:4], p.Dst[:4])
	}
	seg := p.Transport
	switch p.Proto {
	case 6:
		hl := 0
		if len(seg) > 12 {
			hl = int(seg[12]>>4) * 4
		}
		if hl >= 20 && hl <= len(seg) {
			k.Sp = binary.BigEndian.Uint16(seg)
			k.Dp = binary.BigEndian.Uint16(seg[2:])
		}
	case 17:
		if len(seg) >= 8 {
			k.Sp = binary.BigEndian.Uint16(seg)
			k.Dp = binary.BigEndian.Uint16(seg[2:])
		}
	}
	return k
}

// SymmetricHash hashes a key so that both directions of a flow (k and
// k.Reverse()) have the same hash: the two endpoints are put in a fixed
// order before they are mixed.
func SymmetricHash(k *Key) uint64 {
	a0 := binary.LittleEndian.Uint64(k.Src[:8])
	a1 := binary.LittleEndian.Uint64(k.Src[8:])
	b0 := binary.LittleEndian.Uint64(k.Dst[:8])
	b1 := binary.LittleEndian.Uint64(k.Dst[8:])
	ap, bp := uint64(k.Sp), uint64(k.Dp)
	if a0 > b0 || (a0 == b0 && (a1 > b1 || (a1 == b1 && ap > bp))) {
		a0, a1, ap, b0, b1, bp = b0, b1, bp, a0, a1, ap
	}
	h := uint64(k.Proto) | ap<<8 | bp<<24
	if k.V6 {
		h |= 1 << 40
	}
	// Independent multiplications (they pipeline), then one full mix: a
	// collision only costs a key comparison.
	return mix(h*0x9e3779b97f4a7c15 + a0*0xc2b2ae3d27d4eb4f + a1*0x165667b19e3779f9 +
		b0*0xd6e8feb86659fd93 + b1*0xff51afd7ed558ccd)
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Schedule follows the timing of a flow table that is split over several
// tables ("parts", one per context), each holding the flows whose
// SymmetricHash falls to it. It keeps only what decides when a record
// ends: its key, twin, first and last packet times and its place in the
// chronological list of the whole table, and applies the table's rules
// (lookup with twins, preemptive timeout, the bound on records, expiry at
// drain time with the head-of-line rule) to every packet in capture
// order. So it knows, at each drain, how many records at the head of each
// part's chronological list one table holding every flow would print;
// the part that drains exactly those (DrainHead, EvictOldest) prints the
// same records as that table.
type Schedule struct {
	bidir, preemptive bool
	maxRecords        int
	inactive, active  int64
	// Records live in a slab and are named by their index (0: none), so
	// the schedule holds no pointers for the collector to scan; slots is
	// an open-addressing table (linear probing) over SymmetricHash, both
	// directions of a flow next to each other.
	recs       []sched
	freeRecs   []int32
	slots      []slot
	head, tail int32
	now        int64
	hasNow     bool
	live       int
	evicted    uint64
	log        Logger
	evict      func(part int)
}

type slot struct {
	h   uint32 // the hash's high half, to skip most records unread
	idx int32  // 0: empty
}

type sched struct {
	key        Key
	hash       uint64
	twin       int32
	prev, next int32
	part       int32
	np         uint32
	inChrono   bool
	start, end int64
}

// NewSchedule returns the schedule of a table with t's options and
// timeouts. evict is called when the bound on records makes the table
// print its oldest flow early, with the part holding it; that part must
// call EvictOldest before its next packet.
func (t *Table) NewSchedule(evict func(part int)) *Schedule {
	return &Schedule{
		bidir: t.opts.Bidir, preemptive: t.opts.PreemptiveTimeout, maxRecords: t.maxRecords,
		inactive: t.inactiveTimeout(), active: t.activeTimeout(),
		recs: make([]sched, 1, 1024), slots: make([]slot, 2048), log: t.log, evict: evict,
	}
}

// Len returns the number of records (both directions) followed.
func (s *Schedule) Len() int { return s.live }

// Evicted returns how many flows the bound on records printed early.
func (s *Schedule) Evicted() uint64 { return s.evicted }

// Observe follows one packet of key k, whose SymmetricHash is h, at ts,
// that goes to part.
func (s *Schedule) Observe(k *Key, h uint64, ts int64, part int) {
	if !s.hasNow || ts > s.now {
		s.now, s.hasNow = ts, true
	}
	r := &s.recs[s.lookup(k, h, ts, part)]
	r.np++
	if r.np == 1 {
		r.start = ts
	}
	r.end = ts
}

// find returns the record of key k (hash h), or 0.
func (s *Schedule) find(k *Key, h uint64) int32 {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := s.slots[i]
		if sl.idx == 0 {
			return 0
		}
		if sl.h == uint32(h>>32) {
			if r := &s.recs[sl.idx]; r.hash == h && r.key == *k {
				return sl.idx
			}
		}
	}
}

func (s *Schedule) insert(idx int32, h uint64) {
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for s.slots[i].idx != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = slot{h: uint32(h >> 32), idx: idx}
}

// grow doubles the slot table when it is half full.
func (s *Schedule) grow() {
	old := s.slots
	s.slots = make([]slot, 2*len(old))
	for _, sl := range old {
		if sl.idx != 0 {
			s.insert(sl.idx, s.recs[sl.idx].hash)
		}
	}
}

// unslot takes record idx out of the slot table, shifting back the
// records after it in its probe run (no tombstones).
func (s *Schedule) unslot(idx int32) {
	mask := uint64(len(s.slots) - 1)
	i := s.recs[idx].hash & mask
	for s.slots[i].idx != idx {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; s.slots[j].idx != 0; j = (j + 1) & mask {
		home := s.recs[s.slots[j].idx].hash & mask
		// Move j back to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = slot{}
}

func (s *Schedule) lookup(k *Key, h uint64, ts int64, part int) int32 {
	if r := s.find(k, h); r != 0 {
		if !(s.recs[r].inChrono && s.preemptive && s.preempt(r, ts)) {
			return r
		}
		// The part's table prints the flow by itself (its lookup makes
		// the same decision on the same times).
		s.unlink(r)
		s.remove(r)
	}
	if s.maxRecords > 0 && s.live >= s.maxRecords && s.head != 0 {
		old := s.head
		s.evicted++
		if s.evicted == 1 || s.evicted%100000 == 0 {
			s.log.Errorf("flow table full (%d records): printing the oldest flows early with expire_type \"m\" (%d so far)", s.maxRecords, s.evicted)
		}
		part := int(s.recs[old].part)
		s.unlink(old)
		s.remove(old)
		s.evict(part)
	}
	var r int32
	if n := len(s.freeRecs); n > 0 {
		r = s.freeRecs[n-1]
		s.freeRecs = s.freeRecs[:n-1]
	} else {
		s.recs = append(s.recs, sched{})
		r = int32(len(s.recs) - 1)
	}
	s.recs[r] = sched{key: *k, hash: h, part: int32(part)}
	s.live++
	if 2*(s.live+1) > len(s.slots) {
		s.grow()
	}
	s.insert(r, h)
	if s.bidir {
		rk := k.Reverse()
		if rev := s.find(&rk, h); rev != 0 && rk != *k && s.recs[rev].twin == 0 {
			s.recs[rev].twin, s.recs[r].twin = r, rev
			return r
		}
	}
	rec := &s.recs[r]
	rec.inChrono = true
	rec.prev = s.tail
	if s.tail != 0 {
		s.recs[s.tail].next = r
	} else {
		s.head = r
	}
	s.tail = r
	return r
}

func (s *Schedule) preempt(r int32, ts int64) bool {
	sec := floorSec(ts)
	limit := s.active / 1e6
	if sec <= floorSec(s.recs[r].start)+limit {
		return false
	}
	tw := s.recs[r].twin
	return tw == 0 || sec > floorSec(s.recs[tw].start)+limit
}

func (s *Schedule) unlink(r int32) {
	rec := &s.recs[r]
	if rec.prev != 0 {
		s.recs[rec.prev].next = rec.next
	} else {
		s.head = rec.next
	}
	if rec.next != 0 {
		s.recs[rec.next].prev = rec.prev
	} else {
		s.tail = rec.prev
	}
	rec.prev, rec.next, rec.inChrono = 0, 0, false
}

func (s *Schedule) remove(r int32) {
	if tw := s.recs[r].twin; tw != 0 {
		s.release(tw)
	}
	s.release(r)
}

func (s *Schedule) release(r int32) {
	s.unslot(r)
	s.recs[r].twin = 0
	s.live--
	s.freeRecs = append(s.freeRecs, r)
}

func (s *Schedule) expired(r int32) bool {
	rec := &s.recs[r]
	var tw *sched
	if rec.twin != 0 {
		tw = &s.recs[rec.twin]
	}
	if ac := s.now - s.active; rec.start < ac && (tw == nil || tw.start < ac) {
		return true
	}
	ic := s.now - s.inactive
	return rec.end < ic && (tw == nil || tw.end < ic)
}

// Now returns the clock: the latest packet time seen, µs.
func (s *Schedule) Now() int64 { return s.now }

// DrainExpired removes the expired flows at the head of the chronological
// list, as Table.Drain(false) does, adding to counts[part] one for each
// flow of that part.
func (s *Schedule) DrainExpired(counts []int) {
	for r := s.head; r != 0 && s.expired(r); r = s.head {
		counts[s.recs[r].part]++
		s.unlink(r)
		s.remove(r)
	}
}

// DrainHead hands the first n flows of the chronological list to out and
// removes them, marking each with how it expired against the clock (set
// it with AdvanceClock first), as Drain does for the flows it prints. It
// returns how many flows it drained (fewer than n when the table holds
// fewer).
func (t *Table) DrainHead(n int, out func(r *Record)) int {
	d := 0
	for r := t.head; r != nil && d < n; r = t.head {
		t.expired(r)
		t.unlink(r)
		out(r)
		t.remove(r)
		d++
	}
	return d
}

// EvictOldest prints (through the table's emit function) and frees the
// oldest flow, with "expire_type":"m", as a full table does to make room
// (the Schedule that decided it logs it).
func (t *Table) EvictOldest() {
	old := t.head
	if old == nil {
		return
	}
	t.evicted++
	t.unlink(old)
	old.expType = 'm'
	t.emit(old)
	t.remove(old)
}

// CopySettings gives t the settings of u that can change after a table is
// made: classifier, anonymizer, labels, compact map and timeouts.
func (t *Table) CopySettings(u *Table) {
	t.opts.Classifier, t.opts.Anon, t.opts.Labels, t.opts.Compact = u.opts.Classifier, u.opts.Anon, u.opts.Labels, u.opts.Compact
	t.inactive, t.active = u.inactive, u.active
}

// SetMaxRecords bounds the records (both directions) the table holds, as
// Options.MaxRecords does (negative: no bound).
func (t *Table) SetMaxRecords(n int) {
	t.maxRecords = n
	if n == 0 {
		t.maxRecords = DefaultMaxRecords
	}
}
