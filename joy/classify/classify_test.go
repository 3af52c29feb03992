package classify

import (
	"math"
	"testing"
)

const t0 = int64(1_500_000_000_000_000) // µs

// logistic64 is the model's probability computed independently in float64.
func logistic64(s float64) float64 { return 1 / (1 + math.Exp(-s)) }

func near(t *testing.T, what string, got float32, want float64) {
	t.Helper()
	if math.Abs(float64(got)-want) > 1e-6 {
		t.Errorf("%s = %.9f, want %.9f", what, got, want)
	}
}

// checkVector compares a feature vector with the expected non-zero slots.
func checkVector(t *testing.T, f [NumBD]float32, want map[int]float64) {
	t.Helper()
	for i, v := range f {
		w := want[i]
		if math.Abs(float64(v)-w) > 1e-6 {
			t.Errorf("f[%d] = %v, want %v", i, v, w)
		}
	}
}

// One data packet in each direction, client first.
func TestOnePacketEachWay(t *testing.T) {
	out := Side{
		Lens: []uint16{200}, Times: []int64{t0 + 30_500}, // 30.5 ms after its SYN
		Start: t0, NP: 3, OB: 200,
	}
	in := Side{
		Lens: []uint16{1400}, Times: []int64{t0 + 100_000},
		Start: t0 + 10_000, NP: 2, OB: 1400,
	}
	f, bd := Features(out, &in, 45422, 443, false)
	if bd {
		t.Fatal("BD model chosen with dist off")
	}
	// Merged: 200 (out) then 1400 (in). Entry 0's time is out's first packet
	// minus out's start (out started first): 30 ms; entry 1: 69.5 → 69 ms.
	// Length bins 1 and 9: one transition 1→9. Time bins 0 and 1: 0→1.
	want := map[int]float64{
		0: 1, 1: 443, 2: 45422, 3: 2, 4: 3, 5: 1400, 6: 200, 7: 30 + 69,
		8 + 1*10 + 9:   1,
		108 + 0*10 + 1: 1,
	}
	checkVector(t, f, want)

	m := Default()
	var s float64
	for i, v := range want {
		s += v * float64(m.SPLT[i])
	}
	near(t, "p_malware", m.Score(out, &in, 45422, 443, false), logistic64(s))
	// dist on but only 1600 bytes with counts: BD model.
	if _, bd := Features(out, &in, 45422, 443, true); !bd {
		t.Error("BD model not chosen with dist on and 1600 bytes")
	}
}

// A single packet: the diagonal cell of its bins is 1.
func TestSinglePacketUnidirectional(t *testing.T) {
	out := Side{Lens: []uint16{1000}, Times: []int64{t0 + 120_999}, Start: t0, NP: 1, OB: 1000}
	f, _ := Features(out, nil, 53, 5353, false)
	// 1000/150 = 6; 120 ms / 50 = 2.
	checkVector(t, f, map[int]float64{
		0: 1, 1: 5353, 2: 53, 4: 1, 6: 1000, 7: 120,
		8 + 6*10 + 6:   1,
		108 + 2*10 + 2: 1,
	})
}

// The twin started first: entry 0 is the twin's first packet minus the
// twin's start even though out's packet comes first; equal times put the
// twin's entry first.
func TestEntryZeroAndTies(t *testing.T) {
	out := Side{Lens: []uint16{100, 1600}, Times: []int64{t0 + 5_000, t0 + 400_000}, Start: t0 + 1_000, NP: 2, OB: 1700}
	in := Side{Lens: []uint16{700, 300}, Times: []int64{t0 + 250_000, t0 + 400_000}, Start: t0, NP: 2, OB: 1000}
	var lens, times [2 * MaxPackets]uint16
	n := merge(&out, &in, &lens, &times)
	if n != 4 {
		t.Fatalf("merged %d entries", n)
	}
	wantLens := []uint16{100, 700, 300, 1600}
	wantTimes := []uint16{250, 245, 150, 0} // entry 0: 250 ms (twin's), then 245, 150, 0
	for i := 0; i < n; i++ {
		if lens[i] != wantLens[i] || times[i] != wantTimes[i] {
			t.Errorf("entry %d = (%d, %d), want (%d, %d)", i, lens[i], times[i], wantLens[i], wantTimes[i])
		}
	}
	// Equal starts: the twin's side too.
	out.Start = t0
	merge(&out, &in, &lens, &times)
	if times[0] != 250 {
		t.Errorf("equal starts: entry 0 = %d, want 250", times[0])
	}
	// Chains: lengths bins 0,4,2,9 → 0→4, 4→2, 2→9; times bins 5,4,3,0.
	f, _ := Features(out, &in, 1, 2, false)
	checkVector(t, f, map[int]float64{
		0: 1, 1: 2, 2: 1, 3: 2, 4: 2, 5: 1000, 6: 1700, 7: 250 + 245 + 150,
		8 + 0*10 + 4: 1, 8 + 4*10 + 2: 1, 8 + 2*10 + 9: 1,
		108 + 5*10 + 4: 1, 108 + 4*10 + 3: 1, 108 + 3*10 + 0: 1,
	})
}

// Row normalisation and time wrapping at 16 bits.
func TestChainsNormalisedAndWrapped(t *testing.T) {
	ms := int64(1000)
	out := Side{
		// gaps: 10 ms, 10 ms, 65546 ms (wraps to 10), 70000 ms (wraps to 4464)
		Lens:  []uint16{10, 10, 160, 10, 10},
		Times: []int64{t0 + 10*ms, t0 + 20*ms, t0 + 65566*ms, t0 + 135566*ms, t0 + 135566*ms + 999},
		Start: t0, NP: 5, OB: 200,
	}
	f, _ := Features(out, nil, 0, 0, false)
	// times 10,10,10,4464,0 → bins 0,0,0,9,0: 0→0 ×2, 0→9, 9→0; row 0 = 2/3, 1/3.
	// lens bins 0,0,1,0,0: 0→0, 0→1, 1→0, 0→0; row 0 = 2/3, 1/3; row 1 = 1.
	checkVector(t, f, map[int]float64{
		0: 1, 4: 5, 6: 200, 7: 10 + 10 + 10 + 4464 + 0,
		8 + 0: 2.0 / 3, 8 + 1: 1.0 / 3, 8 + 10: 1,
		108 + 0: 2.0 / 3, 108 + 9: 1.0 / 3, 108 + 90: 1,
	})
	if millis(-1) != 0xffff || millis(-1000) != 0xffff || millis(-1001) != 0xfffe || millis(65_536_999) != 0 {
		t.Error("millis does not floor and wrap like the original")
	}
}

// Only the first 50 entries of each side are used.
func TestAtMostFiftyPerSide(t *testing.T) {
	var s Side
	for i := 0; i < 60; i++ {
		s.Lens = append(s.Lens, 100)
		s.Times = append(s.Times, t0+int64(i)*1000)
	}
	s.Start = t0
	f, _ := Features(s, nil, 0, 0, false)
	if f[7] != 49 {
		t.Errorf("duration = %v, want 49", f[7])
	}
}

func TestNoPackets(t *testing.T) {
	f, _ := Features(Side{Start: t0, NP: 1}, &Side{Start: t0}, 1, 2, false)
	checkVector(t, f, map[int]float64{0: 1, 1: 2, 2: 1, 4: 1})
}

// The BD model: bias plus the 463 products, with the byte frequencies of
// both directions over ob+ib (unidirectional: over ob).
func TestBDModel(t *testing.T) {
	var oc, ic [256]uint32
	oc['a'], oc[0] = 90, 10
	ic['a'], ic[0xff] = 30, 20
	out := Side{Lens: []uint16{100}, Times: []int64{t0 + 1000}, Start: t0, NP: 1, OB: 100, Counts: &oc}
	in := Side{Lens: []uint16{50}, Times: []int64{t0 + 2000}, Start: t0 + 500, NP: 1, OB: 50, Counts: &ic}
	var m Model
	m.BD[0] = -1
	m.BD[1] = 0.001   // dp
	m.BD[208] = 2     // byte 0
	m.BD[208+'a'] = 3 // byte 'a'
	m.BD[463] = -4    // byte 0xff
	m.BD[8] = 0.5     // length chain cell (0,0)
	m.SPLT[0] = 100   // must not be used
	f, bd := Features(out, &in, 7, 80, true)
	if !bd {
		t.Fatal("BD model not chosen")
	}
	if f[208] != float32(10.0/150) || f[208+'a'] != float32(120.0/150) || f[463] != float32(20.0/150) {
		t.Errorf("byte frequencies %v %v %v", f[208], f[208+'a'], f[463])
	}
	want := -1 + 0.001*80 + 2*10.0/150 + 3*120.0/150 - 4*20.0/150 + 0.5*1
	near(t, "BD p", m.Score(out, &in, 7, 80, true), logistic64(want))

	// Unidirectional: counts over ob only.
	var uc [256]uint32
	uc['a'], uc[0] = 108, 12
	uni := Side{Lens: []uint16{120}, Times: []int64{t0}, Start: t0, NP: 1, OB: 120, Counts: &uc}
	f, bd = Features(uni, nil, 7, 80, true)
	if !bd || f[208+'a'] != 0.9 || f[208] != float32(0.1) {
		t.Errorf("unidirectional frequencies %v %v (BD %v)", f[208+'a'], f[208], bd)
	}
	// 100 bytes are not enough: SPLT model.
	if _, bd := Features(out, nil, 7, 80, true); bd {
		t.Error("BD model with ob+ib = 100")
	}
	near(t, "SPLT p", m.Score(out, nil, 7, 80, true), logistic64(100))
}

func TestLogisticCap(t *testing.T) {
	if p := Logistic(-1000); p != 0 {
		t.Errorf("Logistic(-1000) = %v", p)
	}
	if p := Logistic(1000); p != 1 {
		t.Errorf("Logistic(1000) = %v", p)
	}
	if p := Logistic(float32(math.NaN())); p != 0 {
		t.Errorf("Logistic(NaN) = %v", p)
	}
	near(t, "Logistic(0)", Logistic(0), 0.5)
	near(t, "Logistic(2)", Logistic(2), logistic64(2))
	var zero Model
	near(t, "zero model", zero.Score(Side{Start: t0}, nil, 1, 2, false), 0.5)
}

// The defaults are the original's tables (spot checks of both ends).
func TestDefaultWeights(t *testing.T) {
	m := Default()
	if m.SPLT[0] != float32(1.870162393265777379) || m.SPLT[207] != float32(2.036695317557343010) {
		t.Errorf("SPLT ends %v %v", m.SPLT[0], m.SPLT[207])
	}
	if m.BD[0] != float32(-2.953121634313102817e-01) || m.BD[400] != float32(-4.982390613598663265e+01) || m.BD[463] != 0 {
		t.Errorf("BD %v %v %v", m.BD[0], m.BD[400], m.BD[463])
	}
	m.SPLT[0] = 0
	if Default().SPLT[0] == 0 {
		t.Error("Default shares its tables")
	}
}
