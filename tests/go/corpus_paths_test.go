package conformance

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// TestCorpusBothPaths runs every file of the corpus, malformed ones
// included, through the joy command and through the C embedding
// (tests/c/joy_embed) with every feature on (the corpus_x options; every
// bitmask bit but EXE, preemptive timeout and IPFIX, idp 1300). Each run
// must end normally: status 0, or 1 with a message on stderr for a file
// that is not a readable capture; never a signal, a panic or an internal
// error; every output line a valid JSON object. The joy command refuses
// only what the capture reader cannot open.
func TestCorpusBothPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the whole corpus through both programs is left out")
	}
	shared := tu.NeedShared(t)
	if cliPath == "" {
		t.Skipf("joy command not built: %v", cliErr)
	}
	embed, err := buildEmbed(t)
	if err != nil {
		t.Skipf("C embedding not built: %v", err)
	}
	x := accountingSets[1]
	programs := []struct {
		name string
		args func(path string) (string, []string)
	}{
		{"joy", func(p string) (string, []string) { return cliPath, append(append([]string(nil), x.cliArgs...), p) }},
		{"C embedding", func(p string) (string, []string) {
			return embed, append(append([]string{"-c"}, x.embedArgs...), p)
		}},
	}
	files := corpusFiles(t, shared)
	type outcome struct {
		refused [2]bool
		lines   [2]int
	}
	results := make([]outcome, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, name := range files {
		wg.Add(1)
		go func(i int, name string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			path := filepath.Join(shared, "pcaps", filepath.FromSlash(name))
			for j, prog := range programs {
				bin, args := prog.args(path)
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(bin, args...)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var ee *exec.ExitError
				switch {
				case err == nil:
				case errors.As(err, &ee) && ee.ExitCode() == 1 && stderr.Len() > 0:
					results[i].refused[j] = true
				default:
					t.Errorf("%s, %s: %v (status %v)\n%s", name, prog.name, err, cmd.ProcessState, tail(stderr.Bytes()))
				}
				if s := stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "internal error") {
					t.Errorf("%s, %s: %s", name, prog.name, tail(stderr.Bytes()))
				}
				results[i].lines[j] = tu.CheckJSONLines(t, stdout.Bytes())
			}
		}(i, name)
	}
	wg.Wait()

	var refused [2][]string
	var lines [2]int
	for i, name := range files {
		for j := range programs {
			lines[j] += results[i].lines[j]
			if results[i].refused[j] {
				refused[j] = append(refused[j], name)
			}
		}
		if results[i].refused[0] {
			if r, err := pcapfile.Open(filepath.Join(shared, "pcaps", filepath.FromSlash(name))); err == nil {
				r.Close()
				t.Errorf("%s: joy refused a capture the reader opens", name)
			}
		}
	}
	for j, prog := range programs {
		t.Logf("%s: %d files, %d lines, all valid JSON; refused with status 1 and a message: %d %v",
			prog.name, len(files), lines[j], len(refused[j]), refused[j])
	}
}

// tail is the end of a program's stderr, for a failure message.
func tail(b []byte) []byte {
	if len(b) > 600 {
		return b[len(b)-600:]
	}
	return b
}
