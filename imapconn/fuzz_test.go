package imapconn

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzParseResponse feeds arbitrary bytes to the framer and the parser: they must never
// panic, and a parsed response's raw bytes must be what was framed.
func FuzzParseResponse(f *testing.F) {
	for _, name := range corpusFiles(f) {
		for _, raw := range corpusResponses(f, name) {
			f.Add(raw)
		}
	}
	f.Add([]byte("* X {3}\r\nabc (a \"b\\\"\" NIL ~{1}\r\nz)"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := &framer{r: bufio.NewReader(bytes.NewReader(data)), maxLine: 4096, maxResponse: 1 << 16}
		for range 100 {
			raw, err := fr.next()
			if err != nil {
				return
			}
			r, err := ParseResponse(raw)
			if err == nil && r.Raw != string(raw) {
				t.Fatalf("Raw = %q, want %q", r.Raw, raw)
			}
		}
	})
}

// FuzzEncodeRoundTrip checks that any string without NUL, encoded as each kind of
// argument, parses back to itself and never produces a line break outside a literal.
func FuzzEncodeRoundTrip(f *testing.F) {
	for _, s := range []string{"", "NIL", "user.bob", "a b", `"\`, "x\r\ny", "Entw\xc3\xbcrfe", "*%", "]", "{5}"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, plus bool) {
		for _, arg := range []Arg{AString(s), String(s), Pattern(s), Literal([]byte(s))} {
			e := &encoder{literalPlus: plus}
			chunks, err := e.encodeCommand("*", "X", []Arg{arg})
			if strings.IndexByte(s, 0) >= 0 {
				if err == nil {
					t.Fatalf("%q with NUL was encoded", s)
				}
				continue
			}
			if err != nil {
				t.Fatalf("encoding %q: %v", s, err)
			}
			var wire []byte
			for _, c := range chunks {
				wire = append(wire, c.wire...)
			}
			fr := &framer{r: bufio.NewReader(bytes.NewReader(wire)), maxLine: 1 << 20, maxResponse: 1 << 20}
			raw, err := fr.next()
			if err != nil {
				t.Fatalf("framing %q: %v", wire, err)
			}
			if rest, _ := fr.r.Peek(1); len(rest) > 0 {
				t.Fatalf("%q: the encoding %q holds more than one line", s, wire)
			}
			r, err := ParseResponse(raw)
			if err != nil || r.Err != nil || len(r.Fields) != 1 {
				t.Fatalf("parsing %q: %v %v %v", wire, err, r.Err, r.Fields)
			}
			if got := r.Fields[0]; got.Text() != s || (got.Kind == KindNil) {
				t.Fatalf("%q encoded as %q parses back as %v", s, wire, got)
			}
		}
	})
}
