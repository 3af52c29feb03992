package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/sleuth"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// sshOnly keeps the SSH connections of a capture (its mDNS and other
// chatter is neither attack nor normal SSH).
var sshOnly = sleuth.MustCompile("pr = 6 and (dp = 22 or sp = 22)")

// engineRecords runs our engine over a capture and returns its records.
func engineRecords(t *testing.T, pcap string, cfg *joy.Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	ctx := joy.NewContext(cfg, &buf, nil)
	if err := ctx.ProcessCapture(pcap); err != nil {
		t.Fatalf("%s: %v", pcap, err)
	}
	return buf.Bytes()
}

// examples turns JSON lines into the SSH examples among them.
func examples(t *testing.T, src string, data []byte) []Example {
	t.Helper()
	var out []Example
	err := sleuth.ForEach([]string{"-"}, bytes.NewReader(data), func(l sleuth.Line) error {
		if ok, err := sshOnly.MatchJSON(l.Data); err != nil || !ok {
			return err
		}
		e, err := FromRecord(l.Data)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", src, l.Num, err)
		}
		e.Source = fmt.Sprintf("%s:%d", src, l.Num)
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sshData builds the attack (positive) and normal SSH (negative) examples:
// the original's bidirectional records of the Joy captures, plus records
// made by our engine (bidirectional and one-sided, with byte
// distributions) of those and of other SSH captures. Several records of
// one connection share its Group, so a split by Group is a split by flow.
func sshData(t *testing.T) (pos, neg []Example) {
	sh := tu.NeedShared(t)
	ref := filepath.Join(sh, "ref", "697dc5a", "b_bidir")
	pcaps := filepath.Join(sh, "pcaps")
	load := func(label string, refs, caps []string) []Example {
		var es []Example
		for _, r := range refs {
			data, err := os.ReadFile(filepath.Join(ref, r+".json"))
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, examples(t, "ref/"+r, data)...)
		}
		for _, c := range caps {
			path := filepath.Join(pcaps, c+".pcap")
			if _, err := os.Stat(path); err != nil {
				t.Logf("%s: %v (left out)", c, err)
				continue
			}
			for _, bidir := range []bool{true, false} {
				cfg := &joy.Config{Type: 1, Bidir: bidir, Dist: true}
				es = append(es, examples(t, fmt.Sprintf("%s(bidir=%v)", c, bidir), engineRecords(t, path, cfg))...)
			}
		}
		return es
	}
	pos = load("attack",
		[]string{"kali-password-attack_hydra"},
		[]string{"joy-kali-password-attack_hydra", "zeek-ssh-sshguess"})
	neg = load("normal",
		[]string{"kali-normal-ssh", "ssh-dropbear-default", "ssh-gex-sha256"},
		[]string{"joy-kali-normal-ssh", "joy-ssh-dropbear-default", "joy-ssh-gex-sha256",
			"zeek-ssh-ssh", "tcpdump-ssh", "zeek-ssh-ssh1-ssh2-fingerprints", "zeek-ssh-ssh_kex_curve25519"})
	return pos, neg
}

func groups(es []Example) []string {
	seen := map[string]bool{}
	var gs []string
	for _, e := range es {
		if !seen[e.Group] {
			seen[e.Group] = true
			gs = append(gs, e.Group)
		}
	}
	sort.Strings(gs)
	return gs
}

// splitByFlow holds out about a third of the flows (all their records).
func splitByFlow(es []Example, seed uint64) (train, test []Example) {
	gs := groups(es)
	rng := rand.New(rand.NewPCG(seed, 7))
	rng.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
	held := map[string]bool{}
	for _, g := range gs[:len(gs)/3] {
		held[g] = true
	}
	for _, e := range es {
		if held[e.Group] {
			test = append(test, e)
		} else {
			train = append(train, e)
		}
	}
	return train, test
}

func writeParams(t *testing.T, path string, w []float32) {
	t.Helper()
	if err := WriteParamFile(path, w); err != nil {
		t.Fatal(err)
	}
}

// countValues checks that a parameter file has exactly n numbers, one a
// line, in the original's "%.18e" format.
func countValues(t *testing.T, path string, n int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%s: %d lines, want %d", path, len(lines), n)
	}
	for i, l := range lines {
		var f float64
		if _, err := fmt.Sscanf(l, "%e", &f); err != nil || fmt.Sprintf("%.18e", f) != l {
			t.Fatalf("%s:%d: %q is not a %%.18e value", path, i+1, l)
		}
	}
}

func TestTrainSSHAttack(t *testing.T) {
	sh := tu.NeedShared(t)
	pos, neg := sshData(t)
	t.Logf("examples: %d attack records (%d flows), %d normal records (%d flows)",
		len(pos), len(groups(pos)), len(neg), len(groups(neg)))
	if len(groups(pos)) < 10 || len(groups(neg)) < 10 {
		t.Fatalf("too few flows")
	}
	ptr, pte := splitByFlow(pos, 1)
	ntr, nte := splitByFlow(neg, 1)

	opts := Options{Groups: AllGroups, Seed: 1, Balance: true}
	m, rep, err := Train(ptr, ntr, opts)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	rep.Write(&text)
	t.Logf("report on the training part:\n%s", text.String())

	// Write, check and load the parameter files, as a user deploys them.
	dir := t.TempDir()
	spltPath, bdPath := filepath.Join(dir, "params.txt"), filepath.Join(dir, "params_bd.txt")
	writeParams(t, spltPath, m.SPLT[:])
	writeParams(t, bdPath, m.BD[:])
	countValues(t, spltPath, classify.NumSPLT)
	countValues(t, bdPath, classify.NumBD)
	for _, orig := range []struct {
		name string
		n    int
	}{{"logreg_parameters.txt", classify.NumSPLT}, {"logreg_parameters_bd.txt", classify.NumBD}} {
		vals, err := os.ReadFile(filepath.Join(sh, "data", orig.name))
		if err == nil {
			if got := len(strings.Fields(string(vals))); got != orig.n {
				t.Errorf("%s holds %d values, want %d", orig.name, got, orig.n)
			}
		}
	}
	loaded := classify.Default()
	if err := loaded.LoadFiles(spltPath, bdPath); err != nil {
		t.Fatalf("classify cannot load the written files: %v", err)
	}
	if loaded.SPLT != m.SPLT || loaded.BD != m.BD {
		t.Fatalf("the loaded model differs from the trained one")
	}

	// Score the held-out flows with the loaded model, as the engine would
	// with dist off (SPLT model) and with dist on (BD model where it applies).
	for _, useBD := range []bool{false, true} {
		var scores []float64
		var labels []bool
		correct := 0
		score := func(es []Example, attack bool) {
			for _, e := range es {
				p := float64(loaded.Score(e.Out, e.In, e.SP, e.DP, useBD && e.HasBD))
				scores = append(scores, p)
				labels = append(labels, attack)
				if (p > 0.5) == attack {
					correct++
				}
			}
		}
		score(pte, true)
		score(nte, false)
		auc := AUC(scores, labels)
		acc := float64(correct) / float64(len(scores))
		t.Logf("held out (%d attack flows, %d normal flows; %d records), dist=%v: accuracy %.4f, AUC %.4f",
			len(groups(pte)), len(groups(nte)), len(scores), useBD, acc, auc)
		// loose bounds: few flows, and the records come partly from an
		// engine that is still growing
		if auc < 0.8 || math.IsNaN(auc) {
			t.Errorf("dist=%v: held-out AUC %.4f, want ≥ 0.8", useBD, auc)
		}
		if acc < 0.75 {
			t.Errorf("dist=%v: held-out accuracy %.4f, want ≥ 0.75", useBD, acc)
		}
	}

	// The engine with the trained model (what "joy classify=1
	// model=params.txt:params_bd.txt" does) prints p_malware; classify on
	// the sides rebuilt from the same records agrees, exactly when the
	// first packet is the out side's, and to within the millisecond
	// truncation of the first ipt otherwise (see FromRecord).
	cfg := &joy.Config{Type: 1, Bidir: true, Classify: true, Model: loaded}
	out := engineRecords(t, filepath.Join(sh, "pcaps", "joy-kali-password-attack_hydra.pcap"), cfg)
	n, exact := 0, 0
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n"))[1:] {
		var r struct {
			P       float64 `json:"p_malware"`
			Packets []struct {
				Dir string `json:"dir"`
			} `json:"packets"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		e, err := FromRecord(line)
		if err != nil {
			t.Fatal(err)
		}
		p := loaded.Score(e.Out, e.In, e.SP, e.DP, false)
		got, want := fmt.Sprintf("%f", p), fmt.Sprintf("%f", r.P)
		n++
		if got == want {
			exact++
		} else if len(r.Packets) > 0 && r.Packets[0].Dir == ">" || math.Abs(float64(p)-r.P) > 0.01 {
			t.Errorf("engine p_malware %s, classify on the record's sides %s: %s", want, got, line)
		}
	}
	t.Logf("engine with the trained model: %d flows, %d p_malware equal to classify on the rebuilt sides", n, exact)
	if n == 0 {
		t.Error("the engine printed no flow")
	}
}

// TestCrossValidationDeterministic: the same seed gives the same report and
// weights; the CV figures are sane.
func TestCrossValidationDeterministic(t *testing.T) {
	pos, neg := sshData(t)
	opts := Options{Groups: Meta | Lengths | Times, Seed: 42, Folds: 4}
	m1, r1, err := Train(pos, neg, opts)
	if err != nil {
		t.Fatal(err)
	}
	m2, r2, err := Train(pos, neg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m1.SPLT != m2.SPLT || *r1.SPLT.CV != *r2.SPLT.CV {
		t.Fatal("two runs with the same seed differ")
	}
	cv := r1.SPLT.CV
	if cv == nil || cv.Folds != 4 || cv.TP+cv.FP+cv.TN+cv.FN != len(pos)+len(neg) {
		t.Fatalf("bad CV result %+v", cv)
	}
	t.Logf("4-fold CV over all SSH records: accuracy %.4f precision %.4f recall %.4f AUC %.4f, %d non-zero weights",
		cv.Accuracy, cv.Precision, cv.Recall, cv.AUC, r1.SPLT.NonZero)
	if cv.AUC < 0.8 {
		t.Errorf("CV AUC %.4f, want ≥ 0.8", cv.AUC)
	}
	if r1.BD != nil || m1.BD != ([classify.NumBD]float32{}) {
		t.Error("a BD model without Dist")
	}
	// Unselected groups have zero weights.
	_, r3, err := Train(pos, neg, Options{Groups: Meta, Folds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r3.SPLT.CV != nil || r3.SPLT.Features != 7 {
		t.Errorf("Meta only: %+v", r3.SPLT)
	}
}
