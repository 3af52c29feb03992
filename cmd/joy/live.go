package main

// The sensor half of the joy command: live capture (interface=, promisc=,
// threads=, stats=), bpf= on live and file input, and the signals of a
// long-running capture. main.go parses the options into sensorOptions and
// calls runLive when an interface is given.

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/bpffilter"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/live"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/pcapbpf"
)

// maxThreads bounds threads=: each live context has a ring of at least
// 4 MiB.
const maxThreads = 128

// captureFilter compiles bpf= for capture files, once for Ethernet so
// that a bad expression is refused before any packet is read.
func captureFilter(expr string) (joy.CaptureFilter, error) {
	return bpffilter.New(expr, pcapbpf.Compile)
}

// contextCounters are one context's counters, published by its goroutine
// for the statistics line.
type contextCounters struct {
	packets, printed, active, writeErrors, lost atomic.Uint64
}

func (cc *contextCounters) publish(ctx *joy.Context) {
	s := ctx.Stats()
	cc.packets.Store(s.Packets)
	cc.printed.Store(s.FlowsPrinted)
	cc.active.Store(uint64(ctx.Flows()))
	cc.writeErrors.Store(s.WriteErrors)
	cc.lost.Store(s.RecordsLost)
}

// statsLine is the capture statistics line: what the kernel received and
// dropped, the packets of each context, records printed and held, output
// failures.
func statsLine(k live.Stats, counters []*contextCounters) string {
	var b strings.Builder
	fmt.Fprintf(&b, "joy: stats received=%d dropped=%d packets=", k.Received, k.Dropped)
	var printed, active, werr, lost uint64
	for i, cc := range counters {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(cc.packets.Load(), 10))
		printed += cc.printed.Load()
		active += cc.active.Load()
		werr += cc.writeErrors.Load()
		lost += cc.lost.Load()
	}
	fmt.Fprintf(&b, " flows=%d active=%d output_errors=%d lost=%d\n", printed, active, werr, lost)
	return b.String()
}

// runLive captures on interface= until SIGINT or SIGTERM and returns the
// exit status. Every error found before capturing is one line on stderr
// and a non-zero status. Privileges are dropped (username=) once the
// capture is open.
func (r *runner) runLive() int {
	cfg, s, stderr := &r.s.cfg, &r.s.live, r.stderr
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "joy: "+format+"\n", args...)
		return code
	}
	// From here on a signal is handled, not fatal: one that arrives while
	// the capture opens is acted on as soon as the contexts run.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	name := s.Interface
	if name == "auto" {
		var err error
		if name, err = live.AutoInterface(); err != nil {
			return fail(1, "interface=auto: %v", err)
		}
	}
	link, err := live.LinkTypeOf(name)
	if err != nil {
		return fail(1, "%v", err)
	}
	opts := live.Options{Interface: name, Members: max(int(s.Threads), 1), Promisc: s.Promisc}
	var userFilter func([]byte) bool
	if s.BPF != "" {
		filter, err := bpffilter.New(s.BPF, pcapbpf.Compile)
		if err == nil {
			if vlanFilter(link, s.BPF) {
				// The kernel runs filters on frames whose 802.1Q tag it
				// took out; Go runs this one on the frames with the tag
				// put back, as it does on files.
				userFilter, err = filter.ForLink(link)
			} else {
				opts.Filter, err = filter.Program(link)
			}
		}
		if err != nil {
			return fail(2, "%v", err)
		}
	}
	log := r.log
	capture, err := live.Open(opts)
	if err != nil {
		return fail(1, "%v", err)
	}
	defer capture.Close()
	if code := r.dropPrivileges(); code != 0 {
		return code
	}
	first, code := r.start(name)
	if code != 0 {
		return code
	}
	fmt.Fprintf(stderr, "joy: capturing on %s (link type %d, %d context(s))\n", name, int(link), len(capture.Members()))

	members := capture.Members()
	ctxs := make([]*joy.Context, len(members))
	counters := make([]*contextCounters, len(members))
	errLogged := new(atomic.Bool)
	for i := range members {
		ctx := first
		if i > 0 {
			ctx = r.newContext()
		}
		ctx.ShareOutputErrorLog(errLogged)
		ctx.SetLinkType(link)
		ctxs[i] = ctx
		counters[i] = new(contextCounters)
	}
	first.Flush() // the configuration line first

	var stop atomic.Bool
	var wg sync.WaitGroup
	readErrs := make([]error, len(members))
	for i, m := range members {
		wg.Add(1)
		go func(i int, m *live.Member, ctx *joy.Context) {
			defer wg.Done()
			between := func() { r.between(ctx) }
			if readErrs[i] = capture1(m, ctx, counters[i], &stop, log, userFilter, between); readErrs[i] != nil {
				stop.Store(true) // the others print their flows and end too
			}
		}(i, m, ctxs[i])
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var tick <-chan time.Time
	if s.StatsEvery > 0 {
		t := time.NewTicker(time.Duration(s.StatsEvery) * time.Second)
		defer t.Stop()
		tick = t.C
	}
	stopping := false
loop:
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGINT, syscall.SIGTERM:
				if stopping && sig == syscall.SIGINT {
					fmt.Fprintln(stderr, "joy: second interrupt: exiting at once")
					os.Exit(130)
				}
				stopping = true
				stop.Store(true)
			case syscall.SIGHUP:
				if err := r.reopenLog(); err != nil {
					fmt.Fprintf(stderr, "joy: reopening the log: %v\n", err)
				}
				if err := r.out.reopen(); err != nil {
					log.Logf(logx.Err, "output: reopening %s: %v", cfg.Output, err)
				}
			case syscall.SIGUSR1:
				fmt.Fprint(stderr, statsLine(capture.Stats(), counters))
			}
		case <-tick:
			fmt.Fprint(stderr, statsLine(capture.Stats(), counters))
		case <-done:
			break loop
		}
	}

	status := 0
	seen := map[string]bool{}
	for _, err := range readErrs {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			fmt.Fprintf(stderr, "joy: capture on %s stopped: %v\n", name, err)
			status = 1
		}
	}
	status = r.finish(status, ctxs...)
	fmt.Fprint(stderr, statsLine(capture.Stats(), counters))
	return status
}

// vlanFilter reports whether a filter expression on Ethernet looks at VLAN
// tags ("vlan", and "mpls" or "pppoes", whose offsets follow the tags).
func vlanFilter(link decode.LinkType, expr string) bool {
	if link != decode.LinkEthernet {
		return false
	}
	for _, w := range strings.FieldsFunc(expr, func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch w {
		case "vlan", "mpls", "pppoes":
			return true
		}
	}
	return false
}

// capture1 is one context's loop: read a block, print the flows that
// expired, write what was gathered at least once a second. After stop it
// reads what the kernel already queued (for at most a second), prints
// every remaining flow and flushes.
func capture1(m *live.Member, ctx *joy.Context, cc *contextCounters, stop *atomic.Bool, log *logx.Logger,
	pass func([]byte) bool, between func()) error {
	process := ctx.ProcessPacket
	if pass != nil {
		process = func(ts int64, frame []byte) {
			if pass(frame) {
				ctx.ProcessPacket(ts, frame)
			}
		}
	}
	warned := false
	lastFlush := time.Now()
	var rerr error
	for !stop.Load() {
		n, err := m.Read(100*time.Millisecond, process)
		if err != nil {
			var se *live.SocketError
			if errors.As(err, &se) && !se.Fatal() {
				// For example the interface went down: log it once
				// and go on; packets come again when it is back up.
				if !warned {
					log.Logf(logx.Warn, "%v (capture goes on when the interface is back)", err)
					warned = true
				}
				time.Sleep(100 * time.Millisecond)
				continue
			}
			rerr = err
			break
		}
		warned = false
		if n == 0 && ctx.Flows() > 0 {
			// Nothing queued: every packet older than the ring's block
			// timeout has been seen, so the wall clock (less a margin)
			// can expire the flows of a quiet link.
			ctx.AdvanceClock(time.Now().Add(-time.Second).UnixMicro())
		}
		if n > 0 || ctx.Flows() > 0 {
			ctx.PrintFlows(joy.ExpiredFlows)
		}
		between() // a safe point: classifier and label updates
		if now := time.Now(); now.Sub(lastFlush) >= time.Second {
			ctx.Flush()
			lastFlush = now
		}
		cc.publish(ctx)
	}
	if rerr == nil {
		// The last block the kernel fills is handed over when its timeout
		// (50 ms) passes.
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			n, err := m.Read(150*time.Millisecond, process)
			if err != nil || n == 0 {
				break
			}
		}
	}
	ctx.PrintFlows(joy.ExpiredFlows)
	ctx.PrintFlows(joy.AllFlows)
	ctx.Flush()
	cc.publish(ctx)
	return rerr
}

// logFile is logfile=: appended to, and reopened on SIGHUP so that
// logrotate can move it away.
type logFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

func openLogFile(path string) (*logFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &logFile{path: path, f: f}, nil
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// Reopen closes the file and opens path again (a new file when it was
// moved away); on failure the old file is kept.
func (l *logFile) Reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.f
	l.f = f
	return old.Close()
}

func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// reopenLog reopens logfile= (SIGHUP); nothing to do without one.
func (r *runner) reopenLog() error {
	if r.logFile == nil {
		return nil
	}
	return r.logFile.Reopen()
}
