// Package plot draws one Joy flow record as an SVG image: its packet
// lengths against time (SPLT; the "out" side's packets as bars above the
// axis, the "in" side's below) and its byte distribution. It is the engine
// of "joy plot".
//
// The SVG is plain and easy to test or restyle: the SPLT panel is <g
// id="splt"> with one <rect class="out"> or <rect class="in"> per packet,
// the byte distribution panel is <g id="bd"> with one <rect class="bd"> per
// byte value that occurs, and every bar has a <title> (a tooltip in
// browsers) giving its exact values.
package plot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Options control the drawing.
type Options struct {
	// Width of the image in pixels (0: 960).
	Width int
	// XAxis is "time" (the default: packets at their time since the start
	// of the flow, in ms) or "index" (packets side by side in record order).
	// A flow whose packets all have the same time is drawn by index.
	XAxis string
	// Title replaces the title made from the record's addresses and ports.
	Title string
}

// Packet is one SPLT entry of a record, as drawn.
type Packet struct {
	Len  int   // payload length in bytes
	Out  bool  // sent by the record's "out" side (sa → da)
	Time int64 // ms since time_start (sum of the ipt values)
	IPT  int64 // the printed ipt
}

// Flow is the part of a flow record that is drawn.
type Flow struct {
	SA, DA          string
	PR              int
	SP, DP          int
	BytesOut        uint64
	BytesIn         uint64
	PktsOut         uint64
	PktsIn          uint64
	TwoSided        bool
	TimeStart       string
	Packets         []Packet
	ByteDist        []uint64 // nil when the record has none
	PMalware        *float64
	HasPorts        bool
	DurationSeconds float64
}

type jsonFlow struct {
	SA         string      `json:"sa"`
	DA         string      `json:"da"`
	PR         int         `json:"pr"`
	SP         *int        `json:"sp"`
	DP         *int        `json:"dp"`
	BytesOut   uint64      `json:"bytes_out"`
	NumPktsOut uint64      `json:"num_pkts_out"`
	BytesIn    *uint64     `json:"bytes_in"`
	NumPktsIn  *uint64     `json:"num_pkts_in"`
	TimeStart  json.Number `json:"time_start"`
	TimeEnd    json.Number `json:"time_end"`
	Packets    []struct {
		B   *int   `json:"b"`
		Rep *int   `json:"rep"`
		Dir string `json:"dir"`
		IPT int64  `json:"ipt"`
	} `json:"packets"`
	ByteDist []uint64 `json:"byte_dist"`
	PMalware *float64 `json:"p_malware"`
}

// ErrNotFlow is returned for a JSON object that is not a flow record.
var ErrNotFlow = errors.New("not a flow record")

// Parse extracts what is drawn from a flow record. In a one-sided record
// (no num_pkts_in) every packet is the "out" side's, although the original
// prints "<" for them.
func Parse(rec []byte) (*Flow, error) {
	var j jsonFlow
	if err := json.Unmarshal(rec, &j); err != nil {
		return nil, err
	}
	if j.Packets == nil && j.NumPktsOut == 0 {
		return nil, ErrNotFlow
	}
	f := &Flow{SA: j.SA, DA: j.DA, PR: j.PR, BytesOut: j.BytesOut, PktsOut: j.NumPktsOut,
		TimeStart: string(j.TimeStart), ByteDist: j.ByteDist, PMalware: j.PMalware}
	if j.SP != nil && j.DP != nil {
		f.SP, f.DP, f.HasPorts = *j.SP, *j.DP, true
	}
	if j.NumPktsIn != nil {
		f.TwoSided = true
		f.PktsIn = *j.NumPktsIn
		if j.BytesIn != nil {
			f.BytesIn = *j.BytesIn
		}
	}
	if a, err1 := strconv.ParseFloat(string(j.TimeStart), 64); err1 == nil {
		if b, err2 := strconv.ParseFloat(string(j.TimeEnd), 64); err2 == nil {
			f.DurationSeconds = b - a
		}
	}
	var t int64
	for _, p := range j.Packets {
		l := 0
		switch {
		case p.B != nil:
			l = *p.B
		case p.Rep != nil:
			l = 65536 - *p.Rep
		}
		t += p.IPT
		f.Packets = append(f.Packets, Packet{Len: l, Out: !f.TwoSided || p.Dir == ">", Time: t, IPT: p.IPT})
	}
	if len(f.ByteDist) != 256 {
		f.ByteDist = nil
	}
	return f, nil
}

// Write draws the flow record rec as an SVG document on w.
func Write(w io.Writer, rec []byte, o Options) error {
	f, err := Parse(rec)
	if err != nil {
		return err
	}
	return f.Write(w, o)
}

// Colours of the two sides and of the byte distribution.
const (
	colourOut = "#1f77b4"
	colourIn  = "#ff7f0e"
	colourBD  = "#2ca02c"
	fontStyle = `font-family="DejaVu Sans, Helvetica, Arial, sans-serif"`
)

// svg collects the document.
type svg struct{ b strings.Builder }

func (s *svg) p(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func esc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			if r < 0x20 && r != '\t' && r != '\n' {
				continue // not allowed in XML 1.0
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// niceStep returns a round tick step (1, 2 or 5 times a power of ten) that
// cuts span into about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func (f *Flow) title() string {
	ep := func(a string, port int) string {
		if !f.HasPorts {
			return a
		}
		if strings.Contains(a, ":") {
			return "[" + a + "]:" + strconv.Itoa(port)
		}
		return a + ":" + strconv.Itoa(port)
	}
	proto := map[int]string{6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6"}[f.PR]
	if proto == "" {
		proto = "protocol " + strconv.Itoa(f.PR)
	}
	return fmt.Sprintf("%s → %s  %s", ep(f.SA, f.SP), ep(f.DA, f.DP), proto)
}

func (f *Flow) subtitle() string {
	s := fmt.Sprintf("start %s, %.3f s; out %d packets %d bytes", f.TimeStart, f.DurationSeconds, f.PktsOut, f.BytesOut)
	if f.TwoSided {
		s += fmt.Sprintf("; in %d packets %d bytes", f.PktsIn, f.BytesIn)
	} else {
		s += "; one-sided"
	}
	if f.PMalware != nil {
		s += fmt.Sprintf("; p_malware %.6f", *f.PMalware)
	}
	return s
}

// Write draws f as an SVG document on w.
func (f *Flow) Write(w io.Writer, o Options) error {
	W := o.Width
	if W <= 0 {
		W = 960
	}
	W = max(W, 400)
	const (
		left, right = 70, 30
		top         = 64
		spltH       = 320 // plot area of the SPLT panel
		gap         = 80
		bdH         = 180
		bottom      = 50
	)
	H := top + spltH + gap + bdH + bottom
	pw := float64(W - left - right)
	s := &svg{}
	s.p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	s.p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n", W, H, W, H, fontStyle)
	s.p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	title := o.Title
	if title == "" {
		title = f.title()
	}
	s.p(`<text id="title" x="%d" y="22" font-size="16" font-weight="bold">%s</text>`+"\n", left, esc(title))
	s.p(`<text id="subtitle" x="%d" y="42" fill="#444">%s</text>`+"\n", left, esc(f.subtitle()))

	// --- SPLT panel -----------------------------------------------------
	byIndex := o.XAxis == "index"
	var tmax int64
	for _, p := range f.Packets {
		tmax = max(tmax, p.Time)
	}
	if tmax == 0 {
		byIndex = true
	}
	maxLen := 1
	for _, p := range f.Packets {
		maxLen = max(maxLen, p.Len)
	}
	ystep := niceStep(float64(maxLen), 3)
	ymax := math.Ceil(float64(maxLen)/ystep) * ystep
	// two-sided: out above a middle axis, in below; one-sided: out only,
	// above an axis at the bottom
	half := float64(spltH) / 2
	mid := float64(top) + half
	if !f.TwoSided {
		half = float64(spltH)
		mid = float64(top + spltH)
	}
	yOf := func(l float64) float64 { return l / ymax * (half - 4) }
	n := len(f.Packets)
	bw := 6.0
	if n > 0 {
		bw = math.Max(1.5, math.Min(10, pw/float64(n)*0.6))
	}
	pad := bw/2 + 2 // keeps the first and last bars inside the frame
	xTime := func(ms float64) float64 { return float64(left) + pad + ms/float64(tmax)*(pw-2*pad) }
	xOf := func(i int) float64 {
		if byIndex {
			return float64(left) + (float64(i)+0.5)*pw/float64(max(n, 1))
		}
		return xTime(float64(f.Packets[i].Time))
	}
	xlabel := "time since the start of the flow (ms)"
	if byIndex {
		xlabel = "packet (in record order)"
	}
	s.p(`<g id="splt" data-x-axis="%s">`+"\n", map[bool]string{true: "index", false: "time"}[byIndex])
	s.p(`<rect x="%d" y="%d" width="%s" height="%d" fill="#fafafa" stroke="#ccc"/>`+"\n", left, top, num(pw), spltH)
	// y grid and labels (both directions)
	for v := 0.0; v <= ymax+1e-9; v += ystep {
		for _, sign := range []float64{-1, 1} {
			if f.TwoSided && v == 0 && sign > 0 || !f.TwoSided && sign < 0 {
				continue // one label at 0; none below a one-sided axis
			}
			y := mid - sign*yOf(v)
			if v != 0 {
				s.p(`<line x1="%d" y1="%s" x2="%s" y2="%s" stroke="#e4e4e4"/>`+"\n", left, num(y), num(float64(left)+pw), num(y))
			}
			s.p(`<text x="%d" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, num(y), fmtTick(v))
		}
	}
	s.p(`<line x1="%d" y1="%s" x2="%s" y2="%s" stroke="#333"/>`+"\n", left, num(mid), num(float64(left)+pw), num(mid))
	// x ticks
	if byIndex {
		step := math.Max(1, niceStep(float64(n), 10))
		for v := 0.0; v < float64(n); v += step {
			x := xOf(int(v))
			s.p(`<text x="%s" y="%d" text-anchor="middle">%s</text>`+"\n", num(x), top+spltH+16, fmtTick(v+1))
		}
	} else {
		step := math.Max(1, niceStep(float64(tmax), 8)) // times are whole ms
		for v := 0.0; v <= float64(tmax)+1e-9; v += step {
			x := xTime(v)
			s.p(`<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="#999"/>`+"\n", num(x), top+spltH, num(x), top+spltH+4)
			s.p(`<text x="%s" y="%d" text-anchor="middle">%s</text>`+"\n", num(x), top+spltH+16, fmtTick(v))
		}
	}
	s.p(`<text x="%s" y="%d" text-anchor="middle" fill="#444">%s</text>`+"\n", num(float64(left)+pw/2), top+spltH+34, xlabel)
	s.p(`<text transform="translate(16 %d) rotate(-90)" text-anchor="middle" fill="#444">payload bytes</text>`+"\n", top+spltH/2)
	nOut := 0
	for _, p := range f.Packets {
		if p.Out {
			nOut++
		}
	}
	s.p(`<text x="%d" y="%d" fill="%s">▲ out (sa → da): %d packets shown</text>`+"\n", left+6, top+14, colourOut, nOut)
	if f.TwoSided {
		s.p(`<text x="%d" y="%d" fill="%s">▼ in (da → sa): %d packets shown</text>`+"\n", left+6, top+spltH-6, colourIn, n-nOut)
	}
	if n == 0 {
		s.p(`<text x="%s" y="%s" text-anchor="middle" fill="#888">no packets with payload</text>`+"\n", num(float64(left)+pw/2), num(mid-10))
	}
	for i, p := range f.Packets {
		h := math.Max(yOf(float64(p.Len)), 0.5)
		x := xOf(i) - bw/2
		y := mid - h
		class, colour, side := "out", colourOut, "out"
		if !p.Out {
			class, colour, side, y = "in", colourIn, "in", mid
		}
		s.p(`<rect class="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>#%d %s %d bytes at %d ms (ipt %d)</title></rect>`+"\n",
			class, num(x), num(y), num(bw), num(h), colour, i+1, side, p.Len, p.Time, p.IPT)
	}
	s.p("</g>\n")

	// --- byte distribution panel ---------------------------------------
	by := top + spltH + gap
	s.p(`<g id="bd">` + "\n")
	s.p(`<text x="%d" y="%d" font-weight="bold">byte distribution</text>`+"\n", left, by-10)
	s.p(`<rect x="%d" y="%d" width="%s" height="%d" fill="#fafafa" stroke="#ccc"/>`+"\n", left, by, num(pw), bdH)
	if f.ByteDist == nil {
		s.p(`<text x="%s" y="%d" text-anchor="middle" fill="#888">no byte_dist in this record (capture with dist=1)</text>`+"\n", num(float64(left)+pw/2), by+bdH/2)
	} else {
		var bmax uint64 = 1
		var total uint64
		for _, c := range f.ByteDist {
			bmax = max(bmax, c)
			total += c
		}
		cw := pw / 256
		step := niceStep(float64(bmax), 3)
		ytop := math.Ceil(float64(bmax)/step) * step
		for v := 0.0; v <= ytop+1e-9; v += step {
			y := float64(by+bdH) - v/ytop*float64(bdH-4)
			s.p(`<text x="%d" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", left-6, num(y), fmtTick(v))
		}
		for b, c := range f.ByteDist {
			if c == 0 {
				continue
			}
			h := float64(c) / ytop * float64(bdH-4)
			ch := ""
			if b >= 0x20 && b < 0x7f {
				ch = fmt.Sprintf(" %q", rune(b))
			}
			s.p(`<rect class="bd" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>0x%02x%s: %d (%.2f%%)</title></rect>`+"\n",
				num(float64(left)+float64(b)*cw), num(float64(by+bdH)-h), num(math.Max(cw-0.5, 0.5)), num(h), colourBD, b, esc(ch), c, 100*float64(c)/float64(max(total, 1)))
		}
		for b := 0; b <= 256; b += 32 {
			x := float64(left) + float64(b)*cw
			s.p(`<text x="%s" y="%d" text-anchor="middle">%d</text>`+"\n", num(x), by+bdH+16, min(b, 255))
		}
		s.p(`<text x="%s" y="%d" text-anchor="middle" fill="#444">byte value (counts as printed: shifted so that all fit in 8 bits)</text>`+"\n", num(float64(left)+pw/2), by+bdH+34)
	}
	s.p("</g>\n</svg>\n")
	_, err := io.WriteString(w, s.b.String())
	return err
}
