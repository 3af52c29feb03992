package flow

// identify recognises TLS and HTTP from the first bytes of a TCP payload,
// the way the original's keyword matcher does: TLS handshake records of
// versions 3.1–3.3 carrying a ClientHello or ServerHello (any bytes at the
// two record-length positions), and HTTP request methods or an
// "HTTP/1.1 " status line.
func identify(p []byte) (app uint16, dir uint8) {
	if len(p) >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[2] >= 1 && p[2] <= 3 {
		switch p[5] {
		case 1:
			return 443, dirClient
		case 2:
			return 443, dirServer
		}
		return 0, dirUnknown
	}
	for _, m := range httpClient {
		if hasPrefix(p, m) {
			return 80, dirClient
		}
	}
	if hasPrefix(p, "HTTP/1.1 ") {
		return 80, dirServer
	}
	return 0, dirUnknown
}

var httpClient = [...]string{"GET ", "POST ", "OPTIONS ", "HEAD ", "PUT ", "DELETE ", "TRACE ", "CONNECT "}

func hasPrefix(p []byte, s string) bool {
	return len(p) >= len(s) && string(p[:len(s)]) == s
}
