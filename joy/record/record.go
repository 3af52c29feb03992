// Package record is the flow record as typed columns: the row every
// tabular format (Parquet, CSV) writes and the record readers give back.
//
// The record's core members are typed columns that keep their JSON names
// (sa, da, pr, sp, dp, bytes_out, num_pkts_out, bytes_in, num_pkts_in,
// time_start, time_end); the packet list (SPLT or SALT) is three list
// columns; the byte statistics and the classifier's score are numbers and
// lists; the ip member is four columns (each direction's TTL and IP ids);
// every other member (tcp, tls, http, dns, ...) is its JSON text, because
// those are ragged (their shape varies from flow to flow). A member no
// column knows (or an ip member of another shape) goes into "other", a JSON
// object, so nothing is lost.
// docs/formats.md documents the schema.
//
// A Flow is filled from a Joy JSON line (ParseJSON) and printed back as one
// (AppendJSON): the record's values are the JSON record's, by construction.
package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/gojoy/libjoy/joy/jsonw"
)

// Flow is one flow record as a row. Optional members are pointers (nil:
// absent from the record).
type Flow struct {
	SA         string  `parquet:"sa"`
	DA         string  `parquet:"da"`
	PR         int32   `parquet:"pr"`
	SP         *int32  `parquet:"sp,optional"` // null for protocols without ports
	DP         *int32  `parquet:"dp,optional"`
	SALabels   *string `parquet:"sa_labels,optional"`
	DALabels   *string `parquet:"da_labels,optional"`
	BytesOut   int64   `parquet:"bytes_out"`
	NumPktsOut int64   `parquet:"num_pkts_out"`
	BytesIn    *int64  `parquet:"bytes_in,optional"` // bidirectional flows only
	NumPktsIn  *int64  `parquet:"num_pkts_in,optional"`
	// TimeStart and TimeEnd are µs since the epoch (UTC).
	TimeStart int64 `parquet:"time_start,timestamp(microsecond)"`
	TimeEnd   int64 `parquet:"time_end,timestamp(microsecond)"`
	// The packet list, one entry per packet: its length ("b"; a run of R
	// equal lengths that the record prints as "rep":R is -R here), its
	// direction ('>' out, '<' in, one byte each in PacketsDir) and its gap
	// to the packet before in ms ("ipt").
	PacketsB   []int32 `parquet:"packets_b,list"`
	PacketsDir string  `parquet:"packets_dir"`
	PacketsIPT []int64 `parquet:"packets_ipt,list"`

	ByteDist        []int64  `parquet:"byte_dist,list,optional"`
	ByteDistMean    *float64 `parquet:"byte_dist_mean,optional"`
	ByteDistStd     *float64 `parquet:"byte_dist_std,optional"`
	CompactByteDist []int64  `parquet:"compact_byte_dist,list,optional"`
	Entropy         *float64 `parquet:"entropy,optional"`
	TotalEntropy    *float64 `parquet:"total_entropy,optional"`
	PMalware        *float64 `parquet:"p_malware,optional"`

	// The ip member: each direction's smallest TTL and its IP ids (the
	// first 50), "out" and, in bidirectional records, "in". A direction
	// is present when its TTL is; its ids are null when the record has
	// no "id" list.
	IPOutTTL *int32  `parquet:"ip_out_ttl,optional"`
	IPOutID  []int32 `parquet:"ip_out_id,list,optional"`
	IPInTTL  *int32  `parquet:"ip_in_ttl,optional"`
	IPInID   []int32 `parquet:"ip_in_id,list,optional"`

	// JSON text of the ragged members, in the record's order.
	TCP        *string `parquet:"tcp,optional"`
	OSeq       *string `parquet:"oseq,optional"`
	OAck       *string `parquet:"oack,optional"`
	ISeq       *string `parquet:"iseq,optional"`
	IAck       *string `parquet:"iack,optional"`
	WHT        *string `parquet:"wht,optional"`
	DNS        *string `parquet:"dns,optional"`
	SSH        *string `parquet:"ssh,optional"`
	TLS        *string `parquet:"tls,optional"`
	DHCP       *string `parquet:"dhcp,optional"`
	HTTP       *string `parquet:"http,optional"`
	IKE        *string `parquet:"ike,optional"`
	Payload    *string `parquet:"payload,optional"`
	PPI        *string `parquet:"ppi,optional"`
	Exe        *string `parquet:"exe,optional"`
	HD         *string `parquet:"hd,optional"`
	ProbableOS *string `parquet:"probable_os,optional"`
	IDPOut     *string `parquet:"idp_out,optional"`
	IDPLenOut  *int64  `parquet:"idp_len_out,optional"`
	IDPIn      *string `parquet:"idp_in,optional"`
	IDPLenIn   *int64  `parquet:"idp_len_in,optional"`
	Debug      *string `parquet:"debug,optional"`
	ExpireType *string `parquet:"expire_type,optional"`
	// Other holds any member no column above knows, as one JSON object.
	Other *string `parquet:"other,optional"`
}

// textMembers are the members kept as JSON text, by name.
func (f *Flow) textMember(name string) **string {
	switch name {
	case "sa_labels":
		return &f.SALabels
	case "da_labels":
		return &f.DALabels
	case "tcp":
		return &f.TCP
	case "oseq":
		return &f.OSeq
	case "oack":
		return &f.OAck
	case "iseq":
		return &f.ISeq
	case "iack":
		return &f.IAck
	case "wht":
		return &f.WHT
	case "dns":
		return &f.DNS
	case "ssh":
		return &f.SSH
	case "tls":
		return &f.TLS
	case "dhcp":
		return &f.DHCP
	case "http":
		return &f.HTTP
	case "ike":
		return &f.IKE
	case "payload":
		return &f.Payload
	case "ppi":
		return &f.PPI
	case "exe":
		return &f.Exe
	case "hd":
		return &f.HD
	case "probable_os":
		return &f.ProbableOS
	case "debug":
		return &f.Debug
	}
	return nil
}

// IsConfig reports whether line is the configuration record rather than a
// flow.
func IsConfig(line []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(line), []byte(`{"version":`))
}

// ParseJSON fills f from one Joy JSON record (a line, newline optional).
// Fields f had are replaced; list capacity is reused.
func (f *Flow) ParseJSON(line []byte) error { return f.parse(line, false) }

// ParseJSONShared is ParseJSON whose JSON text members refer to line's
// bytes instead of copies: f is valid only while line is unchanged. A
// writer that hands f on (and its storage copies it) before line changes
// saves a copy of the largest members (TLS certificates).
func (f *Flow) ParseJSONShared(line []byte) error { return f.parse(line, true) }

func (f *Flow) parse(line []byte, shared bool) error {
	pb, pipt := f.PacketsB[:0], f.PacketsIPT[:0]
	bd, cbd := f.ByteDist[:0], f.CompactByteDist[:0]
	ids := [2][]int32{f.IPOutID[:0], f.IPInID[:0]}
	*f = Flow{}
	var dir []byte
	var other []byte
	err := Members(line, func(key string, v []byte) error {
		var err error
		switch key {
		case "sa":
			f.SA, err = str(v)
		case "da":
			f.DA, err = str(v)
		case "pr":
			var n int64
			n, err = strconv.ParseInt(string(v), 10, 32)
			f.PR = int32(n)
		case "sp":
			f.SP, err = optInt32(v)
		case "dp":
			f.DP, err = optInt32(v)
		case "bytes_out":
			f.BytesOut, err = strconv.ParseInt(string(v), 10, 64)
		case "num_pkts_out":
			f.NumPktsOut, err = strconv.ParseInt(string(v), 10, 64)
		case "bytes_in":
			f.BytesIn, err = optInt64(v)
		case "num_pkts_in":
			f.NumPktsIn, err = optInt64(v)
		case "idp_len_out":
			f.IDPLenOut, err = optInt64(v)
		case "idp_len_in":
			f.IDPLenIn, err = optInt64(v)
		case "time_start":
			f.TimeStart, err = parseTime(v)
		case "time_end":
			f.TimeEnd, err = parseTime(v)
		case "packets":
			pb, dir, pipt, err = parsePackets(v, pb, dir, pipt)
		case "byte_dist":
			bd, err = appendInts(bd, v)
			f.ByteDist = bd
		case "compact_byte_dist":
			cbd, err = appendInts(cbd, v)
			f.CompactByteDist = cbd
		case "byte_dist_mean":
			f.ByteDistMean, err = optFloat(v)
		case "byte_dist_std":
			f.ByteDistStd, err = optFloat(v)
		case "entropy":
			f.Entropy, err = optFloat(v)
		case "total_entropy":
			f.TotalEntropy, err = optFloat(v)
		case "p_malware":
			f.PMalware, err = optFloat(v)
		case "idp_out":
			f.IDPOut, err = optStr(v)
		case "idp_in":
			f.IDPIn, err = optStr(v)
		case "expire_type":
			f.ExpireType, err = optStr(v)
		case "ip":
			if f.parseIP(v, ids) {
				return nil
			}
			other = appendMember(other, key, v)
		default:
			if p := f.textMember(key); p != nil {
				var s string
				if shared {
					s = unsafe.String(unsafe.SliceData(v), len(v))
				} else {
					s = string(v)
				}
				*p = &s
				return nil
			}
			other = appendMember(other, key, v)
		}
		if err != nil {
			return fmt.Errorf("member %q: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if pb == nil { // an empty list, not an absent one
		pb, pipt = []int32{}, []int64{}
	}
	f.PacketsB, f.PacketsDir, f.PacketsIPT = pb, string(dir), pipt
	if len(other) > 0 {
		s := string(append(other, '}'))
		f.Other = &s
	}
	return nil
}

// SetIP sets the ip member from its JSON text v: the ip columns when v has
// their shape, else "other" (a reader of files whose ip column was text).
func (f *Flow) SetIP(v []byte) {
	if f.parseIP(v, [2][]int32{f.IPOutID[:0], f.IPInID[:0]}) {
		return
	}
	var other []byte // the object open, or nothing
	if f.Other != nil && len(*f.Other) > 2 {
		other = []byte((*f.Other)[:len(*f.Other)-1])
	}
	s := string(append(appendMember(other, "ip", v), '}'))
	f.Other = &s
}

// appendMember appends the member key:v to the JSON object other, which
// is open (no '}' yet) or empty.
func appendMember(other []byte, key string, v []byte) []byte {
	if len(other) == 0 {
		other = append(other, '{')
	} else {
		other = append(other, ',')
	}
	other = jsonw.Key(other, key)
	return append(other, v...)
}

// parseIP fills the ip columns from the member's value v and reports
// whether v has the shape they hold: {"out":{"ttl":T,"id":[...]},"in":...},
// each direction optional (but not both absent), members in this order,
// "id" optional, nothing else. Otherwise the columns are left empty. The id lists reuse the
// capacity of reuse (out, in).
func (f *Flow) parseIP(v []byte, reuse [2][]int32) bool {
	var sides int
	err := Members(v, func(key string, side []byte) error {
		var ttl **int32
		var ids *[]int32
		var buf []int32
		switch key {
		case "out":
			if f.IPInTTL != nil {
				return errors.New(`"out" after "in"`) // printed back in Joy's order, it would move
			}
			ttl, ids, buf = &f.IPOutTTL, &f.IPOutID, reuse[0]
		case "in":
			ttl, ids, buf = &f.IPInTTL, &f.IPInID, reuse[1]
		default:
			return errors.New("not an ip direction")
		}
		if *ttl != nil {
			return errors.New("direction twice")
		}
		sides++
		err := Members(side, func(key string, val []byte) error {
			var err error
			switch key {
			case "ttl":
				var n int64
				n, err = strconv.ParseInt(string(val), 10, 32)
				x := int32(n)
				*ttl = &x
			case "id":
				if *ttl == nil {
					return errors.New(`"id" before "ttl"`) // would move too
				}
				*ids, err = appendInts(buf, val)
				if *ids == nil { // an empty list, not an absent one
					*ids = []int32{}
				}
			default:
				err = errors.New("not an ip direction's member")
			}
			return err
		})
		if err == nil && *ttl == nil {
			err = errors.New("direction without ttl")
		}
		return err
	})
	if err != nil || sides == 0 {
		f.IPOutTTL, f.IPOutID, f.IPInTTL, f.IPInID = nil, nil, nil, nil
		return false
	}
	return true
}

// Members calls fn for each member of the JSON object obj, with its key
// and its value's text (whitespace around it removed).
func Members(obj []byte, fn func(key string, value []byte) error) error {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errors.New("not a JSON object")
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return errors.New("malformed object: key expected")
		}
		end := skipString(obj, i)
		if end < 0 {
			return errors.New("unterminated key")
		}
		rawKey := obj[i:end]
		key := string(rawKey[1 : len(rawKey)-1])
		if bytes.IndexByte(rawKey, '\\') >= 0 {
			if err := json.Unmarshal(rawKey, &key); err != nil {
				return err
			}
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return errors.New("malformed object: ':' expected")
		}
		i = skipSpace(obj, i+1)
		vend := skipValue(obj, i)
		if vend < 0 {
			return fmt.Errorf("malformed value of %q", key)
		}
		if err := fn(key, obj[i:vend]); err != nil {
			return err
		}
		i = skipSpace(obj, vend)
		if i >= len(obj) {
			return errors.New("unterminated object")
		}
		switch obj[i] {
		case ',':
			i++
			// The original's label lists end with a stray comma
			// before the next member; a comma before '}' ends too.
			if j := skipSpace(obj, i); j < len(obj) && obj[j] == '}' {
				return nil
			}
		case '}':
			return nil
		default:
			return errors.New("malformed object: ',' or '}' expected")
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j)
				if j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

func str(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' {
		return "", errors.New("string expected")
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	err := json.Unmarshal(v, &s)
	return s, err
}

func optStr(v []byte) (*string, error) {
	if string(v) == "null" {
		return nil, nil
	}
	s, err := str(v)
	return &s, err
}

func optInt32(v []byte) (*int32, error) {
	if string(v) == "null" {
		return nil, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 32)
	x := int32(n)
	return &x, err
}

func optInt64(v []byte) (*int64, error) {
	if string(v) == "null" {
		return nil, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return &n, err
}

func optFloat(v []byte) (*float64, error) {
	if string(v) == "null" {
		return nil, nil
	}
	x, err := strconv.ParseFloat(string(v), 64)
	return &x, err
}

// parseTime reads the record's "seconds.micros" time as µs. The record
// prints a timeval: whole seconds (negative before 1970), then always
// positive micros, so "-2.500000" is 1.5 s before the epoch (what
// jsonw.Time prints for it).
func parseTime(v []byte) (int64, error) {
	s := string(v)
	sec, frac, _ := bytes.Cut(v, []byte{'.'})
	n, err := strconv.ParseInt(string(sec), 10, 64)
	if err != nil || len(frac) > 6 || len(frac) > 0 && (frac[0] == '-' || frac[0] == '+') {
		x, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, ferr
		}
		return int64(x * 1e6), nil
	}
	var us int64
	if len(frac) > 0 {
		u, err := strconv.ParseInt(string(frac), 10, 64)
		if err != nil {
			return 0, err
		}
		for k := len(frac); k < 6; k++ {
			u *= 10
		}
		us = u
	}
	return n*1e6 + us, nil
}

// appendInts appends the numbers of the JSON list v, each of T's size.
func appendInts[T int32 | int64](dst []T, v []byte) ([]T, error) {
	if len(v) < 2 || v[0] != '[' || v[len(v)-1] != ']' {
		return dst, errors.New("list expected")
	}
	bitSize := int(unsafe.Sizeof(T(0))) * 8
	for _, f := range bytes.Split(v[1:len(v)-1], []byte{','}) {
		f = bytes.TrimSpace(f)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(string(f), 10, bitSize)
		if err != nil {
			return dst, err
		}
		dst = append(dst, T(n))
	}
	return dst, nil
}

func parsePackets(v []byte, pb []int32, dir []byte, pipt []int64) ([]int32, []byte, []int64, error) {
	if len(v) < 2 || v[0] != '[' {
		return pb, dir, pipt, errors.New("list expected")
	}
	i := skipSpace(v, 1)
	for i < len(v) && v[i] != ']' {
		end := skipValue(v, i)
		if end < 0 {
			return pb, dir, pipt, errors.New("malformed packet")
		}
		var b int64
		var d byte
		var ipt int64
		err := Members(v[i:end], func(key string, val []byte) error {
			var err error
			switch key {
			case "b":
				b, err = strconv.ParseInt(string(val), 10, 32)
			case "rep":
				b, err = strconv.ParseInt(string(val), 10, 32)
				b = -b
			case "dir":
				if len(val) == 3 {
					d = val[1]
				}
			case "ipt":
				ipt, err = strconv.ParseInt(string(val), 10, 64)
			}
			return err
		})
		if err != nil {
			return pb, dir, pipt, err
		}
		if d != '>' && d != '<' {
			return pb, dir, pipt, errors.New(`packet without "dir" ">" or "<"`)
		}
		pb, dir, pipt = append(pb, int32(b)), append(dir, d), append(pipt, ipt)
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
	return pb, dir, pipt, nil
}

// AppendJSON appends f as one Joy JSON record, newline included: the core
// members in the record's order, then the others in column order. It is
// the record a reader of Parquet or CSV gives the analysis tools; numbers
// print in Go's shortest form, not always the original's digits.
func (f *Flow) AppendJSON(b []byte) []byte {
	b = append(b, `{"sa":`...)
	b = jsonw.String(b, f.SA)
	b = append(b, `,"da":`...)
	b = jsonw.String(b, f.DA)
	b = append(b, `,"pr":`...)
	b = jsonw.Int(b, int64(f.PR))
	b = optIntJSON(b, "sp", f.SP, true)
	b = optIntJSON(b, "dp", f.DP, true)
	b = text(b, "sa_labels", f.SALabels)
	b = text(b, "da_labels", f.DALabels)
	b = append(b, `,"bytes_out":`...)
	b = jsonw.Int(b, f.BytesOut)
	b = append(b, `,"num_pkts_out":`...)
	b = jsonw.Int(b, f.NumPktsOut)
	if f.BytesIn != nil {
		b = append(b, `,"bytes_in":`...)
		b = jsonw.Int(b, *f.BytesIn)
	}
	if f.NumPktsIn != nil {
		b = append(b, `,"num_pkts_in":`...)
		b = jsonw.Int(b, *f.NumPktsIn)
	}
	b = append(b, `,"time_start":`...)
	b = jsonw.Time(b, f.TimeStart)
	b = append(b, `,"time_end":`...)
	b = jsonw.Time(b, f.TimeEnd)
	b = append(b, `,"packets":[`...)
	for i, n := range f.PacketsB {
		if i > 0 {
			b = append(b, ',')
		}
		if n < 0 {
			b = append(b, `{"rep":`...)
			b = jsonw.Int(b, int64(-n))
		} else {
			b = append(b, `{"b":`...)
			b = jsonw.Int(b, int64(n))
		}
		b = append(b, `,"dir":"`...)
		if i < len(f.PacketsDir) {
			b = jsonw.Escaped(b, []byte{f.PacketsDir[i]})
		}
		b = append(b, `","ipt":`...)
		if i < len(f.PacketsIPT) {
			b = jsonw.Int(b, f.PacketsIPT[i])
		} else {
			b = append(b, '0')
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	b = ints(b, "byte_dist", f.ByteDist)
	b = float(b, "byte_dist_mean", f.ByteDistMean)
	b = float(b, "byte_dist_std", f.ByteDistStd)
	b = ints(b, "compact_byte_dist", f.CompactByteDist)
	b = float(b, "entropy", f.Entropy)
	b = float(b, "total_entropy", f.TotalEntropy)
	b = float(b, "p_malware", f.PMalware)
	b = f.appendIP(b)
	for _, m := range []struct {
		k string
		v *string
	}{{"tcp", f.TCP}, {"oseq", f.OSeq}, {"oack", f.OAck}, {"iseq", f.ISeq}, {"iack", f.IAck},
		{"wht", f.WHT}, {"dns", f.DNS}, {"ssh", f.SSH}, {"tls", f.TLS}, {"dhcp", f.DHCP}, {"http", f.HTTP},
		{"ike", f.IKE}, {"payload", f.Payload}, {"ppi", f.PPI}, {"exe", f.Exe}, {"hd", f.HD},
		{"probable_os", f.ProbableOS}} {
		b = text(b, m.k, m.v)
	}
	if f.IDPOut != nil {
		b = append(b, `,"idp_out":`...)
		b = jsonw.String(b, *f.IDPOut)
	}
	b = optIntJSON(b, "idp_len_out", f.IDPLenOut, false)
	if f.IDPIn != nil {
		b = append(b, `,"idp_in":`...)
		b = jsonw.String(b, *f.IDPIn)
	}
	b = optIntJSON(b, "idp_len_in", f.IDPLenIn, false)
	b = text(b, "debug", f.Debug)
	if f.Other != nil && len(*f.Other) > 2 {
		b = append(b, ',')
		b = append(b, (*f.Other)[1:len(*f.Other)-1]...)
	}
	if f.ExpireType != nil {
		b = append(b, `,"expire_type":`...)
		b = jsonw.String(b, *f.ExpireType)
	}
	return append(b, '}', '\n')
}

// appendIP appends the ip member, if a direction is present.
func (f *Flow) appendIP(b []byte) []byte {
	if f.IPOutTTL == nil && f.IPInTTL == nil {
		return b
	}
	b = append(b, `,"ip":{`...)
	if f.IPOutTTL != nil {
		b = ipSide(b, "out", *f.IPOutTTL, f.IPOutID)
		if f.IPInTTL != nil {
			b = append(b, ',')
		}
	}
	if f.IPInTTL != nil {
		b = ipSide(b, "in", *f.IPInTTL, f.IPInID)
	}
	return append(b, '}')
}

func ipSide(b []byte, k string, ttl int32, ids []int32) []byte {
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, `":{"ttl":`...)
	b = jsonw.Int(b, int64(ttl))
	if ids != nil {
		b = append(b, `,"id":[`...)
		for i, n := range ids {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.Int(b, int64(n))
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func optIntJSON[T int32 | int64](b []byte, k string, v *T, null bool) []byte {
	if v == nil && !null {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	if v == nil {
		return append(b, "null"...)
	}
	return jsonw.Int(b, int64(*v))
}

func text(b []byte, k string, v *string) []byte {
	if v == nil {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return append(b, *v...)
}

func ints(b []byte, k string, v []int64) []byte {
	if v == nil {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, `":[`...)
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.Int(b, n)
	}
	return append(b, ']')
}

func float(b []byte, k string, v *float64) []byte {
	if v == nil {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return strconv.AppendFloat(b, *v, 'f', -1, 64)
}
