package pcapfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"

	"github.com/gojoy/libjoy/joy/decode"
)

// pcapng block types read here; every other block is skipped.
const (
	ngSectionHeader = 0x0a0d0d0a
	ngInterface     = 1
	ngPacketOld     = 2 // obsolete packet block
	ngSimplePacket  = 3
	ngEnhanced      = 6
	ngByteOrder     = 0x1a2b3c4d
)

// Interface description options used here.
const (
	optEnd      = 0
	optTSResol  = 9
	optTSOffset = 14
)

// maxInterfaces bounds the interfaces of one section: each costs a little
// memory, and a hostile file could declare millions of tiny ones.
const maxInterfaces = 1 << 16

// ngIface is what a packet needs from its interface description.
type ngIface struct {
	link   decode.LinkType
	snap   uint32
	units  uint64 // timestamp units per second
	offset int64  // seconds added to every timestamp (if_tsoffset)
}

// ngReader reads pcapng block by block from a stream. Nothing it
// allocates depends on a length the file declares beyond maxCaplen: block
// bodies are skipped with Discard, option values are at most 64 KiB.
type ngReader struct {
	br     *bufio.Reader
	order  binary.ByteOrder
	ifaces []ngIface
	hdr    [28]byte
	opt    []byte
	buf    []byte
}

// newNgReader reads the first section header block.
func newNgReader(br *bufio.Reader) (*ngReader, error) {
	r := &ngReader{br: br}
	if _, err := io.ReadFull(br, r.hdr[:8]); err != nil {
		return nil, truncated(err, "section header")
	}
	if err := r.section(); err != nil {
		return nil, err
	}
	return r, nil
}

func truncated(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("truncated pcapng block (%s)", what)
	}
	return err
}

// section reads a section header whose type and length (not yet
// interpreted) are in hdr[:8]: the byte order comes from the body.
func (r *ngReader) section() error {
	if _, err := io.ReadFull(r.br, r.hdr[8:24]); err != nil {
		return truncated(err, "section header")
	}
	switch {
	case binary.LittleEndian.Uint32(r.hdr[8:]) == ngByteOrder:
		r.order = binary.LittleEndian
	case binary.BigEndian.Uint32(r.hdr[8:]) == ngByteOrder:
		r.order = binary.BigEndian
	default:
		return errors.New("pcapng section header: bad byte-order magic")
	}
	length := r.order.Uint32(r.hdr[4:])
	if length < 28 {
		return fmt.Errorf("pcapng section header: invalid block length %d", length)
	}
	if major := r.order.Uint16(r.hdr[12:]); major != 1 {
		return fmt.Errorf("pcapng version %d.%d is not supported", major, r.order.Uint16(r.hdr[14:]))
	}
	// A new section has its own interfaces. Its options are not needed,
	// but walked: one that runs past the block means a damaged file.
	r.ifaces = r.ifaces[:0]
	rest, err := r.options(int64(length)-28, "section header", nil)
	if err != nil {
		return err
	}
	return r.skip(rest+4, "section header")
}

// options walks the options of a block whose body has rest bytes left,
// passing the value of each option in codes to use, and returns what is
// left of the body after the end-of-options marker.
func (r *ngReader) options(rest int64, what string, use func(code uint16, v []byte) error, codes ...uint16) (int64, error) {
	for rest >= 4 {
		if _, err := io.ReadFull(r.br, r.hdr[:4]); err != nil {
			return 0, truncated(err, what)
		}
		rest -= 4
		code, n := r.order.Uint16(r.hdr[0:]), int64(r.order.Uint16(r.hdr[2:]))
		if code == optEnd {
			break
		}
		padded := (n + 3) &^ 3
		if padded > rest {
			return 0, fmt.Errorf("pcapng %s: option %d of %d bytes runs past the block", what, code, n)
		}
		rest -= padded
		if use == nil || !slices.Contains(codes, code) {
			if err := r.skip(padded, what); err != nil {
				return 0, err
			}
			continue
		}
		if cap(r.opt) < int(padded) {
			r.opt = make([]byte, padded)
		}
		v := r.opt[:padded]
		if _, err := io.ReadFull(r.br, v); err != nil {
			return 0, truncated(err, what)
		}
		if err := use(code, v[:n]); err != nil {
			return 0, err
		}
	}
	return rest, nil
}

// skip discards n bytes of the current block.
func (r *ngReader) skip(n int64, what string) error {
	for n > 0 {
		step := int(min(n, 1<<30))
		if _, err := r.br.Discard(step); err != nil {
			return truncated(err, what)
		}
		n -= int64(step)
	}
	return nil
}

// next returns the next packet, reading the blocks before it.
func (r *ngReader) next() (Packet, error) {
	for {
		if _, err := io.ReadFull(r.br, r.hdr[:8]); err != nil {
			if err == io.EOF {
				return Packet{}, io.EOF
			}
			return Packet{}, truncated(err, "block header")
		}
		typ := r.order.Uint32(r.hdr[0:])
		if typ == ngSectionHeader {
			if err := r.section(); err != nil {
				return Packet{}, err
			}
			continue
		}
		length := r.order.Uint32(r.hdr[4:])
		if length < 12 {
			return Packet{}, fmt.Errorf("pcapng block type %#x: invalid block length %d", typ, length)
		}
		// The body, without type, length and the trailing length.
		body := int64(length) - 12
		switch typ {
		case ngInterface:
			if err := r.iface(body); err != nil {
				return Packet{}, err
			}
		case ngEnhanced, ngPacketOld:
			return r.packet(typ, body)
		case ngSimplePacket:
			return r.simple(body)
		default:
			if err := r.skip(body+4, fmt.Sprintf("type %#x", typ)); err != nil {
				return Packet{}, err
			}
		}
	}
}

// iface reads an interface description block.
func (r *ngReader) iface(body int64) error {
	if body < 8 {
		return fmt.Errorf("pcapng interface description: body of %d bytes", body)
	}
	if len(r.ifaces) >= maxInterfaces {
		return fmt.Errorf("pcapng: more than %d interfaces in one section", maxInterfaces)
	}
	if _, err := io.ReadFull(r.br, r.hdr[:8]); err != nil {
		return truncated(err, "interface description")
	}
	in := ngIface{
		link:  decode.LinkType(r.order.Uint16(r.hdr[0:])),
		snap:  r.order.Uint32(r.hdr[4:]),
		units: 1_000_000,
	}
	rest, err := r.options(body-8, "interface description", func(code uint16, v []byte) error {
		switch {
		case code == optTSResol && len(v) >= 1:
			units, err := resolution(v[0])
			if err != nil {
				return err
			}
			in.units = units
		case code == optTSOffset && len(v) >= 8:
			in.offset = int64(r.order.Uint64(v))
		}
		return nil
	}, optTSResol, optTSOffset)
	if err != nil {
		return err
	}
	r.ifaces = append(r.ifaces, in)
	return r.skip(rest+4, "interface description")
}

// resolution turns if_tsresol into timestamp units per second: 10^v, or
// 2^(v&0x7f) when the high bit is set. Units that do not fit in 64 bits
// are refused.
func resolution(v byte) (uint64, error) {
	e := uint(v & 0x7f)
	if v&0x80 != 0 {
		if e > 63 {
			return 0, fmt.Errorf("pcapng: unsupported timestamp resolution 2^-%d", e)
		}
		return 1 << e, nil
	}
	if e > 19 {
		return 0, fmt.Errorf("pcapng: unsupported timestamp resolution 10^-%d", e)
	}
	u := uint64(1)
	for ; e > 0; e-- {
		u *= 10
	}
	return u, nil
}

// micros converts a 64-bit timestamp of interface in to µs since the
// epoch, truncating below the µs.
func (in *ngIface) micros(ts uint64) int64 {
	sec, frac := ts/in.units, ts%in.units
	hi, lo := bits.Mul64(frac, 1_000_000)
	us, _ := bits.Div64(hi, lo, in.units) // frac < units, so no overflow
	return (int64(sec)+in.offset)*1_000_000 + int64(us)
}

// packet reads an enhanced (or obsolete) packet block.
func (r *ngReader) packet(typ uint32, body int64) (Packet, error) {
	if body < 20 {
		return Packet{}, fmt.Errorf("pcapng packet block: body of %d bytes", body)
	}
	if _, err := io.ReadFull(r.br, r.hdr[:20]); err != nil {
		return Packet{}, truncated(err, "packet")
	}
	var id uint32
	if typ == ngEnhanced {
		id = r.order.Uint32(r.hdr[0:])
	} else {
		id = uint32(r.order.Uint16(r.hdr[0:]))
	}
	if id >= uint32(len(r.ifaces)) {
		return Packet{}, fmt.Errorf("pcapng packet block: interface %d not described (the section has %d)", id, len(r.ifaces))
	}
	in := &r.ifaces[id]
	ts := uint64(r.order.Uint32(r.hdr[4:]))<<32 | uint64(r.order.Uint32(r.hdr[8:]))
	caplen := int64(r.order.Uint32(r.hdr[12:]))
	wire := r.order.Uint32(r.hdr[16:])
	if caplen > maxCaplen {
		return Packet{}, fmt.Errorf("pcapng packet block: invalid captured length %d", caplen)
	}
	if caplen > body-20 {
		return Packet{}, fmt.Errorf("pcapng packet block: captured length %d runs past the block", caplen)
	}
	data, err := r.data(int(caplen))
	if err != nil {
		return Packet{}, err
	}
	if err := r.skip(body-20-caplen+4, "packet"); err != nil {
		return Packet{}, err
	}
	return Packet{Data: data, TS: in.micros(ts), Length: int(wire), Link: in.link}, nil
}

// simple reads a simple packet block: interface 0, no timestamp (0, as
// libpcap gives), captured length bounded by the snap length and the
// block.
func (r *ngReader) simple(body int64) (Packet, error) {
	if body < 4 {
		return Packet{}, fmt.Errorf("pcapng simple packet block: body of %d bytes", body)
	}
	if len(r.ifaces) == 0 {
		return Packet{}, errors.New("pcapng simple packet block before any interface description")
	}
	if _, err := io.ReadFull(r.br, r.hdr[:4]); err != nil {
		return Packet{}, truncated(err, "simple packet")
	}
	in := &r.ifaces[0]
	wire := r.order.Uint32(r.hdr[0:])
	caplen := min(int64(wire), body-4)
	if in.snap != 0 {
		caplen = min(caplen, int64(in.snap))
	}
	if caplen > maxCaplen {
		return Packet{}, fmt.Errorf("pcapng simple packet block: invalid captured length %d", caplen)
	}
	data, err := r.data(int(caplen))
	if err != nil {
		return Packet{}, err
	}
	if err := r.skip(body-4-caplen+4, "simple packet"); err != nil {
		return Packet{}, err
	}
	return Packet{Data: data, Length: int(wire), Link: in.link}, nil
}

// data reads n (at most maxCaplen) bytes into the reused packet buffer.
func (r *ngReader) data(n int) ([]byte, error) {
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	// Capacity n: nothing downstream can read or append past the packet
	// into bytes of earlier ones.
	d := r.buf[:n:n]
	if _, err := io.ReadFull(r.br, d); err != nil {
		return nil, truncated(err, "packet")
	}
	return d, nil
}
