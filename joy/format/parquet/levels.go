package parquet

import "encoding/binary"

// appendLevels appends levels (one byte each, each below 1<<width) in
// Parquet's RLE/bit-packing hybrid encoding: a run of 8 or more equal
// levels is one RLE run, anything else is bit-packed in groups of 8 (the
// last group padded with zeros; a reader knows the count from the page).
func appendLevels(dst, levels []byte, width int) []byte {
	n := len(levels)
	for i := 0; i < n; {
		if r := runAt(levels, i, n); r >= 8 || i+r == n {
			dst = appendRun(dst, levels[i], r)
			i += r
			continue
		}
		// Bit-pack groups of 8 until a run of 8 or more starts.
		start := i
		for i < n {
			i += 8
			if i < n && runAt(levels, i, min(n, i+8)) >= 8 {
				break
			}
		}
		groups := (i - start) / 8
		dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
		dst = bitPack(dst, levels[start:min(i, n)], groups*8, width)
		i = min(i, n)
	}
	return dst
}

// appendRun appends an RLE run of n levels (of width at most 8).
func appendRun(dst []byte, level byte, n int) []byte {
	return append(binary.AppendUvarint(dst, uint64(n)<<1), level)
}

// runAt is the length of the run of equal levels at i, looking no
// further than end.
func runAt(levels []byte, i, end int) int {
	j := i + 1
	for j < end && levels[j] == levels[i] {
		j++
	}
	return j - i
}

// bitPack appends count values (v, then zeros) of width bits each, least
// significant bit first.
func bitPack(dst, v []byte, count, width int) []byte {
	var acc uint64
	bits := 0
	for i := 0; i < count; i++ {
		if i < len(v) {
			acc |= uint64(v[i]) << bits
		}
		bits += width
		for bits >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		dst = append(dst, byte(acc))
	}
	return dst
}
