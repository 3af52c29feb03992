// Package docs checks that the README's examples are what they say: the C
// program is tests/c/joy_example.c, whole, and the analysis commands run
// as written.
package docs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

func readme(t *testing.T) (root string, text []byte) {
	t.Helper()
	root, err := tu.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	text, err = os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return root, text
}

// block returns the first fenced block of the given language after the
// line that starts with heading.
func block(t *testing.T, text []byte, heading, lang string) string {
	t.Helper()
	i := bytes.Index(text, []byte("\n"+heading))
	if i < 0 {
		t.Fatalf("README.md: no %q", heading)
	}
	rest := text[i:]
	open := []byte("\n```" + lang + "\n")
	j := bytes.Index(rest, open)
	if j < 0 {
		t.Fatalf("README.md: no ```%s block after %q", lang, heading)
	}
	body := rest[j+len(open):]
	k := bytes.Index(body, []byte("\n```\n"))
	if k < 0 {
		t.Fatalf("README.md: unterminated block after %q", heading)
	}
	return string(body[:k+1])
}

func TestReadmeCExampleIsTheFile(t *testing.T) {
	root, text := readme(t)
	file, err := os.ReadFile(filepath.Join(root, "tests", "c", "joy_example.c"))
	if err != nil {
		t.Fatal(err)
	}
	if got := block(t, text, "## Use it from C", "c"); got != string(file) {
		t.Errorf("README.md's C example is not tests/c/joy_example.c: copy the file into the README\n--- README\n%s", got)
	}
}

// TestReadmeAnalysisRuns runs the "Analysis" block line by line, as
// written, in a directory with build/joy and the captures it names (the
// demo capture of cmd/joy-mkdemo; flows.json is the demo's records).
func TestReadmeAnalysisRuns(t *testing.T) {
	root, text := readme(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is needed")
	}
	dir := t.TempDir()
	joy, err := tu.BuildJoy(filepath.Join(dir, "build"))
	if err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(dir, "demo.pcap")
	mk := exec.Command("go", "run", "./cmd/joy-mkdemo", demo)
	mk.Dir = root
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("joy-mkdemo: %v\n%s", err, out)
	}
	data, err := os.ReadFile(demo)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"attack.pcap", "normal.pcap", "new.pcap"} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flows, err := exec.Command(joy, "bidir=1", demo).Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "flows.json"), flows, 0o644)

	code := block(t, text, "### Analysis", "sh")
	for _, line := range strings.Split(strings.TrimSpace(code), "\n") {
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", line)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("README example failed: %s\n%v\n%s", line, err, out)
		}
	}
	for _, f := range []string{"params.txt", "params_bd.txt", "flow.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("the README's example did not write %s (%v)", f, err)
		}
	}
}
