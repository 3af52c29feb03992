package tls

import (
	"bytes"
	"hash/maphash"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
)

// Limits of one table's pool: states kept for reuse, certificates kept
// rendered, and the largest certificate worth keeping.
const (
	maxFreeStates  = 64
	certCacheSlots = 256
	maxCachedCert  = 8 << 10
)

// newPool gives one flow table recycled states that share a cache of
// rendered certificates: a server sends the same chain to every client,
// and parsing it is most of the cost of TLS metadata.
func newPool(*config.Config) feature.Pool {
	c := &certCache{seed: maphash.MakeSeed()}
	return feature.FreeList(func() feature.Resetter { return &State{cache: c} }, maxFreeStates)
}

// Reset implements feature.Resetter: s becomes a fresh state, keeping its
// buffers' capacity and its cache.
func (s *State) Reset() {
	*s = State{
		hs:      feature.Reuse(s.hs),
		recs:    s.recs[:0],
		stats:   s.stats[:0],
		sid:     s.sid[:0],
		cs:      s.cs[:0],
		cExt:    s.cExt[:0],
		sExt:    s.sExt[:0],
		certs:   feature.Reuse(s.certs),
		scratch: feature.Reuse(s.scratch),
		cache:   s.cache,
	}
}

// certCache is a two-way cache of certificates and the JSON objects
// appendCertificate wrote for them, for one flow table. Each certificate
// may sit in either of two slots picked by its hash (the one used least
// recently is replaced): with one slot, two busy servers' certificates
// that the process's random seed happens to map together would evict each
// other on every flow, and each flow would parse a certificate again.
type certCache struct {
	seed  maphash.Seed
	slots [certCacheSlots]certSlot
	tick  uint64 // stamps slot use
	der   []byte // scratch for the certificate being read
}

type certSlot struct {
	der, json []byte
	used      uint64
}

// appendCertificate appends the JSON object of the DER certificate at
// offset d of s's handshake buffer, from the cache when it was seen
// before.
func (c *certCache) appendCertificate(b []byte, s *State, d int, length uint16) []byte {
	if cap(c.der) < int(length) {
		c.der = make([]byte, length)
	}
	der := c.der[:length]
	s.copyOut(der, d)
	if len(der) > maxCachedCert {
		return appendCertificate(b, length, der)
	}
	h := maphash.Bytes(c.seed, der)
	c.tick++
	a, z := &c.slots[h%certCacheSlots], &c.slots[(h>>32)%certCacheSlots]
	for _, slot := range [2]*certSlot{a, z} {
		if slot.json != nil && bytes.Equal(slot.der, der) {
			slot.used = c.tick
			return append(b, slot.json...)
		}
	}
	slot := a
	if z.used < a.used {
		slot = z
	}
	start := len(b)
	b = appendCertificate(b, length, der)
	slot.der = append(slot.der[:0], der...)
	slot.json = append(slot.json[:0], b[start:]...)
	slot.used = c.tick
	return b
}
