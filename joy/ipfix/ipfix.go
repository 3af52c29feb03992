// Package ipfix exports flow records over IPFIX (RFC 7011) and reads them
// back. The exporter writes one template per address family with the
// standard flow keys, counters and times, plus Cisco's (enterprise 9)
// encrypted-traffic elements: the initial data packet, packet lengths and
// times, the byte distribution and TLS facts.
package ipfix

import (
	"encoding/binary"
	"time"
)

// Field is one information element of a template.
type Field struct {
	ID         uint16 // element id, without the enterprise bit
	Length     uint16 // 0xffff: variable length
	Enterprise uint32 // 0: IANA
}

// VarLen marks a variable-length field.
const VarLen = 0xffff

// CiscoPEN is Cisco's private enterprise number.
const CiscoPEN = 9

// IANA information elements used here.
const (
	ieOctetDeltaCount          = 1
	iePacketDeltaCount         = 2
	ieProtocolIdentifier       = 4
	ieSourceTransportPort      = 7
	ieSourceIPv4Address        = 8
	ieDestinationTransportPort = 11
	ieDestinationIPv4Address   = 12
	ieSourceIPv6Address        = 27
	ieDestinationIPv6Address   = 28
	ieFlowEndSysUpTime         = 21 // NetFlow v9 LAST_SWITCHED
	ieFlowStartSysUpTime       = 22 // NetFlow v9 FIRST_SWITCHED
	ieFlowStartMilliseconds    = 152
	ieFlowEndMilliseconds      = 153
	ieFlowStartMicroseconds    = 154
	ieFlowEndMicroseconds      = 155
)

// Cisco (enterprise 9) information elements of Joy.
const (
	ieIDP              = 12172
	ieByteDistribution = 12176
	ieTLSCipherSuites  = 12178
	ieTLSVersion       = 12180
	ieTLSKeyLength     = 12181
	ieTLSSessionID     = 12182
	ieTLSRandom        = 12183
	ieSPLTLengths      = 12184
	ieSPLTTimes        = 12185
	ieTLSRecordLengths = 12188
	ieTLSRecordTimes   = 12189
)

// Template ids.
const (
	TemplateIPv4 = 256
	TemplateIPv6 = 257
)

func commonTail() []Field {
	return []Field{
		{ieSourceTransportPort, 2, 0},
		{ieDestinationTransportPort, 2, 0},
		{ieProtocolIdentifier, 1, 0},
		{ieOctetDeltaCount, 8, 0},
		{iePacketDeltaCount, 8, 0},
		// The times in milliseconds, for collectors that ignore the
		// microsecond elements (nfdump 1.7), then in microseconds;
		// collectors that keep the last time element seen (goflow2) keep
		// the finer one.
		{ieFlowStartMilliseconds, 8, 0},
		{ieFlowEndMilliseconds, 8, 0},
		{ieFlowStartMicroseconds, 8, 0},
		{ieFlowEndMicroseconds, 8, 0},
		{ieIDP, VarLen, CiscoPEN},
		{ieSPLTLengths, VarLen, CiscoPEN},
		{ieSPLTTimes, VarLen, CiscoPEN},
		{ieByteDistribution, VarLen, CiscoPEN},
		{ieTLSVersion, 1, CiscoPEN},
		{ieTLSKeyLength, 2, CiscoPEN},
		{ieTLSCipherSuites, VarLen, CiscoPEN},
		{ieTLSSessionID, VarLen, CiscoPEN},
		{ieTLSRandom, VarLen, CiscoPEN},
		{ieTLSRecordLengths, VarLen, CiscoPEN},
		{ieTLSRecordTimes, VarLen, CiscoPEN},
	}
}

// Templates returns the exporter's templates by id.
func Templates() map[uint16][]Field {
	v4 := append([]Field{{ieSourceIPv4Address, 4, 0}, {ieDestinationIPv4Address, 4, 0}}, commonTail()...)
	v6 := append([]Field{{ieSourceIPv6Address, 16, 0}, {ieDestinationIPv6Address, 16, 0}}, commonTail()...)
	return map[uint16][]Field{TemplateIPv4: v4, TemplateIPv6: v6}
}

// Record is one direction of a flow, as exported.
type Record struct {
	V6               bool
	Src, Dst         [16]byte // IPv4 in the first 4 bytes
	Sp, Dp           uint16
	Proto            uint8
	Octets, Packets  uint64
	Start, End       int64    // µs since the epoch
	IDP              []byte   // initial data packet (from its IP header)
	SPLTLengths      []uint16 // payload lengths
	SPLTTimes        []uint16 // ms since the previous packet (0 for the first), at most 65535
	ByteDist         []byte   // 256 counts reduced to 8 bits as Joy prints them, or none
	TLSVersion       uint8    // Joy's small version number, 0 if none
	TLSKeyLength     uint16   // client key exchange length in bits
	TLSCipherSuites  []uint16
	TLSSessionID     []byte
	TLSRandom        []byte
	TLSRecordLengths []uint16
	TLSRecordTimes   []uint16
}

// ntpEpochOffset is the number of seconds from 1900 to 1970.
const ntpEpochOffset = 2208988800

// putNTPMicros writes a dateTimeMicroseconds value (RFC 7011 §6.1.9): NTP
// seconds since 1900 and a 32-bit binary fraction.
func putNTPMicros(b []byte, usec int64) {
	sec := usec / 1e6
	frac := usec % 1e6
	if frac < 0 {
		sec--
		frac += 1e6
	}
	binary.BigEndian.PutUint32(b, uint32(sec+ntpEpochOffset))
	binary.BigEndian.PutUint32(b[4:], uint32((uint64(frac)<<32)/1e6))
}

// ntpMicros reads a dateTimeMicroseconds value back to µs since 1970.
func ntpMicros(b []byte) int64 {
	sec := int64(binary.BigEndian.Uint32(b)) - ntpEpochOffset
	frac := int64((uint64(binary.BigEndian.Uint32(b[4:]))*1e6 + 1<<31) >> 32)
	return sec*1e6 + frac
}

// millis is a dateTimeMilliseconds value of a time in µs since 1970,
// rounded down (as a time in ms is printed from one in µs).
func millis(usec int64) uint64 {
	ms := usec / 1000
	if usec%1000 < 0 {
		ms--
	}
	return uint64(ms)
}

// now is the export clock, replaceable in tests.
var now = time.Now
