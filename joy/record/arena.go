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
	dst.SALabels, dst.DALabels = a.strp(src.SALabels), a.strp(src.DALabels)
	dst.IP, dst.TCP, dst.OSeq, dst.OAck = a.strp(src.IP), a.strp(src.TCP), a.strp(src.OSeq), a.strp(src.OAck)
	dst.ISeq, dst.IAck, dst.WHT = a.strp(src.ISeq), a.strp(src.IAck), a.strp(src.WHT)
	dst.DNS, dst.SSH, dst.TLS, dst.DHCP = a.strp(src.DNS), a.strp(src.SSH), a.strp(src.TLS), a.strp(src.DHCP)
	dst.HTTP, dst.IKE, dst.Payload, dst.PPI = a.strp(src.HTTP), a.strp(src.IKE), a.strp(src.Payload), a.strp(src.PPI)
	dst.Exe, dst.HD, dst.ProbableOS = a.strp(src.Exe), a.strp(src.HD), a.strp(src.ProbableOS)
	dst.IDPOut, dst.IDPIn, dst.Debug = a.strp(src.IDPOut), a.strp(src.IDPIn), a.strp(src.Debug)
	dst.ExpireType, dst.Other = a.strp(src.ExpireType), a.strp(src.Other)
}

// strp copies an optional string.
func (a *Arena) strp(p *string) *string {
	if p == nil {
		return nil
	}
	a.strs = append(a.strs, a.str(*p))
	return &a.strs[len(a.strs)-1]
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
