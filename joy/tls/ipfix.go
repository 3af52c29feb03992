package tls

import "github.com/gojoy/libjoy/joy/ipfix"

// FillIPFIX adds this direction's TLS facts to an exported record: the
// version number the JSON record prints for this side (6 for a server
// whose ServerHello selected TLS 1.3 in supported_versions), the client
// key exchange length, the cipher suites, session id, random, and the
// lengths and times of the first records (times in ms since the previous
// record, the first 0). A direction without a ClientHello or ServerHello
// (no role: the JSON record prints only an error) contributes nothing.
// r.TLSRecordTimes is reused.
func (s *State) FillIPFIX(r *ipfix.Record) {
	if s.version == 0 || (s.role != roleClient && s.role != roleServer) {
		return
	}
	r.TLSVersion = s.version
	if s.role == roleServer && s.tls13 {
		r.TLSVersion = 6
	}
	r.TLSKeyLength = uint16(min(s.ckeBits, 65535))
	r.TLSCipherSuites = s.cs[:min(int(s.numCS), len(s.cs))]
	r.TLSSessionID = s.sid[:s.sidLen]
	r.TLSRandom = s.random[:]
	n := min(int(s.op), maxPrinted)
	lens := r.TLSRecordLengths[:0]
	for i := 0; i < n; i++ {
		lens = append(lens, s.recs[i].len)
	}
	r.TLSRecordLengths = lens
	times := r.TLSRecordTimes[:0]
	for i := 0; i < n; i++ {
		var d int64
		if i > 0 {
			d = max(s.recs[i].time-s.recs[i-1].time, 0) / 1000
		}
		times = append(times, uint16(min(d, 65535)))
	}
	r.TLSRecordTimes = times
}
