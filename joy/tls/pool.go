package tls

import (
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/twoway"
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
	c := &certCache{rendered: twoway.New(certCacheSlots)}
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

// certCache is the certificates one flow table has rendered, with the
// JSON objects appendCertificate wrote for them (a two-way cache: two busy
// servers' certificates do not evict each other).
type certCache struct {
	rendered *twoway.Cache
	der      []byte // scratch for the certificate being read
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
	e, hit := c.rendered.Lookup(der)
	if hit {
		return append(b, e.Value...)
	}
	start := len(b)
	b = appendCertificate(b, length, der)
	c.rendered.Set(e, der, b[start:], 0)
	return b
}
