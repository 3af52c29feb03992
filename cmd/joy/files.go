package main

// threads=N over several capture files: one context per file, N files at
// a time, the output in the order the files were given and identical to
// one context reading them one after the other (every flow of a file is
// printed at its end, and each file starts its own clock, so a file's
// records do not depend on the files before it).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/live"
	"github.com/gojoy/libjoy/joy/logx"
)

// orderedOutput puts the outputs of files read in parallel in the files'
// order: the file at the head writes straight through, the others gather
// their records in memory until every file before them is done. A file
// starts only when it is fewer than "threads" files past the head, so at
// most threads-1 files wait in memory.
type orderedOutput struct {
	mu          sync.Mutex
	cond        *sync.Cond
	out         io.Writer
	slots       []*fileSlot
	head        int
	writeErrors uint64 // failed writes of gathered records
	lost        uint64 // lines in them
}

type fileSlot struct {
	o      *orderedOutput
	buf    bytes.Buffer
	direct bool
	done   bool
}

func newOrderedOutput(out io.Writer, n int) *orderedOutput {
	o := &orderedOutput{out: out}
	o.cond = sync.NewCond(&o.mu)
	for i := 0; i < n; i++ {
		o.slots = append(o.slots, &fileSlot{o: o})
	}
	o.mu.Lock()
	o.advance()
	o.mu.Unlock()
	return o
}

func (s *fileSlot) Write(p []byte) (int, error) {
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if s.direct {
		return s.o.out.Write(p)
	}
	return s.buf.Write(p)
}

// advance writes out the gathered records of the files that reached the
// head. Called with o.mu held.
func (o *orderedOutput) advance() {
	for o.head < len(o.slots) {
		s := o.slots[o.head]
		if !s.direct {
			if b := s.buf.Bytes(); len(b) > 0 {
				n, err := o.out.Write(b)
				if err != nil {
					if n < 0 || n > len(b) || errors.Is(err, joy.ErrOutputRemoved) {
						n = 0
					}
					o.writeErrors++
					o.lost += uint64(bytes.Count(b[n:], []byte{'\n'}))
				}
			}
			s.buf = bytes.Buffer{}
			s.direct = true
		}
		if !s.done {
			break
		}
		o.head++
	}
	o.cond.Broadcast()
}

// start waits until file i may start.
func (o *orderedOutput) start(i, threads int) {
	o.mu.Lock()
	for i >= o.head+threads {
		o.cond.Wait()
	}
	o.mu.Unlock()
}

// finish marks file i done.
func (o *orderedOutput) finish(i int) {
	o.mu.Lock()
	o.slots[i].done = true
	o.advance()
	o.mu.Unlock()
}

// processFilesParallel reads files with up to threads contexts at once and
// returns the exit status and the sum of the contexts' counters.
func processFilesParallel(cfg *joy.Config, out io.Writer, files []string, threads int, filter joy.CaptureFilter,
	log *logx.Logger, intr *fileInterrupter, stderr io.Writer) (int, joy.Stats) {
	o := newOrderedOutput(out, len(files))
	var next atomic.Int64
	var mu sync.Mutex
	var sum joy.Stats
	status := 0
	errLogged := new(atomic.Bool)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for w := 0; w < min(threads, len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				o.start(i, threads)
				if intr.Interrupted() {
					o.finish(i)
					continue
				}
				ctx := joy.NewContext(cfg, o.slots[i], log)
				ctx.SetOutputBuffer(256 << 10)
				ctx.ShareOutputErrorLog(errLogged)
				if filter != nil {
					ctx.SetCaptureFilter(filter)
				}
				intr.Add(ctx)
				err := ctx.ProcessCapture(files[i])
				ctx.Flush()
				intr.Remove(ctx)
				if err != nil && !errors.Is(err, joy.ErrInterrupted) {
					errs[i] = err
				}
				mu.Lock()
				sum = addStats(sum, ctx.Stats())
				mu.Unlock()
				o.finish(i)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(stderr, "joy: %s: %v\n", files[i], err)
			status = 1
		}
	}
	sum.WriteErrors += o.writeErrors
	sum.RecordsLost += o.lost
	return status, sum
}

func addStats(a, b joy.Stats) joy.Stats {
	a.Packets += b.Packets
	a.IPPackets += b.IPPackets
	a.IPv4Packets += b.IPv4Packets
	a.Ignored += b.Ignored
	a.BadHeaders += b.BadHeaders
	a.FlowsPrinted += b.FlowsPrinted
	a.WriteErrors += b.WriteErrors
	a.RecordsLost += b.RecordsLost
	return a
}

// fileInterrupter makes SIGINT and SIGTERM stop the reading of capture
// files: each context reading a file prints its remaining flows, files not
// started are skipped, the output is closed as usual and joy exits 0; a
// second SIGINT exits at once.
type fileInterrupter struct {
	mu          sync.Mutex
	ctxs        map[*joy.Context]bool
	interrupted atomic.Bool
	sigs        chan os.Signal
	done        chan struct{}
	packets     []*contextCounters // of the contexts that ended
}

func interruptFiles(ctx *joy.Context, stderr io.Writer) *fileInterrupter {
	f := &fileInterrupter{ctxs: map[*joy.Context]bool{}, sigs: make(chan os.Signal, 2), done: make(chan struct{})}
	f.ctxs[ctx] = true
	signal.Notify(f.sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for {
			select {
			case sig := <-f.sigs:
				if f.interrupted.Swap(true) && sig == syscall.SIGINT {
					fmt.Fprintln(stderr, "joy: second interrupt: exiting at once")
					os.Exit(130)
				}
				f.mu.Lock()
				for c := range f.ctxs {
					c.Interrupt()
				}
				f.mu.Unlock()
			case <-f.done:
				return
			}
		}
	}()
	return f
}

// Add registers a context that starts reading files.
func (f *fileInterrupter) Add(ctx *joy.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ctxs[ctx] = true
	if f.interrupted.Load() {
		ctx.Interrupt()
	}
}

// Remove forgets a context that has finished, keeping its counters for
// the statistics line.
func (f *fileInterrupter) Remove(ctx *joy.Context) {
	cc := new(contextCounters)
	cc.publish(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.ctxs, ctx)
	f.packets = append(f.packets, cc)
}

// Interrupted reports whether a signal came.
func (f *fileInterrupter) Interrupted() bool { return f.interrupted.Load() }

// Stop uninstalls the handler and reports whether a signal came.
func (f *fileInterrupter) Stop() bool {
	signal.Stop(f.sigs)
	close(f.done)
	return f.interrupted.Load()
}

// StatsLine is the statistics line of an interrupted file run: the
// packets read stand for "received" (per context: the main one first,
// then one per file read in parallel); nothing is dropped.
func (f *fileInterrupter) StatsLine() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var counters []*contextCounters
	var total uint64
	for c := range f.ctxs {
		cc := new(contextCounters)
		cc.publish(c)
		counters = append(counters, cc)
	}
	counters = append(counters, f.packets...)
	for _, cc := range counters {
		total += cc.packets.Load()
	}
	return statsLine(live.Stats{Received: total}, counters)
}
