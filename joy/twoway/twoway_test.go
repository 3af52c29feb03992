package twoway

import (
	"fmt"
	"testing"
)

func get(t *testing.T, c *Cache, key string) (string, bool) {
	t.Helper()
	e, hit := c.Lookup([]byte(key))
	if !hit {
		return "", false
	}
	return string(e.Value), true
}

// put fills key's entry as a caller does after a miss.
func put(t *testing.T, c *Cache, key, value string) {
	t.Helper()
	e, hit := c.Lookup([]byte(key))
	if hit {
		t.Fatalf("%s: hit before it was stored", key)
	}
	c.Set(e, []byte(key), []byte(value), len(value)/2)
}

func TestHitAndMiss(t *testing.T) {
	c := New(64)
	if _, hit := get(t, c, "a"); hit {
		t.Fatal("hit in an empty cache")
	}
	put(t, c, "a", "value of a")
	e, hit := c.Lookup([]byte("a"))
	if !hit || string(e.Value) != "value of a" || e.Split != 5 {
		t.Fatalf("after Set: hit %v, entry %q split %d", hit, e.Value, e.Split)
	}
	if c.Hits != 1 {
		t.Fatalf("Hits = %d, want 1", c.Hits)
	}
	// Set copies: changing what was passed changes nothing cached.
	key, val := []byte("b"), []byte("value of b")
	e, _ = c.Lookup(key)
	c.Set(e, key, val, 0)
	key[0], val[0] = 'x', 'x'
	if v, hit := get(t, c, "b"); !hit || v != "value of b" {
		t.Fatalf("b after its buffers changed: %q, hit %v", v, hit)
	}
}

// A slot holding another key (a hash collision in both of its slots) is
// not a hit; the value then stored is.
func TestCollision(t *testing.T) {
	c := New(16)
	a, b := c.Ways([]byte("k"))
	c.Set(a, []byte("other"), []byte("wrong"), 0)
	c.Set(b, []byte("other"), []byte("wrong"), 0)
	if v, hit := get(t, c, "k"); hit {
		t.Fatalf("another key's value returned: %q", v)
	}
	put(t, c, "k", "right")
	if v, hit := get(t, c, "k"); !hit || v != "right" {
		t.Fatalf("after storing: %q, hit %v", v, hit)
	}
}

// Two keys whose hashes pick the same first slot both stay cached: the
// second takes its other slot. Then a third key with that first slot
// replaces the one used less recently.
func TestTwoWays(t *testing.T) {
	c := New(64)
	first := func(k string) *Entry { a, _ := c.Ways([]byte(k)); return a }
	second := func(k string) *Entry { _, b := c.Ways([]byte(k)); return b }
	// The keys are picked for this run's seed: each has two distinct
	// slots, and its first slot is keyA's while its second is not.
	var keys []string
	for i := 0; len(keys) < 3; i++ {
		if i == 1e6 {
			t.Fatal("no three keys sharing a first slot in 1e6 tries")
		}
		k := fmt.Sprintf("key%d", i)
		if first(k) == second(k) {
			continue
		}
		if len(keys) == 0 || first(k) == first(keys[0]) && second(k) != first(keys[0]) && second(k) != second(keys[0]) {
			keys = append(keys, k)
		}
	}
	ka, kb, kc := keys[0], keys[1], keys[2]
	put(t, c, ka, "A")
	put(t, c, kb, "B")
	for _, k := range []string{ka, kb, ka, kb} {
		if _, hit := get(t, c, k); !hit {
			t.Fatalf("%s evicted: the two keys of one first slot do not both stay", k)
		}
	}
	if string(first(ka).Key) != ka || string(second(kb).Key) != kb {
		t.Fatalf("slots: first %q, kb's second %q", first(ka).Key, second(kb).Key)
	}
	// kb was used last: kc (first slot ka's, second slot its own, empty)
	// goes to its empty second slot, the less recently used of the two.
	put(t, c, kc, "C")
	for _, k := range []string{ka, kb, kc} {
		if _, hit := get(t, c, k); !hit {
			t.Fatalf("%s evicted after a third key", k)
		}
	}
}

// A miss returns the less recently used of the key's two slots.
func TestLeastRecentlyUsed(t *testing.T) {
	c := New(64)
	k := []byte("k0")
	for i := 1; ; i++ {
		if a, b := c.Ways(k); a != b {
			break
		}
		k = []byte(fmt.Sprintf("k%d", i))
	}
	a, b := c.Ways(k)
	for _, round := range []struct {
		older, newer *Entry
	}{{a, b}, {b, a}, {a, b}} {
		c.Lookup([]byte("tick")) // every lookup advances the clock
		c.Set(round.older, []byte("x"), []byte("x"), 0)
		c.Lookup([]byte("tick"))
		c.Set(round.newer, []byte("y"), []byte("y"), 0)
		if e, hit := c.Lookup(k); hit || e != round.older {
			t.Fatalf("miss returned the slot used last (hit %v)", hit)
		}
	}
}
