// Package tcpopt prints TCP options the way the original lists them, for
// the "tcp" object of a record and for the PPI module alike.
package tcpopt

import "github.com/gojoy/libjoy/joy/jsonw"

// TCP option kinds the original names.
const (
	optEOL   = 0
	optNOP   = 1
	optMSS   = 2
	optWS    = 3
	optSACKP = 4
	optTS    = 8
)

// AppendJSON appends the TCP options o as the
// JSON array the original's tcp_opt_print_json writes, parsing left to
// right:
//
//   - kind 0 ends the list; kind 1 is {"noop":null}; any other kind needs a
//     length byte, and the list ends if there is none;
//   - a length of 0 or one beyond the remaining bytes prints
//     {"malformed":{"kind":K,"len":L}} and ends the list;
//   - kind 2 with 2 data bytes is {"mss":N}, kind 3 with 1 is {"ws":N},
//     kind 4 is {"sackp":null} whatever its length, kind 8 with 8 is
//     {"ts":{"val":N,"ecr":N}}; kinds 2, 3 and 8 with another data length
//     print {"malformed":{"kind":K,"data":"<hex>","len":<data length>}};
//     any other kind is {"kind":K,"data":"<hex>"}.
//
// A length of 1 (shorter than the kind and length bytes) advances by one
// byte. The original then computes a data length of 2³²−1: kind 4 prints
// {"sackp":null} and parsing goes on at the next byte, which is reproduced;
// for every other kind it hex-dumps 4 GiB past the options and crashes, so
// the member printed here instead is {"malformed":{"kind":K,"data":"","len":0}}
// and the list ends.
func AppendJSON(b []byte, o []byte) []byte {
	b = append(b, '[')
	for n := 0; len(o) > 0; n++ {
		kind := o[0]
		if kind == optEOL {
			break
		}
		l := 1
		if kind != optNOP {
			if len(o) < 2 {
				break
			}
			l = int(o[1])
		}
		if n > 0 {
			b = append(b, ',')
		}
		if l == 0 || l > len(o) {
			b = append(b, `{"malformed":{"kind":`...)
			b = jsonw.Uint(b, uint64(kind))
			b = append(b, `,"len":`...)
			b = jsonw.Uint(b, uint64(l))
			b = append(b, `}}`...)
			break
		}
		if l == 1 && kind != optNOP && kind != optSACKP {
			b = appendMalformed(b, kind, nil)
			break
		}
		var data []byte
		if l >= 2 {
			data = o[2:l]
		}
		switch kind {
		case optNOP:
			b = append(b, `{"noop":null}`...)
		case optMSS:
			if len(data) != 2 {
				b = appendMalformed(b, kind, data)
				break
			}
			b = append(b, `{"mss":`...)
			b = jsonw.Uint(b, uint64(data[0])<<8|uint64(data[1]))
			b = append(b, '}')
		case optWS:
			if len(data) != 1 {
				b = appendMalformed(b, kind, data)
				break
			}
			b = append(b, `{"ws":`...)
			b = jsonw.Uint(b, uint64(data[0]))
			b = append(b, '}')
		case optSACKP:
			b = append(b, `{"sackp":null}`...)
		case optTS:
			if len(data) != 8 {
				b = appendMalformed(b, kind, data)
				break
			}
			b = append(b, `{"ts":{"val":`...)
			b = jsonw.Uint(b, uint64(be32(data)))
			b = append(b, `,"ecr":`...)
			b = jsonw.Uint(b, uint64(be32(data[4:])))
			b = append(b, `}}`...)
		default:
			b = append(b, `{"kind":`...)
			b = jsonw.Uint(b, uint64(kind))
			b = append(b, `,"data":"`...)
			b = jsonw.Hex(b, data)
			b = append(b, `"}`...)
		}
		o = o[l:]
	}
	return append(b, ']')
}

func appendMalformed(b []byte, kind byte, data []byte) []byte {
	b = append(b, `{"malformed":{"kind":`...)
	b = jsonw.Uint(b, uint64(kind))
	b = append(b, `,"data":"`...)
	b = jsonw.Hex(b, data)
	b = append(b, `","len":`...)
	b = jsonw.Uint(b, uint64(len(data)))
	return append(b, `}}`...)
}

func be32(p []byte) uint32 {
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}
