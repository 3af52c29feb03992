package main

// The sensor half of the joy command: live capture (interface=, promisc=,
// threads=, stats=), bpf= on live and file input, and the signals of a
// long-running capture. main.go parses the options into sensorOptions and
// calls runLive when an interface is given.

import (
	"errors"
	"fmt"
	"io"
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

const sensorUsage = `live capture (Linux, AF_PACKET):
  interface=I        capture on interface I instead of reading files; interface=auto takes
                     the first interface that is up, not loopback and has an IP address
  promisc=1          put the interface in promiscuous mode while capturing
  threads=N          N flow contexts on N goroutines, fed by a PACKET_FANOUT group (hash mode:
                     both directions of a flow go to the same context); default 1. With several
                     capture files: up to N files at once, output as with threads=1
  stats=S            also log the capture statistics line every S seconds
  bpf="EXPR"         only packets matching the tcpdump-syntax filter EXPR (live and files)
  signals: INT/TERM print every remaining flow, close the output and exit 0 (a second INT
  exits at once); HUP reopens output=FILE; USR1 logs the statistics line
`

// maxThreads bounds threads=: each live context has a ring of at least
// 4 MiB.
const maxThreads = 128

// sensorOptions are the options of the sensor half.
type sensorOptions struct {
	Interface string
	BPF       string
	Promisc   bool
	Threads   int
	Stats     uint
	// ReopenLog, when set, is called on SIGHUP besides reopening the
	// output (for a log file option).
	ReopenLog func() error
}

// set takes one name=value option of the sensor half and records what the
// configuration line shows.
func (s *sensorOptions) set(cfg *joy.Config, name, value string) error {
	switch name {
	case "interface":
		if value == "" {
			return fmt.Errorf("want interface=NAME or interface=auto")
		}
		s.Interface, cfg.Interface = value, value
	case "bpf":
		s.BPF, cfg.BPF = value, value
	case "promisc":
		on, err := flag(value)
		s.Promisc = on
		cfg.Promisc = 0
		if on {
			cfg.Promisc = 1
		}
		return err
	case "threads":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > maxThreads {
			return fmt.Errorf("want threads=N with 1 ≤ N ≤ %d, got %q", maxThreads, value)
		}
		s.Threads = n
	case "stats":
		n, err := number(value)
		s.Stats = n
		return err
	default:
		return fmt.Errorf("not a sensor option")
	}
	return nil
}

// fileFilter returns the filter of bpf= for capture files (nil without
// bpf=), compiled once for Ethernet so that a bad expression is refused
// before any packet is read.
func (s *sensorOptions) fileFilter() (joy.CaptureFilter, error) {
	if s.BPF == "" {
		return nil, nil
	}
	f, err := bpffilter.New(s.BPF, pcapbpf.Compile)
	if err != nil {
		return nil, err
	}
	return f, nil
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

// sharedOutput is the one output of every context. Each context writes
// whole records in one Write, and Writes are serialized, so lines never
// mix. Reopen (SIGHUP) closes the output file and creates it again, with
// the configuration line first.
type sharedOutput struct {
	mu      sync.Mutex
	w       io.Writer
	close   func() error
	open    func() (io.Writer, func() error, error)
	header  []byte
	canOpen bool
}

func (o *sharedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

func (o *sharedOutput) Reopen() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.canOpen {
		return nil
	}
	cerr := o.close()
	w, c, err := o.open()
	if err != nil {
		o.w, o.close = joy.FailedOutput(err), func() error { return nil }
		return err
	}
	o.w, o.close = w, c
	if _, err := w.Write(o.header); err != nil {
		return err
	}
	return cerr
}

func (o *sharedOutput) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.close()
}

// runLive captures on s.Interface until SIGINT or SIGTERM and returns the
// exit status. Every error found before capturing is one line on stderr
// and a non-zero status.
func runLive(cfg *joy.Config, s *sensorOptions, outdir string, stdout, stderr io.Writer) int {
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
	opts := live.Options{Interface: name, Members: max(s.Threads, 1), Promisc: s.Promisc}
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
	log := logx.New(stderr, int(cfg.Verbosity))
	capture, err := live.Open(opts)
	if err != nil {
		return fail(1, "%v", err)
	}
	defer capture.Close()

	open := func() (io.Writer, func() error, error) { return openOutput(stdout, outdir, cfg.Output) }
	w, closeW, err := open()
	if err != nil {
		return fail(1, "%v", err)
	}
	out := &sharedOutput{w: w, close: closeW, open: open, header: cfg.AppendJSON(nil), canOpen: cfg.Output != ""}
	fmt.Fprintf(stderr, "joy: capturing on %s (link type %d, %d context(s))\n", name, int(link), len(capture.Members()))

	members := capture.Members()
	ctxs := make([]*joy.Context, len(members))
	counters := make([]*contextCounters, len(members))
	errLogged := new(atomic.Bool)
	for i := range members {
		ctxs[i] = joy.NewContext(cfg, out, log)
		ctxs[i].SetOutputBuffer(256 << 10)
		ctxs[i].ShareOutputErrorLog(errLogged)
		ctxs[i].SetLinkType(link)
		ctxs[i].ExportWhilePrinting(cfg.IPFIXExport)
		counters[i] = new(contextCounters)
	}
	ctxs[0].WriteConfig(true)
	ctxs[0].Flush()

	var stop atomic.Bool
	var wg sync.WaitGroup
	readErrs := make([]error, len(members))
	for i, m := range members {
		wg.Add(1)
		go func(i int, m *live.Member, ctx *joy.Context) {
			defer wg.Done()
			if readErrs[i] = capture1(m, ctx, counters[i], &stop, log, userFilter); readErrs[i] != nil {
				stop.Store(true) // the others print their flows and end too
			}
		}(i, m, ctxs[i])
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var tick <-chan time.Time
	if s.Stats > 0 {
		t := time.NewTicker(time.Duration(s.Stats) * time.Second)
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
				if s.ReopenLog != nil {
					if err := s.ReopenLog(); err != nil {
						fmt.Fprintf(stderr, "joy: reopening the log: %v\n", err)
					}
				}
				if err := out.Reopen(); err != nil {
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
	var lines uint64 = 1
	for _, ctx := range ctxs {
		ctx.FlushExport()
		ctx.CloseExport()
		lines += ctx.Stats().FlowsPrinted
	}
	if err := out.Close(); err != nil {
		fmt.Fprintf(stderr, "joy: closing output: %v\n", err)
		status = 1
	}
	kernel := capture.Stats()
	fmt.Fprint(stderr, statsLine(kernel, counters))
	var werr, lost uint64
	for _, cc := range counters {
		werr += cc.writeErrors.Load()
		lost += cc.lost.Load()
	}
	if werr > 0 || lost > 0 {
		fmt.Fprintf(stderr, "joy: %d of %d output lines (records and the configuration line) were lost; %d writes failed\n",
			lost, lines, werr)
		status = 1
	}
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
	pass func([]byte) bool) error {
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
