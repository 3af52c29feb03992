package record

import (
	"reflect"
	"testing"
	"unsafe"
)

// fullFlow returns a Flow with every field set (a distinct value each),
// its strings in text, which the caller may change afterwards.
func fullFlow(text []byte) Flow {
	var f Flow
	v := reflect.ValueOf(&f).Elem()
	at := 0
	str := func() string {
		s := unsafe.String(&text[at], 3)
		at += 3
		return s
	}
	for i := 0; i < v.NumField(); i++ {
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			fv.Set(reflect.New(fv.Type().Elem()))
			fv = fv.Elem()
		}
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(str())
		case reflect.Int32, reflect.Int64:
			fv.SetInt(int64(i + 1))
		case reflect.Float64:
			fv.SetFloat(float64(i) + 0.5)
		case reflect.Slice:
			fv.Set(reflect.MakeSlice(fv.Type(), 2, 2))
			fv.Index(0).SetInt(int64(i))
			fv.Index(1).SetInt(-int64(i))
		default:
			panic("a field of a kind fullFlow does not know: " + fv.Type().String())
		}
	}
	return f
}

// deepCopy is the plain, allocating copy of f that Arena.Copy must equal.
func deepCopy(f Flow) Flow {
	v := reflect.ValueOf(&f).Elem()
	for i := 0; i < v.NumField(); i++ {
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.Pointer:
			if !fv.IsNil() {
				p := reflect.New(fv.Type().Elem())
				p.Elem().Set(fv.Elem())
				if p.Elem().Kind() == reflect.String {
					p.Elem().SetString(string([]byte(fv.Elem().String())))
				}
				fv.Set(p)
			}
		case reflect.String:
			fv.SetString(string([]byte(fv.String())))
		case reflect.Slice:
			if !fv.IsNil() {
				fv.Set(reflect.AppendSlice(reflect.MakeSlice(fv.Type(), 0, fv.Len()), fv))
			}
		}
	}
	return f
}

// Every field of a copy keeps its value when everything the original
// referred to changes: a field Copy forgot (one added to Flow later)
// fails here.
func TestArenaCopiesEveryField(t *testing.T) {
	text := []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	src := fullFlow(text)
	want := deepCopy(src)
	var a Arena
	var got Flow
	a.Copy(&got, &src)
	if f := differs(got, want); f != "" {
		t.Fatalf("copy: %s differs", f)
	}
	// Change every byte and value the source refers to.
	for i := range text {
		text[i] = '#'
	}
	v := reflect.ValueOf(&src).Elem()
	for i := 0; i < v.NumField(); i++ {
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			fv = fv.Elem()
		}
		switch fv.Kind() {
		case reflect.Int32, reflect.Int64:
			fv.SetInt(-1)
		case reflect.Float64:
			fv.SetFloat(-1)
		case reflect.Slice:
			for j := 0; j < fv.Len(); j++ {
				fv.Index(j).SetInt(-1)
			}
		}
	}
	if f := differs(got, want); f != "" {
		t.Errorf("the copy's %s changed with the original", f)
	}
}

// differs names the first field of a and b whose values differ.
func differs(a, b Flow) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := 0; i < va.NumField(); i++ {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return va.Type().Field(i).Name
		}
	}
	return ""
}

// Absent values stay absent and empty lists empty (not absent).
func TestArenaNilAndEmpty(t *testing.T) {
	zero, empty := int32(0), ""
	src := Flow{SP: &zero, PacketsB: []int32{}, PacketsIPT: nil, ByteDist: []int64{}, ExpireType: &empty}
	var a Arena
	var got Flow
	a.Copy(&got, &src)
	if !reflect.DeepEqual(got, src) {
		t.Errorf("copy %+v, want %+v", got, src)
	}
	if got.PacketsB == nil || got.ByteDist == nil || got.PacketsIPT != nil || got.CompactByteDist != nil ||
		got.DP != nil || got.TLS != nil || got.ExpireType == nil || got.ExpireType == src.ExpireType {
		t.Errorf("nil and empty not kept apart, or shared: %+v", got)
	}
}

// Rows copied after Reset reuse the arena's memory.
func TestArenaReuse(t *testing.T) {
	src := fullFlow([]byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
	var a Arena
	rows := make([]Flow, 64)
	copyAll := func() {
		a.Reset()
		for i := range rows {
			a.Copy(&rows[i], &src)
		}
	}
	copyAll()
	if n := testing.AllocsPerRun(10, copyAll); n != 0 {
		t.Errorf("%v allocations per batch after the first", n)
	}
	if f := differs(rows[63], deepCopy(src)); f != "" {
		t.Errorf("row 63: %s differs", f)
	}
}
