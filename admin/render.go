package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Format is how results are written.
type Format int

// The output formats.
const (
	FormatPlain Format = iota // cyradm's record formats, one record per line
	FormatTable               // tables for people
	FormatJSON                // JSON Lines, one object per command
)

// ParseFormat parses the name of a format.
func ParseFormat(name string) (Format, error) {
	switch name {
	case "plain":
		return FormatPlain, nil
	case "table":
		return FormatTable, nil
	case "json":
		return FormatJSON, nil
	}
	return 0, fmt.Errorf("unknown output format %q: use table, plain or json", name)
}

// Result is what a verb returns: a data model that renders as plain lines, as a table
// (if it implements Tabler) and as JSON (through its json tags).
type Result interface {
	Plain(w io.Writer) error
}

// Tabler is a Result that has a table form for people.
type Tabler interface {
	Table(w io.Writer, width int) error
}

// done is the Result of a verb that returns no data.
type done struct{}

func (done) Plain(io.Writer) error { return nil }

// render writes a result in the session's format. In JSON, failed commands are written
// too, with their error. At a terminal, control characters the server put in names or
// values are shown escaped, so that they cannot drive the terminal.
func (s *Session) render(w io.Writer, verb string, words []string, res Result, err error) error {
	if w == s.IO.Out && s.IO.OutTerminal {
		w = escaper{w}
	}
	switch st, streaming := res.(streamer); {
	case s.Format == FormatJSON && streaming:
		return writeJSONStream(w, verb, words, st)
	case s.Format == FormatJSON:
		return writeJSON(w, verb, words, res, err)
	case res == nil:
		return nil
	case s.Format == FormatTable:
		if t, ok := res.(Tabler); ok {
			return t.Table(w, s.IO.Width)
		}
	}
	return res.Plain(w)
}

// record is the part of every JSON line that does not depend on the verb.
type record struct {
	Verb  string   `json:"verb"`
	Args  []string `json:"args"`
	OK    bool     `json:"ok"`
	Error string   `json:"error,omitempty"`
}

// writeJSON writes one JSON object: the record's fields, then the result's.
func writeJSON(w io.Writer, verb string, words []string, res Result, err error) error {
	rec := record{Verb: verb, Args: words, OK: err == nil}
	if rec.Args == nil {
		rec.Args = []string{}
	}
	if err != nil {
		rec.Error = err.Error()
	}
	head, jerr := json.Marshal(rec)
	if jerr != nil {
		return jerr
	}
	line := head
	if res != nil {
		body, jerr := json.Marshal(res)
		if jerr != nil {
			return jerr
		}
		if body = bytes.TrimSpace(body); len(body) > 2 && body[0] == '{' {
			line = append(append(head[:len(head)-1], ','), body[1:]...)
		}
	}
	_, werr := w.Write(append(line, '\n'))
	return werr
}

// streamer is a Result written as its data arrives, whose error is known only once it
// has been written.
type streamer interface {
	Result
	writeJSONFields(w io.Writer) error
	Err() error
}

// writeJSONStream writes one JSON object for a streamed result: the verb and arguments,
// the result's fields as they arrive, then ok and the error.
func writeJSONStream(w io.Writer, verb string, words []string, st streamer) error {
	if words == nil {
		words = []string{}
	}
	head, err := json.Marshal(struct {
		Verb string   `json:"verb"`
		Args []string `json:"args"`
	}{verb, words})
	if err != nil {
		return err
	}
	if _, err := w.Write(append(head[:len(head)-1], ',')); err != nil {
		return err
	}
	if err := st.writeJSONFields(w); err != nil {
		return err
	}
	tail := struct {
		OK    bool   `json:"ok"`
		Error string `json:"error,omitempty"`
	}{OK: st.Err() == nil}
	if e := st.Err(); e != nil {
		tail.Error = e.Error()
	}
	b, err := json.Marshal(tail)
	if err != nil {
		return err
	}
	_, err = w.Write(append(append([]byte{','}, b[1:]...), '\n'))
	return err
}

// escaper writes through to w with control characters other than newline and tab
// written as \xNN.
type escaper struct{ w io.Writer }

func (e escaper) Write(p []byte) (int, error) {
	clean := true
	for _, c := range p {
		if isControl(c) {
			clean = false
			break
		}
	}
	if clean {
		return e.w.Write(p)
	}
	var b bytes.Buffer
	for _, c := range p {
		if isControl(c) {
			fmt.Fprintf(&b, "\\x%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	if _, err := e.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

func isControl(c byte) bool { return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f }
