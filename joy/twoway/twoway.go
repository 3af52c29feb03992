// Package twoway is a small cache of byte strings by byte-string keys, for
// work one flow table repeats: the JSON of a certificate a server sends to
// every client (joy/tls), the member text of a hello shape every client of
// a program sends (joy/fpmodule).
//
// A key may sit in either of two slots picked by its hash, and a miss
// replaces the one used less recently. With one slot per key, two busy
// keys that the process's random seed happens to map together would evict
// each other on every flow, and the work would be done again each time.
// A hit compares the whole key. The cache is one table's, used by one
// goroutine at a time.
package twoway

import (
	"bytes"
	"hash/maphash"
)

// Cache is a two-way cache with a fixed number of slots.
type Cache struct {
	seed  maphash.Seed
	slots []Entry
	tick  uint64 // stamps slot use
	// Hits counts lookups that found their key.
	Hits uint64
}

// Entry is one slot: a key, its value, and an offset into the value the
// caller keeps with it (where a second part starts, for example).
type Entry struct {
	Key, Value []byte
	Split      int
	used       uint64
}

// New returns an empty cache of n slots (at least 1).
func New(n int) *Cache {
	return &Cache{seed: maphash.MakeSeed(), slots: make([]Entry, max(n, 1))}
}

// Ways returns the two slots key may sit in (the same slot twice for a
// key whose hash picks one slot twice).
func (c *Cache) Ways(key []byte) (a, b *Entry) {
	h := maphash.Bytes(c.seed, key)
	n := uint64(len(c.slots))
	return &c.slots[h%n], &c.slots[(h>>32)%n]
}

// Lookup returns the entry holding key, with hit true, or else the entry
// a value for key should go in (the less recently used of its two slots),
// to be filled with Set.
func (c *Cache) Lookup(key []byte) (e *Entry, hit bool) {
	a, b := c.Ways(key)
	c.tick++
	for _, e := range [2]*Entry{a, b} {
		if e.Value != nil && bytes.Equal(e.Key, key) {
			e.used = c.tick
			c.Hits++
			return e, true
		}
	}
	if b.used < a.used {
		return b, false
	}
	return a, false
}

// Set stores copies of key and value, and split, in e (an entry Lookup or
// Ways returned), reusing e's buffers.
func (c *Cache) Set(e *Entry, key, value []byte, split int) {
	e.Key = append(e.Key[:0], key...)
	e.Value = append(e.Value[:0], value...)
	e.Split = split
	e.used = c.tick
}
