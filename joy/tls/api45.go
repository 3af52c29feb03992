package tls

// Handshake returns this direction's protocol version as the original
// numbers it (0 unknown, 1 SSLv2, 2 SSLv3, 3 TLS 1.0 ... 6 TLS 1.3) and
// whether its handshake is over, for the 4.5 API's TLS callback.
func (s *State) Handshake() (version uint8, done bool) { return s.version, s.done }
