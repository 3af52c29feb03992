package joy

// threads=N over one capture: ProcessReader reads the capture once and
// hands each packet to one of N worker contexts by a symmetric hash of its
// flow key (both directions of a flow go to the same worker). Each worker
// runs the normal pipeline on its packets; the records are the ones one
// context would print, because the reader follows the timing of the whole
// table (flow.Schedule) and tells each worker, at each of the original's
// drain points, how many flows at the head of its chronological list one
// table holding every flow would print there, and at which clock. See
// "threads=N over one file" in docs/architecture.md.

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/gojoy/libjoy/joy/flow"
	"github.com/gojoy/libjoy/joy/format"
	"github.com/gojoy/libjoy/joy/pcapfile"
	"github.com/gojoy/libjoy/joy/record"
)

// MaxThreads bounds SetThreads.
const MaxThreads = 128

// SetThreads makes ProcessCapture and ProcessReader spread the packets of
// a capture over n contexts on n goroutines (1 or less: the context
// itself, the default). Both directions of a flow go to the same context,
// and the records printed are the ones the context alone would print, in
// another order: each context writes whole records to the output (under
// a lock), so the records of different contexts interleave in an order
// that varies from run to run. The context itself stays free to be used
// between captures. IPFIX export while printing (ExportWhilePrinting), or
// flows left in the context from earlier packets, make the capture be
// read by the context alone.
func (c *Context) SetThreads(n int) { c.threads = min(max(n, 1), MaxThreads) }

// Threads returns the number of contexts a capture is spread over.
func (c *Context) Threads() int { return max(c.threads, 1) }

// Sizes of the batches the reader hands to a worker: a channel operation,
// and the parking and waking of a worker that ran dry, cost far more than
// a packet, so packets go by the thousand. The frame bytes of a batch are
// bounded so that all batches of all workers stay within 16 MiB or so.
const (
	batchEntries  = 1024
	batchBytesMax = 512 << 10
	batchBytesMin = 64 << 10
	batchesEach   = 4 // per worker, reused
)

func batchBytes(workers int) int {
	return max(batchBytesMin, min(batchBytesMax, (16<<20)/(workers*batchesEach)))
}

type entryOp uint8

const (
	opPacket entryOp = iota
	opDrain          // drain n flows at the head at clock ts
	opEvict          // print the oldest flow early ('m')
)

type entry struct {
	ts     int64
	off, n uint32
	link   int32
	op     entryOp
}

// A batch's packets are either copied into data or, when the capture is
// read in blocks (pcapfile.Reader.ReadInBlocks), in place in blk, one
// block per batch.
type batch struct {
	data []byte
	ents []entry
	blk  *block
}

// block is a buffer the reader reads the capture into. The reader holds
// one reference while it reads the block and each batch with packets in it
// holds one; the last to let go puts it back in the pool.
type block struct {
	buf  []byte
	refs atomic.Int32
}

func (b *block) release(pool chan *block) {
	if b.refs.Add(-1) == 0 {
		pool <- b
	}
}

// blockPool is the reader's side of reading in blocks: the blocks, and
// the one being read.
type blockPool struct {
	free      chan *block
	cur, prev *block
	ws        []*worker
	size      int // bytes per block
}

// Block sizes: a block is read with one system call and its frames go to
// the workers in place; a batch holds the packets of one block, so a
// block holds a few hundred packets per worker at least. The pool lets each
// worker hold all its batches' blocks while the reader fills two more,
// within about 16 MiB in all.
const (
	blockBytesMax = 512 << 10
	blockBytesMin = 64 << 10
)

func newBlockPool(ws []*worker) *blockPool {
	n := len(ws)*batchesEach + 2
	size := max(blockBytesMin, min(blockBytesMax, (16<<20)/n))
	p := &blockPool{free: make(chan *block, n), ws: ws, size: size}
	for range n {
		p.free <- &block{} // its buffer is made when first used
	}
	for _, w := range ws {
		w.blocks = p.free
	}
	return p
}

// get hands the reader a new block of at least size bytes, once every
// batch with packets of the current block has gone to its worker.
func (p *blockPool) get(size int) []byte {
	for _, w := range p.ws {
		w.send()
	}
	b := <-p.free
	if cap(b.buf) < size {
		b.buf = make([]byte, size) // a record longer than a block
	}
	b.refs.Store(1)
	p.prev, p.cur = p.cur, b
	return b.buf
}

// put lets go of the reader's reference to the previous block.
func (p *blockPool) put([]byte) {
	p.prev.release(p.free)
	p.prev = nil
}

type worker struct {
	ctx      *Context
	in       chan *batch
	free     chan *batch
	cur      *batch
	maxBytes int         // frame bytes per batch
	blocks   chan *block // the pool the batches' blocks go back to
}

// lockedWriter makes whole-record writes of several contexts to one
// output safe.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lockedRows is lockedWriter for an output that takes typed rows too
// (Parquet, CSV): the workers fill rows, as one context does, instead of
// printing JSON text for the format to parse again.
type lockedRows struct {
	lockedWriter
	rw format.RowWriter
}

func (l *lockedRows) TakesRows() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rw.TakesRows()
}

func (l *lockedRows) WriteRows(rows []record.Flow) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rw.WriteRows(rows)
}

// lockedKeeper is lockedRows for an output that keeps rows (Parquet).
type lockedKeeper struct {
	lockedRows
	rk format.RowKeeper
}

func (l *lockedKeeper) KeepsRows() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rk.KeepsRows()
}

func (l *lockedKeeper) KeepRows(rows []record.Flow, release func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rk.KeepRows(rows, release)
}

// lockOutput returns out made safe for whole-record writes of several
// contexts, taking or keeping rows when out does.
func lockOutput(out io.Writer) io.Writer {
	rw, ok := out.(format.RowWriter)
	if !ok || !rw.TakesRows() {
		return &lockedWriter{w: out}
	}
	if rk, ok := out.(format.RowKeeper); ok && rk.KeepsRows() {
		return &lockedKeeper{lockedRows: lockedRows{lockedWriter: lockedWriter{w: out}, rw: rw}, rk: rk}
	}
	return &lockedRows{lockedWriter: lockedWriter{w: out}, rw: rw}
}

func (c *Context) newWorker(out io.Writer) *worker {
	w := &worker{ctx: NewContext(c.cfg, out, c.log), in: make(chan *batch, batchesEach), free: make(chan *batch, batchesEach),
		maxBytes: batchBytes(c.threads)}
	w.ctx.table.CopySettings(c.table)
	w.ctx.table.SetMaxRecords(-1) // the reader's schedule bounds the whole table
	w.ctx.SetOutputBuffer(max(c.flushAt, 64<<10))
	w.ctx.errLogged = c.errLogged
	w.ctx.SetLinkType(c.dec.LinkType())
	for range batchesEach {
		w.free <- &batch{ents: make([]entry, 0, batchEntries)} // data: made when first needed
	}
	return w
}

func (w *worker) batch() *batch {
	if w.cur == nil {
		w.cur = <-w.free
	}
	return w.cur
}

func (w *worker) send() {
	if w.cur != nil {
		w.in <- w.cur
		w.cur = nil
	}
}

func (w *worker) add(e entry) {
	b := w.batch()
	b.ents = append(b.ents, e)
	if len(b.ents) >= batchEntries {
		w.send()
	}
}

// addInBlock adds the frame at off in blk, the reader's current block.
func (w *worker) addInBlock(ts int64, link LinkType, blk *block, off, n int) {
	b := w.batch()
	if b.blk == nil {
		b.blk = blk
		blk.refs.Add(1)
	}
	w.add(entry{ts: ts, off: uint32(off), n: uint32(n), link: int32(link), op: opPacket})
}

// addPacket adds a copy of frame.
func (w *worker) addPacket(ts int64, link LinkType, frame []byte) {
	b := w.batch()
	if len(b.data)+len(frame) > w.maxBytes && len(b.ents) > 0 {
		w.send()
		b = w.batch()
	}
	if b.data == nil {
		b.data = make([]byte, 0, w.maxBytes+2048)
	}
	off := len(b.data)
	b.data = append(b.data, frame...)
	w.add(entry{ts: ts, off: uint32(off), n: uint32(len(frame)), link: int32(link), op: opPacket})
}

// run processes batches until the reader closes the channel, then prints
// every remaining flow.
func (w *worker) run() {
	c := w.ctx
	for b := range w.in {
		data := b.data
		if b.blk != nil {
			data = b.blk.buf
		}
		for i := range b.ents {
			e := &b.ents[i]
			switch e.op {
			case opPacket:
				if LinkType(e.link) != c.dec.LinkType() {
					c.SetLinkType(LinkType(e.link))
				}
				c.ProcessPacket(e.ts, data[e.off:e.off+e.n])
			case opDrain:
				c.table.AdvanceClock(e.ts)
				c.drainHead(int(e.n))
			case opEvict:
				c.table.EvictOldest()
			}
		}
		if b.blk != nil {
			b.blk.release(w.blocks)
			b.blk = nil
		}
		b.data, b.ents = b.data[:0], b.ents[:0]
		w.free <- b
	}
	c.PrintFlows(AllFlows)
	c.Flush()
}

// drainHead prints the first n flows of the chronological list.
func (c *Context) drainHead(n int) {
	d := c.table.DrainHead(n, func(r *flow.Record) {
		c.print(r)
		if len(c.buf) >= max(c.flushAt, 48<<10) {
			c.flush()
		}
	})
	c.maybeFlush()
	c.stats.FlowsPrinted += uint64(d)
}

// threaded tells whether ProcessReader spreads the capture over workers.
func (c *Context) threaded() bool {
	return c.threads > 1 && !c.export.alsoPrint && c.table.Len() == 0
}

// processThreaded is ProcessReader with c.threads workers. The reader
// reads a classic pcap capture in blocks, decodes each frame (for its flow
// key only), follows it in the schedule and puts its place in the block in
// its worker's batch (a pcapng frame is copied into the batch instead); at
// each drain point it tells each worker how many flows to print.
func (c *Context) processThreaded(r *pcapfile.Reader, path string, between func()) error {
	c.Flush() // what the context printed before (its configuration line) comes first
	n := c.threads
	out := lockOutput(c.out)
	ws := make([]*worker, n)
	for i := range ws {
		ws[i] = c.newWorker(out)
	}
	sched := c.table.NewSchedule(func(part int) { ws[part].add(entry{op: opEvict}) })
	c.sched = sched
	defer func() { c.sched = nil }()
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run()
		}()
	}
	counts := make([]int, n)
	drain := func() {
		clear(counts)
		sched.DrainExpired(counts)
		for i, k := range counts {
			if k > 0 {
				ws[i].add(entry{op: opDrain, ts: sched.Now(), n: uint32(k)})
			}
		}
	}
	// Classic pcap is read in blocks whose frames go to the workers in
	// place; pcapng is copied frame by frame.
	pool := newBlockPool(ws)
	inBlocks := r.ReadInBlocks(pool.size, pool.get, pool.put)
	frames := c.newFrameReader(r, path)
	counted := 0
	for {
		p, ok := frames.next()
		if !ok {
			break
		}
		c.stats.Packets++
		ipv4 := false
		if err := c.dec.Decode(p.Data, &c.pkt); err != nil {
			// Not IP, or a bad IP header: no flow; counted and logged
			// here as the context would.
			c.processPacketError(err)
		} else {
			ipv4 = c.pkt.Version == 4
			k := flow.PacketKey(&c.pkt)
			h := flow.SymmetricHash(&k)
			part := int(h % uint64(n))
			sched.Observe(&k, h, p.TS, part)
			if inBlocks {
				ws[part].addInBlock(p.TS, p.Link, pool.cur, r.BlockOffset(), len(p.Data))
			} else {
				ws[part].addPacket(p.TS, p.Link, p.Data)
			}
		}
		if c.capFilter != nil || ipOrVLAN(p.Link, p.Data, ipv4) {
			counted++
			if counted%DispatchBatch == 0 {
				drain()
				if between != nil {
					between()
				}
			}
		}
	}
	drain() // the last pass for expired flows, before the rest
	for _, w := range ws {
		w.send()
		close(w.in)
	}
	if pool.cur != nil {
		pool.cur.release(pool.free)
	}
	wg.Wait()
	c.evictedElsewhere += sched.Evicted()
	for _, w := range ws {
		s := w.ctx.stats
		c.stats.IPPackets += s.IPPackets
		c.stats.IPv4Packets += s.IPv4Packets
		c.stats.Ignored += s.Ignored
		c.stats.BadHeaders += s.BadHeaders
		c.stats.FlowsPrinted += s.FlowsPrinted
		c.stats.WriteErrors += s.WriteErrors
		c.stats.RecordsLost += s.RecordsLost
	}
	return frames.err
}
