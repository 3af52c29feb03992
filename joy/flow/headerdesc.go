package flow

// maxHeaderBytes bounds the header description's width.
const maxHeaderBytes = 32

// headerNumPayloads is how many payloads the header description looks at.
const headerNumPayloads = 10

// headerDesc describes the first bytes of a direction's TCP payloads:
// which bits stay constant (cm, with their value cv), which bytes were
// marked as sequence bytes (sm), and the first payload's bytes (i).
type headerDesc struct {
	n     int
	width int
	first [maxHeaderBytes]byte
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
			h.first[i], h.value[i], h.mask[i] = p[i], p[i], 0xff
		}
		h.n = 1
		return
	}
	w = min(w, h.width)
	for i := 0; i < w; i++ {
		h.mask[i] &^= h.value[i] ^ p[i]
		h.value[i] = h.mask[i] & p[i]
	}
	// The original's sequence test compares a byte with its constant
	// value plus one, after the update: where no bit is constant any more
	// (value 0) a payload byte of 1 marks it, and the mark stays for the
	// later payloads (corpus_x nfstream-instagram, flow from port 80).
	for i := w - 1; i >= 0; i-- {
		if h.mask[i] == 0 && h.value[i]+1 == p[i] {
			h.seq[i] = 0xff
		}
	}
	h.n++
}
