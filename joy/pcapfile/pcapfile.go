// Package pcapfile reads capture files for the joy command and the tests:
// classic pcap (either byte order, µs or ns timestamps) and pcapng (either
// byte order, several sections and interfaces with their own link types
// and timestamp resolutions), chosen by the file's magic number, not its
// name. Memory stays bounded whatever lengths a file declares.
package pcapfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gojoy/libjoy/joy/decode"
)

// maxCaplen bounds one record's captured length; anything larger is a
// corrupt file rather than a packet.
const maxCaplen = 1 << 20

// Packet is one captured frame. Data is valid until the next call to Next.
type Packet struct {
	Data   []byte
	TS     int64 // µs since the epoch
	Length int   // length on the wire
	Link   decode.LinkType
}

// Reader reads packets from a capture.
type Reader struct {
	br     *bufio.Reader
	order  binary.ByteOrder
	nanos  bool
	link   decode.LinkType
	hdr    [16]byte
	buf    []byte
	ng     *ngReader
	closer io.Closer
}

// Open opens a capture file.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a capture from r.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("not a capture file: %w", err)
	}
	rd := &Reader{br: br, buf: make([]byte, 65536)}
	switch binary.LittleEndian.Uint32(magic) {
	case ngSectionHeader: // the same in both byte orders
		ng, err := newNgReader(br)
		if err != nil {
			return nil, err
		}
		rd.ng = ng
		return rd, nil
	case 0xa1b2c3d4, 0xa1b2cd34:
		rd.order = binary.LittleEndian
	case 0xa1b23c4d:
		rd.order, rd.nanos = binary.LittleEndian, true
	case 0xd4c3b2a1, 0x34cdb2a1:
		rd.order = binary.BigEndian
	case 0x4d3cb2a1:
		rd.order, rd.nanos = binary.BigEndian, true
	default:
		return nil, errors.New("not a pcap or pcapng file (unknown magic number)")
	}
	var h [24]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("pcap header: %w", err)
	}
	if binary.LittleEndian.Uint32(h[:]) == 0xa1b2cd34 || binary.BigEndian.Uint32(h[:]) == 0xa1b2cd34 {
		return nil, errors.New("modified (Kuznetzov) pcap format is not supported")
	}
	rd.link = decode.LinkType(rd.order.Uint32(h[20:]) & 0x0fffffff)
	return rd, nil
}

// LinkType is the link type of a classic pcap file (pcapng gives one per
// packet).
func (r *Reader) LinkType() decode.LinkType { return r.link }

// Next returns the next packet, or io.EOF at the end of the capture.
func (r *Reader) Next() (Packet, error) {
	if r.ng != nil {
		return r.ng.next()
	}
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return Packet{}, errors.New("truncated record header at end of file")
		}
		return Packet{}, err
	}
	sec := int64(r.order.Uint32(r.hdr[0:]))
	frac := int64(r.order.Uint32(r.hdr[4:]))
	caplen := int(r.order.Uint32(r.hdr[8:]))
	wire := int(r.order.Uint32(r.hdr[12:]))
	if caplen > maxCaplen {
		return Packet{}, fmt.Errorf("invalid captured length %d", caplen)
	}
	if cap(r.buf) < caplen {
		r.buf = make([]byte, caplen)
	}
	data := r.buf[:caplen:caplen] // see ngReader.data
	if _, err := io.ReadFull(r.br, data); err != nil {
		return Packet{}, errors.New("truncated packet at end of file")
	}
	if r.nanos {
		frac /= 1000
	}
	return Packet{Data: data, TS: sec*1e6 + frac, Length: wire, Link: r.link}, nil
}

// Close closes the file opened by Open.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// IsPcapng reports whether the file is pcapng.
func (r *Reader) IsPcapng() bool { return r.ng != nil }
