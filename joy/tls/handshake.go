package tls

// Handshake message types handled.
const (
	hsClientHello = 1
	hsServerHello = 2
	hsCertificate = 11
	hsClientKeyEx = 16
)

// at returns the handshake buffer's byte i, or 0 past its end.
func (s *State) at(i int) byte { return byteAt(s.hs, i) }

func (s *State) u16(i int) int { return int(s.at(i))<<8 | int(s.at(i+1)) }

func (s *State) u24(i int) int { return int(s.at(i))<<16 | int(s.at(i+1))<<8 | int(s.at(i+2)) }

// copyOut copies n bytes of the buffer from off into dst, zero-filling past
// its end.
func (s *State) copyOut(dst []byte, off int) {
	for i := range dst {
		dst[i] = s.at(off + i)
	}
}

// validHandshakeType reports whether the original accepts a handshake
// message type: 0-4, 11-16, 20-23.
func validHandshakeType(t byte) bool {
	return t <= 4 || (t >= 11 && t <= 16) || (t >= 20 && t <= 23)
}

// parseHandshake walks the records of the handshake buffer once. Offsets
// and remaining lengths are tracked exactly as the original does, so
// malformed buffers give the same results; reads past the buffer give
// zeros.
func (s *State) parseHandshake() {
	off, dl := 0, len(s.hs)
	msgCount := 0
	for dl > 0 && dl <= maxHSBuffer {
		if dl < 5 {
			return
		}
		typ := s.at(off)
		tl := s.u16(off + 3)
		if tl > dl {
			return
		}
		if closesHandshake(typ) {
			off += tl + 5
			dl -= tl + 5
			msgCount++
			continue
		}
		off += 5
		dl -= 5
		if dl <= 0 {
			return
		}
		// Each message consumes at least four bytes of tl.
		for tl > 0 {
			if dl < 4 {
				return
			}
			mt := s.at(off)
			if !validHandshakeType(mt) {
				return
			}
			bl := s.u24(off + 1)
			if bl > tl {
				return
			}
			off += 4
			dl -= 4
			switch mt {
			case hsClientHello:
				if s.version == 0 {
					v := versionOf(s.at(off), s.at(off+1))
					if v == 0 {
						return
					}
					s.version = v
				}
				s.role = roleClient
				s.clientHelloSuites(off, bl)
				s.clientHelloExtensions(off, bl)
			case hsServerHello:
				if s.version == 0 {
					v := versionOf(s.at(off), s.at(off+1))
					if v == 0 {
						return
					}
					s.version = v
				}
				s.role = roleServer
				s.serverHelloSuite(off, bl)
				s.serverHelloExtensions(off, bl)
				s.checkTLS13(off, bl)
			case hsClientKeyEx:
				if s.ckeBits == 0 {
					bits := uint32(bl) * 8
					if bits < 8193 {
						s.ckeBits = bits
						s.cke = span{int32(off), int32(bl)}
					}
				}
			case hsCertificate:
				s.certificates(off, bl)
			}
			if msgCount < maxRecords {
				for len(s.stats) <= msgCount {
					s.stats = append(s.stats, hsStat{})
				}
				st := &s.stats[msgCount]
				if st.n < maxHandshakes {
					st.types[st.n] = mt
					st.lens[st.n] = uint16(bl)
					st.n++
				}
			}
			off += bl
			dl -= bl
			tl -= bl + 4
		}
		msgCount++
	}
}

// clientHelloSuites records the random, session id and offered suites of
// the first ClientHello (body at off, bl bytes).
func (s *State) clientHelloSuites(off, bl int) {
	if s.numCS != 0 {
		return
	}
	s.copyOut(s.random[:], off+2)
	y := off + 34
	sidLen := int(s.at(y))
	l := bl - (sidLen + 3)
	if l < 0 {
		return
	}
	if sidLen != 0 {
		s.sidLen = uint8(sidLen)
		s.sid = resize(s.sid, sidLen)
		s.copyOut(s.sid, y+1)
	}
	y += sidLen + 1
	csLen := s.u16(y)
	if l < csLen {
		return
	}
	y += 2
	n := csLen / 2
	if n > maxSuites {
		n = maxSuites
	}
	s.numCS = uint16(n)
	s.cs = resize(s.cs, n)
	for i := 0; i < n; i++ {
		s.cs[i] = uint16(s.u16(y + 2*i))
	}
}

// clientHelloExtensions records the extensions (and the SNI) of the first
// ClientHello that has any. The length bookkeeping is the original's,
// which counts two bytes too many before the extension list.
func (s *State) clientHelloExtensions(off, bl int) {
	if len(s.cExt) != 0 {
		return
	}
	y := off + 34
	l := bl - 34
	sidLen := int(s.at(y))
	l -= sidLen + 3
	if l < 0 {
		return
	}
	y += sidLen + 1
	csLen := s.u16(y)
	if l < csLen {
		return
	}
	y += 2
	l -= 2
	y += csLen
	l -= csLen
	comp := int(s.at(y))
	y += 1 + comp
	l -= 1 + comp
	if l < 2 {
		return
	}
	if l < s.u16(y) {
		return
	}
	y += 2
	l -= 2
	// Each extension consumes at least four bytes.
	for l > 0 && len(s.cExt) < maxExtensions {
		typ := uint16(s.u16(y))
		n := s.u16(y + 2)
		if typ == 0 {
			s.sniLen = uint16(s.u16(y+7) + 1)
			s.sni = span{int32(y + 9), int32(s.sniLen) - 1}
		}
		if s.cExt == nil {
			s.cExt = make([]extension, 0, 16)
		}
		s.cExt = append(s.cExt, extension{typ, span{int32(y + 4), int32(n)}})
		l -= 4 + n
		y += 4 + n
	}
}

// serverHelloSuite records the random, session id and selected suite of
// the first ServerHello.
func (s *State) serverHelloSuite(off, bl int) {
	if s.numCS != 0 {
		return
	}
	s.copyOut(s.random[:], off+2)
	y := off + 34
	if s.version != 6 {
		sidLen := int(s.at(y))
		if sidLen+3 > bl {
			return
		}
		if sidLen != 0 {
			s.sidLen = uint8(sidLen)
			s.sid = resize(s.sid, sidLen)
			s.copyOut(s.sid, y+1)
		}
		y += sidLen + 1
	}
	s.numCS = 1
	s.cs = resize(s.cs, 1)
	s.cs[0] = uint16(s.u16(y))
}

// serverHelloExtensions records the ServerHello's extensions, stopping at
// the first one longer than 256 bytes (QUIRK-27).
func (s *State) serverHelloExtensions(off, bl int) {
	if len(s.sExt) != 0 {
		return
	}
	tls13 := s.version == 6
	y := off + 34
	l := bl - 34
	if !tls13 {
		sidLen := int(s.at(y))
		l -= sidLen + 1
		y += sidLen + 1
	}
	l -= 2
	y += 2
	if !tls13 {
		comp := int(s.at(y))
		y += 1 + comp
		l -= 1 + comp
	}
	if l < 2 {
		return
	}
	if l < s.u16(y) {
		return
	}
	y += 2
	l -= 2
	for l > 0 && len(s.sExt) < maxExtensions {
		n := s.u16(y + 2)
		if n > 256 {
			break
		}
		if s.sExt == nil {
			s.sExt = make([]extension, 0, 8)
		}
		s.sExt = append(s.sExt, extension{uint16(s.u16(y)), span{int32(y + 4), int32(n)}})
		l -= 4 + n
		y += 4 + n
	}
}

// checkTLS13 looks for a supported_versions extension selecting TLS 1.3 in
// a ServerHello (a documented difference: the original reports the legacy
// hello version). The body is parsed strictly within its own bytes.
func (s *State) checkTLS13(off, bl int) {
	end := off + bl
	if end > len(s.hs) {
		end = len(s.hs)
	}
	y := off + 34
	if y >= end {
		return
	}
	y += 1 + int(s.hs[y]) // session id
	y += 2                // cipher suite
	if y >= end {
		return
	}
	y += 1 + int(s.hs[y]) // compression method
	if y+2 > end {
		return
	}
	extEnd := y + 2 + s.u16(y)
	if extEnd > end {
		extEnd = end
	}
	y += 2
	for y+4 <= extEnd {
		typ, n := s.u16(y), s.u16(y+2)
		y += 4
		if y+n > extEnd {
			return
		}
		if typ == 43 && n == 2 && versionOf(s.hs[y], s.hs[y+1]) == 6 {
			s.tls13 = true
			return
		}
		y += n
	}
}

// certificates parses up to four certificates of a Certificate message.
// The original reads only the low 16 bits of the 24-bit lengths.
func (s *State) certificates(off, bl int) {
	total := uint16(s.u16(off + 1))
	d := off + 3
	if int(total) > bl {
		return
	}
	rem := total
	for rem > 0 && rem <= total {
		if s.numCerts >= maxCerts {
			return
		}
		cl := uint16(s.u16(d + 1))
		if cl == 0 || cl > rem {
			return
		}
		s.numCerts++
		d += 3
		rem -= 3
		if s.cache != nil {
			s.certs = s.cache.appendCertificate(s.certs, s, d, cl)
		} else {
			der := make([]byte, cl)
			s.copyOut(der, d)
			s.certs = appendCertificate(s.certs, cl, der)
		}
		s.certEnds[s.numCerts-1] = int32(len(s.certs))
		d += int(cl)
		rem -= cl
	}
}
