package fpmodule

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/joy/tls"
	"github.com/gojoy/libjoy/joy/twoway"
	"github.com/gojoy/libjoy/tests/go/testutil"
	"github.com/gojoy/libjoy/tests/go/testutil/emitallocs"
)

// pair is the two directions of a flow sharing a table's scratch.
func pair(sc *scratch) [2]*direction {
	cfg := &config.Config{Bidir: true, TLS: true, Settings: map[string]uint{"quic": 1, "fingerprint": 1}}
	return [2]*direction{newDirection(cfg, sc), newDirection(cfg, sc)}
}

// print returns what the pair prints: the flow's member (bidir) and the
// second direction's alone.
func printPair(p [2]*direction) string {
	return string(feature.AppendJSON(nil, p[0], p[1])) + "\n" + string(feature.AppendJSON(nil, p[1], nil))
}

// The member printed from the table's cache of hello texts is the one
// computed afresh, for the TLS, DTLS and QUIC hellos of every capture of
// the corpus (the first packets of each, both as TCP and as UDP): the
// cache is shared by all of them, as one table's is, and the corpus is
// read twice, the second time with every hello already cached.
func TestCacheMatchesUncached(t *testing.T) {
	dir := testutil.NeedShared(t)
	files, _ := filepath.Glob(filepath.Join(dir, "pcaps", "*"))
	cached, fresh := pair(new(scratch)), pair(&scratch{noCache: true})
	members := 0
	for pass := range 2 {
		for _, f := range files {
			if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() || filepath.Ext(f) == ".md" {
				continue
			}
			for _, proto := range []uint8{6, 17} {
				in := seedChunks(f, proto)
				if len(in) == 0 {
					continue
				}
				chunks := testutil.FuzzChunks(in)
				var outs [2]string
				for i, p := range [2][2]*direction{cached, fresh} {
					for _, d := range p {
						d.Reset()
					}
					replay(p, chunks, proto == 17)
					outs[i] = printPair(p)
				}
				if outs[0] != outs[1] {
					t.Fatalf("pass %d, %s (protocol %d): cached\n%s\nfresh\n%s", pass, filepath.Base(f), proto, outs[0], outs[1])
				}
				if pass == 0 && bytes.Contains([]byte(outs[0]), []byte(`"fingerprint"`)) {
					members++
				}
			}
		}
	}
	c := cached[0].cache
	if members < 50 || c == nil || c.Hits < uint64(members) {
		t.Fatalf("%d flows with a member, cache %v: expected at least 50, and a hit for each in the second pass", members, c != nil)
	}
	t.Logf("%d flows with a member per pass, %d cache hits", members, c.Hits)
}

// A slot holding another hello's text (a hash collision in both of the
// hello's slots) is not used: the text is computed and then cached, and
// the next hit returns it.
func TestCacheCollision(t *testing.T) {
	dir := testutil.NeedShared(t)
	in := seedChunks(filepath.Join(dir, "pcaps", "joy-tls12.pcap"), 6)
	chunks := testutil.FuzzChunks(in)
	fresh := pair(&scratch{noCache: true})
	replay(fresh, chunks, false)
	want := printPair(fresh)
	if !bytes.Contains([]byte(want), []byte(`"ja3s"`)) {
		t.Fatalf("no fingerprints: %s", want)
	}

	sc := &scratch{cache: twoway.New(memberCacheSlots)}
	p := pair(sc)
	replay(p, chunks, false)
	c, s, _ := p[0].hellos(p[1])
	for _, x := range []struct {
		role byte
		h    *tls.Hello
	}{{'c', c}, {'s', s}} {
		k := appendKey(nil, x.h, x.role, 't', 0)
		other := append(bytes.Clone(k), 'x')
		a, b := sc.cache.Ways(k)
		for _, e := range []*twoway.Entry{a, b} {
			sc.cache.Set(e, other, []byte(`,"wrong":1,"wrong":2`), 10)
		}
	}
	if got := printPair(p); got != want {
		t.Fatalf("collision: got\n%s\nwant\n%s", got, want)
	}
	hits := sc.cache.Hits
	if got := printPair(p); got != want || sc.cache.Hits <= hits {
		t.Fatalf("hit (%d hits before, %d after): got\n%s\nwant\n%s", hits, sc.cache.Hits, got, want)
	}
}

// Emitting a flow whose hellos' texts are cached allocates nothing, as
// the flow table prints: a reused encoder and buffer. The hellos are
// still parsed at each print; only their member text comes from the cache.
func TestEmitCachedNoAllocs(t *testing.T) {
	dir := testutil.NeedShared(t)
	in := seedChunks(filepath.Join(dir, "pcaps", "joy-tls12.pcap"), 6)
	p := pair(new(scratch))
	replay(p, testutil.FuzzChunks(in), false)
	out := printPair(p) // fills the cache
	if !bytes.Contains([]byte(out), []byte(`"ja3s"`)) {
		t.Fatalf("no fingerprints: %s", out)
	}
	if n := emitallocs.Count(8192, nil, func(e *record.Enc) { p[0].Emit(e, p[1]) }); n != 0 {
		t.Fatalf("Emit of cached hellos allocates %v times per record", n)
	}
}
