// Package bytestats counts the bytes of one direction of a flow and prints
// Joy's byte-distribution features: the 256-bucket distribution with its
// mean and standard deviation, the compact (16-bucket) distribution and
// the entropy, with the original's reductions and float arithmetic.
package bytestats

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/gojoy/libjoy/joy/record"
)

// CompactMap maps each byte value to one of 16 compact buckets.
type CompactMap [256]uint8

// Counts are the byte statistics of one direction. The mean and variance
// are computed exactly from the counts when printed: the original updated
// a running (Welford) mean per byte, whose result agrees to the printed
// six decimals, at a tenth of the cost.
type Counts struct {
	Count   [256]uint32
	Compact [16]uint32
	n       uint64 // bytes counted (Count can wrap; n does not)
}

// Observe adds a payload. compact, if not nil, also fills the compact
// distribution.
func (c *Counts) Observe(p []byte, compact *CompactMap) {
	c.n += uint64(len(p))
	for _, x := range p {
		c.Count[x]++
	}
	if compact != nil {
		for _, x := range p {
			c.Compact[compact[x]&15]++
		}
	}
}

// Options say which members to print.
type Options struct {
	Dist    bool // byte_dist, byte_dist_mean, byte_dist_std
	Compact bool // compact_byte_dist
	Entropy bool // entropy, total_entropy
}

// AppendJSON appends the byte-statistics members (Emit) as JSON text,
// each with its leading comma.
func AppendJSON(b []byte, out, in *Counts, bidir bool, numBytes uint64, o Options) []byte {
	var e record.Enc
	e.ResetMembers(b)
	Emit(&e, out, in, bidir, numBytes, o)
	return e.JSON.B
}

// Emit emits the byte-statistics members of a flow whose out side has
// counts out (nil if it saw no payload bytes) and whose in side, if the
// flow has one, has counts in. numBytes is bytes_out (+ bytes_in).
func Emit(e *record.Enc, out, in *Counts, bidir bool, numBytes uint64, o Options) {
	var zero Counts
	if out == nil {
		out = &zero
	}
	var sum [256]uint32
	for i := range sum {
		sum[i] = out.Count[i]
		if in != nil {
			sum[i] += in.Count[i]
		}
	}
	if o.Dist {
		Reduce(sum[:])
		e.List("byte_dist")
		for _, c := range sum {
			e.Uint("", uint64(c))
		}
		e.End()
		if numBytes != 0 {
			mean, std := meanStd(out, in, bidir)
			e.Float("byte_dist_mean", mean, 'f', 6)
			e.Float("byte_dist_std", std, 'f', 6)
		}
	}
	if o.Compact {
		var c [16]uint32
		for i := range c {
			c[i] = out.Compact[i]
			if in != nil {
				c[i] += in.Compact[i]
			}
		}
		Reduce(c[:])
		e.List("compact_byte_dist")
		for _, v := range c {
			e.Uint("", uint64(v))
		}
		e.End()
	}
	if o.Entropy && numBytes != 0 {
		// With the distribution on, the original computes the entropy
		// from the reduced counts (QUIRK-48).
		x := Entropy(&sum, numBytes)
		e.Float("entropy", float64(x), 'f', 6)
		e.Float("total_entropy", float64(x)*float64(numBytes), 'f', 6)
	}
}

// Reduce scales counts down so that the largest fits in 8 bits, shifting
// all by the same amount, as the original prints distributions.
func Reduce(c []uint32) {
	shift := reduceShift(c)
	for i := range c {
		c[i] >>= shift
	}
}

// reduceShift is the right shift that Reduce applies to every count.
func reduceShift(c []uint32) int {
	var m uint32
	for _, v := range c {
		m |= v
	}
	return bits.Len32(m >> 8)
}

// AppendReduced appends the counts as Reduce leaves them, one byte each,
// without changing c.
func AppendReduced(b []byte, c []uint32) []byte {
	shift := reduceShift(c)
	for _, v := range c {
		b = append(b, byte(v>>shift))
	}
	return b
}

// moments returns the number of bytes, their mean and the sum of squared
// deviations from the mean, exactly from the counts.
func (c *Counts) moments() (n uint64, mean, m2 float64) {
	if c == nil {
		return 0, 0, 0
	}
	var sum, sumsq uint64
	for b, k := range c.Count {
		sum += uint64(b) * uint64(k)
		sumsq += uint64(b*b) * uint64(k)
	}
	n = c.n
	if n == 0 {
		return 0, 0, 0
	}
	// n·M2 = n·Σx² − (Σx)², in 128 bits so nothing cancels away.
	hi1, lo1 := bits.Mul64(n, sumsq)
	hi2, lo2 := bits.Mul64(sum, sum)
	lo, borrow := bits.Sub64(lo1, lo2, 0)
	hi, _ := bits.Sub64(hi1, hi2, borrow)
	nm2 := float64(hi)*(1<<64) + float64(lo)
	return n, float64(sum) / float64(n), nm2 / float64(n)
}

func meanStd(out, in *Counts, bidir bool) (mean, std float64) {
	n1, m1, s1 := out.moments()
	if !bidir {
		if n1 <= 1 {
			return m1, 0
		}
		return m1, math.Sqrt(s1 / float64(n1-1))
	}
	n2, m2, s2 := in.moments()
	if n1+n2 == 0 {
		return 0, 0
	}
	total := float64(n1 + n2)
	w1, w2 := float64(n1)/total, float64(n2)/total
	mean = w1*m1 + w2*m2
	if n1+n2 == 1 {
		return mean, 0
	}
	// The original weights the two sums of squares by their share of the
	// bytes instead of pooling them (QUIRK-47).
	return mean, math.Sqrt((w1*s1 + w2*s2) / (total - 1))
}

// flt32Epsilon is C's FLT_EPSILON.
const flt32Epsilon = 1.1920928955078125e-07

// Entropy is the Shannon entropy in bits per byte of the counts over
// numBytes bytes, computed in float32 in the original's order.
func Entropy(counts *[256]uint32, numBytes uint64) float32 {
	var sum float32
	total := float32(numBytes)
	for _, c := range counts {
		p := float32(c) / total
		if p > flt32Epsilon {
			sum -= p * logf(p)
		}
	}
	return sum / logf(2)
}

// logf is a float32 natural logarithm (glibc's logf is correctly rounded
// for these inputs, as is the float64 logarithm rounded to float32).
func logf(x float32) float32 { return float32(math.Log(float64(x))) }

// LoadCompactMap reads a compact byte-distribution map: lines of
// "byte<TAB>bucket" with byte 0–255 and bucket 0–15. Bytes not listed map
// to bucket 0. Reading stops quietly at the first line that is not two
// numbers, as the original's reader does; a byte or bucket out of range is
// an error (the original wrote past its 16-entry array, QUIRK-11).
func LoadCompactMap(r io.Reader) (*CompactMap, error) {
	var m CompactMap
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	line := 0
	for sc.Scan() && line < 256 {
		line++
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			break
		}
		b, err1 := strconv.ParseUint(f[0], 10, 16)
		v, err2 := strconv.ParseUint(f[1], 10, 16)
		if err1 != nil || err2 != nil {
			break
		}
		if b > 255 || v > 15 {
			return nil, fmt.Errorf("line %d: byte %d or bucket %d out of range (byte 0-255, bucket 0-15)", line, b, v)
		}
		m[b] = uint8(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return &m, nil
}
