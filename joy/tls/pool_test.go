package tls

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"hash/maphash"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
)

// States that come back from a pool print exactly what fresh ones do,
// whatever flow they held before.
func TestPoolReuse(t *testing.T) {
	fresh := func(cert []byte) (string, string) {
		c, s := new(State), new(State)
		runHandshake(t, c, s, cert)
		return tlsJSON(t, c, s), tlsJSON(t, s, c)
	}
	certA := testCertificate(t, nil)
	certB := testCertificate(t, func(c *x509.Certificate) { c.Subject.CommonName = "other.example" })
	wantA1, wantA2 := fresh(certA)
	wantB1, wantB2 := fresh(certB)
	if wantA1 == wantB1 {
		t.Fatal("the two certificates print alike")
	}
	p := newPool(nil)
	var seen []feature.Module
	for i, cert := range [][]byte{certA, certB, certA, certA, certB} {
		c, s := p.Get().(*State), p.Get().(*State)
		runHandshake(t, c, s, cert)
		want1, want2 := wantA1, wantA2
		if bytes.Equal(cert, certB) {
			want1, want2 = wantB1, wantB2
		}
		if got := tlsJSON(t, c, s); got != want1 {
			t.Fatalf("round %d, client: got\\n%s\\nwant\\n%s", i, got, want1)
		}
		if got := tlsJSON(t, s, c); got != want2 {
			t.Fatalf("round %d, server: got\\n%s\\nwant\\n%s", i, got, want2)
		}
		p.Put(c)
		p.Put(s)
		seen = append(seen, c, s)
	}
	// Two states served every round.
	distinct := map[feature.Module]bool{}
	for _, m := range seen {
		distinct[m] = true
	}
	if len(distinct) != 2 {
		t.Fatalf("%d distinct states for 5 rounds of one flow, want 2 (reused)", len(distinct))
	}
}

// A cache slot holding another certificate (a hash collision) is not used.
func TestCertificateCacheCollision(t *testing.T) {
	certA := testCertificate(t, nil)
	certB := testCertificate(t, func(c *x509.Certificate) { c.Subject.CommonName = "other.example" })
	c := &certCache{seed: maphash.MakeSeed()}
	slot := &c.slots[maphash.Bytes(c.seed, certA)%certCacheSlots]
	slot.der, slot.json = certB, []byte(`{"wrong":1}`)
	s := &State{cache: c, hs: certA}
	got := string(c.appendCertificate(nil, s, 0, uint16(len(certA))))
	if want := string(appendCertificate(nil, uint16(len(certA)), certA)); got != want {
		t.Fatalf("collision: got %s, want %s", got, want)
	}
	// The slot now holds certA, and a hit returns the same text.
	if again := string(c.appendCertificate(nil, s, 0, uint16(len(certA)))); again != got || !bytes.Equal(slot.der, certA) {
		t.Fatalf("hit: got %s", again)
	}
}

// Two certificates whose hashes pick the same first slot both stay
// cached: the second takes its other slot instead of evicting the first,
// which busy servers would otherwise do to each other on every flow.
func TestCertificateCacheTwoWays(t *testing.T) {
	c := &certCache{seed: maphash.MakeSeed()}
	certA := testCertificate(t, nil)
	h := maphash.Bytes(c.seed, certA)
	for h%certCacheSlots == (h>>32)%certCacheSlots {
		c.seed = maphash.MakeSeed()
		h = maphash.Bytes(c.seed, certA)
	}
	// A second certificate with the same first slot.
	var certB []byte
	for i := 0; certB == nil; i++ {
		if i == 10000 {
			t.Fatal("no certificate with the same first slot in 10000 tries")
		}
		b := testCertificate(t, func(c *x509.Certificate) { c.Subject.CommonName = fmt.Sprintf("n%d.example", i) })
		// Its second slot must differ from the first too (1 in 256
		// certificates has both in one slot, and then evicting is right).
		if hb := maphash.Bytes(c.seed, b); hb%certCacheSlots == h%certCacheSlots && (hb>>32)%certCacheSlots != h%certCacheSlots {
			certB = b
		}
	}
	render := func(cert []byte) string {
		s := &State{cache: c, hs: cert}
		got := string(c.appendCertificate(nil, s, 0, uint16(len(cert))))
		if want := string(appendCertificate(nil, uint16(len(cert)), cert)); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		return got
	}
	for _, cert := range [][]byte{certA, certB, certA, certB} {
		render(cert)
	}
	hB := maphash.Bytes(c.seed, certB)
	if !bytes.Equal(c.slots[h%certCacheSlots].der, certA) {
		t.Fatal("certB evicted certA from its slot")
	}
	if !bytes.Equal(c.slots[(hB>>32)%certCacheSlots].der, certB) {
		t.Fatal("certB is not cached in its second slot")
	}
}
