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
	src    io.Reader // what br reads
	order  binary.ByteOrder
	nanos  bool
	link   decode.LinkType
	hdr    [16]byte
	buf    []byte
	ng     *ngReader
	closer io.Closer
	// Reading in blocks (ReadInBlocks): blk[bpos:] is what is left of
	// the current block, off the offset in it of the last frame.
	blk       []byte
	bpos, off int
	getBlock  func(min int) []byte
	putBlock  func(prev []byte)
	blockSize int
	blockErr  error // the end of the capture, or the error that ended it
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
	rd := &Reader{br: br, src: r, buf: make([]byte, 65536)}
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
	if r.getBlock != nil {
		return r.nextInBlock()
	}
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return Packet{}, errTruncatedHeader
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
		return Packet{}, errTruncatedPacket
	}
	if r.nanos {
		frac /= 1000
	}
	return Packet{Data: data, TS: sec*1e6 + frac, Length: wire, Link: r.link}, nil
}

// ReadInBlocks makes a classic pcap Reader read the rest of the capture
// into blocks of about size bytes that the caller provides, and hand out
// the frames in place: a frame Next returns is a slice of its block and
// stays valid until the caller reuses the block, not only until the next
// call. No frame is copied (the system's read fills the block), and the
// caller can hand frames to other goroutines by block and offset
// (BlockOffset). The Reader reads a file 64 KiB at a time at the end of the
// current block (bytes it handed out are never written again); when the
// block has no room for the next record, Next calls get for a new buffer
// of at least min bytes (its length is ignored), moves the start of the
// next record into it, and then calls put with the previous block, none of
// whose bytes it reads again. The last block (at the end of the capture or
// an error) is never put.
// ReadInBlocks returns false, and changes nothing, for pcapng.
func (r *Reader) ReadInBlocks(size int, get func(min int) []byte, put func(prev []byte)) bool {
	if r.ng != nil {
		return false
	}
	r.blockSize, r.getBlock, r.putBlock = max(size, 64), get, put
	return true
}

// BlockOffset returns the offset, in its block, of the frame Next returned
// last (see ReadInBlocks).
func (r *Reader) BlockOffset() int { return r.off }

// nextInBlock is Next reading in blocks.
func (r *Reader) nextInBlock() (Packet, error) {
	for {
		rest := r.blk[r.bpos:]
		if len(rest) >= 16 {
			caplen := int(r.order.Uint32(rest[8:]))
			if caplen > maxCaplen {
				return Packet{}, fmt.Errorf("invalid captured length %d", caplen)
			}
			if 16+caplen <= len(rest) {
				sec := int64(r.order.Uint32(rest[0:]))
				frac := int64(r.order.Uint32(rest[4:]))
				wire := int(r.order.Uint32(rest[12:]))
				if r.nanos {
					frac /= 1000
				}
				r.off = r.bpos + 16
				r.bpos = r.off + caplen
				return Packet{Data: r.blk[r.off:r.bpos:r.bpos], TS: sec*1e6 + frac, Length: wire, Link: r.link}, nil
			}
		}
		if r.blockErr != nil {
			return Packet{}, r.blockErr
		}
		if r.blockErr = r.refill(); r.blockErr != nil {
			return Packet{}, r.blockErr
		}
	}
}

// readChunk bounds one read into a block: the frames are read soon after
// the system copies them, while they are still in the processor's caches.
const readChunk = 64 << 10

// refill reads more of the capture: at least the next record header, and
// the whole record once its header is known (a pipe is not waited on for
// more), and for a file up to readChunk bytes. It reads at the end of the
// current block while the block has room, or moves to a new block that
// starts with what is left of the current one.
func (r *Reader) refill() error {
	rest := r.blk[r.bpos:]
	need := 16
	if len(rest) >= 16 {
		need = 16 + int(r.order.Uint32(rest[8:]))
	}
	if cap(r.blk)-r.bpos < need {
		nb := r.getBlock(max(r.blockSize, need))[:0]
		nb = append(nb, rest...)
		prev := r.blk
		r.blk, r.bpos = nb, 0
		if prev != nil {
			r.putBlock(prev)
		}
	}
	var src io.Reader = r.br
	if r.br.Buffered() == 0 {
		src = r.src // straight into the block, not through br's buffer
	}
	have := len(r.blk) - r.bpos
	end := min(cap(r.blk), len(r.blk)+max(readChunk, need-have))
	n, err := io.ReadAtLeast(src, r.blk[len(r.blk):end], need-have)
	r.blk = r.blk[:len(r.blk)+n]
	have += n
	switch {
	case err == nil:
		return nil
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return err
	case have == 0:
		return io.EOF
	case have < 16:
		return errTruncatedHeader
	}
	return errTruncatedPacket
}

// The errors of a classic pcap file that ends inside a record, read
// record by record or in blocks.
var (
	errTruncatedHeader = errors.New("truncated record header at end of file")
	errTruncatedPacket = errors.New("truncated packet at end of file")
)

// Close closes the file opened by Open.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// IsPcapng reports whether the file is pcapng.
func (r *Reader) IsPcapng() bool { return r.ng != nil }
