package ipfix

import (
	"encoding/binary"
	"fmt"
)

type templateKey struct {
	domain uint32
	id     uint16
}

// Collector decodes IPFIX messages into Records. It keeps the templates it
// has seen per observation domain. Not safe for concurrent use.
type Collector struct {
	templates map[templateKey][]Field
	// Sequence is, per observation domain, the next expected sequence
	// number; Missed counts records a gap in the numbers says were lost.
	next   map[uint32]uint32
	Missed uint64
}

// NewCollector returns a collector with no templates.
func NewCollector() *Collector {
	return &Collector{templates: map[templateKey][]Field{}, next: map[uint32]uint32{}}
}

// Decode parses one message and calls fn for every data record of a known
// template. Records of unknown templates are skipped.
func (c *Collector) Decode(msg []byte, fn func(*Record)) error {
	if len(msg) < headerLen {
		return ErrShort
	}
	if v := binary.BigEndian.Uint16(msg); v != 10 {
		return fmt.Errorf("ipfix: version %d, want 10", v)
	}
	total := int(binary.BigEndian.Uint16(msg[2:]))
	if total < headerLen || total > len(msg) {
		return fmt.Errorf("ipfix: message length %d, have %d bytes", total, len(msg))
	}
	seq := binary.BigEndian.Uint32(msg[8:])
	domain := binary.BigEndian.Uint32(msg[12:])
	if want, ok := c.next[domain]; ok && seq != want {
		// Serial-number arithmetic: only a message ahead of the expected
		// number shows lost records; one behind comes late or from a
		// restarted exporter, and tracking starts again from it.
		if d := int32(seq - want); d > 0 {
			c.Missed += uint64(d)
		}
	}
	records := uint32(0)
	b := msg[headerLen:total]
	for len(b) > 0 {
		if len(b) < setHeaderLen {
			return ErrShort
		}
		id := binary.BigEndian.Uint16(b)
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < setHeaderLen || n > len(b) {
			return fmt.Errorf("ipfix: set length %d, have %d bytes", n, len(b))
		}
		body := b[setHeaderLen:n]
		b = b[n:]
		switch {
		case id == templateSet:
			if err := c.templatesFrom(domain, body); err != nil {
				return err
			}
		case id >= 256:
			fields, ok := c.templates[templateKey{domain, id}]
			if !ok {
				continue
			}
			for len(body) > 0 {
				var r Record
				rest, err := decodeRecord(body, fields, &r)
				if err != nil {
					// What is left may be set padding.
					break
				}
				body = rest
				records++
				fn(&r)
			}
		}
	}
	c.next[domain] = seq + records
	return nil
}

func (c *Collector) templatesFrom(domain uint32, b []byte) error {
	for len(b) >= 4 {
		id := binary.BigEndian.Uint16(b)
		count := int(binary.BigEndian.Uint16(b[2:]))
		b = b[4:]
		fields := make([]Field, 0, count)
		for i := 0; i < count; i++ {
			if len(b) < 4 {
				return ErrShort
			}
			f := Field{ID: binary.BigEndian.Uint16(b), Length: binary.BigEndian.Uint16(b[2:])}
			b = b[4:]
			if f.ID&0x8000 != 0 {
				if len(b) < 4 {
					return ErrShort
				}
				f.ID &^= 0x8000
				f.Enterprise = binary.BigEndian.Uint32(b)
				b = b[4:]
			}
			fields = append(fields, f)
		}
		if id >= 256 {
			c.templates[templateKey{domain, id}] = fields
		}
	}
	return nil
}

func decodeRecord(b []byte, fields []Field, r *Record) ([]byte, error) {
	for _, f := range fields {
		n := int(f.Length)
		if f.Length == VarLen {
			if len(b) < 1 {
				return nil, ErrShort
			}
			n, b = int(b[0]), b[1:]
			if n == 255 {
				if len(b) < 2 {
					return nil, ErrShort
				}
				n, b = int(binary.BigEndian.Uint16(b)), b[2:]
			}
		}
		if n > len(b) {
			return nil, ErrShort
		}
		v := b[:n]
		b = b[n:]
		setField(r, f, v)
	}
	return b, nil
}

func u16s(v []byte) []uint16 {
	out := make([]uint16, len(v)/2)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(v[2*i:])
	}
	return out
}

func beUint(v []byte) uint64 {
	var x uint64
	for _, c := range v {
		x = x<<8 | uint64(c)
	}
	return x
}

func setField(r *Record, f Field, v []byte) {
	if f.Enterprise == CiscoPEN {
		switch f.ID {
		case ieIDP:
			r.IDP = append([]byte(nil), v...)
		case ieSPLTLengths:
			r.SPLTLengths = u16s(v)
		case ieSPLTTimes:
			r.SPLTTimes = u16s(v)
		case ieByteDistribution:
			r.ByteDist = append([]byte(nil), v...)
		case ieTLSVersion:
			r.TLSVersion = uint8(beUint(v))
		case ieTLSKeyLength:
			r.TLSKeyLength = uint16(beUint(v))
		case ieTLSCipherSuites:
			r.TLSCipherSuites = u16s(v)
		case ieTLSSessionID:
			r.TLSSessionID = append([]byte(nil), v...)
		case ieTLSRandom:
			r.TLSRandom = append([]byte(nil), v...)
		case ieTLSRecordLengths:
			r.TLSRecordLengths = u16s(v)
		case ieTLSRecordTimes:
			r.TLSRecordTimes = u16s(v)
		}
		return
	}
	if f.Enterprise != 0 {
		return
	}
	switch f.ID {
	case ieSourceIPv4Address:
		if len(v) == 4 {
			copy(r.Src[:4], v)
		}
	case ieDestinationIPv4Address:
		if len(v) == 4 {
			copy(r.Dst[:4], v)
		}
	case ieSourceIPv6Address:
		if len(v) == 16 {
			copy(r.Src[:], v)
			r.V6 = true
		}
	case ieDestinationIPv6Address:
		if len(v) == 16 {
			copy(r.Dst[:], v)
			r.V6 = true
		}
	case ieSourceTransportPort:
		r.Sp = uint16(beUint(v))
	case ieDestinationTransportPort:
		r.Dp = uint16(beUint(v))
	case ieProtocolIdentifier:
		r.Proto = uint8(beUint(v))
	case ieOctetDeltaCount:
		r.Octets = beUint(v)
	case iePacketDeltaCount:
		r.Packets = beUint(v)
	case ieFlowStartMilliseconds:
		// The microsecond element, when the template has it too, wins.
		if len(v) == 8 && r.Start == 0 {
			r.Start = int64(beUint(v)) * 1000
		}
	case ieFlowEndMilliseconds:
		if len(v) == 8 && r.End == 0 {
			r.End = int64(beUint(v)) * 1000
		}
	case ieFlowStartMicroseconds:
		if len(v) == 8 {
			r.Start = ntpMicros(v)
		}
	case ieFlowEndMicroseconds:
		if len(v) == 8 {
			r.End = ntpMicros(v)
		}
	}
}
