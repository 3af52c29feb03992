package ipfix

import (
	"net/netip"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// AppendJSON appends a collected record as one JSON line in the shape of
// Joy's one-sided flow records: the same keys for what IPFIX carries.
func AppendJSON(b []byte, r *Record) []byte {
	addr := func(a [16]byte) netip.Addr {
		if r.V6 {
			return netip.AddrFrom16(a)
		}
		return netip.AddrFrom4([4]byte(a[:4]))
	}
	b = append(b, `{"sa":"`...)
	b = addr(r.Src).AppendTo(b)
	b = append(b, `","da":"`...)
	b = addr(r.Dst).AppendTo(b)
	b = append(b, `","pr":`...)
	b = jsonw.Uint(b, uint64(r.Proto))
	if r.Proto == 6 || r.Proto == 17 {
		b = append(b, `,"sp":`...)
		b = jsonw.Uint(b, uint64(r.Sp))
		b = append(b, `,"dp":`...)
		b = jsonw.Uint(b, uint64(r.Dp))
	} else {
		b = append(b, `,"sp":null,"dp":null`...)
	}
	b = append(b, `,"bytes_out":`...)
	b = jsonw.Uint(b, r.Octets)
	b = append(b, `,"num_pkts_out":`...)
	b = jsonw.Uint(b, r.Packets)
	b = append(b, `,"time_start":`...)
	b = jsonw.Time(b, r.Start)
	b = append(b, `,"time_end":`...)
	b = jsonw.Time(b, r.End)
	b = append(b, `,"packets":`...)
	b = appendPackets(b, r.SPLTLengths, r.SPLTTimes)
	if len(r.ByteDist) > 0 {
		b = append(b, `,"byte_dist":[`...)
		for i, c := range r.ByteDist {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.Uint(b, uint64(c))
		}
		b = append(b, ']')
	}
	if r.TLSVersion != 0 || len(r.TLSCipherSuites) > 0 || len(r.TLSRecordLengths) > 0 {
		b = appendTLS(b, r)
	}
	if len(r.IDP) > 0 {
		b = append(b, `,"idp_out":"`...)
		b = jsonw.Hex(b, r.IDP)
		b = append(b, `","idp_len_out":`...)
		b = jsonw.Uint(b, uint64(len(r.IDP)))
	}
	return append(b, '}', '\n')
}

func appendTLS(b []byte, r *Record) []byte {
	b = append(b, `,"tls":{"version":`...)
	b = jsonw.Uint(b, uint64(r.TLSVersion))
	if r.TLSKeyLength != 0 {
		b = append(b, `,"key_length":`...)
		b = jsonw.Uint(b, uint64(r.TLSKeyLength))
	}
	if len(r.TLSCipherSuites) > 0 {
		b = append(b, `,"cs":[`...)
		for i, c := range r.TLSCipherSuites {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = jsonw.Hex(b, []byte{byte(c >> 8), byte(c)})
			b = append(b, '"')
		}
		b = append(b, ']')
	}
	if len(r.TLSSessionID) > 0 {
		b = append(b, `,"sid":"`...)
		b = jsonw.Hex(b, r.TLSSessionID)
		b = append(b, '"')
	}
	if len(r.TLSRandom) > 0 {
		b = append(b, `,"random":"`...)
		b = jsonw.Hex(b, r.TLSRandom)
		b = append(b, '"')
	}
	if len(r.TLSRecordLengths) > 0 {
		b = append(b, `,"srlt":`...)
		b = appendPackets(b, r.TLSRecordLengths, r.TLSRecordTimes)
	}
	return append(b, '}')
}

// appendPackets appends a list of one-sided packets ("packets", "srlt"):
// each length with its time (0 when times is shorter).
func appendPackets(b []byte, lengths, times []uint16) []byte {
	b = append(b, '[')
	for i, n := range lengths {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"b":`...)
		b = jsonw.Uint(b, uint64(n))
		b = append(b, `,"dir":"<","ipt":`...)
		var t uint16
		if i < len(times) {
			t = times[i]
		}
		b = jsonw.Uint(b, uint64(t))
		b = append(b, '}')
	}
	return append(b, ']')
}
