package tls

import "github.com/gojoy/libjoy/joy/ipfix"

// FillIPFIX adds this direction's TLS facts to an exported record: the
// version number Joy prints, the client key exchange length, the cipher
// suites, session id, random, and the lengths and times of the first
// records (times in ms since the previous record, the first 0).
func (s *State) FillIPFIX(r *ipfix.Record) {
	if s.version == 0 {
		return
	}
	r.TLSVersion = s.version
	r.TLSKeyLength = uint16(min(s.ckeBits, 65535))
	r.TLSCipherSuites = s.cs[:min(int(s.numCS), maxSuites)]
	r.TLSSessionID = s.sid[:s.sidLen]
	r.TLSRandom = s.random[:]
	n := min(int(s.op), maxPrinted)
	r.TLSRecordLengths = s.recLen[:n]
	times := make([]uint16, n)
	for i := 1; i < n; i++ {
		d := max(s.recTime[i]-s.recTime[i-1], 0) / 1000
		times[i] = uint16(min(d, 65535))
	}
	r.TLSRecordTimes = times
}
