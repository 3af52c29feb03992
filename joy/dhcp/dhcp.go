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

// Reset implements feature.Resetter, keeping the buffer's capacity.
func (s *State) Reset() { *s = State{data: feature.Reuse(s.data), addr: s.addr} }

// State is the module's state for one direction of a flow: the kept
// messages (at most maxKept bytes of each), back to back in data.
type State struct {
	n    int
	end  [MaxMessages]int32
	data []byte
	addr AddrFunc
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
}

func (s *State) message(i int) []byte {
	start := int32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.data[start:s.end[i]]
}

// AppendJSON implements feature.Module. Only this side's messages are
// printed.
func (s *State) AppendJSON(b []byte, twin feature.Module) []byte {
	b = append(b, `,"dhcp":[`...)
	for i := 0; i < s.n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		w := walker{m: s.message(i)}
		b = w.appendMessage(b, s.addr)
	}
	return append(b, ']')
}

// Option codes with special handling.
const (
	optPad     = 0
	optMsgType = 53
	optEnd     = 255
)

// walker prints one kept message. Reads beyond it yield zero (where the
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

func (w *walker) appendMessage(b []byte, addr AddrFunc) []byte {
	m := w.m
	b = appendNum(b, `{"op":"`, uint64(m[0]))
	b = appendNum(b, `","htype":"`, uint64(m[1]))
	b = appendNum(b, `","hlen":"`, uint64(m[2]))
	b = appendNum(b, `","hops":"`, uint64(m[3]))
	b = appendNum(b, `","xid":"`, uint64(binary.BigEndian.Uint32(m[4:])))
	b = appendNum(b, `","secs":"`, uint64(binary.BigEndian.Uint16(m[8:])))
	b = appendNum(b, `","flags":"`, uint64(binary.BigEndian.Uint16(m[10:])))
	b = appendAddr(b, `","ciaddr":"`, m[12:], addr)
	b = appendAddr(b, `","yiaddr":"`, m[16:], addr)
	b = appendAddr(b, `","siaddr":"`, m[20:], addr)
	b = appendAddr(b, `","giaddr":"`, m[24:], addr)
	b = append(b, `","chaddr":"`...)
	b = jsonw.Hex(b, m[28:44])
	b = append(b, '"')
	if sname := m[44:108]; sname[0] != 0 {
		b = append(b, `,"sname":"`...)
		b = jsonw.Sanitized(b, sname)
		b = append(b, '"')
	}
	if file := m[108:236]; file[0] != 0 {
		b = append(b, `,"file":"`...)
		b = jsonw.Sanitized(b, file)
		b = append(b, '"')
	}
	b = w.appendOptions(b)
	return append(b, '}')
}

// appendOptions walks the option area as the original does and appends
// `,"options":[…]` when it holds any option.
func (w *walker) appendOptions(b []byte) []byte {
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
		if n == 0 {
			b = append(b, `,"options":[`...)
		} else {
			b = append(b, ',')
		}
		n++
		name := optionNames[code]
		switch {
		case name == "":
			b = append(b, `{"kind":`...)
			b = jsonw.Uint(b, uint64(code))
			if ln > 0 {
				b = append(b, `,"data":"`...)
				b = w.appendHexAt(b, val, ln)
				b = append(b, '"')
			}
			b = append(b, '}')
		case code == optMsgType && ln > 0 && int(w.at(val)) < len(msgTypes) && msgTypes[w.at(val)] != "":
			b = append(b, `{"`...)
			b = append(b, name...)
			b = append(b, `":"`...)
			b = append(b, msgTypes[w.at(val)]...)
			b = append(b, `"}`...)
		case code == optMsgType || ln == 0:
			b = append(b, `{}`...) // QUIRK-42: the original printed only `}`
		default:
			b = append(b, `{"`...)
			b = append(b, name...)
			b = append(b, `":"`...)
			b = w.appendHexAt(b, val, ln)
			b = append(b, `"}`...)
		}
	}
	if n > 0 {
		b = append(b, ']')
	}
	return b
}

// appendHexAt appends n bytes from i in hex, bytes beyond the message as
// 00.
func (w *walker) appendHexAt(b []byte, i, n int) []byte {
	m := w.m
	if n > 0 && i+n > len(m) {
		w.beyond = true
	}
	if i < len(m) {
		k := min(n, len(m)-i)
		b = jsonw.Hex(b, m[i:i+k])
		n -= k
	}
	for ; n > 0; n-- {
		b = append(b, '0', '0')
	}
	return b
}

func appendNum(b []byte, key string, v uint64) []byte {
	b = append(b, key...)
	return jsonw.Uint(b, v)
}

func appendAddr(b []byte, key string, p []byte, addr AddrFunc) []byte {
	b = append(b, key...)
	a := [4]byte(p[:4])
	if addr != nil {
		return addr(b, a)
	}
	return netip.AddrFrom4(a).AppendTo(b)
}
