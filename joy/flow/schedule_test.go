package flow

import (
	"math/rand"
	"testing"
)

// The schedule's slot table finds every record it holds and none it
// dropped, through growth, heavy hash collisions (hashes from a handful
// of values, wrapping around the table's end) and deletions from the
// middle of probe runs; drains count each flow once.
func TestScheduleSlots(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	s := (&Table{opts: Options{Bidir: true}, maxRecords: 300, log: nopLog{}}).NewSchedule(func(int) {})
	var held map[Key]uint64
	hashOf := func(k Key) uint64 {
		// few distinct hashes, high halves equal, some near the top of
		// the table so runs wrap around
		return uint64(k.Sp%7)*0x9e3779b9 | uint64(k.Sp%3)<<32 | 0x7fc
	}
	counts := make([]int, 2)
	ts := int64(0)
	for i := 0; i < 200000; i++ {
		ts += int64(rng.Intn(200000))
		k := Key{Proto: 17, Sp: uint16(rng.Intn(2000)), Dp: 53}
		k.Src[0], k.Dst[0] = 10, 11
		if rng.Intn(2) == 0 {
			k = k.Reverse()
		}
		h := SymmetricHashTest(k, hashOf)
		s.Observe(&k, h, ts, int(h%2))
		if i%5 == 0 {
			s.DrainExpired(counts)
		}
		if i%1000 == 0 {
			// every record in the slab that is live is findable
			held = map[Key]uint64{}
			live := 0
			for r := s.head; r != 0; r = s.recs[r].next {
				rec := &s.recs[r]
				held[rec.key] = rec.hash
				live++
				if tw := rec.twin; tw != 0 {
					held[s.recs[tw].key] = s.recs[tw].hash
					live++
				}
			}
			if live != s.Len() {
				t.Fatalf("packet %d: %d records on the list, Len %d", i, live, s.Len())
			}
			for key, h := range held {
				if s.find(&key, h) == 0 {
					t.Fatalf("packet %d: record %+v not found", i, key)
				}
			}
			used := 0
			for _, sl := range s.slots {
				if sl.idx != 0 {
					used++
				}
			}
			if used != s.Len() {
				t.Fatalf("packet %d: %d slots used, %d records", i, used, s.Len())
			}
		}
	}
	if s.Evicted() == 0 || counts[0]+counts[1] == 0 {
		t.Errorf("nothing evicted (%d) or drained (%v)", s.Evicted(), counts)
	}
}

// SymmetricHashTest gives both directions of k the hash f gives the
// endpoint pair in a fixed order.
func SymmetricHashTest(k Key, f func(Key) uint64) uint64 {
	if k.Sp > k.Dp || (k.Sp == k.Dp && string(k.Src[:]) > string(k.Dst[:])) {
		k = k.Reverse()
	}
	return f(k)
}

type nopLog struct{}

func (nopLog) Errorf(string, ...any) {}
func (nopLog) Always(string, ...any) {}
