package tls

import (
	"math/big"
	"strconv"
	"strings"
)

// oidInfo is what OpenSSL's object table holds for an OID: its short and
// long names.
type oidInfo struct {
	sn, ln string
}

// oidByDER is OpenSSL's object table (oidtable.go) keyed by the encoded
// OID content. Objects not in it print as dotted OIDs, as OpenSSL prints
// objects it does not know.
var oidByDER = func() map[string]oidInfo {
	m := make(map[string]oidInfo, len(opensslObjects))
	for dotted, info := range opensslObjects {
		m[string(encodeOID(dotted))] = info
	}
	return m
}()

// encodeOID encodes a dotted OID (used to build the table).
func encodeOID(dotted string) []byte {
	parts := strings.Split(dotted, ".")
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			panic("bad OID in table: " + dotted)
		}
		arcs[i] = v
	}
	var out []byte
	enc := func(v uint64) {
		var tmp [10]byte
		i := len(tmp) - 1
		tmp[i] = byte(v & 0x7f)
		for v >>= 7; v > 0; v >>= 7 {
			i--
			tmp[i] = byte(v&0x7f) | 0x80
		}
		out = append(out, tmp[i:]...)
	}
	enc(arcs[0]*40 + arcs[1])
	for _, a := range arcs[2:] {
		enc(a)
	}
	return out
}

// lookupOID returns OpenSSL's names for an encoded OID.
func lookupOID(c []byte) (oidInfo, bool) {
	info, ok := oidByDER[string(c)]
	return info, ok
}

// dottedOID formats encoded OID content in dotted form, as OpenSSL's
// OBJ_obj2txt does with numbers only.
func dottedOID(c []byte) string {
	var b []byte
	first := true
	var v uint64
	var big_ *big.Int
	for _, x := range c {
		if big_ == nil && v > (1<<57) {
			big_ = new(big.Int).SetUint64(v)
		}
		if big_ != nil {
			big_.Lsh(big_, 7)
			big_.Or(big_, big.NewInt(int64(x&0x7f)))
		} else {
			v = v<<7 | uint64(x&0x7f)
		}
		if x&0x80 != 0 {
			continue
		}
		if first {
			first = false
			if big_ != nil {
				b = append(b, "2."...)
				b = append(b, big_.Sub(big_, big.NewInt(80)).String()...)
			} else {
				switch {
				case v < 40:
					b = append(b, '0', '.')
					b = strconv.AppendUint(b, v, 10)
				case v < 80:
					b = append(b, '1', '.')
					b = strconv.AppendUint(b, v-40, 10)
				default:
					b = append(b, '2', '.')
					b = strconv.AppendUint(b, v-80, 10)
				}
			}
		} else {
			b = append(b, '.')
			if big_ != nil {
				b = append(b, big_.String()...)
			} else {
				b = strconv.AppendUint(b, v, 10)
			}
		}
		v = 0
		big_ = nil
	}
	return string(b)
}

// oidLongName is OpenSSL's i2t_ASN1_OBJECT: the long name of a known
// object, else its dotted form.
func oidLongName(c []byte) string {
	if info, ok := lookupOID(c); ok {
		return info.ln
	}
	return dottedOID(c)
}

// oidShortName is the short name of a known object, else its dotted form.
func oidShortName(c []byte) string {
	if info, ok := lookupOID(c); ok {
		return info.sn
	}
	return dottedOID(c)
}

// maxID is the original's identifier buffer: names and dotted OIDs are cut
// to 31 characters.
const maxID = 31

func cutID(s string) string {
	if len(s) > maxID {
		return s[:maxID]
	}
	return s
}
