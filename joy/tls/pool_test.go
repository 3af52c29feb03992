package tls

import (
	"bytes"
	"crypto/x509"
	"testing"

	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/twoway"
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

// Certificates come from the table's cache after the first time, as
// rendered afresh; two certificates stay cached together.
func TestCertificateCache(t *testing.T) {
	certA := testCertificate(t, nil)
	certB := testCertificate(t, func(c *x509.Certificate) { c.Subject.CommonName = "other.example" })
	c := &certCache{rendered: twoway.New(certCacheSlots)}
	for i, cert := range [][]byte{certA, certB, certA, certB, certA} {
		s := &State{cache: c, hs: cert}
		got := string(c.appendCertificate(nil, s, 0, uint16(len(cert))))
		if want := string(appendCertificate(nil, uint16(len(cert)), cert)); got != want {
			t.Fatalf("certificate %d: got %s, want %s", i, got, want)
		}
	}
	if c.rendered.Hits != 3 {
		t.Fatalf("%d cache hits for 5 renderings of 2 certificates, want 3", c.rendered.Hits)
	}
}
