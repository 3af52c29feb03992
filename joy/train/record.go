package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gojoy/libjoy/joy/classify"
)

// Example is one flow as the classifier sees it: its two directions, as
// classify.Features takes them.
type Example struct {
	Out    classify.Side
	In     *classify.Side // nil for a one-sided record
	SP, DP uint16
	HasBD  bool // the record carried a byte distribution (Out.Counts is set)
	// BDApprox tells that the byte distribution was printed reduced, so
	// Out.Counts is an estimate (see FromRecord).
	BDApprox bool

	// Group names the flow: examples with the same Group are always kept on
	// the same side of a cross-validation split. FromRecord uses the
	// protocol and the two endpoints, so several records of one connection
	// (say from two runs over the same capture) stay together.
	Group string
	// Source tells where the example came from (file:line), for messages.
	Source string
}

// Features returns the classifier's feature vector of e and whether the BD
// model applies to it, with byte distributions on when useBD is set.
func (e *Example) Features(useBD bool) (f [classify.NumBD]float32, bd bool) {
	return classify.Features(e.Out, e.In, e.SP, e.DP, useBD)
}

// jsonRecord holds the keys of a Joy flow record that the classifier uses.
type jsonRecord struct {
	SA         string       `json:"sa"`
	DA         string       `json:"da"`
	PR         *uint32      `json:"pr"`
	SP         *uint32      `json:"sp"`
	DP         *uint32      `json:"dp"`
	BytesOut   *uint64      `json:"bytes_out"`
	NumPktsOut *uint64      `json:"num_pkts_out"`
	BytesIn    *uint64      `json:"bytes_in"`
	NumPktsIn  *uint64      `json:"num_pkts_in"`
	TimeStart  json.Number  `json:"time_start"`
	Packets    []jsonPacket `json:"packets"`
	ByteDist   []uint64     `json:"byte_dist"`
}

type jsonPacket struct {
	B   *uint32 `json:"b"`
	Rep *uint32 `json:"rep"`
	Dir string  `json:"dir"`
	IPT uint64  `json:"ipt"`
}

// ErrNotFlow is returned by FromRecord for a JSON object that is not a flow
// record (no "packets" or counters), such as Joy's configuration record.
var ErrNotFlow = errors.New("not a flow record")

// FromRecord rebuilds the classifier's view of a flow from one Joy JSON
// record. The record keeps less than the flow table did, so this is an
// approximation in a few places (exact everywhere else):
//
//   - Times. Entry times are rebuilt by adding up the "ipt" values (whole
//     milliseconds) from "time_start", plus k+1 µs for entry k so that the
//     merge keeps the record's order. The merged inter-arrival times the
//     classifier sees are then exactly the printed ipt values. In a
//     two-sided record, the first ipt counts from time_start, the start of
//     the "out" side (its first packet, payload or not), so out's first
//     SPLT time relative to its start is exact; the "in" side's start is
//     not printed and is taken as the time of its first SPLT entry. This
//     only matters when "in" has entries and "out" has none, or when both
//     sides started at the same microsecond (then the classifier measures
//     entry 0 from in's start). In a one-sided record the first ipt is
//     always 0, so out's first entry is taken to be at time_start.
//     Millisecond truncation of each ipt can also shift entry 0 of a
//     two-sided record whose first entry is an "in" one by a millisecond,
//     and, when a side has more than 50 entries (num_pkts above 50), the
//     classifier merges only the first 50 of each side, so some of its
//     inter-arrival times span several printed ones and add up their
//     truncations.
//   - Byte distribution. "byte_dist" holds the counts of both sides
//     summed and shifted right until every count fits in 8 bits. When the
//     counts add up to at least bytes_out+bytes_in they are used as they
//     are (no shift happened); otherwise each count is shifted back left
//     by the shift that brings their sum closest to that total from below,
//     and what is still missing is spread evenly over the 256 counts (the
//     dropped low bits are unknown). Scores from such records are close to,
//     not equal to, the original's.
//
// Lengths of "rep" entries (a length of 32768 or more printed as
// 65536-length) are restored. In a one-sided record every entry is the
// "out" side's, whatever its "dir" says (the original prints "<" there).
func FromRecord(rec []byte) (Example, error) {
	var r jsonRecord
	if err := json.Unmarshal(rec, &r); err != nil {
		return Example{}, err
	}
	if r.NumPktsOut == nil || r.BytesOut == nil || r.Packets == nil {
		return Example{}, ErrNotFlow
	}
	start, err := parseTime(string(r.TimeStart))
	if err != nil {
		return Example{}, fmt.Errorf("time_start: %w", err)
	}
	var e Example
	e.SP, e.DP = port(r.SP), port(r.DP)
	e.Out = classify.Side{Start: start, NP: uint32(*r.NumPktsOut), OB: *r.BytesOut}
	twoSided := r.NumPktsIn != nil
	var in classify.Side
	if twoSided {
		in.NP = uint32(*r.NumPktsIn)
		if r.BytesIn != nil {
			in.OB = *r.BytesIn
		}
		in.Start = start
	}
	t := start
	inFirst := true
	for k, p := range r.Packets {
		var l uint16
		switch {
		case p.B != nil:
			l = uint16(*p.B)
		case p.Rep != nil:
			l = uint16(65536 - *p.Rep)
		default:
			return Example{}, fmt.Errorf("packets[%d] has neither \"b\" nor \"rep\"", k)
		}
		if k > 0 || twoSided {
			t += int64(p.IPT) * 1000
		}
		ts := t + int64(k+1)
		if twoSided && p.Dir == "<" {
			in.Lens = append(in.Lens, l)
			in.Times = append(in.Times, ts)
			if inFirst {
				in.Start, inFirst = ts, false
			}
			continue
		}
		e.Out.Lens = append(e.Out.Lens, l)
		e.Out.Times = append(e.Out.Times, ts)
	}
	if twoSided {
		e.In = &in
	}
	if len(r.ByteDist) == 256 {
		e.HasBD = true
		e.Out.Counts, e.BDApprox = byteCounts(r.ByteDist, uint32(e.Out.OB)+uint32(in.OB))
	}
	e.Group = flowGroup(&r)
	return e, nil
}

// byteCounts undoes, as far as it can, the reduction of a printed byte
// distribution (see FromRecord).
func byteCounts(bd []uint64, total uint32) (counts *[256]uint32, approx bool) {
	var c [256]uint32
	var sum uint64
	for _, v := range bd {
		sum += v
	}
	if sum >= uint64(total) || sum == 0 {
		for i, v := range bd {
			c[i] = uint32(v)
		}
		return &c, false
	}
	// The shift s is the one for which sum<<s <= total < 2*(sum<<s) (the
	// low s bits of every count were dropped, so total-sum<<s is what they
	// held); that remainder is spread evenly over the 256 counts.
	s := uint(0)
	for sum<<(s+1) <= uint64(total) {
		s++
	}
	rem := float64(uint64(total)-sum<<s) / 256
	for i, v := range bd {
		c[i] = uint32(math.Round(float64(v<<s) + rem))
	}
	return &c, true
}

func port(p *uint32) uint16 {
	if p == nil {
		return 0
	}
	return uint16(*p)
}

// parseTime reads Joy's "<sec>.<usec>" time exactly, in microseconds.
func parseTime(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("missing")
	}
	sec, frac, _ := strings.Cut(s, ".")
	v, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, err
	}
	if len(frac) > 6 {
		frac = frac[:6]
	}
	var us int64
	if frac != "" {
		if us, err = strconv.ParseInt(frac, 10, 64); err != nil || us < 0 {
			return 0, fmt.Errorf("bad fraction in %q", s)
		}
		for i := len(frac); i < 6; i++ {
			us *= 10
		}
	}
	if strings.HasPrefix(sec, "-") {
		us = -us
	}
	return v*1_000_000 + us, nil
}

// flowGroup names the connection of a record independently of its
// direction: protocol and the two endpoints in sorted order.
func flowGroup(r *jsonRecord) string {
	pr := uint32(0)
	if r.PR != nil {
		pr = *r.PR
	}
	a := endpoint(r.SA, port(r.SP))
	b := endpoint(r.DA, port(r.DP))
	if b < a {
		a, b = b, a
	}
	return fmt.Sprintf("%d %s %s", pr, a, b)
}

func endpoint(addr string, p uint16) string {
	if ip, err := netip.ParseAddr(addr); err == nil {
		return netip.AddrPortFrom(ip, p).String()
	}
	return addr + ":" + strconv.Itoa(int(p))
}
