// Package joy is the Go core of libjoy: it reads packets, groups them into
// bidirectional flows, extracts Joy's data features and writes one JSON
// object per flow, byte for byte as the original Joy writes it.
//
// A Context is one independent flow table with its own clock, decoder and
// output buffer. Use one goroutine (or C thread) per Context; different
// contexts share nothing on the packet path.
//
//	cfg := &joy.Config{Bidir: true, Type: 1}
//	ctx := joy.NewContext(cfg, os.Stdout, nil)
//	ctx.ProcessPacket(tsMicros, frame)
//	ctx.PrintFlows(joy.AllFlows)
package joy

import (
	"bytes"
	"errors"
	"io"
	"sync/atomic"

	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/format"
	"github.com/gojoy/libjoy/joy/ipfix"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/procinfo"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/joy/registry"
)

// Config is the run's configuration (see package config).
type Config = config.Config

// LinkType is a pcap link-layer type number.
type LinkType = decode.LinkType

// Link types understood by the decoder.
const (
	LinkEthernet = decode.LinkEthernet
	LinkNull     = decode.LinkNull
	LinkLoop     = decode.LinkLoop
	LinkRaw      = decode.LinkRaw
	LinkSLL      = decode.LinkSLL
	LinkSLL2     = decode.LinkSLL2
	LinkIPv4     = decode.LinkIPv4
	LinkIPv6     = decode.LinkIPv6
)

// Which flows PrintFlows drains.
const (
	ExpiredFlows = false
	AllFlows     = true
)

// MaxContexts is the number of contexts the C library offers.
const MaxContexts = 10

// Stats are a context's counters.
type Stats struct {
	Packets      uint64 // every packet handed to the context
	IPPackets    uint64 // packets that reached the flow table
	IPv4Packets  uint64 // of which IPv4
	Ignored      uint64 // not IP, or shorter than their IP length
	BadHeaders   uint64 // IPv4 header length errors
	FlowsPrinted uint64 // records drained for output (written or lost)
	WriteErrors  uint64 // writes to the output that failed
	RecordsLost  uint64 // lines (records, the configuration line) in failed writes
}

// Context is one flow table and its output. It is not safe for concurrent
// use; use one per goroutine or thread.
type Context struct {
	cfg    *Config
	log    *logx.Logger
	out    io.Writer
	dec    *decode.Decoder
	table  *flow.Table
	pkt    decode.Packet
	buf    []byte
	stats  Stats
	export exportState

	// flushAt is how much output is gathered before a write; 0 writes at
	// the end of every PrintFlows (the C library's contract).
	flushAt int
	// capFilter selects the frames of capture files (SetCaptureFilter);
	// interrupted stops ProcessCapture (Interrupt).
	capFilter   CaptureFilter
	interrupted atomic.Bool
	// errLogged makes the first failed write log one line and the rest
	// only count; contexts sharing an output can share it.
	errLogged *atomic.Bool
	// threads is how many contexts ProcessReader spreads a capture over
	// (SetThreads); evictedElsewhere counts the flows their schedule
	// printed early.
	threads          int
	evictedElsewhere uint64
	// sched follows the flows of the contexts a capture is spread over,
	// while it is read (for Flows).
	sched *flow.Schedule

	// rows is set when out takes typed rows (Parquet, CSV): records are
	// then walked into batch by fill instead of printed as JSON text.
	rows  format.RowWriter
	fill  *record.Filler
	batch []record.Flow
	nrows int
	// keep is set when out also keeps rows (Parquet): a full batch goes
	// to it with the filler its rows refer to (a rowSet), without a
	// copy, and the context goes on with a set given back (spare) or a
	// new one.
	keep  format.RowKeeper
	set   *rowSet // the set of batch and fill
	spare chan *rowSet
	sets  int // sets made
}

// rowBatch is how many typed rows a context gathers before writing them.
// A batch handed to an encoder on another core wakes it, which costs tens
// of µs on a VM: Parquet took 10% more CPU with batches of 64 rows than
// with 256, and a few percent less with 512; 1024 saved no more and held
// more memory (threads=2: 42 MB peak against 36).
const rowBatch = 512

// maxRowSets bounds the batches of rows a context has out with an output
// that keeps them: when all are out, it waits for one back.
const maxRowSets = 4

// rowSet is a batch of rows and the filler whose memory they refer to.
type rowSet struct {
	batch   []record.Flow
	fill    *record.Filler
	release func() // gives the set back to its context
}

// NewContext returns a context writing flow records to out and
// diagnostics to log (nil: none). cfg must not change while it is in use.
func NewContext(cfg *Config, out io.Writer, log *logx.Logger) *Context {
	c := &Context{cfg: cfg, log: log, out: out, buf: make([]byte, 0, 64<<10), errLogged: new(atomic.Bool)}
	c.dec = decode.NewDecoder(decode.LinkEthernet)
	opts := flow.Options{
		Record45:          cfg.Record45,
		Bidir:             cfg.Bidir,
		Zeros:             cfg.Zeros,
		Retrans:           cfg.Retrans,
		PreemptiveTimeout: cfg.PreemptiveTimeout,
		Config:            cfg,
		SALT:              cfg.Type == 2,
		MaxRecords:        cfg.MaxRecords,
		ByteDist:          cfg.Dist,
		Entropy:           cfg.Entropy,
		Compact:           cfg.CompactMap,
		IDP:               int(cfg.IDPBytes()),
		HeaderBytes:       int(cfg.HD),
		Classifier:        classifier(cfg),
		Processes:         processes(cfg),
		Anon:              cfg.AnonAddrs,
		Labels:            cfg.SubnetLabels,
	}
	opts.Modules = registry.EnabledModules(cfg)
	c.takeRows(out)
	c.table = flow.NewTable(opts, tableLog{log}, c.emitNow)
	return c
}

// SetLinkType tells the context how its frames start. The default is
// Ethernet, which is all the original decodes.
func (c *Context) SetLinkType(t LinkType) {
	if t != c.dec.LinkType() {
		c.dec = decode.NewDecoder(t)
	}
}

// SetCompactMap turns on the compact byte distribution with map m for
// packets processed from now on (nil turns it off).
func (c *Context) SetCompactMap(m *bytestats.CompactMap) { c.table.SetCompactMap(m) }

func processes(cfg *Config) *procinfo.Table {
	if !cfg.Exe {
		return nil
	}
	return procinfo.New()
}

func classifier(cfg *Config) *classify.Model {
	if !cfg.Classify {
		return nil
	}
	if cfg.Model != nil {
		return cfg.Model
	}
	return classify.Default()
}

// SetClassifier sets the model scoring flows printed from now on (nil:
// none).
func (c *Context) SetClassifier(m *classify.Model) { c.table.SetClassifier(m) }

// SetAnonymizer sets the address anonymizer for records printed from now
// on (nil: none).
func (c *Context) SetAnonymizer(a *anon.Addresses) { c.table.SetAnonymizer(a) }

// SetLabels sets the subnet labels for records printed from now on.
func (c *Context) SetLabels(l *label.Labels) { c.table.SetLabels(l) }

// LinkType returns the link type frames are decoded as.
func (c *Context) LinkType() LinkType { return c.dec.LinkType() }

// Stats returns the context's counters.
func (c *Context) Stats() Stats { return c.stats }

// AdvanceClock moves the context's clock forward to ts (µs since the
// epoch) as if a packet had been seen then, so that PrintFlows(ExpiredFlows)
// expires the flows of a quiet live capture. The clock never goes back,
// and a context that has seen no packet yet keeps no clock.
func (c *Context) AdvanceClock(ts int64) { c.table.AdvanceClock(ts) }

// Evicted returns how many flows were printed early because the flow
// table reached its bound.
func (c *Context) Evicted() uint64 { return c.table.Evicted() + c.evictedElsewhere }

// Flows returns the number of flow records (both directions) held (while
// a capture is spread over contexts, by them: call it from the goroutine
// reading the capture, e.g. in ProcessReader's between).
func (c *Context) Flows() int {
	if c.sched != nil {
		return c.table.Len() + c.sched.Len()
	}
	return c.table.Len()
}

// ProcessPacket handles one captured frame taken at ts microseconds since
// the epoch. frame is only read during the call.
func (c *Context) ProcessPacket(ts int64, frame []byte) {
	c.stats.Packets++
	err := c.dec.Decode(frame, &c.pkt)
	if err != nil {
		c.processPacketError(err)
		return
	}
	c.stats.IPPackets++
	if c.pkt.Version == 4 {
		c.stats.IPv4Packets++
	}
	c.table.Observe(&c.pkt, ts)
}

// processPacketError counts and logs a frame the decoder refused.
func (c *Context) processPacketError(err error) {
	var bad *decode.BadHeaderError
	if asBadHeader(err, &bad) {
		c.stats.BadHeaders++
		c.log.Logf(logx.Err, " Invalid IP header length: %d bytes", bad.HeaderLen)
	} else {
		c.stats.Ignored++
	}
}

func asBadHeader(err error, target **decode.BadHeaderError) bool {
	b, ok := err.(*decode.BadHeaderError)
	if ok {
		*target = b
	}
	return ok
}

// PrintFlows writes flows as JSON lines and removes them: all flows, or
// only the expired ones at the head of the chronological list. It returns
// how many flows were written.
func (c *Context) PrintFlows(all bool) int {
	var e *ipfix.Exporter
	if c.export.alsoPrint {
		e = c.exporter()
	}
	n := c.table.Drain(all, func(r *flow.Record) {
		c.print(r)
		if len(c.buf) >= max(c.flushAt, 48<<10) {
			c.flush()
		}
		if c.export.alsoPrint {
			c.exportOne(e, r)
		}
	})
	c.maybeFlush()
	if c.export.alsoPrint {
		c.settleExport(e, all)
	}
	c.stats.FlowsPrinted += uint64(n)
	return n
}

// emitNow writes a flow that leaves the table during packet processing.
func (c *Context) emitNow(r *flow.Record) {
	c.print(r)
	c.stats.FlowsPrinted++
	c.maybeFlush()
	if c.export.alsoPrint {
		e := c.exporter()
		c.exportOne(e, r)
		c.settleExport(e, false)
	}
}

// print adds the record of r to the output: its JSON text, or, when the
// output takes typed rows, the row the walk of the record fills.
func (c *Context) print(r *flow.Record) {
	if c.rows == nil {
		c.text()
		c.buf = c.table.AppendJSON(c.buf, r)
		return
	}
	if len(c.buf) > 0 { // what came before goes first
		c.flush()
	}
	c.fill.Start(&c.batch[c.nrows])
	c.table.Emit(c.fill, r)
	c.nrows++
	if c.nrows == len(c.batch) {
		c.flush()
	}
}

// text is called before JSON text is added to c.buf: rows gathered before
// it are written first, so the output keeps the order of the calls.
func (c *Context) text() {
	if c.nrows > 0 {
		c.flush()
	}
}

// Discard frees every flow without printing it, as joy_cleanup does.
func (c *Context) Discard() int { return c.table.Discard() }

// WriteConfig writes the configuration record as one JSON line, or as the
// "key = value" listing when json is false, to the context's output.
func (c *Context) WriteConfig(json bool) {
	c.text()
	if json {
		c.buf = registry.AppendConfigJSON(c.buf, c.cfg)
	} else {
		c.buf = registry.AppendConfigTerminal(c.buf, c.cfg, nil)
	}
	c.maybeFlush()
}

// SetOutputBuffer makes the context gather up to n bytes of records before
// writing them, instead of writing at the end of every PrintFlows; Flush
// writes the rest. The joy command uses it so that every write to its
// output is one of whole records, and a failed write counts exactly the
// records it lost.
func (c *Context) SetOutputBuffer(n int) { c.flushAt = n }

// ShareOutputErrorLog makes contexts writing to one output log its first
// failed write once between them: pass the same flag to each.
func (c *Context) ShareOutputErrorLog(logged *atomic.Bool) { c.errLogged = logged }

// OutputFailed counts a failure of the output noticed outside the
// context's own writes (for example when the stream is flushed at
// cleanup), with the number of lines known to be lost.
func (c *Context) OutputFailed(err error, lost uint64) {
	c.stats.WriteErrors++
	c.stats.RecordsLost += lost
	c.logOutputError(err)
}

func (c *Context) logOutputError(err error) {
	if !c.errLogged.Swap(true) {
		c.log.Logf(logx.Err, "output: could not write flow records: %v (records are counted as lost and processing goes on; later write errors are not logged)", err)
	}
}

// Flush writes the records gathered so far.
func (c *Context) Flush() { c.flush() }

func (c *Context) maybeFlush() {
	if len(c.buf) >= c.flushAt || c.nrows > 0 && c.flushAt == 0 {
		c.flush()
	}
}

// flush writes the gathered records. A failed write loses the records it
// did not complete; they are counted, the first failure is logged, and
// processing goes on (the output may come back, e.g. a disk with space
// freed).
func (c *Context) flush() {
	if c.nrows > 0 && c.keep != nil {
		c.keepRows()
	} else if c.nrows > 0 {
		err := c.rows.WriteRows(c.batch[:c.nrows])
		if err != nil {
			c.OutputFailed(err, uint64(c.nrows))
		}
		c.nrows = 0
		c.fill.Reset()
	}
	if len(c.buf) == 0 {
		return
	}
	n, err := c.out.Write(c.buf)
	if err != nil {
		if n < 0 || n > len(c.buf) || errors.Is(err, ErrOutputRemoved) {
			n = 0
		}
		c.OutputFailed(err, uint64(bytes.Count(c.buf[n:], []byte{'\n'})))
	}
	c.buf = c.buf[:0]
}

// takeRows makes the context fill typed rows for out when out takes them,
// and hand them over without a copy when out keeps them.
func (c *Context) takeRows(out io.Writer) {
	rw, ok := out.(format.RowWriter)
	if !ok || !rw.TakesRows() {
		return
	}
	c.rows = rw
	if rk, ok := out.(format.RowKeeper); ok && rk.KeepsRows() {
		c.keep, c.spare = rk, make(chan *rowSet, maxRowSets)
		c.useSet(c.newRowSet())
		return
	}
	c.fill, c.batch = record.NewFiller(), make([]record.Flow, rowBatch)
}

func (c *Context) newRowSet() *rowSet {
	c.sets++
	set := &rowSet{batch: make([]record.Flow, rowBatch), fill: record.NewFiller()}
	spare := c.spare
	set.release = func() { spare <- set }
	return set
}

func (c *Context) useSet(set *rowSet) {
	set.fill.Reset()
	c.set, c.batch, c.fill = set, set.batch, set.fill
}

// keepRows hands the batch, and the filler its rows refer to, to the
// output to keep, and goes on with a set the output gave back or a new
// one; with maxRowSets out it waits for one, so memory stays bounded.
func (c *Context) keepRows() {
	if err := c.keep.KeepRows(c.batch[:c.nrows], c.set.release); err != nil {
		c.OutputFailed(err, uint64(c.nrows))
	}
	c.nrows = 0
	select {
	case set := <-c.spare:
		c.useSet(set)
	default:
		if c.sets < maxRowSets {
			c.useSet(c.newRowSet())
		} else {
			c.useSet(<-c.spare)
		}
	}
}

// tableLog adapts the levelled logger to the flow table's needs.
type tableLog struct{ l *logx.Logger }

func (t tableLog) Errorf(format string, args ...any) {
	if t.l.Enabled(logx.Err) {
		t.l.Logf(logx.Err, format, args...)
	}
}
func (t tableLog) Always(format string, args ...any) { t.l.Always(format, args...) }
