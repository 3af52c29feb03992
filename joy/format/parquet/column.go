package parquet

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	pqf "github.com/parquet-go/parquet-go/format"

	"github.com/gojoy/libjoy/joy/record"
)

// pageSize is the size of a page's levels and values before compression
// at which the page ends (after a whole row).
const pageSize = 256 << 10

// column is one column of the row group being written: the page being
// filled (values PLAIN-encoded, levels one byte each) and the pages
// already compressed, with what the footer says of them.
type column struct {
	field
	mem            *memory // where its buffers come from
	maxDef, maxRep byte
	width          int // bits of a level

	values     []byte
	defs, reps []byte
	// While a page's definition levels are all equal, they are only
	// counted (sameDefs levels of sameDef) and defs stays empty: a
	// column that is null in every row of a page (a protocol the
	// traffic lacks) costs no memory.
	sameDefs   int
	sameDef    byte
	pageLevels int // levels (values and nulls) in the page
	pageNulls  int // levels below maxDef in the page
	pageRows   int

	pages        [][]byte // the row group's pages: each header, then its body, in a writer's arena
	numValues    int64    // levels in pages
	nulls        int64    // levels below maxDef in pages
	uncompressed int64    // pages' size before compression
	compressed   int64    // pages' size

	// min and max of an integer column's values, or of a required
	// string column's; have says whether there was a value.
	have             bool
	minInt, maxInt   int64
	minText, maxText []byte
}

func newColumn(f field, mem *memory) *column {
	maxDef, maxRep := f.kind.levels()
	return &column{field: f, mem: mem, maxDef: byte(maxDef), maxRep: byte(maxRep), width: bits.Len(uint(maxDef))}
}

// pageSlack is the room a page's buffers have beyond pageSize, for the
// value that ends the page.
const pageSlack = 16 << 10

// grow makes room for n more bytes in b. A buffer that needs room for
// the first time gets a whole page's at once: it never grows by doubling
// (copies, and memory touched twice), and a column that never holds a
// value (a protocol the traffic lacks) costs no memory.
func (c *column) grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := c.mem.alloc(max(len(b)+n, pageSize+pageSlack))[:len(b)]
	copy(nb, b)
	return nb
}

// rowSize is the distance between rows in a batch.
const rowSize = unsafe.Sizeof(record.Flow{})

// putRows appends the column's values of rows (their levels and values)
// until its page is full, and returns how many rows it took. Each kind
// has its loop, so a column is a tight loop over the batch; a null costs
// a count.
func (c *column) putRows(rows []record.Flow) int {
	if len(rows) == 0 {
		return 0
	}
	p, n := unsafe.Add(unsafe.Pointer(&rows[0]), c.off), len(rows)
	switch c.kind {
	case kString:
		return c.each(p, n, (*column).putString)
	case kOptString:
		return eachOpt(c, p, n, (*column).putOptString)
	case kInt32:
		return c.each(p, n, (*column).putInt32)
	case kOptInt32:
		return eachOpt(c, p, n, (*column).int32)
	case kInt64, kTime:
		return c.each(p, n, (*column).putInt64)
	case kOptInt64:
		return eachOpt(c, p, n, (*column).int64)
	case kOptDouble:
		return eachOpt(c, p, n, (*column).double)
	case kList32, kOptList32:
		return c.each(p, n, (*column).putList32)
	case kList64, kOptList64:
		return c.each(p, n, (*column).putList64)
	}
	panic("parquet: column of unknown kind")
}

// each puts the value at p of each of n rows with put, until the page is
// full.
func (c *column) each(p unsafe.Pointer, n int, put func(*column, unsafe.Pointer)) int {
	for i := range n {
		c.pageRows++
		put(c, unsafe.Add(p, uintptr(i)*rowSize))
		if c.pageBytes() >= pageSize {
			return i + 1
		}
	}
	return n
}

// eachOpt puts the optional value (*T) at p of each of n rows, a value
// with put, until the page is full.
func eachOpt[T any](c *column, p unsafe.Pointer, n int, put func(*column, T)) int {
	for i := range n {
		v := *(**T)(unsafe.Add(p, uintptr(i)*rowSize))
		c.pageRows++
		c.pageLevels++
		if v == nil {
			c.null()
			continue
		}
		c.def(1)
		put(c, *v)
		if c.pageBytes() >= pageSize {
			return i + 1
		}
	}
	return n
}

func (c *column) putString(p unsafe.Pointer) {
	c.pageLevels++
	c.text(*(*string)(p))
}

func (c *column) putOptString(s string) { c.text(s) }

func (c *column) putInt32(p unsafe.Pointer) {
	c.pageLevels++
	c.int32(*(*int32)(p))
}

func (c *column) putInt64(p unsafe.Pointer) {
	c.pageLevels++
	c.int64(*(*int64)(p))
}

func (c *column) double(v float64) {
	c.values = binary.LittleEndian.AppendUint64(c.grow(c.values, 8), math.Float64bits(v))
}

func (c *column) putList32(p unsafe.Pointer) {
	l := *(*[]int32)(p)
	c.list(len(l), l != nil || c.kind == kList32)
	c.values = appendPlain(c.grow(c.values, 4*len(l)), l)
}

func (c *column) putList64(p unsafe.Pointer) {
	l := *(*[]int64)(p)
	c.list(len(l), l != nil || c.kind == kList64)
	c.values = appendPlain(c.grow(c.values, 8*len(l)), l)
}

// littleEndian says whether integers are stored as PLAIN encodes them,
// so that a list's values are copied in one go.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// appendPlain appends the PLAIN encoding of l (little-endian values).
func appendPlain[T int32 | int64](b []byte, l []T) []byte {
	if len(l) == 0 {
		return b
	}
	if littleEndian {
		return append(b, unsafe.Slice((*byte)(unsafe.Pointer(&l[0])), len(l)*int(unsafe.Sizeof(l[0])))...)
	}
	for _, v := range l {
		if unsafe.Sizeof(v) == 4 {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		} else {
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// null appends an optional value's null.
func (c *column) null() {
	c.pageNulls++
	if len(c.defs) == 0 && (c.sameDefs == 0 || c.sameDef == 0) {
		c.sameDef = 0
		c.sameDefs++
		return
	}
	c.def(0)
}

// def appends a definition level.
func (c *column) def(level byte) { c.defsN(level, 1) }

// defsN appends n equal definition levels.
func (c *column) defsN(level byte, n int) {
	if len(c.defs) == 0 {
		if c.sameDefs == 0 || level == c.sameDef {
			c.sameDef = level
			c.sameDefs += n
			return
		}
		c.defs = appendRepeat(c.grow(c.defs, c.sameDefs), c.sameDef, c.sameDefs)
		c.sameDefs = 0
	}
	c.defs = appendRepeat(c.grow(c.defs, n), level, n)
}

// appendRepeat appends n bytes v to b, which has room for them.
func appendRepeat(b []byte, v byte, n int) []byte {
	b = b[:len(b)+n]
	tail := b[len(b)-n:]
	for i := range tail {
		tail[i] = v
	}
	return b
}

// list appends the levels of a list of n elements, or of a null one
// (present false).
func (c *column) list(n int, present bool) {
	c.reps = c.grow(c.reps, max(n, 1))
	c.reps = append(c.reps, 0)
	if n == 0 {
		def := c.maxDef - 1 // empty
		if !present {
			def = 0
		}
		c.pageLevels++
		c.pageNulls++
		c.def(def)
		return
	}
	c.reps = appendRepeat(c.reps, 1, n-1)
	c.pageLevels += n
	c.defsN(c.maxDef, n)
}

func (c *column) text(s string) {
	c.values = binary.LittleEndian.AppendUint32(c.grow(c.values, 4+len(s)), uint32(len(s)))
	c.values = append(c.values, s...)
	if c.kind != kString {
		return // JSON text: no statistics
	}
	if !c.have {
		c.have = true
		c.minText, c.maxText = append(c.minText[:0], s...), append(c.maxText[:0], s...)
		return
	}
	if string(c.minText) > s {
		c.minText = append(c.minText[:0], s...)
	}
	if string(c.maxText) < s {
		c.maxText = append(c.maxText[:0], s...)
	}
}

func (c *column) int32(v int32) {
	c.values = binary.LittleEndian.AppendUint32(c.grow(c.values, 4), uint32(v))
	c.minMax(int64(v))
}

func (c *column) int64(v int64) {
	c.values = binary.LittleEndian.AppendUint64(c.grow(c.values, 8), uint64(v))
	c.minMax(v)
}

func (c *column) minMax(v int64) {
	if c.kind.isList() {
		return
	}
	if !c.have {
		c.have, c.minInt, c.maxInt = true, v, v
		return
	}
	c.minInt, c.maxInt = min(c.minInt, v), max(c.maxInt, v)
}

// pageBytes is the size of the page being filled.
func (c *column) pageBytes() int { return len(c.values) + len(c.defs) + len(c.reps) }

// scratch is memory a writer reuses for each page: its levels and its
// header.
type scratch struct {
	levels []byte
	header bytes.Buffer
	thrift *thrift.Encoder
}

// endPage ends the page being filled: a data page v2, its levels as they
// are (RLE/bit-packing hybrid), its values Snappy-compressed, kept with
// its header in the arena until the row group is written out.
func (c *column) endPage(s *scratch, a *arena) error {
	if c.pageLevels == 0 {
		return nil
	}
	s.levels = s.levels[:0]
	if c.maxRep > 0 {
		s.levels = appendLevels(s.levels, c.reps, bits.Len(uint(c.maxRep)))
	}
	repBytes := len(s.levels)
	if c.sameDefs > 0 {
		s.levels = appendRun(s.levels, c.sameDef, c.sameDefs)
	} else if c.maxDef > 0 {
		s.levels = appendLevels(s.levels, c.defs, c.width)
	}
	body := append(a.take(len(s.levels)+s2.MaxEncodedLen(len(c.values))), s.levels...)
	body = append(body, s2.EncodeSnappy(body[len(body):cap(body)], c.values)...)
	a.keep(len(body))

	s.header.Reset()
	if s.thrift == nil {
		s.thrift = thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&s.header))
	}
	err := s.thrift.Encode(&pqf.PageHeader{
		Type:                 pqf.DataPageV2,
		UncompressedPageSize: int32(len(s.levels) + len(c.values)),
		CompressedPageSize:   int32(len(body)),
		DataPageHeaderV2: &pqf.DataPageHeaderV2{
			NumValues:                  int32(c.pageLevels),
			NumNulls:                   int32(c.pageNulls),
			NumRows:                    int32(c.pageRows),
			Encoding:                   pqf.Plain,
			DefinitionLevelsByteLength: int32(len(s.levels) - repBytes),
			RepetitionLevelsByteLength: int32(repBytes),
		},
	})
	if err != nil {
		return err
	}
	header := append(a.take(s.header.Len()), s.header.Bytes()...)
	a.keep(len(header))
	c.pages = append(c.pages, header, body)
	c.uncompressed += int64(len(header) + len(s.levels) + len(c.values))
	c.compressed += int64(len(header) + len(body))
	c.numValues += int64(c.pageLevels)
	c.nulls += int64(c.pageNulls)
	c.values, c.defs, c.reps = c.values[:0], c.defs[:0], c.reps[:0]
	c.pageLevels, c.pageNulls, c.pageRows, c.sameDefs = 0, 0, 0, 0
	return nil
}

// metaData is the footer's description of the column chunk, which
// starts at offset in the file.
func (c *column) metaData(offset int64) pqf.ColumnMetaData {
	enc := []pqf.Encoding{pqf.Plain}
	if c.maxDef > 0 {
		enc = append(enc, pqf.RLE)
	}
	md := pqf.ColumnMetaData{
		Type:                  c.kind.physical(),
		Encoding:              enc,
		PathInSchema:          c.path(),
		Codec:                 pqf.Snappy,
		NumValues:             c.numValues,
		TotalUncompressedSize: c.uncompressed,
		TotalCompressedSize:   c.compressed,
		DataPageOffset:        offset,
		Statistics:            pqf.Statistics{NullCount: c.nulls},
	}
	if c.have {
		switch c.kind {
		case kString:
			md.Statistics.MinValue = bytes.Clone(c.minText)
			md.Statistics.MaxValue = bytes.Clone(c.maxText)
		case kInt32, kOptInt32:
			md.Statistics.MinValue = binary.LittleEndian.AppendUint32(nil, uint32(c.minInt))
			md.Statistics.MaxValue = binary.LittleEndian.AppendUint32(nil, uint32(c.maxInt))
		default:
			md.Statistics.MinValue = binary.LittleEndian.AppendUint64(nil, uint64(c.minInt))
			md.Statistics.MaxValue = binary.LittleEndian.AppendUint64(nil, uint64(c.maxInt))
		}
	}
	return md
}

// reset empties the column for the next row group (after its pages were
// written out), keeping its memory.
func (c *column) reset() {
	clear(c.pages)
	c.pages = c.pages[:0]
	c.numValues, c.nulls, c.uncompressed, c.compressed, c.have = 0, 0, 0, 0, false
}

// arena holds the compressed pages of the open row group in blocks that
// are reused for the next: pages are not copied as they accumulate, and
// the memory a writer touches is about one row group's compressed size.
type arena struct {
	mem    *memory
	blocks [][]byte // each block's length is what is in use
	next   int      // the block being filled
}

// blockSize is the size of an arena block (a page larger than that gets
// a block of its own).
const blockSize = 1 << 20

// take returns empty room for n bytes after what was kept before.
func (a *arena) take(n int) []byte {
	for ; a.next < len(a.blocks); a.next++ {
		if b := a.blocks[a.next]; cap(b)-len(b) >= n {
			return b[len(b) : len(b) : len(b)+n]
		}
	}
	a.blocks = append(a.blocks, a.mem.alloc(max(n, blockSize)))
	return a.blocks[a.next][:0:n]
}

// keep keeps the first n bytes of the room take returned last.
func (a *arena) keep(n int) {
	b := a.blocks[a.next]
	a.blocks[a.next] = b[:len(b)+n]
}

// reset makes all blocks free again.
func (a *arena) reset() {
	for i := range a.blocks {
		a.blocks[i] = a.blocks[i][:0]
	}
	a.next = 0
}
