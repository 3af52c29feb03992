package conformance

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gojoy/libjoy/joy"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// allFeatures are the options of corpus_x (x_all_features): bidir=1
// tls=1 http=1 dns=1 ssh=1 dhcp=1 ike=1 dist=1 entropy=1 classify=1 hd=1
// wht=1 salt=1 ppi=1 payload=1 zeros=1 retrans=1.
func allFeatures() *joy.Config {
	return &joy.Config{Type: 1, Verbosity: 4, Bidir: true, TLS: true, HTTP: true, DNS: true, SSH: true, DHCP: true, IKE: true,
		Dist: true, Entropy: true, Classify: true, HD: 1, WHT: true, Salt: true, PPI: true, Payload: 1, Zeros: true, Retrans: true}
}

// TestCorpusAllFeatures reads every capture of the corpus (malformed ones
// included) with every feature and protocol on, in a fresh context each
// and, one after the other, in a single context: no panic, every line a
// valid JSON object, and the same records both ways, so the module states
// and certificates a table keeps for reuse (feature.Pool) carry nothing
// from one flow to the next. Cheap enough to run under -race -short.
func TestCorpusAllFeatures(t *testing.T) {
	shared := tu.NeedShared(t)
	run := func(ctx *joy.Context, out *bytes.Buffer, path string) (rec []byte, panicked string) {
		defer func() {
			if r := recover(); r != nil {
				panicked = fmt.Sprint(r)
			}
		}()
		out.Reset()
		if err := ctx.ProcessCapture(path); err != nil {
			return nil, "" // not a capture: TestCorpus checks which those are
		}
		ctx.PrintFlows(true)
		return bytes.Clone(out.Bytes()), ""
	}
	var reusedOut bytes.Buffer
	reused := joy.NewContext(allFeatures(), &reusedOut, nil)
	compared, flows := 0, 0
	for _, name := range corpusFiles(t, shared) {
		path := filepath.Join(shared, "pcaps", filepath.FromSlash(name))
		var freshOut bytes.Buffer
		want, p := run(joy.NewContext(allFeatures(), &freshOut, nil), &freshOut, path)
		if p != "" {
			t.Errorf("%s: panic: %s", name, p)
			continue
		}
		flows += tu.CheckJSONLines(t, want)
		got, p := run(reused, &reusedOut, path)
		if p != "" {
			t.Errorf("%s: panic in the reused context: %s", name, p)
			reusedOut.Reset()
			reused = joy.NewContext(allFeatures(), &reusedOut, nil)
			continue
		}
		if !bytes.Equal(got, want) {
			gl, wl := tu.Lines(got), tu.Lines(want)
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%s, line %d, after %d captures in the same context:\n got %s\nwant %s", name, i+1, compared, gl[i], wl[i])
				}
			}
			t.Fatalf("%s: %d lines in the reused context, %d in a fresh one", name, len(gl), len(wl))
		}
		compared++
	}
	if compared < 300 {
		t.Fatalf("only %d captures compared", compared)
	}
	t.Logf("%d captures, %d flow records, all valid JSON and the same in one reused context as in fresh ones", compared, flows)
}

// TestConcurrentContextsCaptures drives ten contexts on ten goroutines at
// once, each with every feature on and its own capture of Joy's test
// suite (two captures twice), and compares each output with the same
// capture read alone: contexts share no state (the race detector checks
// the rest under go test -race, which runs this with -short too). The C
// library's ten threads are api_threads in CTest.
func TestConcurrentContextsCaptures(t *testing.T) {
	shared := tu.NeedShared(t)
	stems := []string{"firefox58", "firefox58", "kali-normal-ssh", "kali-normal-ssh", "kali-password-attack_hydra",
		"sample", "ikev1", "openssl102n", "tls12", "dhcp"}
	run := func(path string) []byte {
		var out bytes.Buffer
		ctx := joy.NewContext(allFeatures(), &out, nil)
		if err := ctx.ProcessCapture(path); err != nil {
			t.Error(err)
		}
		return out.Bytes()
	}
	got := make([][]byte, len(stems))
	var wg sync.WaitGroup
	for i, s := range stems {
		wg.Add(1)
		go func(i int, path string) {
			defer wg.Done()
			got[i] = run(path)
		}(i, filepath.Join(shared, "pcaps", "joy-"+s+".pcap"))
	}
	wg.Wait()
	flows := 0
	for i, s := range stems {
		want := run(filepath.Join(shared, "pcaps", "joy-"+s+".pcap"))
		if !bytes.Equal(got[i], want) {
			t.Errorf("joy-%s.pcap: the concurrent run differs from the run alone", s)
		}
		flows += tu.CheckJSONLines(t, got[i])
	}
	if flows != 98 {
		t.Errorf("%d flow records, want 98", flows)
	}
	t.Logf("%d contexts at once, %d flow records, each the same as alone", len(stems), flows)
}
