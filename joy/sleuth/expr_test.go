package sleuth

import (
	"errors"
	"strings"
	"testing"
)

const rec = `{"sa":"10.0.0.1","da":"10.0.0.2","pr":6,"sp":5555,"dp":443,"bytes_out":1200,"p":0.25,
"time_start":1496350061.166754,"big":18446744073709551615,
"packets":[{"b":100,"dir":">","ipt":0},{"b":1400,"dir":"<","ipt":3}],
"tls":{"s_version":2,"cs":["c02f","c030"],"srlt":[{"b":5,"tp":22}]},"flag":true,"off":false,"nothing":null}`

func TestExprSemantics(t *testing.T) {
	v, err := Decode([]byte(strings.ReplaceAll(rec, "\n", "")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"", true},
		{"dp = 443", true},
		{"dp == 443", true},
		{"dp=443", true},
		{"dp = 443.0", true},
		{"dp = 4.43e2", true},
		{"dp != 443", false},
		{"dp > 442 and dp < 444", true},
		{"dp >= 443 AND dp <= 443", true},
		{"dp < 443 or sp > 5000", true},
		{"dp < 443 || sp > 6000", false},
		{"dp = 80 or dp = 443 and pr = 17", false}, // and binds tighter
		{"(dp = 80 or dp = 443) and pr = 6", true},
		{"not dp = 80", true},
		{"!(dp = 443)", false},
		{"NOT not dp = 443", true},
		{"sa = 10.0.0.1", true},
		{`sa = "10.0.0.1"`, true},
		{`sa = '10.0.0.1'`, true},
		{"sa = '10.0.0.2'", false},
		{"sa < '10.0.0.2'", true}, // strings compare as strings
		{"sa > 5", false},         // types differ: never ordered
		{"sa = 5", false},
		{"dp = '443'", false}, // a string is not a number
		{"tls.s_version = 2", true},
		{"tls.s_version > 1", true},
		{"tls.cs = c02f", true},   // any element of an array
		{"tls.cs != c02f", false}, // none equal
		{"tls.cs != ffff", true},
		{"tls.srlt.tp = 22", true}, // through arrays
		{"packets.b > 1000", true},
		{"packets.b > 1400", false},
		{"packets.0.b = 100", true},
		{"packets.1.dir = '<'", true},
		{"packets.9.b = 1", false},
		{"tls", true},
		{"http", false},
		{"not http", true},
		{"flag", true},
		{"off", false},
		{"nothing", false},
		{"nothing = null", true},
		{"missing = null", true},
		{"missing != 1", true},
		{"missing > 1", false},
		{"missing < 1", false},
		{"flag = true", true},
		{"off = false", true},
		{"flag = 1", false},
		{"p = 0.25", true},
		{"p < 0.3", true},
		{"time_start > 1496350061.16", true},
		{"big = 18446744073709551615", true},
		{"big > 1", true},
		{"bytes_out >= 1200 and (tls.s_version = 2 or dp = 22) and not sa = 1.2.3.4", true},
		{`sa = 'it\'s'`, false},
		{`dir_with-dash = 1`, false},
	} {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Errorf("%q: %v", tc.expr, err)
			continue
		}
		if got := e.Match(v); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func TestExprErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		pos  int
		msg  string
	}{
		{"dp =", 4, "expected a value"},
		{"dp 443", 3, "expected a comparison operator"},
		{"(dp = 443", 9, `expected ")"`},
		{"dp = 443)", 8, "unexpected"},
		{"dp = 443 and", 12, "found end of expression"},
		{"and dp = 1", 0, "expected a key"},
		{"= 1", 0, "expected a key"},
		{"dp = 'abc", 5, "unterminated string"},
		{"dp & 1", 3, "is not an operator"},
		{"dp = 1 | sp = 2", 7, "is not an operator"},
		{"a..b = 1", 0, "empty name"},
		{"a.b$ = 1", 0, "not allowed"},
		{"dp = = 1", 5, "expected a value"},
		{"()", 1, "expected a key"},
		{"dp < and", 5, "expected a value"},
		{strings.Repeat("(", 500) + "dp" + strings.Repeat(")", 500), 0, "nested more than"},
		{strings.Repeat("not ", 500) + "dp", 0, "nested more than"},
	} {
		_, err := Compile(tc.expr)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a *SyntaxError", tc.expr, err)
			continue
		}
		if !strings.Contains(se.Msg, tc.msg) || (tc.pos != 0 && se.Pos != tc.pos) {
			t.Errorf("%q: %q at %d, want %q at %d", tc.expr, se.Msg, se.Pos, tc.msg, tc.pos)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: multi-line error %q", tc.expr, err)
		}
	}
}

// FuzzWhere: compiling and evaluating any expression never panics, and an
// error is always a *SyntaxError with a position inside the expression.
func FuzzWhere(f *testing.F) {
	for _, s := range []string{
		"dp = 443", "(a = 1 or b != 'x') and not c.d >= 2", "tls.cs = c02f", "packets.0.b > 1e3",
		"!(x)", "a && b || c", `s = "q\"uote"`, "((((", "a = ", "x.y.z <= -1.5e-3", "a = nan", "a = 1e999",
		"a.-1 = 2", "a.99999999999999999999 = 1", "\xff = 1", "a = \x00",
	} {
		f.Add(s)
	}
	v, err := Decode([]byte(strings.ReplaceAll(rec, "\n", "")))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Compile(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %T %v", s, err, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("%q: position %d outside the expression", s, se.Pos)
			}
			_ = err.Error()
			return
		}
		e.Match(v)
		e.Match(nil)
		e.Match([]any{v, "x", nil})
		if e.String() != s {
			t.Fatalf("String() = %q, want %q", e.String(), s)
		}
	})
}
