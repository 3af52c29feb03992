package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sync"

	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// joydiffPool runs ../shared/tools/joydiff through testdata/joydiff_batch.py:
// at most size long-lived interpreters, each running joydiff's main() once
// per request. The comparison is joydiff's own; starting python3 once per
// capture (hundreds of times) was a large part of the corpus accounting's
// time on a loaded machine.
type joydiffPool struct {
	python, script, joydiff string
	free                    chan *joydiffProc
	mu                      sync.Mutex
	all                     []*joydiffProc
}

type joydiffProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// newJoydiffPool returns nil when python3 is missing (the callers then
// leave the joydiff cross-check out, as before).
func newJoydiffPool(shared string, size int) *joydiffPool {
	python, err := exec.LookPath("python3")
	if err != nil {
		return nil
	}
	root, err := tu.RepoRoot()
	if err != nil {
		return nil
	}
	p := &joydiffPool{
		python:  python,
		script:  filepath.Join(root, "tests", "go", "testdata", "joydiff_batch.py"),
		joydiff: filepath.Join(shared, "tools", "joydiff"),
		free:    make(chan *joydiffProc, size),
	}
	for i := 0; i < size; i++ {
		p.free <- nil // started on first use
	}
	return p
}

// run runs joydiff with args and returns its exit status and output.
func (p *joydiffPool) run(args []string) (int, []byte, error) {
	proc := <-p.free
	var err error
	if proc == nil {
		if proc, err = p.start(); err != nil {
			p.free <- nil
			return 0, nil, err
		}
	}
	req, _ := json.Marshal(args)
	var resp struct {
		RC  int    `json:"rc"`
		Out string `json:"out"`
	}
	if _, err = proc.in.Write(append(req, '\n')); err == nil {
		var line []byte
		if line, err = proc.out.ReadBytes('\n'); err == nil {
			err = json.Unmarshal(line, &resp)
		}
	}
	if err != nil {
		proc.stop()
		p.free <- nil
		return 0, nil, fmt.Errorf("joydiff batch: %v", err)
	}
	p.free <- proc
	return resp.RC, []byte(resp.Out), nil
}

func (p *joydiffPool) start() (*joydiffProc, error) {
	cmd := exec.Command(p.python, p.script, p.joydiff)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	proc := &joydiffProc{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16)}
	p.mu.Lock()
	p.all = append(p.all, proc)
	p.mu.Unlock()
	return proc, nil
}

func (proc *joydiffProc) stop() {
	proc.in.Close()
	proc.cmd.Wait()
}

// close ends every interpreter.
func (p *joydiffPool) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, proc := range p.all {
		proc.stop()
	}
	p.all = nil
}
