// Package jsonw holds the small append-style helpers used to write Joy's
// JSON text byte for byte: unsigned integers as C's %u, times as
// "%zd.%06zd", lowercase hex strings, and strings with JSON escaping.
//
// Every helper appends to a caller-owned buffer so that a whole record is
// built without allocation and written with a single call.
package jsonw

import (
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Uint appends v in decimal.
func Uint(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) }

// Int appends v in decimal.
func Int(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// Time appends a microsecond timestamp the way the original prints a
// struct timeval: seconds, a dot, then six zero-padded microsecond digits.
func Time(b []byte, usec int64) []byte {
	sec, frac := usec/1e6, usec%1e6
	if frac < 0 { // floor division keeps the fraction in [0, 1e6)
		sec--
		frac += 1e6
	}
	b = strconv.AppendInt(b, sec, 10)
	b = append(b, '.')
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}

const hexDigits = "0123456789abcdef"

// Hex appends p as lowercase hex digits, two per byte, without quotes.
func Hex(b []byte, p []byte) []byte {
	for _, c := range p {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// String appends s as a quoted JSON string. Control characters, quotes and
// backslashes are escaped so every line stays valid JSON; bytes that are
// not valid UTF-8 are written as \u00XX of their byte value; valid UTF-8
// passes through unchanged.
func String(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// Escaped appends p as the content of a JSON string (no quotes), escaped
// like String.
func Escaped(b []byte, p []byte) []byte {
	// A view of p, not a copy: string(p) allocated for every text over 32
	// bytes, and appendEscaped only reads it.
	return appendEscaped(b, unsafe.String(unsafe.SliceData(p), len(p)))
}

// Key appends `"name":` (name is trusted, never escaped).
func Key(b []byte, name string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendEscaped(b []byte, s string) []byte {
	start := 0 // s[start:i] needs no escaping and is not appended yet
	long := len(s) >= 16
	for i := 0; i < len(s); i++ {
		if long {
			// Eight bytes at a time while none needs escaping (most of a
			// long text; a short one is quicker byte by byte).
			for i+8 <= len(s) && plain8(load8(s[i:])) {
				i += 8
			}
			if i >= len(s) {
				break
			}
		}
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		b, i = escape(b, s, i)
		start = i + 1
	}
	return append(b, s[start:]...)
}

// escape appends the escaped form of the byte (or the valid UTF-8
// sequence) at s[i] and returns the index of its last byte.
func escape(b []byte, s string, i int) ([]byte, int) {
	c := s[i]
	switch {
	case c == '"' || c == '\\':
		b = append(b, '\\', c)
	case c >= 0x80:
		if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n > 1 {
			b = append(b, s[i:i+n]...)
			i += n - 1
		} else {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	default: // c < 0x20 || c == 0x7f
		switch c {
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	return b, i
}

// PlainLen returns the length of the longest prefix of p whose bytes
// need no escaping in a JSON string: printable ASCII (0x20–0x7e) other
// than '"' and '\\'.
func PlainLen(p []byte) int {
	s := unsafe.String(unsafe.SliceData(p), len(p))
	i := 0
	for i+8 <= len(s) && plain8(load8(s[i:])) {
		i += 8
	}
	for i < len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			break
		}
		i++
	}
	return i
}

// load8 reads the first eight bytes of s as a little-endian word.
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plain8 reports whether none of the eight bytes of w needs escaping: all
// are printable ASCII (0x20–0x7e) other than '"' and '\\'.
func plain8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := (w - ones*0x20) &^ w & highs         // a byte below 0x20
	above := ((w + ones*(0x7f-0x7e)) | w) & highs // a byte above 0x7e
	q, bs := w^(ones*'"'), w^(ones*'\\')          // zero bytes where '"' and '\\' are
	quote := (q - ones) &^ q
	slash := (bs - ones) &^ bs
	return below|above|(quote|slash)&highs == 0
}

// Sanitized appends p the way the original turns raw protocol bytes into a
// JSON string body (no quotes): it stops at the first NUL, and every byte
// that is not printable ASCII, and each of `\ / "`, becomes '.'. The result
// is always valid JSON.
func Sanitized(b []byte, p []byte) []byte {
	for _, c := range p {
		if c == 0 {
			break
		}
		if c < 0x20 || c >= 0x7f || c == '\\' || c == '/' || c == '"' {
			c = '.'
		}
		b = append(b, c)
	}
	return b
}
