package admin

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// lexVars is the environment the tests expand variables from.
var lexVars = map[string]string{
	"HOME":   "/home/cyrus",
	"USER":   "alice",
	"X_1":    "one",
	"SPACED": "a b\tc",
	"META":   `a;b >c |d #e 'f' "g" \h $HOME !i`,
	"EMPTY":  "",
	"NL":     "a\nb",
	"NUL":    "a\x00b",
}

// lexLookup looks a name up in lexVars.
func lexLookup(name string) (string, bool) {
	v, ok := lexVars[name]
	return v, ok
}

// lexWords returns a verb statement with the given words.
func lexWords(w ...string) Statement {
	return Statement{Words: w}
}

// lexStmts returns its arguments as a slice.
func lexStmts(s ...Statement) []Statement {
	return s
}

var parseLineTests = []struct {
	name string
	line string
	want []Statement
	err  string
}{
	// Words and blanks.
	{"empty line", "", nil, ""},
	{"blanks only", " \t  ", nil, ""},
	{"one word", "lm", lexStmts(lexWords("lm")), ""},
	{"words", "cm user.alice", lexStmts(lexWords("cm", "user.alice")), ""},
	{"extra blanks", " \t sam  user.bob\t\tbob  lrs ", lexStmts(lexWords("sam", "user.bob", "bob", "lrs")), ""},
	{"other punctuation is literal", "lm user.* %x <a & (b) {c} ~d `e` a=b", lexStmts(lexWords("lm", "user.*", "%x", "<a", "&", "(b)", "{c}", "~d", "`e`", "a=b")), ""},
	{"utf-8 word", "cm user.jürgen", lexStmts(lexWords("cm", "user.jürgen")), ""},
	{"invalid utf-8 kept", "cm \xff\xfeab", lexStmts(lexWords("cm", "\xff\xfeab")), ""},
	{"other control characters are literal", "a \x01\x1b\x7f", lexStmts(lexWords("a", "\x01\x1b\x7f")), ""},

	// Single quotes.
	{"single quotes", "sam 'user.a b' 'x y' lrs", lexStmts(lexWords("sam", "user.a b", "x y", "lrs")), ""},
	{"single quotes are literal", `x '$HOME \n "a" ; > | # !'`, lexStmts(lexWords("x", `$HOME \n "a" ; > | # !`)), ""},
	{"empty single quotes", "setmd m /shared/comment ''", lexStmts(lexWords("setmd", "m", "/shared/comment", "")), ""},
	{"quotes join a word", `a'b'"c"d\ e`, lexStmts(lexWords("abcd e")), ""},
	{"unterminated single quote", "cm 'user.a", nil, "column 4: unterminated quote"},
	{"unterminated quote after utf-8", "cm ü 'x", nil, "column 6: unterminated quote"},

	// Double quotes.
	{"double quotes", `sam "user.a b" bob lrs`, lexStmts(lexWords("sam", "user.a b", "bob", "lrs")), ""},
	{"empty double quotes", `x ""`, lexStmts(lexWords("x", "")), ""},
	{"escaped quote and backslash", `x "a\"b\\c"`, lexStmts(lexWords("x", `a"b\c`)), ""},
	{"escaped dollar", `x "\$HOME"`, lexStmts(lexWords("x", "$HOME")), ""},
	{"other backslash stays", `x "a\nb\'c\ d\;"`, lexStmts(lexWords("x", `a\nb\'c\ d\;`)), ""},
	{"single quote inside double", `x "it's"`, lexStmts(lexWords("x", "it's")), ""},
	{"specials inside double quotes", `x "a;b > c | d # e !f"`, lexStmts(lexWords("x", "a;b > c | d # e !f")), ""},
	{"unterminated double quote", `x "abc`, nil, "column 3: unterminated quote"},
	{"escaped closing quote", `x "abc\"`, nil, "column 3: unterminated quote"},
	{"backslash last in double quote", `x "abc\`, nil, "column 3: unterminated quote"},

	// Backslash outside quotes.
	{"backslash escapes blank", `cm user.a\ b`, lexStmts(lexWords("cm", "user.a b")), ""},
	{"backslash escapes specials", `x \; \> \| \# \' \" \\ \$HOME \!`, lexStmts(lexWords("x", ";", ">", "|", "#", "'", `"`, `\`, "$HOME", "!")), ""},
	{"backslash before ordinary", `x \a\b`, lexStmts(lexWords("x", "ab")), ""},
	{"backslash before utf-8", `x \ü`, lexStmts(lexWords("x", "ü")), ""},
	{"escaped bang begins no shell escape", `\!ls`, lexStmts(lexWords("!ls")), ""},
	{"trailing backslash", `x ab\`, nil, "column 5: backslash at end of line"},
	{"trailing backslash before CR", "x ab\\\r", nil, "column 5: backslash at end of line"},

	// Variables.
	{"dollar name", "cm user.$USER", lexStmts(lexWords("cm", "user.alice")), ""},
	{"dollar braces", "cm ${USER}x", lexStmts(lexWords("cm", "alicex")), ""},
	{"name stops at non-name char", "x $USER.x $X_1-y", lexStmts(lexWords("x", "alice.x", "one-y")), ""},
	{"name with digits and underscore", "x ${X_1}", lexStmts(lexWords("x", "one")), ""},
	{"expansion in double quotes", `x "$HOME/${USER}"`, lexStmts(lexWords("x", "/home/cyrus/alice")), ""},
	{"no expansion in single quotes", `x '$HOME'`, lexStmts(lexWords("x", "$HOME")), ""},
	{"expansion is not split", "x $SPACED", lexStmts(lexWords("x", "a b\tc")), ""},
	{"expansion is not interpreted", "x $META", lexStmts(lexWords("x", lexVars["META"])), ""},
	{"expansion in verb position is not interpreted", "$META", lexStmts(lexWords(lexVars["META"])), ""},
	{"empty expansion is a word", "x $EMPTY", lexStmts(lexWords("x", "")), ""},
	{"lone dollar", "x $ $", lexStmts(lexWords("x", "$", "$")), ""},
	{"dollar digit", "x $1 a$", lexStmts(lexWords("x", "$1", "a$")), ""},
	{"dollar punctuation", `x $. $$ $- "$" "$ a"`, lexStmts(lexWords("x", "$.", "$$", "$-", "$", "$ a")), ""},
	{"dollar before quote", `x $'a' $"b"`, lexStmts(lexWords("x", "$a", "$b")), ""},
	{"undefined variable", "dm user.$NOPE", nil, `column 9: undefined variable "NOPE"`},
	{"undefined braced variable", `x "${NOPE}"`, nil, `column 4: undefined variable "NOPE"`},
	{"unterminated braces", "x ${USER", nil, "column 3: unterminated ${"},
	{"unterminated braces in quotes", `x "${USER"`, nil, "column 4: unterminated ${"},
	{"empty braces", "x ${}", nil, `column 3: invalid variable name ""`},
	{"braces with digit", "x ${1}", nil, `column 3: invalid variable name "1"`},
	{"braces with blank", "x ${A B}", nil, `column 3: invalid variable name "A B"`},
	{"variable with LF", "x $NL", nil, `column 3: variable "NL" contains control character U+000A`},
	{"variable with NUL", "x ${NUL}", nil, `column 3: variable "NUL" contains control character U+0000`},

	// Statements and comments.
	{"two statements", "cm a; cm b", lexStmts(lexWords("cm", "a"), lexWords("cm", "b")), ""},
	{"attached semicolons", "cm a;cm b;", lexStmts(lexWords("cm", "a"), lexWords("cm", "b")), ""},
	{"empty statements dropped", " ; ;;x;; ", lexStmts(lexWords("x")), ""},
	{"only semicolons", ";;", nil, ""},
	{"comment line", "# a comment; cm x", nil, ""},
	{"indented comment", "   #cm x", nil, ""},
	{"comment after words", "lm user.* # all users", lexStmts(lexWords("lm", "user.*")), ""},
	{"comment after semicolon", "lm;#x; cm y", lexStmts(lexWords("lm")), ""},
	{"hash inside word", "x a#b a# #", lexStmts(lexWords("x", "a#b", "a#")), ""},
	{"quoted hash", `x '#a' "#b" \#c`, lexStmts(lexWords("x", "#a", "#b", "#c")), ""},
	{"comment may hold quotes", "x # it's", lexStmts(lexWords("x")), ""},

	// Redirection.
	{"redirect", "lm > out.txt", lexStmts(Statement{Words: []string{"lm"}, Redirect: &Redirect{File: "out.txt"}}), ""},
	{"append", "lm >> out.txt", lexStmts(Statement{Words: []string{"lm"}, Redirect: &Redirect{File: "out.txt", Append: true}}), ""},
	{"attached redirect", "lm>out.txt", lexStmts(Statement{Words: []string{"lm"}, Redirect: &Redirect{File: "out.txt"}}), ""},
	{"attached append", "lm user.*>>out", lexStmts(Statement{Words: []string{"lm", "user.*"}, Redirect: &Redirect{File: "out", Append: true}}), ""},
	{"words after redirect", "lm > out user.*", lexStmts(Statement{Words: []string{"lm", "user.*"}, Redirect: &Redirect{File: "out"}}), ""},
	{"quoted file", `lm > "my file"`, lexStmts(Statement{Words: []string{"lm"}, Redirect: &Redirect{File: "my file"}}), ""},
	{"expanded file", "lm >$HOME/l", lexStmts(Statement{Words: []string{"lm"}, Redirect: &Redirect{File: "/home/cyrus/l"}}), ""},
	{"redirect then statement", "lm >a; lq x", lexStmts(Statement{Words: []string{"lm"}, Redirect: &Redirect{File: "a"}}, lexWords("lq", "x")), ""},
	{"quoted redirect is a word", `x '>' ">>" \> a`, lexStmts(lexWords("x", ">", ">>", ">", "a")), ""},
	{"missing file name", "lm >", nil, "column 4: missing file name after >"},
	{"missing append file name", "lm >>  ", nil, "column 4: missing file name after >>"},
	{"file name before semicolon", "lm > ; x", nil, "column 4: missing file name after >"},
	{"file name is a comment", "lm >#x", nil, "column 4: missing file name after >"},
	{"triple angle", "lm >>> x", nil, "column 4: missing file name after >>"},
	{"file name before pipe", "lm > | x", nil, "column 4: missing file name after >"},
	{"unterminated quote in file name", "lm > 'x", nil, "column 6: unterminated quote"},
	{"undefined variable in file name", "lm >$NOPE", nil, `column 5: undefined variable "NOPE"`},
	{"two redirects", "lm > a >> b", nil, "column 8: more than one redirection"},
	{"redirect without command", "> out", nil, "column 1: missing command before >"},
	{"append without command", "x; >> out lm", nil, "column 4: missing command before >>"},

	// Pipes.
	{"pipe", "lm | grep alice", lexStmts(Statement{Words: []string{"lm"}, Pipe: "grep alice"}), ""},
	{"attached pipe", "lm|wc -l", lexStmts(Statement{Words: []string{"lm"}, Pipe: "wc -l"}), ""},
	{"pipe takes the rest raw", `x a | sort; echo "$HOME" 'x' > f # c  `, lexStmts(Statement{Words: []string{"x", "a"}, Pipe: `sort; echo "$HOME" 'x' > f # c`}), ""},
	{"pipe after statement", "x; y | z", lexStmts(lexWords("x"), Statement{Words: []string{"y"}, Pipe: "z"}), ""},
	{"pipe with undefined variable is raw", "x | echo $NOPE", lexStmts(Statement{Words: []string{"x"}, Pipe: "echo $NOPE"}), ""},
	{"quoted pipe is a word", `x '|' "|" \| a`, lexStmts(lexWords("x", "|", "|", "|", "a")), ""},
	{"pipe without command", "| grep x", nil, "column 1: missing command before |"},
	{"pipe after semicolon", "lm; | grep x", nil, "column 5: missing command before |"},
	{"pipe without target", "lm |  ", nil, "column 4: missing command after |"},
	{"pipe and redirect", "lm > f | grep x", nil, "column 8: cannot both redirect and pipe output"},

	// Shell escapes.
	{"shell escape", "!ls -l", lexStmts(Statement{Shell: "ls -l"}), ""},
	{"shell escape after blanks", "  ! ls -l ", lexStmts(Statement{Shell: "ls -l"}), ""},
	{"shell escape takes the rest raw", `!echo "$HOME"; x > y | z`, lexStmts(Statement{Shell: `echo "$HOME"; x > y | z`}), ""},
	{"shell escape after statement", "lm;!date", lexStmts(lexWords("lm"), Statement{Shell: "date"}), ""},
	{"bang later is a word", "x !a b!", lexStmts(lexWords("x", "!a", "b!")), ""},
	{"quoted bang is a word", `'!ls' "!x"`, lexStmts(lexWords("!ls", "!x")), ""},
	{"empty shell escape", " ! ", nil, "column 2: missing command after !"},

	// Control characters.
	{"CRLF line", "lm user.*\r", lexStmts(lexWords("lm", "user.*")), ""},
	{"CRLF after shell escape", "!ls\r", lexStmts(Statement{Shell: "ls"}), ""},
	{"CRLF after pipe", "x | wc\r", lexStmts(Statement{Words: []string{"x"}, Pipe: "wc"}), ""},
	{"CRLF blank line", "\r", nil, ""},
	{"two CRs", "lm\r\r", nil, "column 3: control character U+000D"},
	{"CR inside line", "lm\rx", nil, "column 3: control character U+000D"},
	{"NUL", "cm a\x00b", nil, "column 5: control character U+0000"},
	{"LF", "cm a\nb", nil, "column 5: control character U+000A"},
	{"LF at end", "cm a\n", nil, "column 5: control character U+000A"},
	{"NUL in quotes", "cm 'a\x00b'", nil, "column 6: control character U+0000"},
	{"LF in comment", "# a\nb", nil, "column 4: control character U+000A"},
	{"CR in shell escape", "!ls\r-l", nil, "column 4: control character U+000D"},
	{"column counts runes", "cm ü\x00", nil, "column 5: control character U+0000"},
	{"column counts invalid bytes", "cm \xff\xfe\x00", nil, "column 6: control character U+0000"},
}

func TestParseLine(t *testing.T) {
	for _, tt := range parseLineTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine(tt.line, lexLookup)
			if tt.err != "" {
				checkSyntaxError(t, tt.line, err, tt.err)
				return
			}
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tt.line, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLine(%q) =\n%#v\nwant\n%#v", tt.line, got, tt.want)
			}
		})
	}
}

// checkSyntaxError fails the test unless err is a *SyntaxError whose text is want.
func checkSyntaxError(t *testing.T, line string, err error, want string) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("ParseLine(%q) error = %v, want *SyntaxError %q", line, err, want)
	}
	if err.Error() != want {
		t.Errorf("ParseLine(%q) error = %q, want %q", line, err, want)
	}
}

func TestParseLineNilLookup(t *testing.T) {
	_, err := ParseLine("x $HOME", nil)
	checkSyntaxError(t, "x $HOME", err, `column 3: undefined variable "HOME"`)
}

var quoteTests = []struct {
	word, want string
}{
	{"user.alice", "user.alice"},
	{"user.jürgen", "user.jürgen"},
	{"a#b", "a#b"},
	{"a!b", "a!b"},
	{"%*.{}", "%*.{}"},
	{"", "''"},
	{"a b", "'a b'"},
	{"a\tb", "'a\tb'"},
	{"#x", "'#x'"},
	{"!x", "'!x'"},
	{"$HOME", "'$HOME'"},
	{"a;b", "'a;b'"},
	{">x", "'>x'"},
	{"a|b", "'a|b'"},
	{`a\b`, `'a\b'`},
	{`say "hi"`, `'say "hi"'`},
	{"it's", `"it's"`},
	{`it's "$x" \`, `"it's \"\$x\" \\"`},
}

func TestQuote(t *testing.T) {
	for _, tt := range quoteTests {
		got := Quote(tt.word)
		if got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.word, got, tt.want)
		}
		checkRoundTrip(t, tt.word)
	}
}

// checkRoundTrip fails the test unless ParseLine reads Quote(word) back as
// one statement whose only word is word.
func checkRoundTrip(t *testing.T, word string) {
	t.Helper()
	line := Quote(word)
	got, err := ParseLine(line, lexLookup)
	if err != nil {
		t.Fatalf("ParseLine(Quote(%q) = %q): %v", word, line, err)
	}
	if want := lexStmts(lexWords(word)); !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseLine(Quote(%q) = %q) = %#v, want %#v", word, line, got, want)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, tt := range parseLineTests {
		f.Add(tt.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		got, err := ParseLine(line, lexLookup)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Col < 1 {
				t.Fatalf("ParseLine(%q) error = %#v, want *SyntaxError with a column", line, err)
			}
			return
		}
		for _, st := range got {
			checkStatement(t, line, st)
		}
	})
}

// checkStatement fails the test if st is malformed or carries a NUL, CR or LF.
func checkStatement(t *testing.T, line string, st Statement) {
	t.Helper()
	if (st.Shell == "") == (len(st.Words) == 0) {
		t.Fatalf("ParseLine(%q): statement %#v has neither or both of words and shell", line, st)
	}
	texts := append([]string{st.Pipe, st.Shell}, st.Words...)
	if st.Redirect != nil {
		texts = append(texts, st.Redirect.File)
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "\x00\r\n") {
			t.Fatalf("ParseLine(%q): %q holds a control character", line, s)
		}
	}
}

func FuzzQuoteRoundTrip(f *testing.F) {
	for _, tt := range quoteTests {
		f.Add(tt.word)
	}
	for _, v := range lexVars {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, word string) {
		if strings.ContainsAny(word, "\x00\r\n") {
			t.Skip("control characters cannot be quoted")
		}
		checkRoundTrip(t, word)
	})
}
