package train

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/classify"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// TestMainWritesLoadableFiles runs "joy train" on record files (one plain,
// one gzip-compressed, one folder) and loads what it writes.
func TestMainWritesLoadableFiles(t *testing.T) {
	sh := tu.NeedShared(t)
	dir := t.TempDir()
	ref := filepath.Join(sh, "ref", "697dc5a", "b_bidir")

	// positives: the original's records of the hydra attack, plus our
	// engine's records (with byte distributions) of two attack captures,
	// gzip-compressed, in a folder
	posDir := filepath.Join(dir, "pos")
	if err := os.Mkdir(posDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"joy-kali-password-attack_hydra", "zeek-ssh-sshguess"} {
		writeGz(t, filepath.Join(posDir, c+".json.gz"),
			engineRecords(t, filepath.Join(sh, "pcaps", c+".pcap"), &joy.Config{Type: 1, Bidir: true, Dist: true}))
	}
	negFile := filepath.Join(dir, "neg.json")
	var neg []byte
	for _, c := range []string{"joy-kali-normal-ssh", "zeek-ssh-ssh", "tcpdump-ssh", "joy-ssh-gex-sha256"} {
		neg = append(neg, engineRecords(t, filepath.Join(sh, "pcaps", c+".pcap"), &joy.Config{Type: 1, Bidir: true, Dist: true})...)
	}
	if err := os.WriteFile(negFile, neg, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "model.txt")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"-p", posDir, "-p", filepath.Join(ref, "kali-password-attack_hydra.json"),
		"-n", negFile, "-m", "-l", "-t", "-d", "-o", out, "-seed", "7", "-balance",
		"-where", "dp = 22 or sp = 22"}, nil, &stdout, &stderr)
	t.Logf("joy train:\n%s%s", stdout.String(), stderr.String())
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	for _, want := range []string{"SPLT model:", "BD model:", "non-zero weights", "cross-validation: accuracy", "precision", "recall", "AUC",
		"wrote " + out, "wrote " + filepath.Join(dir, "model_bd.txt"), "model=" + out + ":" + filepath.Join(dir, "model_bd.txt")} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	countValues(t, out, classify.NumSPLT)
	countValues(t, filepath.Join(dir, "model_bd.txt"), classify.NumBD)
	m := classify.Default()
	if err := m.LoadFiles(out, filepath.Join(dir, "model_bd.txt")); err != nil {
		t.Fatal(err)
	}

	// -m only: unused slots are zero
	out2 := filepath.Join(dir, "meta.txt")
	if code := Main([]string{"-p", posDir, "-n", negFile, "-m", "-o", out2, "-folds", "1"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("-m: exit status %d: %s", code, stderr.String())
	}
	m2 := classify.Default()
	if err := m2.LoadFiles(out2, ""); err != nil {
		t.Fatal(err)
	}
	for i := 8; i < classify.NumSPLT; i++ {
		if m2.SPLT[i] != 0 {
			t.Fatalf("-m: weight %d is %g, want 0", i, m2.SPLT[i])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "meta_bd.txt")); err == nil {
		t.Error("-m wrote a BD file")
	}
}

func TestMainUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-p", "x"},
		{"-p", "x", "-n", "y"},                // no feature group
		{"-p", "x", "-n", "y", "-m", "extra"}, // stray argument
		{"-p", "x", "-n", "y", "-m", "-lambda", "-1"},
		{"-p", "x", "-n", "y", "-m", "-where", "dp = (22"},
		{"-bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(args, nil, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit status %d, want 2", args, code)
		}
		if lines := strings.Count(stderr.String(), "\n"); lines != 1 {
			t.Errorf("%q: stderr %q, want one line", args, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"-h"}, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "usage: joy train") {
		t.Errorf("-h: %d %q", code, stdout.String())
	}
	// a missing input is a data error
	if code := Main([]string{"-p", "/nonexistent", "-n", "/nonexistent", "-m"}, nil, &stdout, &stderr); code != 1 {
		t.Errorf("missing input: exit status %d, want 1", code)
	}
}

func TestMainDistWithoutByteDist(t *testing.T) {
	// -d on records without byte distributions: a data error, explained
	sh := tu.NeedShared(t)
	ref := filepath.Join(sh, "ref", "697dc5a", "b_bidir")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"-p", filepath.Join(ref, "kali-password-attack_hydra.json"), "-n", filepath.Join(ref, "kali-normal-ssh.json"),
		"-m", "-d", "-o", filepath.Join(t.TempDir(), "p.txt")}, nil, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "dist=1") {
		t.Errorf("-d without byte_dist: exit %d, %q", code, stderr.String())
	}
}
