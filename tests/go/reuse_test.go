package conformance

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/config"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// One context that reads capture after capture prints for each what a
// fresh context prints: the module states and certificates a table keeps
// for reuse (feature.Pool) carry nothing from one flow to the next. With
// -short only the joy-*.pcap captures are read.
func TestContextReuse(t *testing.T) {
	shared := tu.NeedShared(t)
	cfg := &joy.Config{Type: 1, Dist: true, Entropy: true}
	cfg.ApplyBitmask(config.BidirOn | config.DNSOn | config.SSHOn | config.TLSOn | config.DHCPOn | config.HTTPOn | config.IKEOn)
	run := func(ctx *joy.Context, out *bytes.Buffer, path string) []byte {
		out.Reset()
		if err := ctx.ProcessCapture(path); err != nil {
			return nil // not a capture: nothing to compare
		}
		ctx.PrintFlows(true)
		return bytes.Clone(out.Bytes())
	}
	var reusedOut bytes.Buffer
	reused := joy.NewContext(cfg, &reusedOut, nil)
	compared, flows := 0, 0
	for _, name := range corpusFiles(t, shared) {
		if testing.Short() && !strings.HasPrefix(filepath.Base(name), "joy-") {
			continue
		}
		path := filepath.Join(shared, "pcaps", filepath.FromSlash(name))
		got := run(reused, &reusedOut, path)
		var freshOut bytes.Buffer
		want := run(joy.NewContext(cfg, &freshOut, nil), &freshOut, path)
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
		flows += bytes.Count(want, []byte("\n"))
	}
	if compared < 14 {
		t.Fatalf("only %d captures compared", compared)
	}
	t.Logf("%d captures, %d flow records: the same in one reused context as in fresh ones", compared, flows)
}
