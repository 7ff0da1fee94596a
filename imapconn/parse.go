package imapconn

import (
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of parenthesized lists a response may have.
const maxDepth = 64

// ParseResponse parses one complete response as framed by the reader: its bytes with the
// final CRLF removed and every literal's data in place after its "{n}" CRLF.
// Data that cannot be parsed after a known tag and keyword does not fail the whole
// response: it is reported in Response.Err, so that unknown responses are kept.
func ParseResponse(raw []byte) (*Response, error) {
	d := &decoder{b: raw}
	r := &Response{Raw: string(raw)}
	switch {
	case d.consume('+'):
		r.Tag = "+"
		d.consume(' ')
		r.Text = d.rest()
		return r, nil
	case d.consume('*'):
		r.Tag = "*"
	default:
		tag := d.atom(false)
		if tag == "" {
			return nil, d.fail("tag", "expected a tag, \"*\" or \"+\"")
		}
		r.Tag = tag
	}
	if !d.consume(' ') {
		return nil, d.fail("response", "expected a space after the tag")
	}
	if err := d.keyword(r); err != nil {
		return nil, err
	}
	if isStatus(r.Keyword) {
		r.Status = r.Keyword
		d.respText(r)
		return r, nil
	}
	if r.Tag != "*" {
		return nil, d.fail("response-tagged", "expected OK, NO or BAD, got "+r.Keyword)
	}
	r.Fields, r.Err = d.fields()
	return r, nil
}

func isStatus(keyword string) bool {
	switch keyword {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		return true
	}
	return false
}

// decoder reads the grammar of one response held in memory.
type decoder struct {
	b   []byte
	pos int
}

func (d *decoder) fail(rule, msg string) *ProtocolError {
	return &ProtocolError{Rule: rule, Msg: msg, Line: string(d.b)}
}

func (d *decoder) atEnd() bool { return d.pos >= len(d.b) }

func (d *decoder) peek() byte {
	if d.atEnd() {
		return 0
	}
	return d.b[d.pos]
}

func (d *decoder) consume(c byte) bool {
	if d.peek() == c && !d.atEnd() {
		d.pos++
		return true
	}
	return false
}

func (d *decoder) rest() string {
	s := string(d.b[d.pos:])
	d.pos = len(d.b)
	return s
}

// keyword reads an optional number and the keyword of a response.
func (d *decoder) keyword(r *Response) error {
	word := d.atom(false)
	if word != "" && isDigits(word) && d.consume(' ') {
		n, err := strconv.ParseInt(word, 10, 64)
		if err != nil {
			return d.fail("message-data", "number out of range: "+word)
		}
		r.Number, r.Numbered = n, true
		word = d.atom(false)
	}
	if word == "" {
		return d.fail("response", "expected a keyword")
	}
	r.Keyword = strings.ToUpper(word)
	return nil
}

// respText reads "[code args] text" after a status keyword; it never fails, because
// servers put all sorts of things in human-readable text.
func (d *decoder) respText(r *Response) {
	d.consume(' ')
	start := d.pos
	if d.consume('[') {
		if d.respCode(r) {
			d.consume(' ')
		} else {
			d.pos, r.Code, r.CodeArgs = start, "", nil
		}
	}
	r.Text = d.rest()
}

// respCode reads a response code after its "[" and reports whether it was well formed.
func (d *decoder) respCode(r *Response) bool {
	name := d.atom(true)
	if name == "" {
		return false
	}
	r.Code = strings.ToUpper(name)
	if d.consume(']') {
		return true
	}
	if !d.consume(' ') {
		return false
	}
	start := d.pos
	args, err := d.values(0, ']')
	if err == nil && d.consume(']') {
		r.CodeArgs = args
		return true
	}
	// Unparseable arguments are kept as one atom, up to the closing bracket.
	d.pos = start
	end := strings.IndexByte(string(d.b[start:]), ']')
	if end < 0 {
		return false
	}
	r.CodeArgs = []Value{{Kind: KindAtom, Str: string(d.b[start : start+end])}}
	d.pos = start + end + 1
	return true
}

// fields reads the data after a keyword up to the end of the response.
func (d *decoder) fields() ([]Value, error) {
	if d.atEnd() {
		return nil, nil
	}
	if !d.consume(' ') {
		return nil, d.fail("response-data", "expected a space after the keyword")
	}
	vals, err := d.values(0, 0)
	if err != nil {
		return nil, err
	}
	if !d.atEnd() {
		return nil, d.fail("response-data", "unexpected "+strconv.QuoteRune(rune(d.peek())))
	}
	return vals, nil
}

// values reads values separated by spaces until the end, a ")" or the given closing byte.
func (d *decoder) values(depth int, closing byte) ([]Value, error) {
	var vals []Value
	for !d.atEnd() && d.peek() != ')' && (closing == 0 || d.peek() != closing) {
		if len(vals) > 0 && !d.consume(' ') {
			return nil, d.fail("list", "expected a space between items, got "+strconv.QuoteRune(rune(d.peek())))
		}
		if d.atEnd() || d.peek() == ')' {
			break // a trailing space, which some servers send
		}
		v, err := d.value(depth, closing == ']')
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// value reads one atom, string, literal, NIL or list.
func (d *decoder) value(depth int, inCode bool) (Value, error) {
	switch c := d.peek(); {
	case c == '"':
		s, err := d.quoted()
		return Value{Kind: KindString, Str: s}, err
	case c == '{' || (c == '~' && d.pos+1 < len(d.b) && d.b[d.pos+1] == '{'):
		s, err := d.literal()
		return Value{Kind: KindString, Str: s}, err
	case c == '(':
		return d.list(depth)
	}
	a := d.atom(inCode)
	if a == "" {
		return Value{}, d.fail("atom", "unexpected "+strconv.QuoteRune(rune(d.peek())))
	}
	if strings.EqualFold(a, "NIL") {
		return Value{Kind: KindNil}, nil
	}
	return Value{Kind: KindAtom, Str: a}, nil
}

func (d *decoder) list(depth int) (Value, error) {
	if depth >= maxDepth {
		return Value{}, d.fail("list", "lists nested more than "+strconv.Itoa(maxDepth)+" deep")
	}
	d.pos++ // "("
	items, err := d.values(depth+1, 0)
	if err != nil {
		return Value{}, err
	}
	if !d.consume(')') {
		return Value{}, d.fail("list", "missing \")\"")
	}
	if items == nil {
		items = []Value{}
	}
	return Value{Kind: KindList, List: items}, nil
}

// atom reads the longest run of atom characters; a "[" inside it (as in BODY[TEXT])
// runs to its matching "]". In a response code, "]" ends the atom.
func (d *decoder) atom(inCode bool) string {
	start, depth := d.pos, 0
	for !d.atEnd() {
		c := d.b[d.pos]
		switch {
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case c == ']' && inCode:
			return string(d.b[start:d.pos])
		case depth == 0 && isAtomSpecial(c):
			return string(d.b[start:d.pos])
		}
		d.pos++
	}
	return string(d.b[start:d.pos])
}

// isAtomSpecial reports the bytes that end an atom in a response. It is more lenient than
// the grammar's atom-specials: servers send "\" in flags and "%" or "*" in names.
func isAtomSpecial(c byte) bool {
	return c == ' ' || c == '(' || c == ')' || c == '"' || c == '{' || c < 0x20 || c == 0x7f
}

// quoted reads a quoted string with its backslash escapes.
func (d *decoder) quoted() (string, error) {
	d.pos++ // opening quote
	var b strings.Builder
	for !d.atEnd() {
		c := d.b[d.pos]
		d.pos++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if d.atEnd() {
				return "", d.fail("quoted", "backslash at the end of the response")
			}
			c = d.b[d.pos]
			d.pos++
		case '\r', '\n':
			return "", d.fail("quoted", "line break inside a quoted string")
		case 0:
			return "", d.fail("quoted", "NUL inside a quoted string")
		}
		b.WriteByte(c)
	}
	return "", d.fail("quoted", "missing closing quote")
}

// literal reads "{n}" or "~{n}" (literal8), the CRLF and n bytes of data.
func (d *decoder) literal() (string, error) {
	d.consume('~')
	d.pos++ // "{"
	end := strings.IndexByte(string(d.b[d.pos:]), '}')
	if end < 0 {
		return "", d.fail("literal", "missing \"}\"")
	}
	digits := strings.TrimSuffix(string(d.b[d.pos:d.pos+end]), "+")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || !isDigits(digits) {
		return "", d.fail("literal", "bad length "+strconv.Quote(digits))
	}
	d.pos += end + 1
	if !d.consume('\r') || !d.consume('\n') {
		return "", d.fail("literal", "expected CRLF after the length")
	}
	if n > len(d.b)-d.pos {
		return "", d.fail("literal", "data shorter than its length "+digits)
	}
	s := string(d.b[d.pos : d.pos+n])
	d.pos += n
	return s, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
