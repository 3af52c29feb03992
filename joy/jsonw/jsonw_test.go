package jsonw

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	randv2 "math/rand/v2"
	"testing"
	"unicode/utf8"
)

func TestNumbers(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{string(Uint(nil, 0)), "0"},
		{string(Uint(nil, math.MaxUint32)), "4294967295"},
		{string(Uint(nil, math.MaxUint64)), "18446744073709551615"},
		{string(Int(nil, -1)), "-1"},
		{string(Int(nil, math.MinInt64)), "-9223372036854775808"},
		{string(Uint([]byte(`"x":`), 7)), `"x":7`},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q want %q", c.got, c.want)
		}
	}
}

func TestTime(t *testing.T) {
	cases := []struct {
		us   int64
		want string
	}{
		{0, "0.000000"},
		{1, "0.000001"},
		{999999, "0.999999"},
		{1000000, "1.000000"},
		{1502118721115234, "1502118721.115234"},
		{4294967295999999, "4294967295.999999"},
		{math.MaxInt64, "9223372036854.775807"},
		// Before the epoch the fraction stays in [0, 1e6), as a normalised
		// struct timeval prints with %zd.%06zd.
		{-1, "-1.999999"},
		{-1000000, "-1.000000"},
		{-1500000, "-2.500000"},
	}
	for _, c := range cases {
		if got := string(Time(nil, c.us)); got != c.want {
			t.Errorf("Time(%d) = %q, want %q", c.us, got, c.want)
		}
		if !json.Valid(Time(nil, c.us)) {
			t.Errorf("Time(%d) is not a JSON number", c.us)
		}
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 10000; i++ {
		us := r.Int63()
		if got, want := string(Time(nil, us)), fmt.Sprintf("%d.%06d", us/1e6, us%1e6); got != want {
			t.Fatalf("Time(%d) = %q, want %q", us, got, want)
		}
	}
}

func TestHexAndKey(t *testing.T) {
	if got := string(Hex(nil, nil)); got != "" {
		t.Errorf("Hex(nil) = %q", got)
	}
	if got := string(Hex([]byte("a"), []byte{0x00, 0x0f, 0xab, 0xff})); got != "a000fabff" {
		t.Errorf("Hex = %q", got)
	}
	if got := string(Key([]byte("{"), "sa")); got != `{"sa":` {
		t.Errorf("Key = %q", got)
	}
}

func TestString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `""`},
		{"plain text", `"plain text"`},
		{`a"b\c/d`, `"a\"b\\c/d"`},
		{"\n\r\t", `"\n\r\t"`},
		{"\x00\x01\x08\x0c\x1f\x7f", `"\u0000\u0001\u0008\u000c\u001f\u007f"`},
		{"héllo ☃ 😀", `"héllo ☃ 😀"`},
		{"\uFFFD", "\"\uFFFD\""}, // a real U+FFFD passes through
		{"\xff", `"\u00ff"`},
		{"a\x80b", `"a\u0080b"`},
		{"\xe2\x82", `"\u00e2\u0082"`},           // truncated sequence
		{"\xed\xa0\x80", `"\u00ed\u00a0\u0080"`}, // UTF-16 surrogate encoded in UTF-8
		{"\xc0\xaf", `"\u00c0\u00af"`},           // overlong
	}
	for _, c := range cases {
		got := String(nil, c.in)
		if string(got) != c.want {
			t.Errorf("String(%q) = %s, want %s", c.in, got, c.want)
		}
		checkString(t, c.in, got)
	}
	for b := 0; b < 256; b++ {
		s := string([]byte{byte(b)})
		checkString(t, s, String(nil, s))
		s = "x" + s + "\xc3" // followed by an incomplete sequence
		checkString(t, s, String(nil, s))
	}
}

// latin1Fallback is what a JSON reader must get back: valid UTF-8 as is,
// every byte of an invalid sequence as the code point of its value.
func latin1Fallback(s string) string {
	var out []rune
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			out = append(out, rune(s[i]))
			i++
			continue
		}
		out = append(out, r)
		i += n
	}
	return string(out)
}

func checkString(t *testing.T, in string, got []byte) {
	t.Helper()
	if !json.Valid(got) {
		t.Fatalf("String(%q) = %s is not valid JSON", in, got)
	}
	var back string
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("String(%q): %v", in, err)
	}
	if want := latin1Fallback(in); back != want {
		t.Fatalf("String(%q) reads back as %q, want %q", in, back, want)
	}
}

func TestNoAllocations(t *testing.T) {
	buf := make([]byte, 0, 1024)
	long := []byte("diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256")
	n := testing.AllocsPerRun(100, func() {
		b := Key(buf[:0], "k")
		b = String(b, "a\"b\xff\n☃")
		b = Time(b, 1502118721115234)
		b = Uint(b, 12345)
		b = Hex(b, []byte{1, 2, 3})
		_ = Escaped(b, long) // over 32 bytes: string(p) would allocate
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "abc", `"\`, "\x00\x7f\xff", "héllo", "\xed\xa0\x80", "\uFFFD", "\xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkString(t, s, String(nil, s))
	})
}

// plain8 agrees with the byte test on every byte value at every position
// (among plain bytes and among bytes next to it that need escaping) and
// on random words.
func TestPlain8(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' }
	check := func(w [8]byte) {
		want := true
		for _, c := range w {
			want = want && plain(c)
		}
		if got := plain8(load8(string(w[:]))); got != want {
			t.Fatalf("plain8(%q) = %v, want %v", w[:], got, want)
		}
	}
	for _, fill := range []byte{'a', ' ', '~', '!', '#', '[', ']'} {
		for c := 0; c < 256; c++ {
			for p := 0; p < 8; p++ {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[p] = byte(c)
				check(w)
			}
		}
	}
	r := randv2.New(randv2.NewPCG(1, 2))
	for i := 0; i < 1000000; i++ {
		var w [8]byte
		for k := range w {
			w[k] = byte(r.Uint32())
			if r.IntN(4) > 0 { // mostly printable, so that both answers occur
				w[k] = byte(0x20 + r.IntN(0x5f))
			}
		}
		check(w)
	}
}

func TestPlainLen(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"", 0}, {"abc", 3}, {"curve25519-sha256,ecdh-sha2-nistp256", 36},
		{"curve25519-sha256\x00rest", 17}, {"0123456789\"x", 10}, {"01234567\\", 8},
		{"\x7f", 0}, {"abcdefghijklmnop\xc3\xa9", 16},
	} {
		if got := PlainLen([]byte(c.in)); got != c.want {
			t.Errorf("PlainLen(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}
