package sleuth

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Expr is a compiled --where expression. The zero value is not usable; get
// one from Compile. An Expr is safe for concurrent use.
//
// Grammar (keywords are case-insensitive):
//
//	expr       = and { ("or" | "||") and }
//	and        = unary { ("and" | "&&") unary }
//	unary      = ("not" | "!") unary | "(" expr ")" | comparison
//	comparison = key [ op literal ]
//	op         = "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
//	key        = name { "." name }           e.g. dp, tls.s_version, packets.0.b
//	literal    = number | 'string' | "string" | true | false | null | word
//
// A word is any other unquoted run of characters (10.0.0.1, c02f) and is a
// string. A key alone tests that the key is present and neither null nor
// false.
//
// A key path resolves to every value it reaches: a name applied to an
// array applies to each of its elements (packets.b is the length of every
// packet), a number selects one element, and an array at the end of the
// path stands for its elements. A comparison holds when any reached value
// satisfies it; "!=" is the negation of "=" (no reached value is equal). A
// missing key equals only null, and fails every ordering comparison.
// Numbers compare as numbers, strings as byte strings; values of different
// types are never equal and never ordered.
type Expr struct {
	src  string
	root node
}

// String returns the source text of the expression.
func (e *Expr) String() string { return e.src }

// SyntaxError is a --where expression that does not parse.
type SyntaxError struct {
	Expr string // the expression
	Pos  int    // byte offset of the problem in Expr
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("bad --where expression at column %d: %s", e.Pos+1, e.Msg)
}

// maxDepth bounds the nesting of parentheses and "not"s, so that a hostile
// expression cannot exhaust the stack.
const maxDepth = 200

// Compile parses a --where expression (see Expr). An empty or blank
// expression matches every record.
func Compile(src string) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 { // only the end token
		return &Expr{src: src, root: constNode(true)}, nil
	}
	p := parser{src: src, toks: toks}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "unexpected %s", t.describe())
	}
	return &Expr{src: src, root: n}, nil
}

// MustCompile is Compile that panics on error, for fixed expressions.
func MustCompile(src string) *Expr {
	e, err := Compile(src)
	if err != nil {
		panic(err)
	}
	return e
}

// Match tells whether the decoded record v (as decoded by Decode) satisfies
// the expression.
func (e *Expr) Match(v any) bool { return e.root.eval(v) }

// MatchJSON decodes one JSON record and tells whether it satisfies the
// expression.
func (e *Expr) MatchJSON(rec []byte) (bool, error) {
	v, err := Decode(rec)
	if err != nil {
		return false, err
	}
	return e.Match(v), nil
}

// Decode decodes one JSON value the way Match expects it: objects as
// map[string]any, arrays as []any, numbers as json.Number.
func Decode(rec []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(rec)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value on the line")
	}
	return v, nil
}

// ---------------------------------------------------------------------------
// Lexer

type tokKind int

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tOp   // comparison operator, text in tok.text
	tWord // unquoted word: key, number, keyword literal or bare string
	tStr  // quoted string, value in tok.text
)

type token struct {
	kind tokKind
	pos  int
	text string
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tStr:
		return strconv.Quote(t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

// wordByte tells whether c can be part of an unquoted word.
func wordByte(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '(', ')', '=', '!', '<', '>', '\'', '"', '&', '|':
		return false
	}
	return true
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, i, "("})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, i, ")"})
			i++
		case c == '&' || c == '|':
			if i+1 >= len(src) || src[i+1] != c {
				return nil, &SyntaxError{src, i, fmt.Sprintf("%q is not an operator (use %q)", string(c), string([]byte{c, c}))}
			}
			k := tAnd
			if c == '|' {
				k = tOr
			}
			toks = append(toks, token{k, i, src[i : i+2]})
			i += 2
		case c == '=':
			n := 1
			if i+1 < len(src) && src[i+1] == '=' {
				n = 2
			}
			toks = append(toks, token{tOp, i, "="})
			i += n
		case c == '!':
			if i+1 < len(src) && src[i+1] == '=' {
				toks = append(toks, token{tOp, i, "!="})
				i += 2
			} else {
				toks = append(toks, token{tNot, i, "!"})
				i++
			}
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(src) && src[i+1] == '=' {
				op += "="
			}
			toks = append(toks, token{tOp, i, op})
			i += len(op)
		case c == '\'' || c == '"':
			s, n, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tStr, i, s})
			i += n
		default:
			j := i
			for j < len(src) && wordByte(src[j]) {
				j++
			}
			w := src[i:j]
			k := tWord
			switch strings.ToLower(w) {
			case "and":
				k = tAnd
			case "or":
				k = tOr
			case "not":
				k = tNot
			}
			toks = append(toks, token{k, i, w})
			i = j
		}
	}
	return append(toks, token{tEOF, len(src), ""}), nil
}

// lexString reads the quoted string starting at src[i]; a backslash escapes
// the next character. It returns the value and the length of the literal.
func lexString(src string, i int) (string, int, error) {
	q := src[i]
	var b strings.Builder
	for j := i + 1; j < len(src); j++ {
		switch c := src[j]; c {
		case q:
			return b.String(), j + 1 - i, nil
		case '\\':
			if j+1 >= len(src) {
				return "", 0, &SyntaxError{src, j, "backslash at the end of the expression"}
			}
			j++
			b.WriteByte(src[j])
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, &SyntaxError{src, i, "unterminated string"}
}

// ---------------------------------------------------------------------------
// Parser

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, a ...any) error {
	return &SyntaxError{p.src, t.pos, fmt.Sprintf(format, a...)}
}

func (p *parser) expr(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.peek(), "expression nested more than %d deep", maxDepth)
	}
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *parser) and(depth int) (node, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		p.next()
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *parser) unary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.peek(), "expression nested more than %d deep", maxDepth)
	}
	t := p.next()
	switch t.kind {
	case tNot:
		n, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case tLParen:
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errAt(c, "expected \")\" to close the \"(\" at column %d, found %s", t.pos+1, c.describe())
		}
		return n, nil
	case tWord:
		return p.comparison(t)
	case tEOF:
		return nil, p.errAt(t, "expected a key, \"(\" or \"not\", found end of expression")
	default:
		return nil, p.errAt(t, "expected a key, \"(\" or \"not\", found %s", t.describe())
	}
}

func (p *parser) comparison(keyTok token) (node, error) {
	path, err := ParsePath(keyTok.text)
	if err != nil {
		return nil, p.errAt(keyTok, "%v", err)
	}
	op := p.peek()
	if op.kind != tOp {
		switch op.kind {
		case tEOF, tAnd, tOr, tRParen:
			return existsNode{path}, nil
		}
		return nil, p.errAt(op, "expected a comparison operator (= != < <= > >=) after %q, found %s", keyTok.text, op.describe())
	}
	p.next()
	lt := p.next()
	var lit literal
	switch lt.kind {
	case tStr:
		lit = literal{kind: kString, s: lt.text}
	case tWord:
		lit = wordLiteral(lt.text)
	default:
		return nil, p.errAt(lt, "expected a value after %q, found %s", op.text, lt.describe())
	}
	return cmpNode{path: path, op: op.text, lit: lit}, nil
}

// ---------------------------------------------------------------------------
// Key paths

// Path is a parsed key path such as tls.s_version.
type Path []string

// ParsePath splits a dotted key path. Names may hold letters, digits, "_",
// "-" and any byte outside ASCII; empty names are an error.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return nil, fmt.Errorf("empty key")
	}
	parts := strings.Split(s, ".")
	for _, n := range parts {
		if n == "" {
			return nil, fmt.Errorf("key %q has an empty name", s)
		}
		for i := 0; i < len(n); i++ {
			c := n[i]
			ok := c == '_' || c == '-' || c >= 0x80 ||
				(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			if !ok {
				return nil, fmt.Errorf("key %q: character %q is not allowed in a key", s, string(c))
			}
		}
	}
	return Path(parts), nil
}

func (p Path) String() string { return strings.Join(p, ".") }

// Values returns every value the path reaches in v (see Expr).
func (p Path) Values(v any) []any {
	var out []any
	collect(v, p, &out)
	return out
}

func collect(v any, p Path, out *[]any) {
	if len(p) == 0 {
		if a, ok := v.([]any); ok {
			*out = append(*out, a...)
		} else {
			*out = append(*out, v)
		}
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if c, ok := x[p[0]]; ok {
			collect(c, p[1:], out)
		}
	case []any:
		if i, err := strconv.Atoi(p[0]); err == nil && p[0][0] != '-' && p[0][0] != '+' {
			if i < len(x) {
				collect(x[i], p[1:], out)
			}
			return
		}
		for _, e := range x {
			collect(e, p, out)
		}
	}
}

// ---------------------------------------------------------------------------
// Evaluation

type node interface{ eval(v any) bool }

type constNode bool

func (c constNode) eval(any) bool { return bool(c) }

type orNode struct{ l, r node }

func (n orNode) eval(v any) bool { return n.l.eval(v) || n.r.eval(v) }

type andNode struct{ l, r node }

func (n andNode) eval(v any) bool { return n.l.eval(v) && n.r.eval(v) }

type notNode struct{ n node }

func (n notNode) eval(v any) bool { return !n.n.eval(v) }

type existsNode struct{ path Path }

func (n existsNode) eval(v any) bool {
	for _, x := range n.path.Values(v) {
		if x != nil && x != false {
			return true
		}
	}
	return false
}

type litKind int

const (
	kNull litKind = iota
	kBool
	kNumber
	kString
)

type literal struct {
	kind litKind
	s    string  // string value, or the number's text
	f    float64 // number value
	b    bool
}

// wordLiteral classifies an unquoted word.
func wordLiteral(w string) literal {
	switch strings.ToLower(w) {
	case "null":
		return literal{kind: kNull}
	case "true":
		return literal{kind: kBool, b: true}
	case "false":
		return literal{kind: kBool, b: false}
	}
	if f, ok := parseNumber(w); ok {
		return literal{kind: kNumber, s: w, f: f}
	}
	return literal{kind: kString, s: w}
}

// parseNumber accepts decimal numbers (JSON syntax, plus a leading "+" and
// leading zeros) but not Inf, NaN or hexadecimal forms.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

type cmpNode struct {
	path Path
	op   string
	lit  literal
}

func (n cmpNode) eval(v any) bool {
	vals := n.path.Values(v)
	switch n.op {
	case "=":
		return n.anyEqual(vals)
	case "!=":
		return !n.anyEqual(vals)
	}
	for _, x := range vals {
		c, ok := compare(x, n.lit)
		if !ok {
			continue
		}
		switch n.op {
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		}
		if ok {
			return true
		}
	}
	return false
}

func (n cmpNode) anyEqual(vals []any) bool {
	if len(vals) == 0 {
		return n.lit.kind == kNull
	}
	for _, x := range vals {
		switch n.lit.kind {
		case kNull:
			if x == nil {
				return true
			}
		case kBool:
			if b, ok := x.(bool); ok && b == n.lit.b {
				return true
			}
		default:
			if c, ok := compare(x, n.lit); ok && c == 0 {
				return true
			}
		}
	}
	return false
}

// compare orders a record value against a number or string literal; ok is
// false when they are of different types.
func compare(x any, l literal) (c int, ok bool) {
	switch l.kind {
	case kNumber:
		var f float64
		switch v := x.(type) {
		case json.Number:
			if a, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				if b, err := strconv.ParseInt(l.s, 10, 64); err == nil {
					return cmp3(a, b), true
				}
			}
			var err error
			if f, err = strconv.ParseFloat(string(v), 64); err != nil {
				return 0, false
			}
		case float64:
			f = v
		case int:
			f = float64(v)
		default:
			return 0, false
		}
		return cmp3(f, l.f), true
	case kString:
		s, isStr := x.(string)
		if !isStr {
			return 0, false
		}
		return strings.Compare(s, l.s), true
	}
	return 0, false
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
