package admin

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Statement is one command of a script line: its words after quote removal and
// expansion, and where its output goes.
type Statement struct {
	// Words holds the verb and its arguments. It is never empty for a verb
	// statement and nil for a shell escape.
	Words []string
	// Redirect is the "> FILE" or ">> FILE" of the statement, or nil.
	Redirect *Redirect
	// Pipe is the raw text after an unquoted "|", trimmed of blanks: the system
	// command that receives the output. It runs to the end of the line, so a ";"
	// after the "|" belongs to it. Pipe is "" when there is no pipe.
	Pipe string
	// Shell is the raw text after a "!" that begins a statement, trimmed of
	// blanks: a system command to run. It runs to the end of the line.
	Shell string
}

// Redirect is the file a statement's output is written to.
type Redirect struct {
	File   string
	Append bool // ">>" rather than ">"
}

// SyntaxError reports a line that is not valid in the shell language.
type SyntaxError struct {
	Col int    // 1-based column, counted in runes (each invalid UTF-8 byte counts as one)
	Msg string // what is wrong, lower case
}

// Error returns the message prefixed by its column, such as
// "column 12: unterminated quote".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("column %d: %s", e.Col, e.Msg)
}

// forbiddenInLine holds the control characters that may never appear in a
// line: they could smuggle a second IMAP command.
const forbiddenInLine = "\x00\r\n"

// ParseLine splits one line of input into statements.
//
// Words are separated by blanks (space and tab). '...' is literal. "..." is
// literal except that \", \\ and \$ stand for ", \ and $, and $NAME and ${NAME}
// expand; a backslash before any other character stays. Outside quotes a
// backslash escapes the next character and $NAME and ${NAME} expand. Expansion
// results are never re-split or re-interpreted. An unquoted ";" separates
// statements, and empty statements are dropped. A "#" that begins an unquoted
// word starts a comment that runs to the end of the line. "> FILE" and
// ">> FILE" redirect the output of the command before them. "| CMD" and a "!"
// that begins a statement take the rest of the line, raw, as a system command.
//
// Lookup reports the value of a variable and whether it is set; an unset
// variable is an error, and so is a value holding a NUL, CR or LF. A nil lookup
// treats every variable as unset. A single CR at the end of the line is dropped;
// any other NUL, CR or LF is an error. Invalid UTF-8 is kept byte for byte.
// Every error is a *SyntaxError.
func ParseLine(line string, lookup func(name string) (string, bool)) ([]Statement, error) {
	l := &lexer{src: strings.TrimSuffix(line, "\r"), lookup: lookup}
	if i := strings.IndexAny(l.src, forbiddenInLine); i >= 0 {
		return nil, l.errorf(i, "control character %U", l.src[i])
	}
	var stmts []Statement
	for l.pos < len(l.src) {
		st, err := l.statement()
		if err != nil {
			return nil, err
		}
		if len(st.Words) > 0 || st.Shell != "" {
			stmts = append(stmts, st)
		}
	}
	return stmts, nil
}

// Quote returns word written so that ParseLine reads it back as exactly that
// one word: unchanged when nothing in it is special, else in single quotes, or
// in double quotes with ", \ and $ escaped when it contains a single quote.
// The empty word becomes a pair of single quotes. A word with a NUL, CR or LF
// cannot be written.
func Quote(word string) string {
	switch {
	case word != "" && !needsQuotes(word):
		return word
	case !strings.Contains(word, "'"):
		return "'" + word + "'"
	default:
		return `"` + doubleQuoteEscaper.Replace(word) + `"`
	}
}

// doubleQuoteEscaper escapes the characters that are special inside "...".
var doubleQuoteEscaper = strings.NewReplacer(`"`, `\"`, `\`, `\\`, `$`, `\$`)

// needsQuotes reports whether word, written bare, would not read back as itself.
func needsQuotes(word string) bool {
	return strings.ContainsAny(word, " \t'\"\\$;>|") ||
		word[0] == '#' || word[0] == '!'
}

// lexer reads statements from one line, left to right.
type lexer struct {
	src    string
	pos    int // byte offset of the next unread byte
	lookup func(name string) (string, bool)
}

// statement reads one statement, up to and including its ";" or to the end of
// the line. The statement has no words when it was empty or only a comment.
func (l *lexer) statement() (Statement, error) {
	l.skipBlanks()
	if l.at('!') {
		return l.shellEscape()
	}
	var st Statement
	for {
		l.skipBlanks()
		var err error
		switch {
		case l.pos == len(l.src):
			return st, nil
		case l.at(';'):
			l.pos++
			return st, nil
		case l.at('#'):
			l.pos = len(l.src)
			return st, nil
		case l.at('>'):
			err = l.redirect(&st)
		case l.at('|'):
			return l.pipe(st)
		default:
			var w string
			w, err = l.word()
			st.Words = append(st.Words, w)
		}
		if err != nil {
			return Statement{}, err
		}
	}
}

// shellEscape reads a "!" and the rest of the line as a system command.
func (l *lexer) shellEscape() (Statement, error) {
	start := l.pos
	cmd := l.rest()
	if cmd == "" {
		return Statement{}, l.errorf(start, "missing command after !")
	}
	return Statement{Shell: cmd}, nil
}

// pipe reads a "|" and the rest of the line as the system command that
// receives the output of st, and returns st with its Pipe set.
func (l *lexer) pipe(st Statement) (Statement, error) {
	start := l.pos
	switch {
	case len(st.Words) == 0:
		return Statement{}, l.errorf(start, "missing command before |")
	case st.Redirect != nil:
		return Statement{}, l.errorf(start, "cannot both redirect and pipe output")
	}
	st.Pipe = l.rest()
	if st.Pipe == "" {
		return Statement{}, l.errorf(start, "missing command after |")
	}
	return st, nil
}

// rest consumes the operator byte at the current position and the rest of the
// line, and returns the text after the operator trimmed of blanks.
func (l *lexer) rest() string {
	text := strings.Trim(l.src[l.pos+1:], " \t")
	l.pos = len(l.src)
	return text
}

// redirect reads "> FILE" or ">> FILE" into st.
func (l *lexer) redirect(st *Statement) error {
	start := l.pos
	op := ">"
	if strings.HasPrefix(l.src[l.pos:], ">>") {
		op = ">>"
	}
	switch {
	case len(st.Words) == 0:
		return l.errorf(start, "missing command before %s", op)
	case st.Redirect != nil:
		return l.errorf(start, "more than one redirection")
	}
	l.pos += len(op)
	l.skipBlanks()
	if l.pos == len(l.src) || strings.IndexByte(";#>|", l.src[l.pos]) >= 0 {
		return l.errorf(start, "missing file name after %s", op)
	}
	file, err := l.word()
	if err != nil {
		return err
	}
	st.Redirect = &Redirect{File: file, Append: op == ">>"}
	return nil
}

// word reads one word, removing quotes and escapes and expanding variables.
// It stops before a blank, ";", ">", "|" or the end of the line.
func (l *lexer) word() (string, error) {
	var b strings.Builder
	for l.pos < len(l.src) {
		var err error
		switch c := l.src[l.pos]; c {
		case ' ', '\t', ';', '>', '|':
			return b.String(), nil
		case '\'':
			err = l.singleQuoted(&b)
		case '"':
			err = l.doubleQuoted(&b)
		case '\\':
			err = l.escaped(&b)
		case '$':
			err = l.dollar(&b)
		default:
			b.WriteByte(c)
			l.pos++
		}
		if err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// singleQuoted reads '...' and writes its contents to b unchanged.
func (l *lexer) singleQuoted(b *strings.Builder) error {
	end := strings.IndexByte(l.src[l.pos+1:], '\'')
	if end < 0 {
		return l.errorf(l.pos, "unterminated quote")
	}
	b.WriteString(l.src[l.pos+1 : l.pos+1+end])
	l.pos += end + 2
	return nil
}

// doubleQuoted reads "..." and writes its contents to b, with \", \\ and \$
// unescaped and variables expanded.
func (l *lexer) doubleQuoted(b *strings.Builder) error {
	start := l.pos
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.pos++
			return nil
		case c == '$':
			if err := l.dollar(b); err != nil {
				return err
			}
		case c == '\\' && l.pos+1 < len(l.src) && strings.IndexByte(`"\$`, l.src[l.pos+1]) >= 0:
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return l.errorf(start, "unterminated quote")
}

// escaped reads a backslash outside quotes and writes the byte after it to b.
// The bytes of a multi-byte character that follow are ordinary bytes, so the
// whole character is kept.
func (l *lexer) escaped(b *strings.Builder) error {
	if l.pos+1 == len(l.src) {
		return l.errorf(l.pos, "backslash at end of line")
	}
	b.WriteByte(l.src[l.pos+1])
	l.pos += 2
	return nil
}

// dollar reads $NAME or ${NAME} and writes the variable's value to b. A "$"
// followed by anything else is written as itself.
func (l *lexer) dollar(b *strings.Builder) error {
	start := l.pos
	after := l.src[l.pos+1:]
	switch {
	case strings.HasPrefix(after, "{"):
		return l.braced(b)
	case after != "" && isNameStart(after[0]):
		n := nameLen(after)
		l.pos += 1 + n
		return l.expand(b, after[:n], start)
	default:
		b.WriteByte('$')
		l.pos++
		return nil
	}
}

// braced reads ${NAME} and writes the variable's value to b.
func (l *lexer) braced(b *strings.Builder) error {
	start := l.pos
	inner := l.src[l.pos+2:]
	end := strings.IndexByte(inner, '}')
	if end < 0 {
		return l.errorf(start, "unterminated ${")
	}
	name := inner[:end]
	if name == "" || !isNameStart(name[0]) || nameLen(name) != len(name) {
		return l.errorf(start, "invalid variable name %q", name)
	}
	l.pos += 3 + end
	return l.expand(b, name, start)
}

// expand writes the value of the variable name, whose "$" is at byte offset
// start, to b.
func (l *lexer) expand(b *strings.Builder, name string, start int) error {
	var value string
	ok := false
	if l.lookup != nil {
		value, ok = l.lookup(name)
	}
	if !ok {
		return l.errorf(start, "undefined variable %q", name)
	}
	if i := strings.IndexAny(value, forbiddenInLine); i >= 0 {
		return l.errorf(start, "variable %q contains control character %U", name, value[i])
	}
	b.WriteString(value)
	return nil
}

// skipBlanks advances past spaces and tabs.
func (l *lexer) skipBlanks() {
	for l.pos < len(l.src) && (l.src[l.pos] == ' ' || l.src[l.pos] == '\t') {
		l.pos++
	}
}

// at reports whether the next unread byte is c.
func (l *lexer) at(c byte) bool {
	return l.pos < len(l.src) && l.src[l.pos] == c
}

// errorf returns a *SyntaxError for the byte at offset pos of the line, with
// its column counted in runes.
func (l *lexer) errorf(pos int, format string, args ...any) error {
	col := utf8.RuneCountInString(l.src[:pos]) + 1
	return &SyntaxError{Col: col, Msg: fmt.Sprintf(format, args...)}
}

// isNameStart reports whether c may begin a variable name.
func isNameStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// nameLen returns the length of the run of variable-name characters that
// begins s.
func nameLen(s string) int {
	n := 0
	for n < len(s) && (isNameStart(s[n]) || '0' <= s[n] && s[n] <= '9') {
		n++
	}
	return n
}
