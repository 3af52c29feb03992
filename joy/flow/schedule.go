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
	for _, w := range [...]uint64{a0, a1, b0, b1} {
		h = mix(h ^ w)
	}
	return mix(h)
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
	flows             map[uint64]*sched // by SymmetricHash, chained through hnext
	head, tail        *sched
	free              []*sched
	now               int64
	hasNow            bool
	live              int
	evicted           uint64
	log               Logger
	evict             func(part int)
}

type sched struct {
	key        Key
	hash       uint64
	hnext      *sched // next record of the same hash (the twin, mostly)
	twin       *sched
	prev, next *sched
	inChrono   bool
	start, end int64
	np         uint32
	part       int
}

// NewSchedule returns the schedule of a table with t's options and
// timeouts. evict is called when the bound on records makes the table
// print its oldest flow early, with the part holding it; that part must
// call EvictOldest before its next packet.
func (t *Table) NewSchedule(evict func(part int)) *Schedule {
	return &Schedule{
		bidir: t.opts.Bidir, preemptive: t.opts.PreemptiveTimeout, maxRecords: t.maxRecords,
		inactive: t.inactiveTimeout(), active: t.activeTimeout(),
		flows: make(map[uint64]*sched, 1024), log: t.log, evict: evict,
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
	r := s.lookup(k, h, ts, part)
	r.np++
	if r.np == 1 {
		r.start = ts
	}
	r.end = ts
}

// find returns the record of key k (hash h), or nil.
func (s *Schedule) find(k *Key, h uint64) *sched {
	for r := s.flows[h]; r != nil; r = r.hnext {
		if r.key == *k {
			return r
		}
	}
	return nil
}

func (s *Schedule) lookup(k *Key, h uint64, ts int64, part int) *sched {
	if r := s.find(k, h); r != nil {
		if !(r.inChrono && s.preemptive && s.preempt(r, ts)) {
			return r
		}
		// The part's table prints the flow by itself (its lookup makes
		// the same decision on the same times).
		s.unlink(r)
		s.remove(r)
	}
	if s.maxRecords > 0 && s.live >= s.maxRecords && s.head != nil {
		old := s.head
		s.evicted++
		if s.evicted == 1 || s.evicted%100000 == 0 {
			s.log.Errorf("flow table full (%d records): printing the oldest flows early with expire_type \"m\" (%d so far)", s.maxRecords, s.evicted)
		}
		s.unlink(old)
		s.remove(old)
		s.evict(old.part)
	}
	var r *sched
	if n := len(s.free); n > 0 {
		r = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		r = new(sched)
	}
	*r = sched{key: *k, hash: h, part: part, hnext: s.flows[h]}
	s.live++
	s.flows[h] = r
	if s.bidir {
		rk := k.Reverse()
		if rev := s.find(&rk, h); rev != nil && rk != *k && rev.twin == nil {
			rev.twin, r.twin = r, rev
			return r
		}
	}
	r.inChrono = true
	r.prev = s.tail
	if s.tail != nil {
		s.tail.next = r
	} else {
		s.head = r
	}
	s.tail = r
	return r
}

func (s *Schedule) preempt(r *sched, ts int64) bool {
	sec := floorSec(ts)
	limit := s.active / 1e6
	if sec <= floorSec(r.start)+limit {
		return false
	}
	return r.twin == nil || sec > floorSec(r.twin.start)+limit
}

func (s *Schedule) unlink(r *sched) {
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		s.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		s.tail = r.prev
	}
	r.prev, r.next, r.inChrono = nil, nil, false
}

func (s *Schedule) remove(r *sched) {
	if tw := r.twin; tw != nil {
		s.release(tw)
	}
	s.release(r)
}

func (s *Schedule) release(r *sched) {
	if p := s.flows[r.hash]; p == r {
		if r.hnext != nil {
			s.flows[r.hash] = r.hnext
		} else {
			delete(s.flows, r.hash)
		}
	} else {
		for p.hnext != r {
			p = p.hnext
		}
		p.hnext = r.hnext
	}
	r.twin, r.hnext = nil, nil
	s.live--
	if len(s.free) < 4096 {
		s.free = append(s.free, r)
	}
}

func (s *Schedule) expired(r *sched) bool {
	tw := r.twin
	if ac := s.now - s.active; r.start < ac && (tw == nil || tw.start < ac) {
		return true
	}
	ic := s.now - s.inactive
	return r.end < ic && (tw == nil || tw.end < ic)
}

// Now returns the clock: the latest packet time seen, µs.
func (s *Schedule) Now() int64 { return s.now }

// DrainExpired removes the expired flows at the head of the chronological
// list, as Table.Drain(false) does, adding to counts[part] one for each
// flow of that part.
func (s *Schedule) DrainExpired(counts []int) {
	for r := s.head; r != nil && s.expired(r); r = s.head {
		counts[r.part]++
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
