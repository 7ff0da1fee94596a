package imapconn

import (
	"strconv"
	"strings"
)

// Kind says what sort of item a Value is.
type Kind uint8

// The kinds of Value.
const (
	KindAtom   Kind = iota + 1 // an atom, number or flag: NIL never has this kind
	KindString                 // a quoted string or a literal
	KindNil                    // NIL
	KindList                   // a parenthesized list
)

// Value is one item of response data: an atom, a string, NIL or a list.
type Value struct {
	Kind Kind
	Str  string  // the atom's text or the string's contents
	List []Value // the items of a list
}

// Text returns the atom's or string's contents, or "" for NIL and lists.
func (v Value) Text() string {
	if v.Kind == KindAtom || v.Kind == KindString {
		return v.Str
	}
	return ""
}

// IsNil reports whether v is NIL.
func (v Value) IsNil() bool { return v.Kind == KindNil }

// Number returns the value as a non-negative decimal number.
func (v Value) Number() (int64, error) {
	if v.Kind != KindAtom {
		return 0, &ProtocolError{Msg: "expected a number, got " + v.String()}
	}
	n, err := strconv.ParseInt(v.Str, 10, 64)
	if err != nil || n < 0 {
		return 0, &ProtocolError{Msg: "expected a number, got " + v.String()}
	}
	return n, nil
}

// String returns v in IMAP syntax (strings quoted, lists parenthesized), for messages and tests.
func (v Value) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func (v Value) write(b *strings.Builder) {
	switch v.Kind {
	case KindAtom:
		b.WriteString(v.Str)
	case KindString:
		b.WriteString(strconv.Quote(v.Str))
	case KindNil:
		b.WriteString("NIL")
	case KindList:
		b.WriteByte('(')
		for i, item := range v.List {
			if i > 0 {
				b.WriteByte(' ')
			}
			item.write(b)
		}
		b.WriteByte(')')
	}
}

// Response is one complete server response: tagged, untagged or a continuation request.
type Response struct {
	Tag      string  // the command's tag, "*" for untagged data, "+" for a continuation request
	Status   string  // OK, NO, BAD, BYE or PREAUTH for a status response; "" for data
	Code     string  // the response code's name in upper case, such as REFERRAL; "" if none
	CodeArgs []Value // the response code's arguments
	Text     string  // the human-readable text of a status response or continuation request
	Number   int64   // the number before the keyword, as in "* 3 EXISTS"
	Numbered bool    // whether Number was present
	Keyword  string  // the data keyword in upper case (ACL, LIST...); the status for status responses
	Fields   []Value // the data after the keyword
	Err      error   // why the data after the keyword could not be parsed; Fields is then nil
	Raw      string  // the response's bytes, literals included, without the final CRLF
}

// Field returns the i-th data field, or a zero Value if there are fewer.
func (r *Response) Field(i int) Value {
	if i < len(r.Fields) {
		return r.Fields[i]
	}
	return Value{}
}
