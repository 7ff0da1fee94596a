package completion

import (
	"strings"

	"github.com/gocyradm/gocyradm/admin"
)

// replacement returns the text of a suggestion that makes the word under the cursor
// value, written so that admin.ParseLine reads value back. go-prompt replaces the text
// after the last space before the cursor by the suggestion's text: when the word under
// the cursor holds a space (quoted or escaped), the text is what follows that space, and
// the word is finished in the quoting it was begun with. Otherwise the whole word is
// written anew with admin.Quote.
func (st *statement) replacement(value string) string {
	frag := strings.LastIndexByte(st.line, ' ') + 1
	if frag <= st.cur.start {
		return st.line[frag:st.cur.start] + admin.Quote(value)
	}
	full := st.cur.raw + continuation(strings.TrimPrefix(value, st.cur.value), st.quote)
	return full[frag-st.cur.start:]
}

// continuation returns rest written to follow a word left in the quote state quote, and
// closes that quote.
func continuation(rest string, quote byte) string {
	switch quote {
	case '\'':
		if !strings.Contains(rest, "'") {
			return rest + "'"
		}
		return "'" + admin.Quote(rest)
	case '"':
		return inDoubleQuotes.Replace(rest) + `"`
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(specialUnquoted, rest[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(rest[i])
	}
	return b.String()
}

// inDoubleQuotes escapes the characters that are special inside "...".
var inDoubleQuotes = strings.NewReplacer(`"`, `\"`, `\`, `\\`, `$`, `\$`)

// specialUnquoted holds the characters a backslash must escape outside quotes.
const specialUnquoted = " \t'\"\\$;>|#"
