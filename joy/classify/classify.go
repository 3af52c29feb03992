// Package classify is the original's inline flow classifier: a logistic
// regression over a 464-slot float32 feature vector built from a flow's
// metadata, the Markov chains of its merged packet lengths and inter-arrival
// times (SPLT) and, optionally, its byte distribution. The result is the
// "p_malware" of a flow record.
//
// The arithmetic follows the original step by step: float32 features and
// float32 accumulation in index order, times in milliseconds wrapped to 16
// bits, and the final logistic function in float64.
package classify

import "math"

// Sizes of the two models.
const (
	NumSPLT = 208 // bias + 7 metadata + 100 length-chain + 100 time-chain cells
	NumBD   = 464 // the SPLT features + 256 byte frequencies

	// MaxPackets is how many SPLT entries per direction the classifier uses.
	MaxPackets = 50

	binsLen    = 10
	binsTime   = 10
	binSizeLen = 150 // bytes per length bin
	binSizeMs  = 50  // milliseconds per time bin
	offLens    = 8
	offTimes   = offLens + binsLen*binsLen
	offBD      = offTimes + binsTime*binsTime
	bdMinBytes = 100 // BD model only when ob+ib exceeds this
)

// Side is one direction of a flow as the classifier sees it.
type Side struct {
	Lens   []uint16     // SPLT payload lengths, at most MaxPackets are used
	Times  []int64      // their timestamps, µs since the epoch (same length as Lens)
	Start  int64        // start of this direction (its first packet, empty or not), µs
	NP     uint32       // packets (num_pkts)
	OB     uint64       // payload bytes
	Counts *[256]uint32 // unreduced byte counts, nil if none
}

// n is the number of SPLT entries of s the classifier uses.
func (s *Side) n() int {
	n := len(s.Lens)
	if len(s.Times) < n {
		n = len(s.Times)
	}
	if n > MaxPackets {
		n = MaxPackets
	}
	return n
}

// Model holds the weights of the SPLT model (bias first) and of the BD model
// (bias first). The zero Model scores every flow 0.5.
type Model struct {
	SPLT [NumSPLT]float32
	BD   [NumBD]float32
}

// Default returns a new model with the original's compiled-in weights.
func Default() *Model {
	return &Model{SPLT: defaultSPLT, BD: defaultBD}
}

// Score returns p_malware of the flow whose "out" side (the printed record)
// is out and whose "in" side (its twin) is in; in is nil for a
// unidirectional flow. sp and dp are out's ports. useBD tells whether byte
// distributions are collected (dist on): the BD model is used when it is
// and the flow carried more than 100 payload bytes.
func (m *Model) Score(out Side, in *Side, sp, dp uint16, useBD bool) float32 {
	f, bd := Features(out, in, sp, dp, useBD)
	return Logistic(m.Sum(&f, bd))
}

// Sum is the model's linear score of the feature vector f: the BD model's
// when bd is set, the SPLT model's otherwise. Products are rounded to
// float32 before they are added, in index order, as the original does.
func (m *Model) Sum(f *[NumBD]float32, bd bool) float32 {
	var s float32
	if bd {
		s = m.BD[0]
		for i := 1; i < NumBD; i++ {
			s += float32(f[i] * m.BD[i])
		}
	} else {
		for i := 0; i < NumSPLT; i++ {
			s += float32(f[i] * m.SPLT[i])
		}
	}
	return s
}

// Logistic turns a linear score into the probability the original reports:
// the negated score is capped at 500 (as a float32), the logistic function
// is evaluated in float64 and the result is rounded to float32.
func Logistic(s float32) float32 {
	neg := -s
	var c float32 = 500
	if float64(neg) < 500 { // a NaN score compares false and becomes 500
		c = neg
	}
	return float32(1.0 / (1.0 + math.Exp(float64(c))))
}

// Features builds the original's feature vector of a flow (see Score for the
// arguments) and reports whether the BD model applies to it.
//
//	f[0]        1 (bias)
//	f[1], f[2]  dp, sp
//	f[3], f[4]  in.NP, out.NP
//	f[5], f[6]  in.OB, out.OB
//	f[7]        sum of the merged inter-arrival times (ms)
//	f[8:108]    Markov chain of the merged lengths (150-byte bins)
//	f[108:208]  Markov chain of the merged times (50 ms bins)
//	f[208:464]  byte frequencies, only when the BD model applies
//
// Byte and packet counters are the original's 32-bit ones.
func Features(out Side, in *Side, sp, dp uint16, useBD bool) (f [NumBD]float32, bd bool) {
	var twin Side
	bidir := in != nil
	if bidir {
		twin = *in
	} else {
		twin.Start = out.Start
	}
	ob, ib := uint32(out.OB), uint32(twin.OB)

	f[0] = 1
	f[1] = float32(dp)
	f[2] = float32(sp)
	f[3] = float32(twin.NP)
	f[4] = float32(out.NP)
	f[5] = float32(ib)
	f[6] = float32(ob)

	var lens, times [2 * MaxPackets]uint16
	n := merge(&out, &twin, &lens, &times)
	for i := 0; i < n; i++ {
		f[7] += float32(times[i])
	}
	chain(f[offLens:offTimes], lens[:n], binSizeLen, binsLen)
	chain(f[offTimes:offBD], times[:n], binSizeMs, binsTime)

	bd = useBD && ob+ib > bdMinBytes
	if bd {
		var oc, ic [256]uint32
		if out.Counts != nil {
			oc = *out.Counts
		}
		if bidir {
			if twin.Counts != nil {
				ic = *twin.Counts
			}
			total := float32(ob + ib)
			for b := 0; b < 256; b++ {
				f[offBD+b] = float32(oc[b]+ic[b]) / total
			}
		} else {
			total := float32(ob)
			for b := 0; b < 256; b++ {
				f[offBD+b] = float32(oc[b]) / total
			}
		}
	}
	return f, bd
}

// millis is the original's conversion of a time difference to milliseconds
// (seconds·1000 plus whole milliseconds of the non-negative microsecond
// part, i.e. the floor of d/1000), truncated to 16 bits.
func millis(d int64) uint16 {
	q := d / 1000
	if d%1000 < 0 {
		q--
	}
	return uint16(q)
}

// merge interleaves the first SPLT entries of o and t by time (on equal times
// t's entry comes first), storing lengths and the time since the previously
// merged entry. Entry 0's time is then replaced by the first packet time
// minus the start of the side that started first (t on a tie), or of the only
// side that has entries. It returns the number of merged entries.
func merge(o, t *Side, lens, times *[2 * MaxPackets]uint16) int {
	no, nt := o.n(), t.n()
	if no+nt == 0 {
		return 0
	}
	var first int64
	switch {
	case nt == 0:
		first = o.Times[0] - o.Start
	case no == 0:
		first = t.Times[0] - t.Start
	case o.Start < t.Start:
		first = o.Times[0] - o.Start
	default:
		first = t.Times[0] - t.Start
	}
	var prev int64
	s, r := 0, 0
	for s < no || r < nt {
		var l uint16
		var ts int64
		if r >= nt || (s < no && o.Times[s] < t.Times[r]) {
			l, ts = o.Lens[s], o.Times[s]
			s++
		} else {
			l, ts = t.Lens[r], t.Times[r]
			r++
		}
		k := s + r - 1
		lens[k] = l
		times[k] = millis(ts - prev) // entry 0 is replaced below
		prev = ts
	}
	times[0] = millis(first)
	return no + nt
}

// chain writes the row-normalised Markov chain of the bins of v (bin width
// size, nb bins, the last one open-ended) into mc (nb×nb, row-major). A
// single entry gives a 1 on the diagonal cell of its bin.
func chain(mc []float32, v []uint16, size, nb int) {
	bin := func(x uint16) int {
		b := int(x) / size
		if b > nb-1 {
			b = nb - 1
		}
		return b
	}
	switch len(v) {
	case 0:
		return
	case 1:
		b := bin(v[0])
		mc[b*nb+b] = 1
		return
	}
	for i := 1; i < len(v); i++ {
		mc[bin(v[i-1])*nb+bin(v[i])]++
	}
	for row := 0; row < nb; row++ {
		cells := mc[row*nb : (row+1)*nb]
		var sum float32
		for _, c := range cells {
			sum += c
		}
		if sum != 0 {
			for j := range cells {
				cells[j] /= sum
			}
		}
	}
}
