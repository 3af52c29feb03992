package parquet

import (
	pq "github.com/parquet-go/parquet-go"

	"github.com/gojoy/libjoy/joy/record"
)

// flowSchema is record.Flow's schema (parquet.SchemaOf) with one change
// that no reader sees: each column's buffer is made, once, large enough for
// a whole page of the column, so that it never grows.
//
// parquet-go sizes a column's buffer from the page size (256 KiB) as if
// every row held a value: 12,800 strings or 32,768 int64s. A column of
// JSON text that most flows lack (tls, dns, http, ...) is mostly nulls,
// 5 bytes a row (a row index and a definition level), so its page holds up
// to 52,000 rows, and its buffer was grown by append again and again
// (copying) until then: a fifth of a long run's CPU (48,000 flows in one
// row group). Sized for size/5 rows from the start, the buffers never
// grow; the memory is reserved, not touched, until rows use it (peak RSS
// went down: no old and new slice at once). Pages end where they did
// (parquet.PageBufferSize), so the file is the same, byte for byte
// (TestSameFileAsFlowWriter). The price: a writer reserves about 60 MB
// instead of 21 MB; fresh from the system that costs nothing until used,
// but a process that makes writer after writer from reused heap has the
// Go runtime clear it, about 10 ms more per writer.
var flowSchema = pq.NewSchema("Flow", sizedNode{pq.SchemaOf(record.Flow{})})

// nullRowSize is the bytes parquet-go counts for a null row of an
// optional column (Size of its buffer): a 4-byte row index and a 1-byte
// definition level.
const nullRowSize = 5

// sizedNode is a schema node whose leaves' types size their buffers for
// a page of nulls.
type sizedNode struct{ pq.Node }

func (n sizedNode) Type() pq.Type      { return sizedLeafType(n.Node) }
func (n sizedNode) Fields() []pq.Field { return sizedFields(n.Node) }

// sizedField is sizedNode for a group's field.
type sizedField struct{ pq.Field }

func (f sizedField) Type() pq.Type      { return sizedLeafType(f.Field) }
func (f sizedField) Fields() []pq.Field { return sizedFields(f.Field) }

func sizedLeafType(n pq.Node) pq.Type {
	if n.Leaf() {
		return sizedType{n.Type()}
	}
	return n.Type()
}

func sizedFields(n pq.Node) []pq.Field {
	fields := n.Fields()
	out := make([]pq.Field, len(fields))
	for i, f := range fields {
		out[i] = sizedField{f}
	}
	return out
}

// sizedType is a column type whose buffers have room for a page of
// nulls.
type sizedType struct{ pq.Type }

func (t sizedType) EstimateNumValues(size int) int {
	return max(t.Type.EstimateNumValues(size), size/nullRowSize)
}
