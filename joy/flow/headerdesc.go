package flow

// maxHeaderBytes bounds the header description's width.
const maxHeaderBytes = 32

// headerNumPayloads is how many payloads the header description looks at.
const headerNumPayloads = 10

// headerDesc describes the first bytes of a direction's TCP payloads:
// which bits stay constant (cm, with their value cv), which bytes count up
// by one from payload to payload (sm), and the first payload's bytes (i).
type headerDesc struct {
	n     int
	width int
	first [maxHeaderBytes]byte
	last  [maxHeaderBytes]byte
	mask  [maxHeaderBytes]byte
	value [maxHeaderBytes]byte
	seq   [maxHeaderBytes]byte
}

func (h *headerDesc) observe(p []byte) {
	if h.n >= headerNumPayloads {
		return
	}
	w := min(len(p), maxHeaderBytes)
	if h.n == 0 {
		h.width = w
		for i := 0; i < w; i++ {
			h.first[i], h.last[i], h.value[i], h.mask[i] = p[i], p[i], p[i], 0xff
		}
		h.n = 1
		return
	}
	w = min(w, h.width)
	for i := 0; i < w; i++ {
		h.mask[i] &^= h.value[i] ^ p[i]
		h.value[i] = h.mask[i] & p[i]
	}
	// A byte whose bits all vary but which goes up by exactly one from the
	// previous payload is a sequence byte.
	for i := w - 1; i >= 0; i-- {
		if h.mask[i] == 0 && h.last[i]+1 == p[i] {
			h.seq[i] = 0xff
		} else {
			h.seq[i] = 0
		}
		h.last[i] = p[i]
	}
	h.n++
}
