package parquet

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go/deprecated"
	pqf "github.com/parquet-go/parquet-go/format"

	"github.com/gojoy/libjoy/joy/record"
)

// kind is how a field of record.Flow is stored: its Go type and, for
// int64, whether it is a timestamp.
type kind uint8

const (
	kString    kind = iota // string: required UTF-8 byte array
	kOptString             // *string: optional UTF-8 byte array
	kInt32                 // int32
	kOptInt32              // *int32
	kInt64                 // int64
	kOptInt64              // *int64
	kTime                  // int64 µs since the epoch: timestamp(microsecond), UTC
	kOptDouble             // *float64
	kList32                // []int32: required list of required int32
	kList64                // []int64: required list of required int64
	kOptList32             // []int32: optional list (nil: null) of required int32
	kOptList64             // []int64: optional list (nil: null) of required int64
)

// field is one column of record.Flow: its name (the parquet tag, which
// is the record's member name), kind and offset in the struct.
type field struct {
	name string
	kind kind
	off  uintptr
}

// flowFields are record.Flow's columns in order, read from its fields and
// their parquet tags, so that the file's columns are the struct's (and
// those parquet-go reads the file back into, TestSchemaIsParquetGos).
var flowFields = fieldsOf(reflect.TypeOf(record.Flow{}))

func fieldsOf(t reflect.Type) []field {
	out := make([]field, t.NumField())
	for i := range out {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		k, ok := kindOf(f.Type, opts)
		if !ok {
			panic(fmt.Sprintf("parquet: record.Flow.%s: type %s has no column kind", f.Name, f.Type))
		}
		out[i] = field{name: name, kind: k, off: f.Offset}
	}
	return out
}

func kindOf(t reflect.Type, opts string) (kind, bool) {
	optional := strings.Contains(opts, "optional")
	switch {
	case t.Kind() == reflect.String:
		return kString, true
	case t.Kind() == reflect.Int32:
		return kInt32, true
	case t.Kind() == reflect.Int64 && strings.Contains(opts, "timestamp"):
		return kTime, true
	case t.Kind() == reflect.Int64:
		return kInt64, true
	case t.Kind() == reflect.Pointer:
		switch t.Elem().Kind() {
		case reflect.String:
			return kOptString, true
		case reflect.Int32:
			return kOptInt32, true
		case reflect.Int64:
			return kOptInt64, true
		case reflect.Float64:
			return kOptDouble, true
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int32 && !optional:
		return kList32, true
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int32:
		return kOptList32, true
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int64 && !optional:
		return kList64, true
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int64:
		return kOptList64, true
	}
	return 0, false
}

// levels are the column's highest definition and repetition levels.
func (k kind) levels() (maxDef, maxRep int) {
	switch k {
	case kOptString, kOptInt32, kOptInt64, kOptDouble:
		return 1, 0
	case kList32, kList64:
		return 1, 1
	case kOptList32, kOptList64:
		return 2, 1
	}
	return 0, 0
}

// physical is the Parquet type of the column's values.
func (k kind) physical() pqf.Type {
	switch k {
	case kString, kOptString:
		return pqf.ByteArray
	case kInt32, kOptInt32, kList32, kOptList32:
		return pqf.Int32
	case kOptDouble:
		return pqf.Double
	}
	return pqf.Int64
}

func (k kind) isList() bool {
	return k == kList32 || k == kList64 || k == kOptList32 || k == kOptList64
}

// schema is the file's schema: the root, then each column (a list is a
// group of three elements, the standard three-level LIST layout).
func schema(fields []field) []pqf.SchemaElement {
	rep := func(r pqf.FieldRepetitionType) *pqf.FieldRepetitionType { return &r }
	conv := func(c deprecated.ConvertedType) *deprecated.ConvertedType { return &c }
	typ := func(t pqf.Type) *pqf.Type { return &t }
	leaf := func(name string, k kind, r pqf.FieldRepetitionType) pqf.SchemaElement {
		e := pqf.SchemaElement{Name: name, Type: typ(k.physical()), RepetitionType: rep(r)}
		switch k {
		case kString, kOptString:
			e.ConvertedType, e.LogicalType = conv(deprecated.UTF8), &pqf.LogicalType{UTF8: &pqf.StringType{}}
		case kInt32, kOptInt32, kList32, kOptList32:
			e.ConvertedType, e.LogicalType = conv(deprecated.Int32), &pqf.LogicalType{Integer: &pqf.IntType{BitWidth: 32, IsSigned: true}}
		case kInt64, kOptInt64, kList64, kOptList64:
			e.ConvertedType, e.LogicalType = conv(deprecated.Int64), &pqf.LogicalType{Integer: &pqf.IntType{BitWidth: 64, IsSigned: true}}
		case kTime:
			e.ConvertedType = conv(deprecated.TimestampMicros)
			e.LogicalType = &pqf.LogicalType{Timestamp: &pqf.TimestampType{
				IsAdjustedToUTC: true, Unit: pqf.TimeUnit{Micros: &pqf.MicroSeconds{}}}}
		}
		return e
	}
	out := []pqf.SchemaElement{{Name: "Flow", NumChildren: int32(len(fields))}}
	for _, f := range fields {
		r := pqf.Required
		if maxDef, maxRep := f.kind.levels(); maxDef > maxRep {
			r = pqf.Optional
		}
		if !f.kind.isList() {
			out = append(out, leaf(f.name, f.kind, r))
			continue
		}
		out = append(out,
			pqf.SchemaElement{Name: f.name, RepetitionType: rep(r), NumChildren: 1,
				ConvertedType: conv(deprecated.List), LogicalType: &pqf.LogicalType{List: &pqf.ListType{}}},
			pqf.SchemaElement{Name: "list", RepetitionType: rep(pqf.Repeated), NumChildren: 1},
			leaf("element", f.kind, pqf.Required))
	}
	return out
}

// path is the column's path in the schema.
func (f field) path() []string {
	if f.kind.isList() {
		return []string{f.name, "list", "element"}
	}
	return []string{f.name}
}
