// Package ssh is Joy's SSH metadata module: it observes the payloads of one
// direction of a flow and writes the record's "ssh" member.
//
// Each direction's unencrypted bytes are read up to NEWKEYS: the version
// banner, the first KEXINIT (cookie and the ten name-lists) and the first
// two key-exchange messages (codes 30–49). When the flow is printed, the
// negotiated key-exchange algorithm is computed from both sides' lists and
// the kept key-exchange messages are decoded according to its family.
// The original's oddities are reproduced: the negotiated algorithm is
// computed as the original's in-place tokenization makes it (QUIRK-45),
// and a cookie whose first byte is zero is not printed (QUIRK-46).
//
// The original writes "ERROR: wanted <u>, only have <u>" to stderr when a
// string field does not fit its message; this module prints nothing (a
// module has no diagnostic channel), the field is simply left out as in
// the original.
package ssh

import (
	"bytes"
	"encoding/binary"

	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/feature"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/record"
)

// Kind registers the module with the flow table.
var Kind = feature.Kind{
	Name:    "ssh",
	Accepts: func(f feature.Flow) bool { return f.Proto == 6 && (f.App == 22 || f.Sp == 22 || f.Dp == 22) },
	New:     func(cfg *config.Config) feature.Module { return new(State) },
	NewPool: func(*config.Config) feature.Pool {
		return feature.FreeList(func() feature.Resetter { return new(State) }, maxFreeStates)
	},
}

const (
	// maxProtocol is the number of banner characters kept, as the
	// behaviour specification states. (A banner of 512 or more printable
	// characters may make the original write past its 512-byte array and
	// print the following memory; we print 511 characters.)
	maxProtocol = 511
	maxString   = 512   // longest name-list or algorithm name accepted
	maxPayload  = 32768 // longest packet (packet_length) accepted
	maxKexMsgs  = 2     // key-exchange messages kept
	numLists    = 10
	hdrLen      = 6 // packet_length, padding_length, message code

	msgKexinit = 20
	msgNewkeys = 21
)

// phases of one direction's parse
const (
	phSearch  = iota // looking for "SSH-"
	phBanner         // banner found, looking for the end of its line
	phPackets        // reading binary packets
	phDead           // nothing more can ever be parsed (newkeys excepted)
)

// names of the KEXINIT name-lists, in message order
var listNames = [numLists]string{
	"kex_algos", "s_host_key_algos", "c_encryption_algos", "s_encryption_algos",
	"c_mac_algos", "s_mac_algos", "c_comp_algos", "s_comp_algos", "c_languages", "s_languages",
}

type kexMsg struct {
	code byte
	data []byte
}

// State is the module's state for one direction of a flow.
type State struct {
	phase       uint8
	protoDone   bool // the banner text can grow no more
	newkeys     bool
	protoLen    int
	protocol    [maxProtocol]byte
	cookie      [16]byte
	lists       [numLists][]byte
	kex         [maxKexMsgs]kexMsg
	numKex      int
	unencrypted int32 // the original's C int
	// client is set once the banner line was read: the original then
	// calls this side the client (whichever side it is) and prints it.
	client bool
	// tail holds, while searching for the banner, the last bytes seen
	// that the search has not tested yet.
	tail    [3]byte
	tailLen int
	// buf holds the bytes of an incomplete packet.
	buf []byte
}

// maxFreeStates is how many states a table keeps for reuse.
const maxFreeStates = 64

// Reset implements feature.Resetter, keeping the buffers' capacity.
func (s *State) Reset() {
	old := *s
	*s = State{buf: feature.Reuse(old.buf)}
	for i := range old.lists {
		s.lists[i] = feature.Reuse(old.lists[i])
	}
	for i := range old.kex {
		s.kex[i].data = feature.Reuse(old.kex[i].data)
	}
}

// Observe implements feature.Module.
func (s *State) Observe(payload []byte, ts int64) {
	if len(payload) == 0 || s.newkeys {
		return
	}
	s.unencrypted++
	switch s.phase {
	case phSearch:
		s.search(payload)
	case phBanner:
		s.banner(payload)
	case phPackets:
		s.buf = append(s.buf, payload...)
		s.packets()
	}
}

// printable reports whether the original copies c into a string: printable
// ASCII other than the quote and the backslash.
func printable(c byte) bool { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' }

// search looks for the banner. The original searches its whole buffer
// from the start on every payload, stopping at the first zero byte; so a
// zero byte before any "SSH-" ends the search for good, and only the last
// three bytes (which the search has not yet been able to test) need to be
// kept between payloads.
func (s *State) search(p []byte) {
	if s.tailLen > 0 {
		// A match or zero byte starting in the kept tail is tested on
		// the tail followed by the first bytes of p.
		var w [6]byte
		n := copy(w[:], s.tail[:s.tailLen])
		n += copy(w[n:], p)
		if i := find(w[:n]); i >= 0 && i < s.tailLen {
			if w[i] == 0 {
				s.phase = phDead
				return
			}
			s.phase = phBanner
			s.banner(w[i:s.tailLen]) // part of "SSH-": cannot end the line
			s.banner(p)
			return
		}
	}
	i := find(p)
	switch {
	case i < 0:
		// keep the last three bytes of tail+p
		if len(p) >= 3 {
			s.tailLen = copy(s.tail[:], p[len(p)-3:])
		} else {
			var w [6]byte
			n := copy(w[:], s.tail[:s.tailLen])
			n += copy(w[n:], p)
			s.tailLen = copy(s.tail[:], w[max(0, n-3):n])
		}
	case p[i] == 0:
		s.phase = phDead
	default:
		s.phase = phBanner
		s.banner(p[i:])
	}
}

// find returns the index of the first "SSH-" or of the first zero byte,
// whichever comes first, or -1. Like the original it does not look at
// positions less than four bytes from the end.
func find(p []byte) int {
	for i := 0; i+4 <= len(p); i++ {
		if p[i] == 0 {
			return i
		}
		if p[i] == 'S' && p[i+1] == 'S' && p[i+2] == 'H' && p[i+3] == '-' {
			return i
		}
	}
	return -1
}

// banner extends the protocol text with p and looks for the line feed
// that ends the banner line. The original re-reads the banner from its
// start on every payload; reading it incrementally gives the same text.
// The line ends at the first LF; a zero byte before it means it never
// will (the original's search stops there).
func (s *State) banner(p []byte) {
	if !s.protoDone {
		for _, c := range p {
			if !printable(c) || s.protoLen == maxProtocol {
				s.protoDone = true
				break
			}
			s.protocol[s.protoLen] = c
			s.protoLen++
		}
	}
	for i, c := range p {
		switch c {
		case '\n':
			s.client = true
			s.phase = phPackets
			s.buf = append(s.buf[:0], p[i+1:]...)
			s.packets()
			return
		case 0:
			s.phase = phDead
			return
		}
	}
}

// packets parses the complete binary packets at the start of buf and keeps
// the rest.
func (s *State) packets() {
	b := s.buf
	for len(b) > 0 {
		if len(b) < hdrLen {
			break
		}
		plen := binary.BigEndian.Uint32(b)
		pad := uint32(b[4])
		code := b[5]
		if plen > maxPayload || plen-pad > maxPayload || plen == pad {
			// This header can never parse; the original keeps it at
			// the start of its buffer for good.
			// The buffer's capacity is kept for the state's reuse.
			s.phase, s.buf = phDead, s.buf[:0]
			return
		}
		total := int(plen) + 4
		if total > len(b) {
			break
		}
		// The original hands on packet_length − padding_length bytes
		// from the byte after the message code: two bytes more than the
		// payload holds. They are read from the buffer when it has them
		// (the original reads past its buffer otherwise).
		body := b[hdrLen:min(len(b), hdrLen+int(plen-pad))]
		switch {
		case code == msgKexinit:
			s.kexinit(body)
		case code == msgNewkeys:
			s.newkeys = true
		case code >= 30 && code <= 49:
			if s.numKex < maxKexMsgs {
				k := &s.kex[s.numKex]
				k.code, k.data = code, append(k.data[:0], body...)
				s.numKex++
			}
		}
		b = b[total:]
	}
	if s.newkeys {
		// Nothing is parsed after NEWKEYS; the buffer's capacity is
		// kept for the state's reuse (a pooled state otherwise grows a
		// new one for every flow).
		s.buf = s.buf[:0]
		return
	}
	s.buf = append(s.buf[:0], b...)
}

// vector reads an SSH string (uint32 length, then the bytes) of at most
// limit bytes from the start of p.
func vector(p []byte, limit int) (v, rest []byte, ok bool) {
	if len(p) < 4 {
		return nil, p, false
	}
	n := binary.BigEndian.Uint32(p)
	if uint64(n) > uint64(len(p)-4) || n > uint32(limit) {
		return nil, p, false
	}
	return p[4 : 4+n], p[4+n:], true
}

// kexinit reads the cookie and the name-lists of a KEXINIT, unless a
// previous one gave a non-empty kex_algos list. A list that does not fit
// ends the parse; the lists read so far are kept.
func (s *State) kexinit(p []byte) {
	if len(s.lists[0]) != 0 || len(p) < 16 {
		return
	}
	copy(s.cookie[:], p)
	p = p[16:]
	for i := range s.lists {
		v, rest, ok := vector(p, maxString)
		if !ok {
			return
		}
		s.lists[i] = append(s.lists[i][:0], v...)
		p = rest
	}
}

// printed returns the part of p the original prints as a string: up to
// the first byte that is not printable ASCII, a quote or a backslash.
func printed(p []byte) []byte { return p[:jsonw.PlainLen(p)] }

// nextToken returns the first comma-separated, non-empty token of p and
// what follows it (strtok semantics).
func nextToken(p []byte) (tok, rest []byte) {
	i := 0
	for i < len(p) && p[i] == ',' {
		i++
	}
	p = p[i:]
	if j := bytes.IndexByte(p, ','); j >= 0 {
		return p[:j], p[j+1:]
	}
	return p, nil
}

// negotiated returns the key-exchange algorithm the original reports: the
// first client algorithm is looked up in the whole server list, every
// later one is only compared with the server's first algorithm, because
// the original's second and later passes over its destructively
// tokenized copy of the server list see only that first entry
// (QUIRK-45). It returns "" when nothing matches.
func negotiated(cli, srv []byte) []byte {
	c, s := printed(cli), printed(srv)
	first, _ := nextToken(s)
	pass := 0
	for rest := c; ; pass++ {
		var tok []byte
		tok, rest = nextToken(rest)
		if len(tok) == 0 {
			return nil
		}
		if pass == 0 {
			for r := s; ; {
				var st []byte
				st, r = nextToken(r)
				if len(st) == 0 {
					break
				}
				if bytes.Equal(st, tok) {
					return tok
				}
			}
		} else if len(first) > 0 && bytes.Equal(first, tok) {
			return tok
		}
	}
}

// exchange is what the print-time decoding of the key-exchange messages
// yields.
type exchange struct {
	algo                                   []byte
	cKex                                   []byte
	hostKey, hostKeyType, sKex, sig, sigTy []byte
	gexP, gexG                             []byte
}

// reply decodes K_S, the server's exchange value and the signature of a
// (EC)DH or group-exchange reply, stopping at the first field that does
// not fit.
func (x *exchange) reply(p []byte) {
	var ok bool
	if x.hostKey, p, ok = vector(p, maxPayload); !ok {
		return
	}
	if x.hostKeyType, _, ok = vector(x.hostKey, maxString); !ok {
		return
	}
	if x.sKex, p, ok = vector(p, maxPayload); !ok {
		return
	}
	if x.sig, _, ok = vector(p, maxPayload); !ok {
		return
	}
	x.sigTy, _, _ = vector(x.sig, maxString)
}

func (s *State) msg(i int, code byte) []byte {
	if s.numKex > i && s.kex[i].code == code {
		return s.kex[i].data
	}
	return nil
}

func (s *State) hasMsg(i int, code byte) bool { return s.numKex > i && s.kex[i].code == code }

// key-exchange families, recognised as the original does by a substring
// of the negotiated algorithm's name
const (
	famNone = iota
	famGEX
	famDH
	famRSA
)

var families = []struct {
	sub    []byte
	family int
}{
	{[]byte("diffie-hellman-group-exchange-sha1"), famGEX},
	{[]byte("diffie-hellman-group-exchange-sha256"), famGEX},
	{[]byte("diffie-hellman-group1-sha1"), famDH},
	{[]byte("diffie-hellman-group14-sha1"), famDH},
	{[]byte("ecdh-sha2-"), famDH},
	{[]byte("ecmqv-sha2-"), famDH},
	{[]byte("curve25519-sha256"), famDH},
	{[]byte("gss-group1-sha1-"), famNone}, // GSS exchanges are not decoded
	{[]byte("gss-group14-sha1-"), famNone},
	{[]byte("gss-gex-sha1-"), famNone},
	{[]byte("rsa1024-sha1"), famRSA},
	{[]byte("rsa2048-sha256"), famRSA},
}

func family(algo []byte) int {
	for _, f := range families {
		if bytes.Contains(algo, f.sub) {
			return f.family
		}
	}
	return famNone
}

// process computes, as the original does when it prints, the negotiated
// algorithm and the key-exchange values of the client side cli and the
// server side srv.
func process(cli, srv *State) (x exchange) {
	x.algo = negotiated(cli.lists[0], srv.lists[0])
	switch family(x.algo) {
	case famGEX:
		// The client's request (code 34, or 30 in the old format) only
		// carries group sizes, which are not printed.
		if srv.hasMsg(0, 31) {
			if p, rest, ok := vector(srv.msg(0, 31), maxPayload); ok {
				x.gexP = p
				x.gexG, _, _ = vector(rest, maxPayload)
			}
		}
		if cli.hasMsg(1, 32) {
			x.cKex, _, _ = vector(cli.msg(1, 32), maxPayload)
		}
		if srv.hasMsg(1, 33) {
			x.reply(srv.msg(1, 33))
		}
	case famDH:
		if cli.hasMsg(0, 30) {
			x.cKex, _, _ = vector(cli.msg(0, 30), maxPayload)
		}
		if srv.hasMsg(0, 31) {
			x.reply(srv.msg(0, 31))
		}
	case famRSA:
		if srv.hasMsg(0, 30) {
			var ok bool
			p := srv.msg(0, 30)
			if x.hostKey, p, ok = vector(p, maxPayload); ok {
				if x.hostKeyType, _, ok = vector(x.hostKey, maxString); ok {
					x.sKex, _, _ = vector(p, maxPayload)
				}
			}
		}
		if cli.hasMsg(0, 31) {
			x.cKex, _, _ = vector(cli.msg(0, 31), maxPayload)
		}
		if srv.hasMsg(1, 32) {
			var ok bool
			if x.sig, _, ok = vector(srv.msg(1, 32), maxPayload); ok {
				x.sigTy, _, _ = vector(x.sig, maxString)
			}
		}
	}
	return x
}

// Emit implements feature.Module. Nothing is printed unless this side's
// banner was seen; this side is printed as "cli" and the twin, if any, as
// "srv".
func (s *State) Emit(e *record.Enc, twin feature.Module) {
	if !s.client {
		return
	}
	srv, _ := twin.(*State)
	var x exchange
	if srv != nil {
		x = process(s, srv)
	}
	e.Object("ssh")
	e.Object("cli")
	s.emitCommon(e)
	if srv != nil {
		e.Text("kex_algo", x.algo)
	}
	if len(x.cKex) > 0 {
		e.Hex("c_kex", x.cKex)
	}
	s.emitTail(e)
	if srv != nil {
		e.Object("srv")
		srv.emitCommon(e)
		if len(x.hostKey) > 0 {
			e.Text("s_hostkey_type", printed(x.hostKeyType))
			e.Hex("s_hostkey", x.hostKey)
		}
		if len(x.sig) > 0 {
			e.Text("s_signature_type", printed(x.sigTy))
			e.Hex("s_signature", x.sig)
		}
		e.Text("kex_algo", x.algo)
		if len(x.sKex) > 0 {
			e.Hex("s_kex", x.sKex)
		}
		if len(x.gexP) > 0 && len(x.gexG) > 0 {
			e.Hex("s_gex_p", x.gexP)
			e.Hex("s_gex_g", x.gexG)
		}
		srv.emitTail(e)
	}
	e.End()
}

// emitCommon emits the protocol, the cookie and the name-lists (printable
// ASCII without quotes or backslashes, which the encoder leaves as they
// are).
func (s *State) emitCommon(e *record.Enc) {
	e.Text("protocol", s.protocol[:s.protoLen])
	if s.cookie[0] != 0 { // QUIRK-46
		e.Hex("cookie", s.cookie[:])
	}
	for i, l := range s.lists {
		e.Text(listNames[i], printed(l))
	}
}

// emitTail emits newkeys and unencrypted and ends the object.
func (s *State) emitTail(e *record.Enc) {
	if s.newkeys {
		e.String("newkeys", "true")
	} else {
		e.String("newkeys", "false")
	}
	e.Int("unencrypted", int64(s.unencrypted))
	e.End()
}
