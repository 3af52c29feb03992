package tls

import (
	"strconv"
	"time"
)

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendASN1Time appends OpenSSL's ASN1_TIME_print text of a UTCTime
// (tag 23) or GeneralizedTime (tag 24) value: "Aug  7 15:04:17 2017 GMT",
// with fractional seconds for GeneralizedTime, without " GMT" when the
// value does not end in 'Z', and "Bad time value" when OpenSSL cannot
// parse it.
func appendASN1Time(b []byte, tag uint32, v []byte) []byte {
	tm, ok := parseASN1Time(tag, v)
	if !ok {
		return append(b, "Bad time value"...)
	}
	var frac []byte
	if tag == tagGenTime && len(v) > 15 && v[14] == '.' {
		n := 1
		for 14+n < len(v) && isDigit(v[14+n]) {
			n++
		}
		frac = v[14 : 14+n]
	}
	b = appendTimeText(b, tm, frac)
	if v[len(v)-1] == 'Z' {
		b = append(b, " GMT"...)
	}
	return b
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10%10), byte('0'+v%10))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseASN1Time follows OpenSSL's lenient (non-RFC 5280) time parser:
// two-digit fields with range checks, optional seconds, optional
// fractional seconds (GeneralizedTime), and either 'Z' or a +hhmm/-hhmm
// offset that is applied to the time.
func parseASN1Time(tag uint32, a []byte) (time.Time, bool) {
	minV := [9]int{0, 0, 1, 1, 0, 0, 0, 0, 0}
	maxV := [9]int{99, 99, 12, 31, 23, 59, 59, 12, 59}
	var end, btz, minLen int
	switch tag {
	case tagUTCTime:
		end, btz, minLen = 6, 5, 11
	case tagGenTime:
		end, btz, minLen = 7, 6, 13
	default:
		return time.Time{}, false
	}
	l := len(a)
	if l < minLen {
		return time.Time{}, false
	}
	var year, mon, mday, hour, minute, sec int
	o := 0
	for i := 0; i < end; i++ {
		if i == btz && (a[o] == 'Z' || a[o] == '+' || a[o] == '-') {
			break
		}
		if !isDigit(a[o]) {
			return time.Time{}, false
		}
		n := int(a[o] - '0')
		o++
		if o == l || !isDigit(a[o]) {
			return time.Time{}, false
		}
		n = n*10 + int(a[o]-'0')
		o++
		if o == l {
			return time.Time{}, false
		}
		i2 := i
		if tag == tagUTCTime {
			i2 = i + 1
		}
		if n < minV[i2] || n > maxV[i2] {
			return time.Time{}, false
		}
		switch i2 {
		case 0:
			year = n * 100
		case 1:
			if tag == tagUTCTime {
				if n < 50 {
					year = 2000 + n
				} else {
					year = 1900 + n
				}
			} else {
				year += n
			}
		case 2:
			mon = n
		case 3:
			md := [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mon-1]
			if mon == 2 && isLeap(year) {
				md++
			}
			if n > md {
				return time.Time{}, false
			}
			mday = n
		case 4:
			hour = n
		case 5:
			minute = n
		case 6:
			sec = n
		}
	}
	if tag == tagGenTime && a[o] == '.' {
		o++
		if o == l {
			return time.Time{}, false
		}
		i := o
		for o < l && isDigit(a[o]) {
			o++
		}
		if i == o || o == l {
			return time.Time{}, false
		}
	}
	t := time.Date(year, time.Month(mon), mday, hour, minute, sec, 0, time.UTC)
	switch a[o] {
	case 'Z':
		o++
	case '+', '-':
		sign := 1
		if a[o] == '-' {
			sign = -1
		}
		o++
		if o+4 != l {
			return time.Time{}, false
		}
		offset := 0
		for i := end; i < end+2; i++ {
			if !isDigit(a[o]) || !isDigit(a[o+1]) {
				return time.Time{}, false
			}
			n := int(a[o]-'0')*10 + int(a[o+1]-'0')
			i2 := i
			if tag == tagUTCTime {
				i2 = i + 1
			}
			if n < minV[i2] || n > maxV[i2] {
				return time.Time{}, false
			}
			if i == end {
				offset = n * 3600
			} else {
				offset += n * 60
			}
			o += 2
		}
		// The text is local time at the offset: UTC = local - offset.
		if offset != 0 {
			t = t.Add(time.Duration(-sign*offset) * time.Second)
			if t.Year() < 0 || t.Year() > 9999 {
				return time.Time{}, false
			}
		}
	default:
		return time.Time{}, false
	}
	if o != l {
		return time.Time{}, false
	}
	return t, true
}

func isLeap(y int) bool { return (y%4 == 0 && y%100 != 0) || y%400 == 0 }

// appendTimeText appends tm as OpenSSL prints times, "Jan  2 15:04:05
// 2006", with frac (the fraction of a second, dot included) after the
// seconds.
func appendTimeText(b []byte, tm time.Time, frac []byte) []byte {
	b = append(b, monthNames[tm.Month()-1]...)
	b = append(b, ' ')
	if tm.Day() < 10 {
		b = append(b, ' ')
	}
	b = strconv.AppendInt(b, int64(tm.Day()), 10)
	b = append(b, ' ')
	b = append2(b, tm.Hour())
	b = append(b, ':')
	b = append2(b, tm.Minute())
	b = append(b, ':')
	b = append2(b, tm.Second())
	b = append(b, frac...)
	b = append(b, ' ')
	return strconv.AppendInt(b, int64(tm.Year()), 10)
}
