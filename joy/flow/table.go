package flow

import (
	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/procinfo"
	"github.com/gojoy/libjoy/joy/record"
)

// Timeouts of the original: a flow is inactive when its last packet is
// more than 10 s older than the clock, and active-expired when it started
// more than 30 s before the clock.
const (
	InactiveTimeout = 10_000_000 // µs
	ActiveTimeout   = 30_000_000 // µs
)

// Options are the flow-engine settings of a table.
type Options struct {
	// Record45: Joy 4.5's records (config.Config.Record45): expired flows
	// drained wherever they are in the chronological list (SetDrain45).
	Record45          bool
	Bidir             bool
	Zeros             bool // zero-length packets enter the SPLT
	Retrans           bool // retransmitted TCP segments are processed normally
	PreemptiveTimeout bool
	// SALT makes the packet list a sequence of application lengths and
	// times: consecutive TCP payloads of a direction are summed until the
	// acknowledgement number changes. Otherwise it is the raw SPLT.
	SALT bool
	// Modules are the enabled modules, in the order they are printed.
	Modules []feature.Kind
	// Config is handed to the modules' constructors.
	Config *config.Config

	// Byte statistics: counted when any of these is on.
	ByteDist bool
	Entropy  bool
	Compact  *bytestats.CompactMap // compact distribution, if not nil
	// IDP is how many bytes of the first data packet to keep (0: none).
	IDP int
	// Classifier scores flows as "p_malware" (nil: off). With ByteDist on
	// it uses the byte-distribution model for flows of over 100 bytes.
	Classifier *classify.Model
	// Processes, when set, adds the local process of TCP flows as "exe".
	Processes *procinfo.Table
	// Anon anonymizes printed addresses inside its subnets (nil: none).
	Anon *anon.Addresses
	// Labels names the subnets of printed addresses (nil: none).
	Labels *label.Labels
	// MaxRecords bounds the records (both directions) a table holds; when
	// a new flow would pass it, the oldest flow is printed at once with
	// "expire_type":"m". 0 means DefaultMaxRecords; negative, no bound.
	MaxRecords int
	// HeaderBytes is how many leading payload bytes the header
	// description covers (0: off).
	HeaderBytes int
}

func (o *Options) countBytes() bool { return o.ByteDist || o.Entropy || o.Compact != nil }

// maxFreeRecords is how many freed records a table keeps for reuse: enough
// for the flows that expire between two drains of a busy context, few
// enough that a burst of flows does not pin its memory for good (1024
// records are about 1.2 MB).
const maxFreeRecords = 1024

// DefaultMaxRecords keeps a table's records near 1 GB: a record is about
// 1.2 KB with its map entry.
const DefaultMaxRecords = 800_000

// Logger receives the table's diagnostics.
type Logger interface {
	Errorf(format string, args ...any)
	Always(format string, args ...any)
}

// Table is the flow table of one context. Not safe for concurrent use.
type Table struct {
	opts   Options
	log    Logger
	flows  map[Key]*Record
	head   *Record // chronological list
	tail   *Record
	free   []*Record
	now    int64 // this table's clock: the latest timestamp seen, µs
	hasNow bool
	// emit receives records that leave the table by preemptive timeout.
	emit func(r *Record)
	live int

	hasTCPModules bool
	// hasRetransModules: a TCP module also wants the segments counted as
	// retransmissions.
	hasRetransModules bool
	pools             []feature.Pool     // one per module, indexed like Options.Modules
	seg               feature.TCPSegment // reused for TCP modules
	// tcpMods: the indices of the TCP modules; tcpAll has their bits, the
	// bits a record's tcpDone has when none of them wants more segments.
	tcpMods []int
	tcpAll  uint64

	maxRecords int
	evicted    uint64 // flows printed early because the table was full

	// timeouts set by SetTimeouts (api45.go), µs; 0: the defaults
	inactive, active int64
	// drainEvery: expired flows are drained wherever they are in the
	// chronological list (Joy 4.5), not only from its head (SetDrain45)
	drainEvery bool

	// the record printer's state (json.go)
	enc     record.Enc
	scratch []byte // addresses, labels, TCP flags and options

	export *exportWalk // IPFIX export's walk of the modules (export.go)
}

// NewTable returns an empty table. Every module in opts.Modules is used,
// however many there are.
func NewTable(opts Options, log Logger, emit func(*Record)) *Table {
	t := &Table{opts: opts, log: log, flows: make(map[Key]*Record, 1024), emit: emit, maxRecords: opts.MaxRecords, drainEvery: opts.Record45}
	if t.maxRecords == 0 {
		t.maxRecords = DefaultMaxRecords
	}
	for i := range opts.Modules {
		k := &opts.Modules[i]
		t.hasTCPModules = t.hasTCPModules || k.TCP
		if k.TCP {
			t.tcpMods = append(t.tcpMods, i)
			t.tcpAll |= tcpBit(i)
		}
		t.hasRetransModules = t.hasRetransModules || (k.TCP && k.Retransmissions)
		t.pools = append(t.pools, k.Pool(opts.Config))
	}
	return t
}

// SetClassifier sets the model that scores flows printed from now on
// (nil: no score).
func (t *Table) SetClassifier(m *classify.Model) { t.opts.Classifier = m }

// SetAnonymizer sets the address anonymizer used when printing.
func (t *Table) SetAnonymizer(a *anon.Addresses) { t.opts.Anon = a }

// SetLabels sets the subnet labels used when printing.
func (t *Table) SetLabels(l *label.Labels) { t.opts.Labels = l }

// SetCompactMap turns the compact byte distribution on (or off with nil)
// for packets seen from now on.
func (t *Table) SetCompactMap(m *bytestats.CompactMap) { t.opts.Compact = m }

// Len returns the number of records (both directions) in the table.
func (t *Table) Len() int { return t.live }

// ResetClock forgets the latest time seen, for a table that is empty and
// about to read packets of another capture.
func (t *Table) ResetClock() { t.now, t.hasNow = 0, false }

// Now returns the table's clock in µs.
func (t *Table) Now() int64 { return t.now }

// AdvanceClock moves the clock forward to ts (never back) without a
// packet: a live capture on a quiet link uses it so that flows still
// expire.
func (t *Table) AdvanceClock(ts int64) {
	if t.hasNow {
		t.advance(ts)
	}
}

func (t *Table) advance(ts int64) {
	if !t.hasNow || ts > t.now {
		t.now, t.hasNow = ts, true
	}
}

func (t *Table) alloc(k Key) *Record {
	var r *Record
	if n := len(t.free); n > 0 {
		r = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		r = new(Record)
	}
	r.reset(k)
	if len(r.mods) != len(t.pools) {
		r.mods = make([]feature.Module, len(t.pools))
	}
	t.live++
	return r
}

func (t *Table) release(r *Record) {
	delete(t.flows, r.Key)
	r.twin = nil
	for i, m := range r.mods {
		if m != nil {
			t.pools[i].Put(m)
			r.mods[i] = nil
		}
	}
	t.live--
	if len(t.free) < maxFreeRecords {
		t.free = append(t.free, r)
	}
}

// lookup returns the record of key k, creating it (and linking its twin)
// if needed. ts is the packet time in µs.
func (t *Table) lookup(k Key, ts int64) *Record {
	if r, ok := t.flows[k]; ok {
		if !(r.inChrono && t.opts.PreemptiveTimeout && t.preempt(r, ts)) {
			return r
		}
		// The flow ran past the active timeout: print it now and start anew.
		t.unlink(r)
		t.emit(r)
		t.remove(r)
	}
	if t.maxRecords > 0 && t.live >= t.maxRecords {
		t.evictOldest()
	}
	r := t.alloc(k)
	t.flows[k] = r
	if t.opts.Bidir {
		rk := k.Reverse()
		// A flow whose reverse key is its own key (same address and port
		// on both ends) has no twin; the original paired it with itself
		// and then never printed it.
		if rev, ok := t.flows[rk]; ok && rk != k {
			if rev.twin == nil {
				rev.twin, r.twin = r, rev
				return r
			}
			t.log.Always("warning: found twin that already has a twin; not setting twin pointer")
		}
	}
	t.append(r)
	return r
}

// evictOldest prints and frees the oldest flow to make room.
func (t *Table) evictOldest() {
	old := t.head
	if old == nil {
		return
	}
	t.evicted++
	if t.evicted == 1 || t.evicted%100000 == 0 {
		t.log.Errorf("flow table full (%d records): printing the oldest flows early with expire_type \"m\" (%d so far)", t.maxRecords, t.evicted)
	}
	t.unlink(old)
	old.expType = 'm'
	t.emit(old)
	t.remove(old)
}

// Evicted returns how many flows were printed early because the table
// was full.
func (t *Table) Evicted() uint64 { return t.evicted }

// preempt reports whether a packet at ts finds r past the active timeout,
// comparing whole seconds as the original does.
func (t *Table) preempt(r *Record, ts int64) bool {
	sec := floorSec(ts)
	limit := t.activeTimeout() / 1e6
	if sec <= floorSec(r.start)+limit {
		return false
	}
	return r.twin == nil || sec > floorSec(r.twin.start)+limit
}

func floorSec(us int64) int64 {
	s := us / 1e6
	if us%1e6 < 0 {
		s--
	}
	return s
}

func (t *Table) append(r *Record) {
	r.inChrono = true
	r.prev, r.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = r
	} else {
		t.head = r
	}
	t.tail = r
}

func (t *Table) unlink(r *Record) {
	if !r.inChrono {
		return
	}
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		t.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		t.tail = r.prev
	}
	r.prev, r.next, r.inChrono = nil, nil, false
}

// remove frees a record and its twin (the record is already unlinked).
func (t *Table) remove(r *Record) {
	if tw := r.twin; tw != nil {
		t.release(tw)
	}
	t.release(r)
}

// expired decides whether r has timed out against the table clock and
// records how ('a' active, 'i' inactive).
func (t *Table) expired(r *Record) bool {
	inactiveCutoff := t.now - t.inactiveTimeout()
	activeCutoff := t.now - t.activeTimeout()
	tw := r.twin
	if r.start < activeCutoff && (tw == nil || tw.start < activeCutoff) {
		r.expType = 'a'
		return true
	}
	if r.end < inactiveCutoff && (tw == nil || tw.end < inactiveCutoff) {
		r.expType = 'i'
		return true
	}
	return false
}

// Drain hands flows to out in chronological order and removes them. With
// all false only expired flows go, stopping at the first one that has not
// expired (the original's head-of-line rule). It returns how many flows
// (chronological records) were drained. After SetDrain45(true), all
// false drains every expired flow, as Joy 4.5 does.
func (t *Table) Drain(all bool, out func(r *Record)) int {
	if t.drainEvery && !all {
		return t.drainEvery45(out)
	}
	n := 0
	for r := t.head; r != nil; r = t.head {
		if !all && !t.expired(r) {
			break
		}
		t.unlink(r)
		out(r)
		t.remove(r)
		n++
	}
	return n
}

// Discard frees every record without printing it (joy_cleanup).
func (t *Table) Discard() int {
	n := 0
	for r := t.head; r != nil; r = t.head {
		t.unlink(r)
		t.remove(r)
		n++
	}
	clear(t.flows)
	t.live = 0
	return n
}

// Oldest returns the head of the chronological list, or nil.
func (t *Table) Oldest() *Record { return t.head }
