package bytestats

import (
	"strings"
	"testing"
)

// "aab": counts a=2, b=1; mean (97+97+98)/3 = 97.333333; sample standard
// deviation sqrt((2·(1/3)² + (2/3)²)/2) = sqrt(1/3) = 0.577350; entropy
// −(2/3·log2(2/3) + 1/3·log2(1/3)) = 0.918296 bits per byte.
func TestOneDirection(t *testing.T) {
	var c Counts
	c.Observe([]byte("aab"), nil)
	got := string(AppendJSON(nil, &c, nil, false, 3, Options{Dist: true, Entropy: true}))
	want := `,"byte_dist":[` + strings.Repeat("0,", 97) + "2,1," + strings.TrimSuffix(strings.Repeat("0,", 256-99), ",") +
		`],"byte_dist_mean":97.333333,"byte_dist_std":0.577350,"entropy":0.918296,"total_entropy":2.754888`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// A single byte has no deviation; the original prints 0 rather than NaN.
func TestSingleByte(t *testing.T) {
	var c Counts
	c.Observe([]byte{7}, nil)
	got := string(AppendJSON(nil, &c, nil, false, 1, Options{Dist: true}))
	if !strings.HasSuffix(got, `"byte_dist_mean":7.000000,"byte_dist_std":0.000000`) {
		t.Fatalf("got %s", got)
	}
}

// Counts above 255 are scaled down by the same power of two: 300 (9 bits)
// is shifted by one, so 300 → 150 and 3 → 1.
func TestReduction(t *testing.T) {
	var c Counts
	c.Observe([]byte(strings.Repeat("x", 300)+"yyy"), nil)
	got := string(AppendJSON(nil, &c, nil, false, 303, Options{Dist: true}))
	if !strings.Contains(got, ",150,1,") {
		t.Fatalf("reduction: got %s", got)
	}
}

// Bidirectional mean and deviation use the original's weighting
// (QUIRK-47): out "ab" (mean 97.5, M2 0.5), in "cc" (mean 99, M2 0):
// mean = ½·97.5 + ½·99 = 98.25; std = sqrt((½·0.5 + ½·0)/3) = 0.288675.
func TestTwoDirections(t *testing.T) {
	var out, in Counts
	out.Observe([]byte("ab"), nil)
	in.Observe([]byte("cc"), nil)
	got := string(AppendJSON(nil, &out, &in, true, 4, Options{Dist: true}))
	if !strings.HasSuffix(got, `"byte_dist_mean":98.250000,"byte_dist_std":0.288675`) {
		t.Fatalf("got %s", got)
	}
}

func TestEntropyUniform(t *testing.T) {
	var counts [256]uint32
	for i := range counts {
		counts[i] = 4
	}
	if e := Entropy(&counts, 1024); e < 7.9999 || e > 8.0001 { // float32 sums, as the original
		t.Fatalf("entropy of uniform bytes = %v, want 8", e)
	}
}

func TestCompactMap(t *testing.T) {
	m, err := LoadCompactMap(strings.NewReader("0\t0\n1\t12\n2\t11\n"))
	if err != nil {
		t.Fatal(err)
	}
	var c Counts
	c.Observe([]byte{1, 1, 2, 0}, m)
	got := string(AppendJSON(nil, &c, nil, false, 4, Options{Compact: true}))
	if got != `,"compact_byte_dist":[1,0,0,0,0,0,0,0,0,0,0,1,2,0,0,0]` {
		t.Fatalf("got %s", got)
	}
	if _, err := LoadCompactMap(strings.NewReader("3\t16\n")); err == nil {
		t.Fatal("bucket 16 accepted; the original overflowed its 16 counters (QUIRK-11)")
	}
	if _, err := LoadCompactMap(strings.NewReader("300\t1\n")); err == nil {
		t.Fatal("byte 300 accepted")
	}
	// A malformed line ends the map quietly, as the original's reader does.
	m, err = LoadCompactMap(strings.NewReader("5\t3\nnot a pair\n6\t4\n"))
	if err != nil || m[5] != 3 || m[6] != 0 {
		t.Fatalf("malformed line: m[5]=%d m[6]=%d err=%v", m[5], m[6], err)
	}
}
