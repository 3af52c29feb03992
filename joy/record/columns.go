package record

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/gojoy/libjoy/joy/jsonw"
)

var flowType = reflect.TypeOf(Flow{})

// Columns returns the column names of a Flow, in order (the Parquet and
// CSV columns).
func Columns() []string {
	cols := make([]string, flowType.NumField())
	for i := range cols {
		cols[i], _, _ = strings.Cut(flowType.Field(i).Tag.Get("parquet"), ",")
	}
	return cols
}

// AppendText appends f's columns as text, one string per column: numbers
// in decimal, times as the record's "seconds.micros", lists as JSON
// arrays, the packet directions as a string of '>' and '<', JSON members
// as their text, and "" for absent members.
func (f *Flow) AppendText(dst []string) []string {
	v := reflect.ValueOf(f).Elem()
	var b []byte
	for i := 0; i < v.NumField(); i++ {
		fv := v.Field(i)
		b = b[:0]
		switch i {
		case timeStartField, timeEndField:
			b = jsonw.Time(b, fv.Int())
			dst = append(dst, string(b))
			continue
		}
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				dst = append(dst, "")
				continue
			}
			fv = fv.Elem()
		}
		switch fv.Kind() {
		case reflect.String:
			dst = append(dst, fv.String())
		case reflect.Int32, reflect.Int64:
			dst = append(dst, strconv.FormatInt(fv.Int(), 10))
		case reflect.Float64:
			dst = append(dst, strconv.FormatFloat(fv.Float(), 'f', -1, 64))
		case reflect.Slice:
			if fv.IsNil() {
				dst = append(dst, "")
				continue
			}
			b = append(b, '[')
			for j := 0; j < fv.Len(); j++ {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendInt(b, fv.Index(j).Int(), 10)
			}
			dst = append(dst, string(append(b, ']')))
		default:
			dst = append(dst, "")
		}
	}
	return dst
}

var timeStartField, timeEndField = fieldIndex("TimeStart"), fieldIndex("TimeEnd")

func fieldIndex(name string) int {
	f, _ := flowType.FieldByName(name)
	return f.Index[0]
}
