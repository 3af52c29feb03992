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
	maxFreeStates  = 256
	certCacheSlots = 256
	maxCachedCert  = 8 << 10
)

// pool recycles the TLS states of one flow table and remembers the JSON
// of recently seen certificates: a server sends the same chain to every
// client, and parsing it is most of the cost of TLS metadata.
type pool struct {
	free  []*State
	seed  maphash.Seed
	certs [certCacheSlots]cachedCert
	der   []byte // scratch for the certificate being read
}

// cachedCert is one slot of the direct-mapped certificate cache: the DER
// and the object appendCertificate wrote for it.
type cachedCert struct {
	der  []byte
	json []byte
}

func newPool(*config.Config) feature.Pool { return &pool{seed: maphash.MakeSeed()} }

func (p *pool) Get() feature.Module {
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	return &State{pool: p}
}

func (p *pool) Put(m feature.Module) {
	s, ok := m.(*State)
	if !ok || len(p.free) >= maxFreeStates {
		return
	}
	s.reset()
	p.free = append(p.free, s)
}

// reset makes s a fresh state, keeping its buffers' capacity.
func (s *State) reset() {
	*s = State{
		hs:    s.hs[:0],
		cExt:  s.cExt[:0],
		sExt:  s.sExt[:0],
		certs: s.certs[:0],
		pool:  s.pool,
	}
}

// appendCertificate appends the JSON object of the DER certificate at
// offset d of the handshake buffer, from the cache when it was seen
// before.
func (p *pool) appendCertificate(b []byte, s *State, d int, length uint16) []byte {
	if cap(p.der) < int(length) {
		p.der = make([]byte, length)
	}
	der := p.der[:length]
	s.copyOut(der, d)
	if len(der) > maxCachedCert {
		return appendCertificate(b, length, der)
	}
	slot := &p.certs[maphash.Bytes(p.seed, der)%certCacheSlots]
	if slot.json != nil && bytes.Equal(slot.der, der) {
		return append(b, slot.json...)
	}
	start := len(b)
	b = appendCertificate(b, length, der)
	slot.der = append(slot.der[:0], der...)
	slot.json = append(slot.json[:0], b[start:]...)
	return b
}
