package imapconn

import (
	"fmt"
	"strconv"
	"strings"
)

// Arg is one argument of a command, encoded on the wire as its kind and bytes require.
type Arg interface {
	encode(e *encoder) error
}

type (
	atomArg    string
	astringArg string
	stringArg  string
	patternArg string
	literalArg []byte
	listArg    []Arg
	flagArg    string
	nilArg     struct{}
	secretArg  struct{ Arg }
)

// Atom returns an argument sent as a bare atom, such as a command keyword or a flag.
// It is refused at encoding time unless every byte is an atom character.
func Atom(s string) Arg { return atomArg(s) }

// AString returns an argument sent as an atom when it can be, else as a quoted string,
// else as a literal (for 8-bit data, CR or LF). NUL is refused.
func AString(s string) Arg { return astringArg(s) }

// String returns an argument sent as a quoted string, or a literal when it must be.
func String(s string) Arg { return stringArg(s) }

// Pattern returns a LIST pattern: like AString, but "%" and "*" may stay in an atom.
func Pattern(s string) Arg { return patternArg(s) }

// Literal returns an argument always sent as a literal.
func Literal(b []byte) Arg { return literalArg(b) }

// List returns a parenthesized list of arguments.
func List(args ...Arg) Arg { return listArg(args) }

// Flag returns a flag or attribute such as \Sent: a backslash and an atom.
func Flag(s string) Arg { return flagArg(s) }

// Nil returns the NIL argument.
func Nil() Arg { return nilArg{} }

// Secret marks an argument as a secret: it is sent as usual but shown redacted in the trace.
func Secret(a Arg) Arg { return secretArg{a} }

// chunk is a part of a command: its wire bytes, its trace text, and whether the client
// must wait for a continuation request after sending it (a synchronizing literal).
type chunk struct {
	wire, trace []byte
	waitCont    bool
}

// encoder turns a command into chunks.
type encoder struct {
	chunks       []chunk
	cur          chunk
	literalPlus  bool // LITERAL+: every literal is non-synchronizing
	literalMinus bool // LITERAL-: literals up to 4096 bytes are non-synchronizing
	utf8         bool // UTF8=ACCEPT is enabled: 8-bit text may be quoted
	redact       bool
}

func (e *encoder) write(s string) {
	e.cur.wire = append(e.cur.wire, s...)
	if !e.redact {
		e.cur.trace = append(e.cur.trace, s...)
	}
}

// encodeCommand returns the chunks of "tag name args..." CRLF.
func (e *encoder) encodeCommand(tag, name string, args []Arg) ([]chunk, error) {
	e.write(tag + " " + name)
	for _, a := range args {
		e.write(" ")
		if err := a.encode(e); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	e.write("\r\n")
	e.chunks = append(e.chunks, e.cur)
	return e.chunks, nil
}

func (a atomArg) encode(e *encoder) error {
	if a == "" || strings.IndexFunc(string(a), func(r rune) bool { return !isAtomChar(r, "") }) >= 0 {
		return fmt.Errorf("%q is not a valid atom", string(a))
	}
	e.write(string(a))
	return nil
}

func (a flagArg) encode(e *encoder) error {
	name, ok := strings.CutPrefix(string(a), `\`)
	if !ok {
		return fmt.Errorf("%q is not a flag: it must start with a backslash", string(a))
	}
	if err := atomArg(name).encode(&encoder{}); err != nil {
		return fmt.Errorf("%q is not a valid flag", string(a))
	}
	e.write(string(a))
	return nil
}

func (a astringArg) encode(e *encoder) error { return e.text(string(a), "]") }
func (a patternArg) encode(e *encoder) error { return e.text(string(a), "]%*") }
func (a stringArg) encode(e *encoder) error  { return e.text(string(a), "") }
func (a literalArg) encode(e *encoder) error { return e.literal(a) }
func (nilArg) encode(e *encoder) error       { e.write("NIL"); return nil }

func (a listArg) encode(e *encoder) error {
	e.write("(")
	for i, item := range a {
		if i > 0 {
			e.write(" ")
		}
		if err := item.encode(e); err != nil {
			return err
		}
	}
	e.write(")")
	return nil
}

func (a secretArg) encode(e *encoder) error {
	if !e.redact {
		e.cur.trace = append(e.cur.trace, "<redacted>"...)
	}
	was := e.redact
	e.redact = true
	defer func() { e.redact = was }()
	return a.Arg.encode(e)
}

// text writes s as an atom if allowed (extra lists characters allowed in the atom besides
// ATOM-CHAR; "" means never an atom), else quoted, else as a literal.
func (e *encoder) text(s, extra string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%q contains a NUL character, which IMAP cannot carry", s)
	}
	switch {
	case extra != "" && s != "" && !strings.EqualFold(s, "NIL") && strings.IndexFunc(s, func(r rune) bool { return !isAtomChar(r, extra) }) < 0:
		e.write(s)
	case e.quotable(s):
		e.write(quote(s))
	default:
		return e.literal([]byte(s))
	}
	return nil
}

// isAtomChar reports whether r is an ATOM-CHAR of RFC 3501, or one of extra.
func isAtomChar(r rune, extra string) bool {
	if strings.ContainsRune(extra, r) {
		return true
	}
	return r > 0x20 && r < 0x7f && !strings.ContainsRune(`(){%*"\]`, r)
}

// quotable reports whether s can be a quoted string: no CR, LF or NUL, and 7-bit
// unless UTF-8 is enabled.
func (e *encoder) quotable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 || (c >= 0x80 && !e.utf8) {
			return false
		}
	}
	return true
}

func quote(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// literal writes b as a literal: non-synchronizing when the server allows it, else
// ending the chunk so that the writer waits for the continuation request.
func (e *encoder) literal(b []byte) error {
	if strings.IndexByte(string(b), 0) >= 0 {
		return fmt.Errorf("a literal cannot contain a NUL character")
	}
	n := strconv.Itoa(len(b))
	if e.literalPlus || (e.literalMinus && len(b) <= 4096) {
		e.write("{" + n + "+}\r\n")
	} else {
		e.write("{" + n + "}\r\n")
		e.cur.waitCont = true
		e.chunks = append(e.chunks, e.cur)
		e.cur = chunk{}
	}
	e.cur.wire = append(e.cur.wire, b...)
	if !e.redact {
		e.cur.trace = append(e.cur.trace, b...)
	}
	return nil
}
