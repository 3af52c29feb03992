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

// Reset implements feature.Resetter, keeping the buffer's capacity.
func (s *State) Reset() { *s = State{data: feature.Reuse(s.data), addr: s.addr} }

// State is the module's state for one direction of a flow: the kept
// payloads, back to back in data, payload i being data[end[i-1]:end[i]].
type State struct {
	n    int
	end  [MaxPackets]int32
	data []byte
	addr AddrFunc
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if len(payload) < MinLen || s.n >= MaxPackets {
		return
	}
	s.data = append(s.data, payload...)
	s.end[s.n] = int32(len(s.data))
	s.n++
}

// packet returns kept payload i.
func (s *State) packet(i int) []byte {
	start := int32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.data[start:s.end[i]]
}

// AppendJSON implements feature.Module. With a twin (bidirectional flow)
// only the twin's payloads are printed – the answers when this side asked
// the questions; otherwise this side's own.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte {
	src := s
	if t, ok := twin.(*State); ok && t != nil {
		src = t
	}
	b = append(b, `,"dns":[`...)
	for i := 0; i < src.n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		x := parser{p: src.packet(i)}
		b = x.appendPacket(b, s.addr)
	}
	return append(b, ']')
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

// appendName appends the decoded name (without its leading dot) as a JSON
// string, escaping what would break it.
func (x *parser) appendName(b []byte) []byte {
	n := x.nbuf[:x.nlen]
	if len(n) > 0 {
		n = n[1:]
	}
	b = append(b, '"')
	for _, c := range n {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// appendPacket appends the payload (at least MinLen bytes) as a JSON
// object.
func (x *parser) appendPacket(b []byte, addr AddrFunc) []byte {
	p := x.p
	flags := binary.BigEndian.Uint16(p[2:])
	qd := int(binary.BigEndian.Uint16(p[4:]))
	an := int(binary.BigEndian.Uint16(p[6:]))
	pos, ln := 12, len(p)-12
	b = append(b, '{')
	if qd > 1 {
		b = appendMalformed(b, ln)
		b = append(b, `,"DEBUG": "qdcount=`...)
		b = jsonw.Uint(b, uint64(qd))
		b = append(b, `; err=`...)
		b = jsonw.Uint(b, errTooMany)
		return append(b, `"}`...)
	}
	if qd == 1 {
		if e := x.readName(&pos, &ln); e != 0 {
			b = appendMalformed(b, ln)
			b = append(b, `,"DEBUG": "question name err=`...)
			return appendErrLen(b, e, ln)
		}
		if ln < 4 {
			b = appendMalformed(b, ln)
			b = append(b, `,"DEBUG": "question err=`...)
			return appendErrLen(b, errMalformed, ln)
		}
		pos += 4
		ln -= 4
		if flags&0x8000 == 0 {
			b = append(b, `"qn":`...)
		} else {
			b = append(b, `"rn":`...)
		}
		b = x.appendName(b)
		b = append(b, ',')
	}
	b = append(b, `"rc":`...)
	b = jsonw.Uint(b, uint64(flags&0xf))
	b = append(b, `,"rr":[`...)
	for i := 0; an > 0; i++ {
		an--
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		start := pos
		if e := x.readName(&pos, &ln); e != 0 {
			b = appendMalformed(b, ln)
			b = append(b, `,"DEBUG": "rr name ancount=`...)
			b = jsonw.Uint(b, uint64(an))
			b = append(b, `; err=`...)
			b = jsonw.Uint(b, uint64(e))
			b = append(b, `; len=`...)
			b = jsonw.Int(b, int64(ln))
			b = append(b, `; data=0x`...)
			for k := 0; k < 4; k++ {
				c := x.at(start + k)
				if c >= 0x80 { // printed from a signed char widened to int
					b = append(b, "ffffff"...)
				}
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			return append(b, `"}]}`...)
		}
		if ln < 10 {
			b = appendMalformed(b, ln)
			return appendRRErr(b, an, errMalformed, ln)
		}
		typ, class := x.u16(pos), x.u16(pos+2)
		ttl := x.u32(pos + 4)
		rdlen := int(x.u16(pos + 8))
		if rdlen > ln-10 {
			b = appendMalformed(b, ln)
			return appendRRErr(b, an, errRdataTooLong, ln)
		}
		pos += 10
		ln -= 10
		switch {
		case class == classIN && typ == typeA:
			b = append(b, `"a":"`...)
			a := [4]byte{x.at(pos), x.at(pos + 1), x.at(pos + 2), x.at(pos + 3)}
			if addr != nil {
				b = addr(b, a)
			} else {
				b = netip.AddrFrom4(a).AppendTo(b)
			}
			b = append(b, '"')
			pos += rdlen
		case class == classIN && (typ == typeCNAME || typ == typePTR || typ == typeSOA):
			left := rdlen
			if e := x.readName(&pos, &left); e != 0 {
				b = appendMalformed(b, ln)
				return append(b, "}]}"...)
			}
			switch typ {
			case typeCNAME:
				b = append(b, `"cname":`...)
			case typePTR:
				b = append(b, `"ptr":`...)
			default:
				b = append(b, `"soa":`...)
			}
			b = x.appendName(b)
			ln -= left
		case class == classIN && typ == typeTXT:
			b = append(b, `"txt":"NYI"`...)
		default:
			b = append(b, `"type":"`...)
			b = appendHex(b, uint64(typ))
			b = append(b, `","class":"`...)
			b = appendHex(b, uint64(class))
			b = append(b, `","rdlength":`...)
			b = jsonw.Uint(b, uint64(rdlen>>8|(rdlen&0xff)<<8))
			pos += rdlen
		}
		b = append(b, `,"ttl":`...)
		b = jsonw.Uint(b, uint64(ttl))
		b = append(b, '}')
	}
	return append(b, "]}"...)
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

func appendMalformed(b []byte, ln int) []byte {
	b = append(b, `"malformed":`...)
	return jsonw.Int(b, int64(ln))
}

// appendErrLen ends a question error: `E; len=L"}`.
func appendErrLen(b []byte, e, ln int) []byte {
	b = jsonw.Uint(b, uint64(e))
	b = append(b, `; len=`...)
	b = jsonw.Int(b, int64(ln))
	return append(b, `"}`...)
}

// appendRRErr ends an answer-header error and the packet.
func appendRRErr(b []byte, an, e, ln int) []byte {
	b = append(b, `,"DEBUG": "rr ancount=`...)
	b = jsonw.Uint(b, uint64(an))
	b = append(b, `; err=`...)
	b = jsonw.Uint(b, uint64(e))
	b = append(b, `; len=`...)
	b = jsonw.Int(b, int64(ln))
	return append(b, `"}]}`...)
}

const hexDigits = "0123456789abcdef"

// appendHex appends v as C's %x.
func appendHex(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 16) }
