package record

import "unsafe"

// Arena holds copies of rows: Copy makes a row that refers only to the
// arena's memory, so that rows valid only for a while (a Filler's, or
// those of format.RowWriter.WriteRows) can be kept, for example until
// another goroutine encodes them. Reset lets the memory be reused; in
// steady state an Arena does not allocate.
type Arena struct {
	text []byte
	strs []string
	i32  []int32
	i64  []int64
	f64  []float64
}

// Reset lets the memory of the rows copied so far be reused: call it only
// when nothing refers to them any more.
func (a *Arena) Reset() {
	a.text, a.strs, a.i32, a.i64, a.f64 = a.text[:0], a.strs[:0], a.i32[:0], a.i64[:0], a.f64[:0]
}

// Copy sets *dst to a copy of *src whose strings, optional values and
// lists are in the arena. Absent (nil) values stay absent and empty lists
// stay empty: Parquet tells them apart.
func (a *Arena) Copy(dst, src *Flow) {
	*dst = *src
	dst.SA, dst.DA, dst.PacketsDir = a.str(src.SA), a.str(src.DA), a.str(src.PacketsDir)
	dst.SP, dst.DP = value(&a.i32, src.SP), value(&a.i32, src.DP)
	dst.BytesIn, dst.NumPktsIn = value(&a.i64, src.BytesIn), value(&a.i64, src.NumPktsIn)
	dst.IDPLenOut, dst.IDPLenIn = value(&a.i64, src.IDPLenOut), value(&a.i64, src.IDPLenIn)
	dst.ByteDistMean, dst.ByteDistStd = value(&a.f64, src.ByteDistMean), value(&a.f64, src.ByteDistStd)
	dst.Entropy, dst.TotalEntropy = value(&a.f64, src.Entropy), value(&a.f64, src.TotalEntropy)
	dst.PMalware = value(&a.f64, src.PMalware)
	dst.PacketsB, dst.PacketsIPT = list(&a.i32, src.PacketsB), list(&a.i64, src.PacketsIPT)
	dst.ByteDist, dst.CompactByteDist = list(&a.i64, src.ByteDist), list(&a.i64, src.CompactByteDist)
	for _, p := range dst.texts() {
		if *p != nil {
			a.strs = append(a.strs, a.str(**p))
			*p = &a.strs[len(a.strs)-1]
		}
	}
}

// texts are f's optional string columns.
func (f *Flow) texts() [25]**string {
	return [...]**string{&f.SALabels, &f.DALabels, &f.IP, &f.TCP, &f.OSeq, &f.OAck, &f.ISeq, &f.IAck,
		&f.WHT, &f.DNS, &f.SSH, &f.TLS, &f.DHCP, &f.HTTP, &f.IKE, &f.Payload, &f.PPI, &f.Exe, &f.HD,
		&f.ProbableOS, &f.IDPOut, &f.IDPIn, &f.Debug, &f.ExpireType, &f.Other}
}

func (a *Arena) str(s string) string {
	if s == "" {
		return ""
	}
	n := len(a.text)
	a.text = append(a.text, s...)
	return unsafe.String(&a.text[n], len(s))
}

// value copies *p into *store (a grown store's old array stays alive as
// long as the copies refer to it).
func value[T any](store *[]T, p *T) *T {
	if p == nil {
		return nil
	}
	*store = append(*store, *p)
	return &(*store)[len(*store)-1]
}

func list[T any](store *[]T, l []T) []T {
	if l == nil {
		return nil
	}
	if len(l) == 0 {
		return []T{}
	}
	n := len(*store)
	*store = append(*store, l...)
	return (*store)[n:len(*store):len(*store)]
}
