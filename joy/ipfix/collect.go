package ipfix

import (
	"container/list"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Limits bound what a Collector keeps and emits, whatever arrives. Zero
// fields take the defaults of DefaultLimits.
type Limits struct {
	// Sessions is the number of template scopes kept at once: one per
	// exporter transport session (source address and port) and
	// observation domain, as RFC 7011 §8 scopes templates. When a new
	// scope needs room, the one least recently heard from is dropped.
	Sessions int
	// TemplatesPerSession bounds one scope's templates: further ones are
	// refused until some are withdrawn or expire.
	TemplatesPerSession int
	// FieldsPerTemplate refuses templates with more fields.
	FieldsPerTemplate int
	// TotalFields bounds the fields of all templates together (8 bytes
	// each); scopes least recently heard from are dropped to make room.
	TotalFields int
	// TemplateLifetime: a template not refreshed for this long is
	// forgotten (RFC 7011 §8.4 asks UDP collectors for a lifetime).
	TemplateLifetime time.Duration
}

// DefaultLimits keep at most 2^20 template fields (8 MiB) in at most
// 4,096 scopes; an exporter that re-sends its templates every few minutes,
// as every exporter over UDP must, never meets them.
var DefaultLimits = Limits{
	Sessions:            4096,
	TemplatesPerSession: 1024,
	FieldsPerTemplate:   512,
	TotalFields:         1 << 20,
	TemplateLifetime:    30 * time.Minute,
}

// Problem names why (part of) a message was refused.
type Problem int

// The problems a Collector counts. A message-level problem refuses the
// whole message; the others refuse a set, a template or the rest of a data
// set, and decoding goes on with what can still be found.
const (
	BadMessage      Problem = iota // shorter than a header, not version 10, or its length is not the datagram's
	BadSet                         // a set length outside the message, or a reserved set id (the rest of the message is unreadable)
	BadTemplate                    // a template id below 256, a field of length 0, too many fields, fields past the set
	TemplateRefused                // a template beyond TemplatesPerSession
	BadRecord                      // a variable-length field that runs past its set
	UnknownTemplate                // a data set whose template has not arrived (normal when a collector starts)
	numProblems
)

var problemNames = [numProblems]string{"bad message", "bad set", "bad template", "template refused (limit)", "bad record", "unknown template"}

func (p Problem) String() string {
	if p >= 0 && p < numProblems {
		return problemNames[p]
	}
	return fmt.Sprintf("problem %d", int(p))
}

// DecodeError is a refused message or part of one.
type DecodeError struct {
	Problem  Problem
	Exporter netip.AddrPort
	Detail   string
}

func (e *DecodeError) Error() string {
	if e.Exporter.IsValid() {
		return fmt.Sprintf("ipfix: from %v: %s: %s", e.Exporter, e.Problem, e.Detail)
	}
	return fmt.Sprintf("ipfix: %s: %s", e.Problem, e.Detail)
}

// CollectorStats counts what a Collector has seen.
type CollectorStats struct {
	Messages, Records uint64
	// Missed counts records a gap in a scope's sequence numbers says were lost.
	Missed uint64
	// Problems counts refusals by kind.
	Problems [numProblems]uint64
	// Templates and Fields are held now, in Sessions scopes.
	Templates, Fields, Sessions int
	// Withdrawn, Expired: templates withdrawn by their exporter or
	// forgotten after TemplateLifetime; Evicted: scopes dropped to make room.
	Withdrawn, Expired, Evicted uint64
}

// Refused is the number of problems of every kind but UnknownTemplate.
func (s *CollectorStats) Refused() uint64 {
	var n uint64
	for p, c := range s.Problems {
		if Problem(p) != UnknownTemplate {
			n += c
		}
	}
	return n
}

type scopeKey struct {
	version  uint16 // 9 or 10: NetFlow v9 and IPFIX templates never mix
	exporter netip.AddrPort
	domain   uint32 // observation domain (IPFIX) or source id (NetFlow v9)
}

// wire is what differs between the two message formats.
type wire struct {
	version            uint16
	headerLen          int
	templateSet        uint16
	optionsTemplateSet uint16
}

var (
	ipfixWire = wire{10, headerLen, templateSet, optionsTemplateSet}
	// NetFlow v9 (RFC 3954 §5): a 20-byte header without a length,
	// template flowset 0, options template flowset 1.
	nfv9Wire = wire{9, nfv9HeaderLen, 0, 1}
)

const nfv9HeaderLen = 20

// nfv9Vendor marks NetFlow v9 vendor field types (above 32767), whose
// meaning is the exporter's own.
const nfv9Vendor = 0xffffffff

type template struct {
	fields  []Field
	minLen  int  // the shortest record: fixed lengths plus one byte per variable-length field
	options bool // an options template: its records are read past, not emitted
	seen    time.Time
}

// scope holds the templates and sequence state of one exporter session and
// observation domain.
type scope struct {
	key       scopeKey
	templates map[uint16]*template
	next      uint32 // next expected sequence number
	seqKnown  bool
	elem      *list.Element // in Collector.lru, most recent first
}

// Collector decodes IPFIX and NetFlow v9 messages into Records, with
// memory bounded by its Limits whatever arrives. Not safe for concurrent
// use.
type Collector struct {
	limits    Limits
	scopes    map[scopeKey]*scope
	lru       list.List
	stats     CollectorStats
	clock     func() time.Time
	lastSweep time.Time
}

// NewCollector returns a collector with DefaultLimits and no templates.
func NewCollector() *Collector { return NewCollectorLimits(Limits{}) }

// NewCollectorLimits returns a collector with the given limits (zero
// fields take DefaultLimits').
func NewCollectorLimits(l Limits) *Collector {
	d := DefaultLimits
	if l.Sessions <= 0 {
		l.Sessions = d.Sessions
	}
	if l.TemplatesPerSession <= 0 {
		l.TemplatesPerSession = d.TemplatesPerSession
	}
	if l.FieldsPerTemplate <= 0 {
		l.FieldsPerTemplate = d.FieldsPerTemplate
	}
	if l.TotalFields <= 0 {
		l.TotalFields = d.TotalFields
	}
	if l.TemplateLifetime <= 0 {
		l.TemplateLifetime = d.TemplateLifetime
	}
	return &Collector{limits: l, scopes: map[scopeKey]*scope{}, clock: time.Now}
}

// Stats returns the counters and what is held now.
func (c *Collector) Stats() CollectorStats {
	s := c.stats
	s.Sessions = len(c.scopes)
	return s
}

// Decode is DecodeFrom for messages of one unnamed exporter.
func (c *Collector) Decode(msg []byte, fn func(*Record)) error {
	return c.DecodeFrom(netip.AddrPort{}, msg, fn)
}

// DecodeFrom parses one message (one datagram) from exporter, IPFIX
// (RFC 7011) or NetFlow v9 (RFC 3954), and calls fn for every data record
// of a known template; fn's Record is reused after fn returns. A data set
// yields at most one record per byte. Every refusal is counted in Stats;
// the first of this message is returned, after what could still be decoded
// was.
func (c *Collector) DecodeFrom(exporter netip.AddrPort, msg []byte, fn func(*Record)) error {
	c.stats.Messages++
	now := c.clock()
	c.sweep(now)
	d := decoding{c: c, exporter: exporter, fn: fn, now: now}
	if len(msg) < 2 {
		d.fail(BadMessage, "%d bytes, shorter than a message header", len(msg))
		return d.first
	}
	switch v := binary.BigEndian.Uint16(msg); v {
	case 10:
		if len(msg) < headerLen {
			d.fail(BadMessage, "%d bytes, shorter than a message header", len(msg))
			return d.first
		}
		if total := int(binary.BigEndian.Uint16(msg[2:])); total != len(msg) {
			d.fail(BadMessage, "message length %d in a datagram of %d bytes", total, len(msg))
			return d.first
		}
		d.w = ipfixWire
		d.key = scopeKey{10, exporter, binary.BigEndian.Uint32(msg[12:])}
	case 9:
		if len(msg) < nfv9HeaderLen {
			d.fail(BadMessage, "%d bytes, shorter than a NetFlow v9 header", len(msg))
			return d.first
		}
		d.w = nfv9Wire
		// RFC 3954 §5.1: the exporter's address and its source id
		// separate export streams; the port does not.
		d.key = scopeKey{9, netip.AddrPortFrom(exporter.Addr(), 0), binary.BigEndian.Uint32(msg[16:])}
		// Switched times count ms of the exporter's uptime; the header
		// says which uptime is which Unix time.
		d.bootMicros = int64(binary.BigEndian.Uint32(msg[8:]))*1e6 - int64(binary.BigEndian.Uint32(msg[4:]))*1000
	default:
		d.fail(BadMessage, "version %d, want 10 (IPFIX) or 9 (NetFlow v9)", v)
		return d.first
	}
	seq := binary.BigEndian.Uint32(msg[d.w.headerLen-8:])
	d.sc = c.scopes[d.key] // created by the first template that is kept
	if d.sc != nil {
		c.lru.MoveToFront(d.sc.elem)
	}
	d.sets(msg[d.w.headerLen:])
	if sc := d.sc; sc != nil {
		if want := sc.next; sc.seqKnown && seq != want {
			// Serial-number arithmetic: only a message ahead of the
			// expected number shows losses; one behind comes late or from
			// a restarted exporter, and tracking starts again from it.
			if gap := int32(seq - want); gap > 0 {
				c.stats.Missed += uint64(gap)
			}
		}
		// IPFIX numbers data records, NetFlow v9 export packets.
		if d.w.version == 9 {
			sc.next = seq + 1
		} else {
			sc.next = seq + d.records
		}
		sc.seqKnown = true
	}
	return d.first
}

// decoding is the state of one DecodeFrom call.
type decoding struct {
	c          *Collector
	w          wire
	exporter   netip.AddrPort
	key        scopeKey
	sc         *scope
	fn         func(*Record)
	now        time.Time
	bootMicros int64 // NetFlow v9: Unix time in µs at the exporter's uptime 0
	records    uint32
	first      error
	r          Record
}

func (d *decoding) fail(p Problem, format string, args ...any) {
	d.c.stats.Problems[p]++
	if d.first == nil {
		d.first = &DecodeError{Problem: p, Exporter: d.exporter, Detail: fmt.Sprintf(format, args...)}
	}
}

// sets reads the sets (flowsets) of a message body.
func (d *decoding) sets(b []byte) {
	for len(b) > 0 {
		if len(b) < setHeaderLen {
			if d.w.version == 9 && allZero(b) {
				return // NetFlow v9 pads to 32 bits after the last flowset too
			}
			d.fail(BadSet, "%d bytes left after the last set", len(b))
			return
		}
		id := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < setHeaderLen || n > len(b) {
			d.fail(BadSet, "set %d: length %d, %d bytes left in the message", id, n, len(b))
			return
		}
		body := b[setHeaderLen:n]
		b = b[n:]
		switch {
		case id == d.w.templateSet || id == d.w.optionsTemplateSet:
			d.templates(id == d.w.optionsTemplateSet, body)
		case id >= 256:
			d.data(id, body)
		default:
			d.fail(BadSet, "reserved set id %d", id)
		}
	}
}

// data emits the records of data set id.
func (d *decoding) data(id uint16, body []byte) {
	var t *template
	if d.sc != nil {
		t = d.sc.templates[id]
	}
	if t == nil {
		d.fail(UnknownTemplate, "data set %d", id)
		return
	}
	// Records are at least minLen (≥ 1) bytes; what is left shorter than
	// that is padding (RFC 7011 §3.3.1, RFC 3954 §5.3).
	for len(body) >= t.minLen {
		d.r = Record{}
		rest, err := decodeRecord(body, t.fields, &d.r, d.uptime())
		if err != nil {
			d.fail(BadRecord, "data set %d: a record runs past the set (%d bytes left)", id, len(body))
			return
		}
		body = rest
		d.records++
		if !t.options {
			d.c.stats.Records++
			d.fn(&d.r)
		}
	}
}

// uptime converts the exporter's uptime in ms (NetFlow v9 switched
// times) to Unix µs; nil for IPFIX, whose records carry absolute times.
func (d *decoding) uptime() func(ms uint32) int64 {
	if d.w.version != 9 {
		return nil
	}
	boot := d.bootMicros
	return func(ms uint32) int64 { return boot + int64(ms)*1000 }
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// templates reads the template records of one (options) template set into
// the scope, which is created when the first template is kept. A record
// that cannot be read ends the set: what follows has no known start.
func (d *decoding) templates(options bool, b []byte) {
	for len(b) >= 4 {
		id := binary.BigEndian.Uint16(b)
		count := int(binary.BigEndian.Uint16(b[2:]))
		b = b[4:]
		switch {
		case d.w.version == 9 && options:
			// RFC 3954 §6.1: scope and option lengths in bytes, not counts.
			if len(b) < 2 {
				d.fail(BadTemplate, "options template %d: no option length", id)
				return
			}
			count = (count + int(binary.BigEndian.Uint16(b))) / 4
			b = b[2:]
		case count == 0 && d.w.version == 10:
			// A withdrawal (RFC 7011 §8.1): one template, or all of the
			// set's kind when the id is the set id.
			if d.sc != nil {
				d.c.withdraw(d.sc, id, id == d.w.templateSet || id == d.w.optionsTemplateSet, options)
			}
			continue
		case options:
			if len(b) < 2 {
				d.fail(BadTemplate, "options template %d: no scope field count", id)
				return
			}
			b = b[2:] // scope fields are read like the others
		}
		if id < 256 {
			d.fail(BadTemplate, "template id %d, below 256", id)
			return
		}
		if count == 0 || count > d.c.limits.FieldsPerTemplate {
			d.fail(BadTemplate, "template %d: %d fields, want 1 to %d", id, count, d.c.limits.FieldsPerTemplate)
			return
		}
		fields := make([]Field, 0, count)
		minLen := 0
		for i := 0; i < count; i++ {
			if len(b) < 4 {
				d.fail(BadTemplate, "template %d: field %d of %d runs past the set", id, i+1, count)
				return
			}
			f := Field{ID: binary.BigEndian.Uint16(b), Length: binary.BigEndian.Uint16(b[2:])}
			b = b[4:]
			if d.w.version == 10 && f.ID&0x8000 != 0 {
				if len(b) < 4 {
					d.fail(BadTemplate, "template %d: field %d of %d runs past the set", id, i+1, count)
					return
				}
				f.ID &^= 0x8000
				f.Enterprise = binary.BigEndian.Uint32(b)
				b = b[4:]
			}
			switch {
			case f.Length == 0:
				d.fail(BadTemplate, "template %d: field %d (element %d) has length 0", id, i+1, f.ID)
				return
			case f.Length == VarLen && d.w.version == 10:
				minLen++
			default:
				// NetFlow v9 has no variable-length fields: 65535 bytes
				// cannot fit, and the template is refused below.
				minLen += int(f.Length)
			}
			if d.w.version == 9 && f.ID&0x8000 != 0 {
				f.Enterprise = nfv9Vendor // vendor types carry no enterprise number
			}
			fields = append(fields, f)
		}
		if minLen > maxRecordLen {
			d.fail(BadTemplate, "template %d: records of at least %d bytes cannot fit a message", id, minLen)
			continue
		}
		d.sc = d.c.keep(d.sc, d.key, id, &template{fields: fields, minLen: minLen, options: options, seen: d.now}, d.fail)
	}
}

// maxRecordLen is the most a data record can hold: a message of 65,535
// bytes less its header and one set header.
const maxRecordLen = 65535 - headerLen - setHeaderLen

// keep stores template t as id in scope sc (created for key if nil),
// within the limits.
func (c *Collector) keep(sc *scope, key scopeKey, id uint16, t *template, fail func(Problem, string, ...any)) *scope {
	if sc == nil {
		sc = &scope{key: key, templates: map[uint16]*template{}}
		if len(c.scopes) >= c.limits.Sessions {
			c.evict(c.lru.Back().Value.(*scope))
		}
		c.scopes[key] = sc
		sc.elem = c.lru.PushFront(sc)
	}
	old := sc.templates[id]
	if old == nil && len(sc.templates) >= c.limits.TemplatesPerSession {
		fail(TemplateRefused, "template %d: the exporter has %d templates already", id, len(sc.templates))
		return sc
	}
	if old != nil {
		c.drop(sc, id, old)
	}
	c.makeRoom(len(t.fields), sc)
	sc.templates[id] = t
	c.stats.Templates++
	c.stats.Fields += len(t.fields)
	return sc
}

// makeRoom drops the scopes least recently heard from, other than keep,
// until n more fields fit TotalFields.
func (c *Collector) makeRoom(n int, keep *scope) {
	for c.stats.Fields+n > c.limits.TotalFields {
		e := c.lru.Back()
		for e != nil && e.Value.(*scope) == keep {
			e = e.Prev()
		}
		if e == nil {
			return // keep alone holds more: its own limits bound it
		}
		c.evict(e.Value.(*scope))
	}
}

func (c *Collector) evict(sc *scope) {
	for id, t := range sc.templates {
		c.drop(sc, id, t)
	}
	c.lru.Remove(sc.elem)
	delete(c.scopes, sc.key)
	c.stats.Evicted++
}

func (c *Collector) drop(sc *scope, id uint16, t *template) {
	delete(sc.templates, id)
	c.stats.Templates--
	c.stats.Fields -= len(t.fields)
}

func (c *Collector) withdraw(sc *scope, id uint16, all, options bool) {
	for tid, t := range sc.templates {
		if (all && t.options == options) || tid == id {
			c.drop(sc, tid, t)
			c.stats.Withdrawn++
		}
	}
}

// sweep forgets, at most once a second, templates not refreshed within the
// lifetime, and scopes left without templates.
func (c *Collector) sweep(now time.Time) {
	if now.Sub(c.lastSweep) < time.Second {
		return
	}
	c.lastSweep = now
	for _, sc := range c.scopes {
		for id, t := range sc.templates {
			if now.Sub(t.seen) > c.limits.TemplateLifetime {
				c.drop(sc, id, t)
				c.stats.Expired++
			}
		}
		if len(sc.templates) == 0 {
			c.lru.Remove(sc.elem)
			delete(c.scopes, sc.key)
		}
	}
}

// decodeRecord reads one record of the template's fields from b. Every
// field takes at least one byte, so a record is never empty.
func decodeRecord(b []byte, fields []Field, r *Record, uptime func(ms uint32) int64) ([]byte, error) {
	for _, f := range fields {
		n := int(f.Length)
		if f.Length == VarLen {
			if len(b) < 1 {
				return nil, ErrShort
			}
			n, b = int(b[0]), b[1:]
			if n == 255 {
				if len(b) < 2 {
					return nil, ErrShort
				}
				n, b = int(binary.BigEndian.Uint16(b)), b[2:]
			}
		}
		if n > len(b) {
			return nil, ErrShort
		}
		v := b[:n]
		b = b[n:]
		setField(r, f, v, uptime)
	}
	return b, nil
}

func u16s(v []byte) []uint16 {
	out := make([]uint16, len(v)/2)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(v[2*i:])
	}
	return out
}

func beUint(v []byte) uint64 {
	var x uint64
	for _, c := range v {
		x = x<<8 | uint64(c)
	}
	return x
}

func setField(r *Record, f Field, v []byte, uptime func(ms uint32) int64) {
	if f.Enterprise == CiscoPEN {
		switch f.ID {
		case ieIDP:
			r.IDP = append([]byte(nil), v...)
		case ieSPLTLengths:
			r.SPLTLengths = u16s(v)
		case ieSPLTTimes:
			r.SPLTTimes = u16s(v)
		case ieByteDistribution:
			r.ByteDist = append([]byte(nil), v...)
		case ieTLSVersion:
			r.TLSVersion = uint8(beUint(v))
		case ieTLSKeyLength:
			r.TLSKeyLength = uint16(beUint(v))
		case ieTLSCipherSuites:
			r.TLSCipherSuites = u16s(v)
		case ieTLSSessionID:
			r.TLSSessionID = append([]byte(nil), v...)
		case ieTLSRandom:
			r.TLSRandom = append([]byte(nil), v...)
		case ieTLSRecordLengths:
			r.TLSRecordLengths = u16s(v)
		case ieTLSRecordTimes:
			r.TLSRecordTimes = u16s(v)
		}
		return
	}
	if f.Enterprise != 0 {
		return
	}
	switch f.ID {
	case ieSourceIPv4Address:
		if len(v) == 4 {
			copy(r.Src[:4], v)
		}
	case ieDestinationIPv4Address:
		if len(v) == 4 {
			copy(r.Dst[:4], v)
		}
	case ieSourceIPv6Address:
		if len(v) == 16 {
			copy(r.Src[:], v)
			r.V6 = true
		}
	case ieDestinationIPv6Address:
		if len(v) == 16 {
			copy(r.Dst[:], v)
			r.V6 = true
		}
	case ieSourceTransportPort:
		r.Sp = uint16(beUint(v))
	case ieDestinationTransportPort:
		r.Dp = uint16(beUint(v))
	case ieProtocolIdentifier:
		r.Proto = uint8(beUint(v))
	case ieOctetDeltaCount:
		r.Octets = beUint(v)
	case iePacketDeltaCount:
		r.Packets = beUint(v)
	case ieFlowStartMilliseconds:
		// The microsecond element, when the template has it too, wins.
		if len(v) == 8 && r.Start == 0 {
			r.Start = int64(beUint(v)) * 1000
		}
	case ieFlowEndMilliseconds:
		if len(v) == 8 && r.End == 0 {
			r.End = int64(beUint(v)) * 1000
		}
	case ieFlowEndSysUpTime:
		// NetFlow v9 LAST_SWITCHED; an absolute time element wins.
		if uptime != nil && len(v) == 4 && r.End == 0 {
			r.End = uptime(binary.BigEndian.Uint32(v))
		}
	case ieFlowStartSysUpTime:
		if uptime != nil && len(v) == 4 && r.Start == 0 {
			r.Start = uptime(binary.BigEndian.Uint32(v))
		}
	case ieFlowStartMicroseconds:
		if len(v) == 8 {
			r.Start = ntpMicros(v)
		}
	case ieFlowEndMicroseconds:
		if len(v) == 8 {
			r.End = ntpMicros(v)
		}
	}
}
