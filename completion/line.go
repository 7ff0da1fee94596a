package completion

import "strings"

// word is one word of the statement under the cursor.
type word struct {
	raw   string // as typed, quotes and escapes included
	value string // after quote and escape removal; variables are not expanded
	start int    // byte offset of raw in the line
	op    bool   // a redirection operator, > or >>
}

// statement is the statement the cursor is in, read the way admin.ParseLine reads a line,
// but tolerant of what is not finished yet: an open quote, a trailing backslash.
type statement struct {
	line  string
	words []word // the words before the one under the cursor
	cur   word   // the word under the cursor, empty when the cursor follows a blank
	quote byte   // the quote cur leaves open: 0, ' or "
	// escape reports that cur ends with a backslash whose character is not typed yet.
	escape bool
	// done reports that nothing can be completed here: in a comment, after a pipe or
	// in a shell escape, whose text is not the shell's.
	done bool
}

// readStatement reads the statement that ends at the end of line.
func readStatement(line string) statement {
	r := &reader{st: statement{line: line}}
	for r.pos < len(line) && !r.st.done {
		r.step()
	}
	if !r.inWord {
		r.st.cur = word{start: len(line)}
	}
	return r.st
}

// reader walks a line one byte at a time.
type reader struct {
	st     statement
	pos    int
	inWord bool
	start  int // where the current word began
	raw    strings.Builder
	value  strings.Builder
}

// step reads the byte at pos, or the operator that starts there.
func (r *reader) step() {
	c := r.st.line[r.pos]
	switch {
	case r.st.quote != 0:
		r.quoted(c)
	case c == ' ' || c == '\t':
		r.endWord()
	case c == ';':
		r.endWord()
		r.st.words = nil
	case c == '>':
		r.redirect()
		return
	case c == '|', c == '!' && !r.inWord && len(r.st.words) == 0, c == '#' && !r.inWord:
		r.st.done = true
	default:
		r.unquoted(c)
	}
	r.pos++
}

// unquoted reads a byte outside quotes: it opens a quote, escapes the next byte or is
// part of the word.
func (r *reader) unquoted(c byte) {
	r.begin()
	r.raw.WriteByte(c)
	switch c {
	case '\'', '"':
		r.st.quote = c
	case '\\':
		if r.pos+1 == len(r.st.line) {
			r.st.escape = true
			break
		}
		r.pos++
		r.raw.WriteByte(r.st.line[r.pos])
		r.value.WriteByte(r.st.line[r.pos])
	default:
		r.value.WriteByte(c)
	}
	r.syncCur()
}

// quoted reads a byte inside '...' or "...".
func (r *reader) quoted(c byte) {
	r.raw.WriteByte(c)
	switch {
	case c == r.st.quote:
		r.st.quote = 0
	case c == '\\' && r.st.quote == '"':
		r.escapedInDouble()
	default:
		r.value.WriteByte(c)
	}
	r.syncCur()
}

// escapedInDouble reads what follows a backslash inside "...": \", \\ and \$ stand for
// the character, and any other backslash stays.
func (r *reader) escapedInDouble() {
	if r.pos+1 == len(r.st.line) {
		r.st.escape = true
		return
	}
	next := r.st.line[r.pos+1]
	if strings.IndexByte(`"\$`, next) < 0 {
		r.value.WriteByte('\\')
		return
	}
	r.pos++
	r.raw.WriteByte(next)
	r.value.WriteByte(next)
}

// redirect reads > or >> as a word of its own.
func (r *reader) redirect() {
	r.endWord()
	op := ">"
	if strings.HasPrefix(r.st.line[r.pos:], ">>") {
		op = ">>"
	}
	r.st.words = append(r.st.words, word{raw: op, value: op, start: r.pos, op: true})
	r.pos += len(op)
}

// begin starts a word at pos unless one is under way.
func (r *reader) begin() {
	if !r.inWord {
		r.inWord, r.start = true, r.pos
	}
}

// syncCur makes cur the word read so far.
func (r *reader) syncCur() {
	r.st.cur = word{raw: r.raw.String(), value: r.value.String(), start: r.start}
}

// endWord finishes the word under way, if any.
func (r *reader) endWord() {
	if !r.inWord {
		return
	}
	r.st.words = append(r.st.words, r.st.cur)
	r.st.cur = word{}
	r.inWord = false
	r.raw.Reset()
	r.value.Reset()
}
