package flow

import "github.com/gojoy/libjoy/joy/feature"

// What the Joy 4.5 API generation needs of a record and a table: read-only
// access to the features it hands to external-processing callbacks, a few
// bytes of application data, marks of what was handed over, and removal
// of single records. Nothing here runs on the packet path.

// MaxAppData is how many bytes of application data a record keeps.
const MaxAppData = 32

// Ext is one record's marks of the features already handed to an external
// processing callback (a bit set; its values are the caller's).
type Ext uint8

// ext45 is the per-record state of the 4.5 generation; reset with the record.
type ext45 struct {
	appLen uint8
	app    [MaxAppData]byte
	ext    Ext
}

// Twin returns the record of the reverse direction, or nil.
func (r *Record) Twin() *Record { return r.twin }

// Times returns the first and last packet times of this direction, µs.
func (r *Record) Times() (start, end int64) { return r.start, r.end }

// Octets returns the payload bytes of this direction (bytes_out).
func (r *Record) Octets() uint64 { return r.ob }

// Packets returns the packets of this direction (num_pkts_out).
func (r *Record) Packets() uint32 { return r.np }

// SPLT returns how many packet lengths and times the record holds, and
// the i-th of them (length, µs since the epoch).
func (r *Record) SPLT() int { return r.op }

// SPLTAt returns the length and time (µs) of the i-th SPLT entry.
func (r *Record) SPLTAt(i int) (length uint32, ts int64) { return r.pktLen[i], r.pktTime[i] }

// IDP returns the initial data packet from its IP header on (nil: none
// taken yet). The slice belongs to the record.
func (r *Record) IDP() []byte {
	if r.idpLen == 0 {
		return nil
	}
	return r.idp[:r.idpLen]
}

// ByteCounts returns the byte distribution of this direction, or nil when
// no payload was counted.
func (r *Record) ByteCounts() *[256]uint32 {
	if r.bytes == nil {
		return nil
	}
	return &r.bytes.Count
}

// Module returns the record's state of the module called name (nil: the
// module is off or has seen nothing of this direction).
func (t *Table) Module(r *Record, name string) feature.Module {
	for i := range t.opts.Modules {
		if t.opts.Modules[i].Name == name {
			return r.mods[i]
		}
	}
	return nil
}

// SetAppData keeps a copy of p (at most MaxAppData bytes; longer is
// refused with false) as the record's application data.
func (r *Record) SetAppData(p []byte) bool {
	if len(p) > MaxAppData {
		r.ext45.appLen = 0
		return false
	}
	r.ext45.appLen = uint8(copy(r.ext45.app[:], p))
	return true
}

// AppData returns the record's application data (nil: none).
func (r *Record) AppData() []byte {
	if r.ext45.appLen == 0 {
		return nil
	}
	return r.ext45.app[:r.ext45.appLen]
}

// Ext returns the record's marks; SetExt adds marks.
func (r *Record) Ext() Ext { return r.ext45.ext }

// SetExt adds marks to the record.
func (r *Record) SetExt(m Ext) { r.ext45.ext |= m }

// Walk calls fn with each flow's chronological record, oldest first; fn
// may delete the record it is given (and nothing else) with Delete.
func (t *Table) Walk(fn func(r *Record)) {
	for r := t.head; r != nil; {
		next := r.next
		fn(r)
		r = next
	}
}

// Delete removes a flow (a chronological record and its twin) without
// printing it.
func (t *Table) Delete(r *Record) {
	if !r.inChrono {
		return
	}
	t.unlink(r)
	t.remove(r)
}

// Expired tells whether r has timed out against the table clock. Like the
// original's check it marks the record's expire_type when it has.
func (t *Table) Expired(r *Record) bool { return t.expired(r) }

// SetClock sets the table's clock (µs), as joy_update_ctx_global_time
// does; later packets move it on as usual.
func (t *Table) SetClock(ts int64) { t.now, t.hasNow = ts, true }

// SetTimeouts sets the inactive and active timeouts in whole seconds, as
// Joy 4.5's joy_init_t does: a flow is inactive after inactive seconds
// without a packet, and active-expired inactive+active seconds after its
// start. 0 keeps a default (10 s, and 20 s more).
func (t *Table) SetTimeouts(inactive, active uint) {
	t.inactive, t.active = 0, 0
	if inactive > 0 {
		t.inactive = int64(inactive) * 1e6
	}
	if active > 0 {
		t.active = t.inactiveTimeout() + int64(active)*1e6
	} else if inactive > 0 {
		t.active = t.inactive + ActiveTimeout - InactiveTimeout
	}
}

func (t *Table) inactiveTimeout() int64 {
	if t.inactive > 0 {
		return t.inactive
	}
	return InactiveTimeout
}

func (t *Table) activeTimeout() int64 {
	if t.active > 0 {
		return t.active
	}
	return ActiveTimeout
}

// SetDrain45 makes Drain of expired flows walk the whole chronological
// list and drain every flow that has expired, as Joy 4.5's
// joy_print_flow_data(JOY_EXPIRED_FLOWS) does, instead of stopping at the
// first flow that has not (697dc5a's head-of-line rule, QUIRK-20).
func (t *Table) SetDrain45(on bool) { t.drainEvery = on }

func (t *Table) drainEvery45(out func(r *Record)) int {
	n := 0
	for r := t.head; r != nil; {
		next := r.next
		if t.expired(r) {
			t.unlink(r)
			out(r)
			t.remove(r)
			n++
		}
		r = next
	}
	return n
}
