// Package dns is Joy's DNS metadata module: it observes the payloads of one
// direction of a flow and writes the record's "dns" member.
//
// The module keeps the first MaxPackets payloads of at least MinLen bytes
// verbatim and parses them only when the flow is printed. With a twin
// (bidirectional flow) only the twin's payloads are printed, otherwise the
// side's own. The parser is the original's (spec §6.3), quirks included:
//
//   - names follow compression pointers; label bytes that are not
//     printable ASCII print as '*';
//   - a name's terminating zero byte is skipped but not deducted from the
//     running "remaining length" (len); the data of A and other types is
//     not deducted at all, and a CNAME/PTR/SOA name deducts only what its
//     own parse left of rdlength (QUIRK-40), so the printed "malformed"
//     and len numbers follow that arithmetic and the parser may believe
//     in bytes beyond the end of the payload;
//   - TXT prints "NYI" without skipping its data and SOA skips only its
//     first name (QUIRK-38), so later answers misparse as in the original;
//   - rdlength of other types is printed byte-swapped (QUIRK-39);
//   - entries are kept contiguously, so the comma logic of the
//     bidirectional print (QUIRK-34) always yields a proper list.
//
// Deliberate differences, all to keep every line valid JSON and every read
// inside the payload (each has a test):
//
//   - QUIRK-36: '"' and '\' in names are escaped (the original printed
//     them raw).
//   - QUIRK-37: the original printed `{,"rc"…` for QDCOUNT 0 and stray
//     brackets after question errors (`…"}]}` and `…"]}]`); we print the
//     same members without the stray characters: `{"rc"…`,
//     `{"malformed":N,"DEBUG": "question name err=E; len=L"}` and
//     `{"malformed":N,"DEBUG": "question err=E; len=L"}`.
//   - QUIRK-35: compression pointers are followed at most MaxPointers
//     times per name and a name stops growing at MaxName bytes; either
//     ends the name as unterminated (err=9). The original recursed until
//     its stack overflowed on pointer loops.
//   - QUIRK-40: where the original's arithmetic makes it read past the
//     stored payload (it then read whatever followed its copy in memory),
//     bytes beyond the payload read as zero.
package dns

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/record"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "dns",
	Accepts: func(f feature.Flow) bool { return f.Proto == 17 && (f.App == 53 || f.Sp == 53 || f.Dp == 53) },
	New:     func(cfg *config.Config) feature.Module { return &State{addr: addrFormatter(cfg)} },
	NewPool: func(cfg *config.Config) feature.Pool {
		addr := addrFormatter(cfg)
		return feature.FreeList(func() feature.Resetter { return &State{addr: addr} }, maxFreeStates)
	},
}

// Limits of the module.
const (
	// MaxPackets is how many payloads a direction keeps.
	MaxPackets = 50
	// MinLen is the shortest payload kept: a header and one more byte.
	MinLen = 13
	// MaxName bounds a printed name (bytes, dots included).
	MaxName = 256
	// MaxPointers bounds how many compression pointers one name may follow.
	MaxPointers = 64
)

// AddrFunc appends the JSON string body (no quotes) for an IPv4 address
// found in an A record. It is the hook for address anonymization; nil
// prints the address dotted.
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
		data:  feature.Reuse(s.data),
		names: feature.Reuse(s.names),
		text:  s.text[:0],
		msgs:  reuse(s.msgs, maxReusedMsgs),
		rrs:   reuse(s.rrs, maxReusedRRs),
		addr:  s.addr,
	}
}

// Bounds on the parsed facts a reset state keeps for reuse.
const (
	maxReusedMsgs = MaxPackets
	maxReusedRRs  = 1024
)

func reuse[T any](l []T, max int) []T {
	if cap(l) > max {
		return nil
	}
	return l[:0]
}

// State is the module's state for one direction of a flow: the kept
// payloads, back to back in data, payload i being data[end[i-1]:end[i]],
// and, once parsed (when the flow is printed), their facts.
type State struct {
	n    int
	end  [MaxPackets]int32
	data []byte
	addr AddrFunc

	// The payloads' facts, parsed once when first needed: a message per
	// payload, its answers in rrs, the decoded names in names.
	parsed bool
	msgs   []message
	rrs    []answer
	names  []byte
	text   []byte // scratch for a DEBUG text or an address while emitting
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if len(payload) < MinLen || s.n >= MaxPackets {
		return
	}
	s.data = append(s.data, payload...)
	s.end[s.n] = int32(len(s.data))
	s.n++
	s.parsed = false
}

// packet returns kept payload i.
func (s *State) packet(i int) []byte {
	start := int32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.data[start:s.end[i]]
}

// parse parses the kept payloads into s.msgs once.
func (s *State) parse() {
	if s.parsed {
		return
	}
	s.msgs, s.rrs, s.names = s.msgs[:0], s.rrs[:0], s.names[:0]
	for i := 0; i < s.n; i++ {
		x := parser{p: s.packet(i)}
		x.parsePacket(s)
	}
	s.parsed = true
}

// Emit implements feature.Module. With a twin (bidirectional flow) only
// the twin's payloads are printed – the answers when this side asked the
// questions; otherwise this side's own.
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	src := s
	if t, ok := twin.(*State); ok && t != nil {
		src = t
	}
	src.parse()
	e.List("dns")
	for i := range src.msgs {
		s.emitMessage(e, src, &src.msgs[i])
	}
	e.End()
}

// Error numbers printed in DEBUG members, as the original numbers them.
const (
	errLabelTooLong  = 2 // a label longer than the remaining length
	errMalformed     = 4 // fewer bytes left than a fixed part needs
	errLabelReserved = 5 // a length byte with top bits 01 or 10
	errTooMany       = 8 // QDCOUNT above one
	errUnterminated  = 9 // the remaining length ran out inside a name
	errRdataTooLong  = 10
)

// parser walks one payload. Reads beyond the payload yield zero (where
// the original read whatever followed its copy in memory) and are noted.
type parser struct {
	p      []byte
	beyond bool // a read fell beyond the payload
	// The name being decoded is nbuf[:nlen], with a leading '.'.
	nlen int
	nbuf [MaxName]byte
}

func (x *parser) at(i int) byte {
	if i >= 0 && i < len(x.p) {
		return x.p[i]
	}
	x.beyond = true
	return 0
}

func (x *parser) u16(i int) uint16 { return uint16(x.at(i))<<8 | uint16(x.at(i+1)) }

func (x *parser) u32(i int) uint32 { return uint32(x.u16(i))<<16 | uint32(x.u16(i+2)) }

// readName decodes the name at *pos with *ln bytes believed to remain,
// advancing both as the original does, and leaves the text in x.nbuf.
//
// The original recursed into compression pointers; this loop does the
// same walk: at a pointer the name's own position and length advance past
// the pointer's two bytes, and the walk continues at the target with the
// length believed to remain from there to the end of the message. Only
// the name's own part moves *pos and *ln.
func (x *parser) readName(pos, ln *int) int {
	x.nlen = 0
	p, l := *pos, *ln
	top := true // still in the name's own part
	for depth := 0; l > 0 && x.nlen < MaxName; {
		c := x.at(p)
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				// The terminating zero is skipped but not deducted.
				p++
				if top {
					*pos, *ln = p, l
				}
				return 0
			}
			if int(c) >= l {
				if top {
					*pos, *ln = p, l
				}
				return errLabelTooLong
			}
			x.nbuf[x.nlen] = '.'
			x.nlen++
			for i := 1; i <= int(c) && x.nlen < MaxName; i++ {
				ch := x.at(p + i)
				if ch < 0x20 || ch > 0x7e {
					ch = '*'
				}
				x.nbuf[x.nlen] = ch
				x.nlen++
			}
			l -= int(c) + 1
			p += int(c) + 1
		case 0xc0:
			off := int(c&0x3f)<<8 | int(x.at(p+1))
			total := p + l
			if top {
				*pos, *ln = p+2, l-2
				top = false
			}
			if depth >= MaxPointers {
				return errUnterminated
			}
			depth++
			p, l = off, total-off
		default:
			if top {
				*pos, *ln = p, l
			}
			return errLabelReserved
		}
	}
	if top {
		*pos, *ln = p, l
	}
	return errUnterminated
}

// span is a part of a State's names.
type span struct{ off, n int32 }

// keepName copies the decoded name (without its leading dot) to s.names.
func (x *parser) keepName(s *State) span {
	n := x.nbuf[:x.nlen]
	if len(n) > 0 {
		n = n[1:]
	}
	off := len(s.names)
	s.names = append(s.names, n...)
	return span{int32(off), int32(len(n))}
}

// message is what one payload says, as printed: either a failure of its
// header or question part, or its question and answers.
type message struct {
	fail      uint8  // failNone, or what ended the message early
	err       uint8  // the error number of a failure
	question  uint8  // qNone, qQuery ("qn") or qResponse ("rn")
	rc        uint8  // the response code
	qd        uint16 // QDCOUNT, for failQDCount
	malformed int32  // the length believed to remain at a failure
	name      span   // the question's name
	rr, nrr   int32  // its answers, s.rrs[rr:rr+nrr]
}

// failures of the header and question part
const (
	failNone     = iota
	failQDCount  // QDCOUNT above one
	failQName    // the question's name
	failQuestion // the question's type and class
)

// questions
const (
	qNone = iota
	qQuery
	qResponse
)

// answer is one resource record as printed. A failure ends its message.
type answer struct {
	kind       uint8
	err        uint8  // the error number of a failure
	an         uint16 // ANCOUNT left, for failures
	typ, class uint16
	rdlen      uint16 // rdlength as printed, byte-swapped (QUIRK-39)
	ttl        uint32
	ln         int32   // the length believed to remain, for failures
	data       [4]byte // an A record's address, or the first bytes of a bad name
	name       span    // a CNAME, PTR or SOA name
}

// kinds of answers
const (
	rrA = iota
	rrCNAME
	rrPTR
	rrSOA
	rrTXT
	rrOther
	rrNameFail   // the answer's own name
	rrHeaderFail // type, class, TTL and rdlength (err 4), or rdlength (err 10)
	rrTargetFail // the name of a CNAME, PTR or SOA
)

// parsePacket parses the payload (at least MinLen bytes) into a message
// of s, the original's walk and arithmetic.
func (x *parser) parsePacket(s *State) {
	p := x.p
	flags := binary.BigEndian.Uint16(p[2:])
	qd := int(binary.BigEndian.Uint16(p[4:]))
	an := int(binary.BigEndian.Uint16(p[6:]))
	pos, ln := 12, len(p)-12
	s.msgs = append(s.msgs, message{rr: int32(len(s.rrs))})
	m := &s.msgs[len(s.msgs)-1]
	if qd > 1 {
		m.fail, m.err, m.qd, m.malformed = failQDCount, errTooMany, uint16(qd), int32(ln)
		return
	}
	if qd == 1 {
		if e := x.readName(&pos, &ln); e != 0 {
			m.fail, m.err, m.malformed = failQName, uint8(e), int32(ln)
			return
		}
		if ln < 4 {
			m.fail, m.err, m.malformed = failQuestion, errMalformed, int32(ln)
			return
		}
		pos += 4
		ln -= 4
		m.question = qQuery
		if flags&0x8000 != 0 {
			m.question = qResponse
		}
		m.name = x.keepName(s)
	}
	m.rc = uint8(flags & 0xf)
	for an > 0 {
		an--
		m.nrr++
		s.rrs = append(s.rrs, answer{an: uint16(an)})
		r := &s.rrs[len(s.rrs)-1]
		start := pos
		if e := x.readName(&pos, &ln); e != 0 {
			r.kind, r.err, r.ln = rrNameFail, uint8(e), int32(ln)
			for k := range r.data {
				r.data[k] = x.at(start + k)
			}
			return
		}
		if ln < 10 {
			r.kind, r.err, r.ln = rrHeaderFail, errMalformed, int32(ln)
			return
		}
		typ, class := x.u16(pos), x.u16(pos+2)
		r.ttl = x.u32(pos + 4)
		rdlen := int(x.u16(pos + 8))
		if rdlen > ln-10 {
			r.kind, r.err, r.ln = rrHeaderFail, errRdataTooLong, int32(ln)
			return
		}
		pos += 10
		ln -= 10
		switch {
		case class == classIN && typ == typeA:
			r.kind = rrA
			r.data = [4]byte{x.at(pos), x.at(pos + 1), x.at(pos + 2), x.at(pos + 3)}
			pos += rdlen
		case class == classIN && (typ == typeCNAME || typ == typePTR || typ == typeSOA):
			left := rdlen
			if e := x.readName(&pos, &left); e != 0 {
				r.kind, r.ln = rrTargetFail, int32(ln)
				return
			}
			switch typ {
			case typeCNAME:
				r.kind = rrCNAME
			case typePTR:
				r.kind = rrPTR
			default:
				r.kind = rrSOA
			}
			r.name = x.keepName(s)
			ln -= left
		case class == classIN && typ == typeTXT:
			r.kind = rrTXT
		default:
			r.kind, r.typ, r.class = rrOther, typ, class
			r.rdlen = uint16(rdlen>>8 | (rdlen&0xff)<<8)
			pos += rdlen
		}
	}
}

// emitMessage emits message m of src; s gives the address formatter and
// the scratch text.
func (s *State) emitMessage(e *record.Enc, src *State, m *message) {
	e.Object("")
	switch m.fail {
	case failQDCount:
		e.Int("malformed", int64(m.malformed))
		t := append(s.text[:0], ` "qdcount=`...)
		t = jsonw.Uint(t, uint64(m.qd))
		t = append(t, `; err=`...)
		t = jsonw.Uint(t, uint64(m.err))
		s.debug(e, append(t, '"'))
	case failQName, failQuestion:
		e.Int("malformed", int64(m.malformed))
		t := append(s.text[:0], ` "question name err=`...)
		if m.fail == failQuestion {
			t = append(s.text[:0], ` "question err=`...)
		}
		t = jsonw.Uint(t, uint64(m.err))
		t = append(t, `; len=`...)
		t = jsonw.Int(t, int64(m.malformed))
		s.debug(e, append(t, '"'))
	default:
		switch m.question {
		case qQuery:
			e.Text("qn", src.name(m.name))
		case qResponse:
			e.Text("rn", src.name(m.name))
		}
		e.Uint("rc", uint64(m.rc))
		e.List("rr")
		for i := range src.rrs[m.rr : m.rr+m.nrr] {
			s.emitAnswer(e, src, &src.rrs[int(m.rr)+i])
		}
		e.End()
	}
	e.End()
}

// debug emits the DEBUG member, whose text t holds the value with the
// original's space after the colon.
func (s *State) debug(e *record.Enc, t []byte) {
	s.text = t
	e.Raw("DEBUG", t)
}

func (s *State) name(n span) []byte { return s.names[n.off : n.off+n.n] }

// emitAnswer emits answer r of src.
func (s *State) emitAnswer(e *record.Enc, src *State, r *answer) {
	e.Object("")
	switch r.kind {
	case rrNameFail:
		e.Int("malformed", int64(r.ln))
		t := append(s.text[:0], ` "rr name ancount=`...)
		t = jsonw.Uint(t, uint64(r.an))
		t = append(t, `; err=`...)
		t = jsonw.Uint(t, uint64(r.err))
		t = append(t, `; len=`...)
		t = jsonw.Int(t, int64(r.ln))
		t = append(t, `; data=0x`...)
		for _, c := range r.data {
			if c >= 0x80 { // printed from a signed char widened to int
				t = append(t, "ffffff"...)
			}
			t = append(t, hexDigits[c>>4], hexDigits[c&0xf])
		}
		s.debug(e, append(t, '"'))
		e.End()
		return
	case rrHeaderFail:
		e.Int("malformed", int64(r.ln))
		t := append(s.text[:0], ` "rr ancount=`...)
		t = jsonw.Uint(t, uint64(r.an))
		t = append(t, `; err=`...)
		t = jsonw.Uint(t, uint64(r.err))
		t = append(t, `; len=`...)
		t = jsonw.Int(t, int64(r.ln))
		s.debug(e, append(t, '"'))
		e.End()
		return
	case rrTargetFail:
		e.Int("malformed", int64(r.ln))
		e.End()
		return
	case rrA:
		if s.addr != nil {
			s.text = s.addr(s.text[:0], r.data)
		} else {
			s.text = netip.AddrFrom4(r.data).AppendTo(s.text[:0])
		}
		e.Text("a", s.text)
	case rrCNAME:
		e.Text("cname", src.name(r.name))
	case rrPTR:
		e.Text("ptr", src.name(r.name))
	case rrSOA:
		e.Text("soa", src.name(r.name))
	case rrTXT:
		e.String("txt", "NYI")
	default:
		s.text = appendHex(s.text[:0], uint64(r.typ))
		n := len(s.text)
		s.text = appendHex(s.text, uint64(r.class))
		e.Text("type", s.text[:n])
		e.Text("class", s.text[n:])
		e.Uint("rdlength", uint64(r.rdlen))
	}
	e.Uint("ttl", uint64(r.ttl))
	e.End()
}

// RR types and class the parser knows.
const (
	classIN   = 1
	typeA     = 1
	typeCNAME = 5
	typeSOA   = 6
	typePTR   = 12
	typeTXT   = 16
)

const hexDigits = "0123456789abcdef"

// appendHex appends v as C's %x.
func appendHex(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 16) }
