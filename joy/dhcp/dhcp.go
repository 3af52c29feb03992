// Package dhcp is Joy's DHCP metadata module: it observes the payloads of one
// direction of a flow and writes the record's "dhcp" member.
//
// Each payload is a BOOTP message: the 236-byte fixed part, the magic
// cookie 63 82 53 63, then options up to the end option (255). A direction
// keeps its first MaxMessages messages with a good cookie; only the
// printed side's own messages are printed (the twin's are ignored), as in
// the original (spec §6.4). The option walk skips pads (0) and stops at
// the end option, after MaxOptions options, or once MaxOptBytes bytes of
// the option area (pads, codes, lengths and values) have been walked; how
// the original counted toward its 512-byte limit is not visible in the
// reference outputs, this is our reading.
//
// Deliberate differences from the original, each to keep every line valid
// JSON and every read inside the payload (see the package tests):
//
//   - QUIRK-41: the original read the fixed part and the cookie without a
//     length check; a payload shorter than 240 bytes is treated as a bad
//     cookie here (no message). The original also logged ERR "bad magic
//     cookie" for a mismatch; the module interface has no logger, so
//     nothing is logged.
//   - Option bytes beyond the payload (an option whose length runs past
//     the end, or a message without an end option) read as zero, where
//     the original read whatever followed the payload in memory; zeros are
//     pad options, so the option walk then ends at its byte limit.
//   - QUIRK-42: a known option without a value (length 0, or a message
//     type outside 1–18) printed a lone `}`; we print `{}`.
//   - sname and file are read within their 64 and 128 bytes.
package dhcp

import (
	"encoding/binary"
	"net/netip"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/record"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name: "dhcp",
	Accepts: func(f feature.Flow) bool {
		return f.Proto == 17 && (f.App == 68 || (f.Sp == 68 && f.Dp == 67) || (f.Sp == 67 && f.Dp == 68))
	},
	New: func(cfg *config.Config) feature.Module { return &State{addr: addrFormatter(cfg)} },
	NewPool: func(cfg *config.Config) feature.Pool {
		addr := addrFormatter(cfg)
		return feature.FreeList(func() feature.Resetter { return &State{addr: addr} }, maxFreeStates)
	},
}

// Limits of the module, as in the original.
const (
	MaxMessages = 16  // messages kept per direction
	MaxOptions  = 16  // options kept per message
	MaxOptBytes = 512 // option bytes walked per message (pads included)

	fixedLen  = 236 // op … file
	cookieLen = 4
	// MinLen is the shortest payload parsed: fixed part and cookie.
	MinLen = fixedLen + cookieLen
	// maxKept is how much of a payload the option walk can reach: an
	// option may start at byte MaxOptBytes-1 of the option area and be
	// 2+255 bytes long.
	maxKept = MinLen + MaxOptBytes - 1 + 2 + 255
)

// AddrFunc appends the JSON string body (no quotes) for an IPv4 address
// (ciaddr, yiaddr, siaddr, giaddr). It is the hook for address
// anonymization; nil prints the address dotted.
type AddrFunc func(b []byte, a [4]byte) []byte

// addrFormatter returns the address formatter the configuration asks for:
// addresses inside the anonymized subnets print anonymized. The subnets
// are read when the flow is printed, so later configuration applies.
func addrFormatter(cfg *config.Config) AddrFunc {
	if cfg == nil {
		return nil
	}
	return func(b []byte, a [4]byte) []byte {
		return cfg.AnonAddrs.AppendText(b, netip.AddrFrom4(a))
	}
}

// maxFreeStates is how many states a table keeps for reuse.
const maxFreeStates = 64

// Reset implements feature.Resetter, keeping the buffers' capacity.
func (s *State) Reset() {
	*s = State{
		data: feature.Reuse(s.data), vals: feature.Reuse(s.vals), text: s.text[:0],
		msgs: s.msgs[:0], opts: s.opts[:0], addr: s.addr,
	}
}

// State is the module's state for one direction of a flow: the kept
// messages (at most maxKept bytes of each), back to back in data, and,
// once parsed (when the flow is printed), their facts.
type State struct {
	n    int
	end  [MaxMessages]int32
	data []byte
	addr AddrFunc

	parsed bool
	msgs   []message
	opts   []option
	vals   []byte // sname, file and the options' values of msgs
	text   []byte // scratch while emitting
}

var cookie = [cookieLen]byte{0x63, 0x82, 0x53, 0x63}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if s.n >= MaxMessages {
		return
	}
	if len(payload) < MinLen || [cookieLen]byte(payload[fixedLen:MinLen]) != cookie {
		return // bad magic cookie: the message is discarded
	}
	if len(payload) > maxKept {
		payload = payload[:maxKept]
	}
	s.data = append(s.data, payload...)
	s.end[s.n] = int32(len(s.data))
	s.n++
	s.parsed = false
}

func (s *State) message(i int) []byte {
	start := int32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.data[start:s.end[i]]
}

// parse parses the kept messages into s.msgs once.
func (s *State) parse() {
	if s.parsed {
		return
	}
	s.msgs, s.opts, s.vals = s.msgs[:0], s.opts[:0], s.vals[:0]
	for i := 0; i < s.n; i++ {
		w := walker{m: s.message(i)}
		w.parse(s)
	}
	s.parsed = true
}

// Emit implements feature.Module. Only this side's messages are printed.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	s.parse()
	e.List("dhcp")
	for i := range s.msgs {
		s.emitMessage(e, &s.msgs[i])
	}
	e.End()
}

// Option codes with special handling.
const (
	optPad     = 0
	optMsgType = 53
	optEnd     = 255
)

// span is a part of a State's vals.
type span struct{ off, n int32 }

// message is what a kept message says, as printed.
type message struct {
	op, htype, hlen, hops uint8
	secs, flags           uint16
	xid                   uint32
	ciaddr, yiaddr        [4]byte
	siaddr, giaddr        [4]byte
	chaddr                [16]byte
	sname, file           span // sanitized; empty: not printed
	opt, nopts            int  // its options, s.opts[opt:opt+nopts]
}

// option is one option as printed.
type option struct {
	kind uint8 // optUnknown, optType, optEmpty or optValue
	code uint8
	val  span // the value (bytes beyond the message as zeros)
}

// kinds of options
const (
	optUnknown = iota // a code without a name: {"kind":code,"data":"<hex>"}
	optType           // a message type with a name: {"msg_type":"<name>"}
	optEmpty          // no value (QUIRK-42): {}
	optValue          // {"<name>":"<hex>"}
)

// walker parses one kept message. Reads beyond it yield zero (where the
// original read whatever followed the payload in memory) and are noted.
type walker struct {
	m      []byte
	beyond bool
}

func (w *walker) at(i int) byte {
	if i < len(w.m) {
		return w.m[i]
	}
	w.beyond = true
	return 0
}

// parse parses the message into s.msgs, its options into s.opts.
func (w *walker) parse(s *State) {
	b := w.m
	s.msgs = append(s.msgs, message{})
	m := &s.msgs[len(s.msgs)-1]
	m.op, m.htype, m.hlen, m.hops = b[0], b[1], b[2], b[3]
	m.xid = binary.BigEndian.Uint32(b[4:])
	m.secs = binary.BigEndian.Uint16(b[8:])
	m.flags = binary.BigEndian.Uint16(b[10:])
	m.ciaddr, m.yiaddr = [4]byte(b[12:16]), [4]byte(b[16:20])
	m.siaddr, m.giaddr = [4]byte(b[20:24]), [4]byte(b[24:28])
	m.chaddr = [16]byte(b[28:44])
	m.sname, m.file = span{}, span{}
	if sname := b[44:108]; sname[0] != 0 {
		m.sname = s.keep(jsonw.Sanitized, sname)
	}
	if file := b[108:236]; file[0] != 0 {
		m.file = s.keep(jsonw.Sanitized, file)
	}
	m.opt = len(s.opts)
	m.nopts = w.options(s)
}

// keep appends f(p) to s.vals.
func (s *State) keep(f func(b, p []byte) []byte, p []byte) span {
	off := len(s.vals)
	s.vals = f(s.vals, p)
	return span{int32(off), int32(len(s.vals) - off)}
}

// options walks the option area as the original does, appends its
// options to s.opts and returns how many it holds.
func (w *walker) options(s *State) int {
	pos, used, n := MinLen, 0, 0
	for used < MaxOptBytes && n < MaxOptions {
		code := w.at(pos)
		if code == optEnd {
			break
		}
		if code == optPad {
			pos++
			used++
			continue
		}
		ln := int(w.at(pos + 1))
		val := pos + 2
		pos += 2 + ln
		used += 2 + ln
		s.opts = append(s.opts, option{code: code})
		o := &s.opts[len(s.opts)-1]
		n++
		name := optionNames[code]
		switch {
		case name == "":
			o.kind = optUnknown
			o.val = w.keepAt(s, val, ln)
		case code == optMsgType && ln > 0 && int(w.at(val)) < len(msgTypes) && msgTypes[w.at(val)] != "":
			o.kind = optType
			o.val = w.keepAt(s, val, 1)
		case code == optMsgType || ln == 0:
			o.kind = optEmpty // QUIRK-42: the original printed only `}`
		default:
			o.kind = optValue
			o.val = w.keepAt(s, val, ln)
		}
	}
	return n
}

// keepAt appends n bytes from i to s.vals, bytes beyond the message as 0.
func (w *walker) keepAt(s *State, i, n int) span {
	m := w.m
	off := len(s.vals)
	if n > 0 && i+n > len(m) {
		w.beyond = true
	}
	if i < len(m) {
		k := min(n, len(m)-i)
		s.vals = append(s.vals, m[i:i+k]...)
		n -= k
	}
	for ; n > 0; n-- {
		s.vals = append(s.vals, 0)
	}
	return span{int32(off), int32(len(s.vals) - off)}
}

func (s *State) val(v span) []byte { return s.vals[v.off : v.off+v.n] }

// emitMessage emits m.
func (s *State) emitMessage(e *record.Enc, m *message) {
	e.Object("")
	s.num(e, "op", uint64(m.op))
	s.num(e, "htype", uint64(m.htype))
	s.num(e, "hlen", uint64(m.hlen))
	s.num(e, "hops", uint64(m.hops))
	s.num(e, "xid", uint64(m.xid))
	s.num(e, "secs", uint64(m.secs))
	s.num(e, "flags", uint64(m.flags))
	s.ipv4(e, "ciaddr", m.ciaddr)
	s.ipv4(e, "yiaddr", m.yiaddr)
	s.ipv4(e, "siaddr", m.siaddr)
	s.ipv4(e, "giaddr", m.giaddr)
	e.Hex("chaddr", m.chaddr[:])
	if m.sname.n > 0 {
		e.Text("sname", s.val(m.sname))
	}
	if m.file.n > 0 {
		e.Text("file", s.val(m.file))
	}
	if m.nopts > 0 {
		e.List("options")
		for i := range s.opts[m.opt : m.opt+m.nopts] {
			o := &s.opts[m.opt+i]
			e.Object("")
			switch o.kind {
			case optUnknown:
				e.Uint("kind", uint64(o.code))
				if o.val.n > 0 {
					e.Hex("data", s.val(o.val))
				}
			case optType:
				e.String(optionNames[o.code], msgTypes[s.val(o.val)[0]])
			case optValue:
				e.Hex(optionNames[o.code], s.val(o.val))
			}
			e.End()
		}
		e.End()
	}
	e.End()
}

// num emits v as a string of decimal digits, as the original prints the
// fixed fields.
func (s *State) num(e *record.Enc, name string, v uint64) {
	s.text = jsonw.Uint(s.text[:0], v)
	e.Text(name, s.text)
}

// ipv4 emits an address, anonymized when the configuration says so.
func (s *State) ipv4(e *record.Enc, name string, a [4]byte) {
	if s.addr != nil {
		s.text = s.addr(s.text[:0], a)
	} else {
		s.text = netip.AddrFrom4(a).AppendTo(s.text[:0])
	}
	e.Text(name, s.text)
}
