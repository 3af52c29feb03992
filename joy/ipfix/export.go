package ipfix

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// Defaults of the exporter.
const (
	// DefaultPort is the IANA port for IPFIX.
	DefaultPort = 4739
	// DefaultMaxMessage keeps a message, with its IP and UDP headers, below
	// a 1500-byte path MTU for IPv4 and IPv6 alike.
	DefaultMaxMessage = 1400
	// DefaultTemplateRefresh is how often templates are sent again over
	// UDP, where a collector may have missed them (RFC 7011 §8.4).
	DefaultTemplateRefresh = 60 * time.Second
)

const (
	headerLen    = 16
	setHeaderLen = 4
	templateSet  = 2
	// optionsTemplateSet carries options templates (RFC 7011 §3.4.2); the
	// exporter sends none, the collector reads past their records.
	optionsTemplateSet = 3
)

// Stats are an exporter's counters.
type Stats struct {
	Messages  uint64 // messages sent
	Records   uint64 // data records sent
	Trimmed   uint64 // records whose largest fields were dropped to fit a message
	Errors    uint64 // failed sends
	LastError error
}

// Exporter builds IPFIX messages and writes each one with a single Write
// (one UDP datagram), in the caller's goroutine or, with
// Options.Background, in a goroutine of its own. It is not safe for
// concurrent use.
type Exporter struct {
	w               io.Writer
	snd             *sender // nil: messages are written by Add and Flush
	cur             *batch  // with snd: the finished messages not handed over yet
	domain          uint32
	max             int
	refresh         time.Duration
	templates       map[uint16][]Field
	templateSetData []byte

	msg          []byte
	setOff       int    // offset of the open data set's header, or -1
	setID        uint16 // its template id
	msgRecords   uint32
	seq          uint32 // data records sent before the current message
	lastTemplate time.Time
	sentTemplate bool
	opened       time.Time // when the pending message got its first record
	recordLimit  int       // the largest record a message holds
	trim         Record    // a record being trimmed
	stats        Stats
}

// Options tune an exporter; zero values mean the defaults.
type Options struct {
	ObservationDomain uint32
	MaxMessage        int
	TemplateRefresh   time.Duration
	// Background hands finished messages, in batches, to a goroutine that
	// writes them (with one sendmmsg per batch on a Linux UDP socket), so
	// building records overlaps with the network stack's work. When the
	// writer falls behind, Add waits: nothing is dropped. Sync waits until
	// everything is written; Close must be called before the writer is
	// closed.
	Background bool
}

// NewExporter returns an exporter writing messages to w.
func NewExporter(w io.Writer, o Options) *Exporter {
	if o.MaxMessage <= 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.MaxMessage < 512 {
		o.MaxMessage = 512
	}
	if o.TemplateRefresh <= 0 {
		o.TemplateRefresh = DefaultTemplateRefresh
	}
	e := &Exporter{w: w, domain: o.ObservationDomain, max: o.MaxMessage, refresh: o.TemplateRefresh,
		templates: Templates(), setOff: -1, msg: make([]byte, 0, o.MaxMessage)}
	e.templateSetData = appendTemplateSet(nil, e.templates)
	e.recordLimit = e.max - headerLen - setHeaderLen
	if o.Background {
		e.snd = newSender(w, o.MaxMessage)
		e.cur = <-e.snd.free
		e.msg = nil
	}
	return e
}

// Dial returns an exporter sending UDP datagrams to host:port from an
// ephemeral local port.
func Dial(host string, port int, o Options) (*Exporter, net.Conn, error) {
	if port <= 0 {
		port = DefaultPort
	}
	conn, err := net.Dial("udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, nil, fmt.Errorf("IPFIX collector %s port %d: %w", host, port, err)
	}
	return NewExporter(conn, o), conn, nil
}

// Stats returns the exporter's counters. With Options.Background, the
// sent and failed counts are those of the messages written so far (all of
// them after Sync).
func (e *Exporter) Stats() Stats {
	st := e.stats
	if e.snd != nil {
		e.snd.stats(&st)
	}
	return st
}

func appendTemplateSet(b []byte, t map[uint16][]Field) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, templateSet)
	b = append(b, 0, 0)
	for _, id := range []uint16{TemplateIPv4, TemplateIPv6} {
		fields := t[id]
		b = binary.BigEndian.AppendUint16(b, id)
		b = binary.BigEndian.AppendUint16(b, uint16(len(fields)))
		for _, f := range fields {
			if f.Enterprise != 0 {
				b = binary.BigEndian.AppendUint16(b, f.ID|0x8000)
				b = binary.BigEndian.AppendUint16(b, f.Length)
				b = binary.BigEndian.AppendUint32(b, f.Enterprise)
			} else {
				b = binary.BigEndian.AppendUint16(b, f.ID)
				b = binary.BigEndian.AppendUint16(b, f.Length)
			}
		}
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

// startMessage opens a message for a record of size bytes, with the
// templates when they are due. When the record does not fit beside the
// templates, they go first in a message of their own.
func (e *Exporter) startMessage(size int) error {
	t := now()
	if e.sentTemplate && t.Sub(e.lastTemplate) < e.refresh {
		e.openMessage(t)
		return nil
	}
	e.sentTemplate = true
	e.lastTemplate = t
	e.openMessage(t)
	e.msg = append(e.msg, e.templateSetData...)
	if len(e.msg)+setHeaderLen+size <= e.max {
		return nil
	}
	err := e.endMessage()
	e.openMessage(t)
	return err
}

// openMessage starts an empty message (a header to be filled in).
func (e *Exporter) openMessage(t time.Time) {
	if e.snd != nil {
		e.msg = e.cur.bufs[e.cur.n]
	}
	e.msg = append(e.msg[:0], make([]byte, headerLen)...)
	e.setOff = -1
	e.msgRecords = 0
	e.opened = t
}

// trimSteps are the fields a record too large for any message loses, in
// this order, until it fits.
var trimSteps = [...]func(*Record){
	func(r *Record) { r.IDP = nil },
	func(r *Record) { r.ByteDist = nil },
	func(r *Record) { r.TLSCipherSuites, r.TLSRecordLengths, r.TLSRecordTimes = nil, nil, nil },
	func(r *Record) { r.SPLTLengths, r.SPLTTimes = nil, nil },
}

// Add encodes r into the current message, sending the message first when
// r does not fit. A record too large for a message (header, set header and
// the record: up to 1380 bytes by default) loses its largest fields (IDP,
// then byte distribution, then TLS arrays, then packet lengths and times)
// and is counted in Stats.Trimmed. The record is encoded in place, without
// a copy.
func (e *Exporter) Add(r *Record) error {
	id := uint16(TemplateIPv4)
	if r.V6 {
		id = TemplateIPv6
	}
	size := recordSize(r)
	if size > e.recordLimit {
		// A copy in the exporter (a local would escape to the heap),
		// cleared below so it keeps no caller's arrays.
		e.trim = *r
		for _, drop := range trimSteps {
			drop(&e.trim)
			if size = recordSize(&e.trim); size <= e.recordLimit {
				break
			}
		}
		r = &e.trim
		e.stats.Trimmed++
		defer func() { e.trim = Record{} }()
	}
	var err error
	if e.msgRecords > 0 {
		need := size
		if e.setOff < 0 || e.setID != id {
			need += setHeaderLen
		}
		if len(e.msg)+need > e.max {
			err = e.endMessage()
		}
	}
	if e.msgRecords == 0 {
		if serr := e.startMessage(size); err == nil {
			err = serr
		}
	}
	if e.setOff < 0 || e.setID != id {
		e.closeSet()
		e.setOff = len(e.msg)
		e.setID = id
		e.msg = binary.BigEndian.AppendUint16(e.msg, id)
		e.msg = append(e.msg, 0, 0)
	}
	e.msg = encodeRecord(e.msg, r)
	e.msgRecords++
	return err
}

// Pending returns the number of records in the message not sent yet and
// when that message was opened.
func (e *Exporter) Pending() (int, time.Time) {
	return int(e.msgRecords), e.opened
}

// FlushOlder sends the pending message when it was opened at least age
// before t; a fuller message is sent by Add as soon as the next record
// does not fit.
func (e *Exporter) FlushOlder(t time.Time, age time.Duration) error {
	if e.msgRecords == 0 || t.Sub(e.opened) < age {
		return nil
	}
	return e.Flush()
}

func (e *Exporter) closeSet() {
	if e.setOff >= 0 {
		binary.BigEndian.PutUint16(e.msg[e.setOff+2:], uint16(len(e.msg)-e.setOff))
		e.setOff = -1
	}
}

// Flush sends the pending message, if it holds any record. With
// Options.Background it hands the finished messages to the writing
// goroutine and returns the first error of earlier writes not returned
// yet; Sync waits for the writes.
func (e *Exporter) Flush() error {
	var err error
	if e.msgRecords > 0 {
		err = e.endMessage()
	}
	if e.snd != nil {
		if e.cur.n > 0 {
			e.handOff()
		}
		if err == nil {
			err = e.snd.takeErr()
		}
	}
	return err
}

// endMessage completes the pending message and writes it, or with a
// background writer adds it to the batch, handing the batch over when full.
func (e *Exporter) endMessage() error {
	e.closeSet()
	h := e.msg[:headerLen]
	binary.BigEndian.PutUint16(h[0:], 10)
	binary.BigEndian.PutUint16(h[2:], uint16(len(e.msg)))
	binary.BigEndian.PutUint32(h[4:], uint32(now().Unix()))
	binary.BigEndian.PutUint32(h[8:], e.seq)
	binary.BigEndian.PutUint32(h[12:], e.domain)
	n := e.msgRecords
	e.msgRecords = 0
	// The sequence number counts records handed to the transport, sent or
	// not, so a collector can tell how many it missed.
	e.seq += n
	if e.snd != nil {
		b := e.cur
		b.bufs[b.n] = e.msg
		b.recs[b.n] = n
		b.n++
		e.msg = nil
		if b.n == len(b.bufs) {
			e.handOff()
		}
		return e.snd.takeErr()
	}
	_, err := e.w.Write(e.msg)
	e.msg = e.msg[:0]
	if err != nil {
		e.stats.Errors++
		e.stats.LastError = err
		return err
	}
	e.stats.Messages++
	e.stats.Records += uint64(n)
	return nil
}

// handOff gives the batch to the writing goroutine and takes an empty one,
// waiting for it when every batch is being written.
func (e *Exporter) handOff() {
	e.snd.pending.Add(1)
	e.snd.full <- e.cur
	e.cur = <-e.snd.free
}

// Sync sends the pending message and, with Options.Background, waits until
// every message has been written.
func (e *Exporter) Sync() error {
	err := e.Flush()
	if e.snd != nil {
		e.snd.pending.Wait()
		if err == nil {
			err = e.snd.takeErr()
		}
	}
	return err
}

// Close sends what is pending and, with Options.Background, waits for the
// writes and stops the writing goroutine. It does not close the writer.
// The exporter must not be used afterwards.
func (e *Exporter) Close() error {
	err := e.Sync()
	if e.snd != nil {
		close(e.snd.full)
		<-e.snd.done
		e.snd.stats(&e.stats)
		e.snd, e.cur = nil, nil
	}
	return err
}

// ErrShort is returned for a message or set that ends early.
var ErrShort = errors.New("ipfix: message too short")

func varSize(n int) int {
	if n < 255 {
		return n + 1
	}
	return n + 3
}

// recordSize is the encoded size of r (encodeRecord).
func recordSize(r *Record) int {
	n := 4 + 4 + 2 + 2 + 1 + 8 + 8 + 8 + 8 + 8 + 8 + 1 + 2
	if r.V6 {
		n += 2 * 12
	}
	return n + varSize(len(r.IDP)) + varSize(2*len(r.SPLTLengths)) + varSize(2*len(r.SPLTTimes)) +
		varSize(len(r.ByteDist)) + varSize(2*len(r.TLSCipherSuites)) + varSize(len(r.TLSSessionID)) +
		varSize(len(r.TLSRandom)) + varSize(2*len(r.TLSRecordLengths)) + varSize(2*len(r.TLSRecordTimes))
}

func appendVar(b, v []byte) []byte {
	if len(v) < 255 {
		b = append(b, byte(len(v)))
	} else {
		b = append(b, 255)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	}
	return append(b, v...)
}

func appendVar16(b []byte, v []uint16) []byte {
	n := 2 * len(v)
	if n < 255 {
		b = append(b, byte(n))
	} else {
		b = append(b, 255)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	}
	for _, x := range v {
		b = binary.BigEndian.AppendUint16(b, x)
	}
	return b
}

// encodeRecord appends r in template order.
func encodeRecord(b []byte, r *Record) []byte {
	if r.V6 {
		b = append(b, r.Src[:]...)
		b = append(b, r.Dst[:]...)
	} else {
		b = append(b, r.Src[:4]...)
		b = append(b, r.Dst[:4]...)
	}
	b = binary.BigEndian.AppendUint16(b, r.Sp)
	b = binary.BigEndian.AppendUint16(b, r.Dp)
	b = append(b, r.Proto)
	b = binary.BigEndian.AppendUint64(b, r.Octets)
	b = binary.BigEndian.AppendUint64(b, r.Packets)
	b = binary.BigEndian.AppendUint64(b, millis(r.Start))
	b = binary.BigEndian.AppendUint64(b, millis(r.End))
	var t [8]byte
	putNTPMicros(t[:], r.Start)
	b = append(b, t[:]...)
	putNTPMicros(t[:], r.End)
	b = append(b, t[:]...)
	b = appendVar(b, r.IDP)
	b = appendVar16(b, r.SPLTLengths)
	b = appendVar16(b, r.SPLTTimes)
	b = appendVar(b, r.ByteDist)
	b = append(b, r.TLSVersion)
	b = binary.BigEndian.AppendUint16(b, r.TLSKeyLength)
	b = appendVar16(b, r.TLSCipherSuites)
	b = appendVar(b, r.TLSSessionID)
	b = appendVar(b, r.TLSRandom)
	b = appendVar16(b, r.TLSRecordLengths)
	return appendVar16(b, r.TLSRecordTimes)
}
